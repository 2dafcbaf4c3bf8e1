"""An inspection archive: a complete copy of one patient's or one trial's records, for an
inspector to read and check offline (21 CFR 11.10(b), issue 16).

``ArchiveService.export(scope, path)`` writes one ZIP file holding the newest bytes of
every digitally signed worksheet in scope, the worksheet of every other stage version
(signed electronically only, or not yet signed) built from its stored content, the data
as CSV (patients, visits with each stage version, signatures, results), the audit trail
of the scope's patients, the site CA and the signers' certificates (PEM), the exact trial
files the stages were decided under, ``manifest.json`` and ``SHA256SUMS`` with every
member's SHA-256, and a README saying how to check each piece. The file is written whole
after its audit row (``archive.export``: who, the scope, the file's SHA-256). Exporting
needs ``Permission.EXPORT`` and the audit trail's roles (administrator or monitor). No Qt.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from desktop import __version__
from desktop.domain.text_safety import spreadsheet_cell
from desktop.registry.archive_reads import ScopeRows, patients_screened_for, read_scope
from desktop.registry.database import Registry
from desktop.services.acting import Actor, Permission, acting, need
from desktop.services.archive_readme import readme_text
from desktop.services.audit_log import AuditFilter, AuditLogService
from desktop.services.documents import Credentials, DocumentError, exporter, write_whole

PATIENT_COLUMNS: Final = ("Patient id", "MRN", "Family name", "Given name",
                          "Date of birth", "Sex", "Archived", "Void reason")
VISIT_COLUMNS: Final = ("Visit id", "MRN", "Trial", "Stage", "Repeat", "Version", "Status",
                        "Decision", "Completed at (UTC)", "Completed by", "Content SHA-256",
                        "Trial file SHA-256", "Correction reason")
SIGNATURE_COLUMNS: Final = ("Signature id", "Visit id", "Version", "Action", "Meaning",
                            "User", "Printed name", "Role", "Signed at", "Content SHA-256",
                            "Rationale", "Digitally signed worksheet")
RESULT_COLUMNS: Final = ("Result id", "MRN", "Visit id", "Code", "Value", "Unit", "At",
                         "Upper limit of normal", "Source", "Entered by",
                         "Entered at (UTC)", "Retracted", "Retraction reason")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ArchiveError(DocumentError):
    """The archive cannot be made; the message says why."""


@dataclass(frozen=True)
class Scope:
    """One patient (by MRN) or one trial (by NCT id)."""

    mrn: str | None = None
    trial_id: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {"patient": self.mrn} if self.mrn is not None else {"trial": str(self.trial_id)}


@dataclass(frozen=True)
class ArchiveExported:
    path: Path
    sha256: str
    members: tuple[str, ...]
    patients: int
    worksheets: int
    audit_rows: int

    def summary(self) -> dict[str, Any]:
        built = sum(1 for m in self.members if m.startswith("worksheets/electronic/"))
        return {"file": str(self.path), "sha256": self.sha256, "files": len(self.members),
                "patients": self.patients, "worksheets": self.worksheets,
                "worksheets_without_digital_signature": built,
                "audit_rows": self.audit_rows}


def csv_bytes(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """A CSV table, UTF-8 with a byte order mark, every cell safe for a spreadsheet."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    return text.getvalue().encode("utf-8-sig")


class ArchiveService:
    def __init__(self, registry: Registry, actor: Actor | str, *,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self._registry = registry
        self.actor = acting(actor)
        self._clock = clock

    def _patients(self, scope: Scope, audit: AuditLogService) -> list[int]:
        if (scope.mrn is None) == (scope.trial_id is None):
            raise ArchiveError("Give one patient (MRN) or one trial (NCT id).")
        if scope.mrn is not None:
            row = audit.patient_by_mrn(scope.mrn)
            return [row.id]
        found = patients_screened_for(self._registry, str(scope.trial_id))
        if not found:
            raise ArchiveError(f"No patient was screened for {scope.trial_id}.")
        return found

    def members(self, scope: Scope) -> tuple[dict[str, bytes], int, int, int]:
        """The archive's files by name (manifest and README included), how many patients,
        worksheets and audit rows."""
        need(self.actor, Permission.EXPORT, self._registry)
        audit = AuditLogService(self._registry, self.actor)
        patient_ids = self._patients(scope, audit)
        rows = read_scope(self._registry, patient_ids, scope.trial_id)
        trail, audit_rows = audit.csv_data([AuditFilter(patient_id=p) for p in patient_ids])
        files = self._data_files(rows)
        files.update(self._electronic_worksheets(rows))
        files["audit-trail.csv"] = trail
        files.update(self._pki_files(rows))
        for trial in rows.trial_files:
            files[f"trials/{_safe(trial.trial_id)}-{trial.sha256}.{_safe(trial.format)}"] = \
                trial.data
        files["README.txt"] = readme_text(scope.as_dict(), sorted(files),
                                          "site-ca.pem" in files).encode("utf-8")
        files["manifest.json"] = self._manifest(scope, files)
        files["SHA256SUMS"] = "".join(
            f"{hashlib.sha256(data).hexdigest()}  {name}\n"
            for name, data in sorted(files.items())).encode("utf-8")
        return files, len(patient_ids), len(rows.worksheets), audit_rows

    @staticmethod
    def _data_files(rows: ScopeRows) -> dict[str, bytes]:
        files = {
            f"worksheets/WS-{w.visit_id}-V{w.version}.pdf": w.data for w in rows.worksheets}
        files["patients.csv"] = csv_bytes(PATIENT_COLUMNS, rows.patients)
        files["visits.csv"] = csv_bytes(VISIT_COLUMNS, rows.visits)
        files["signatures.csv"] = csv_bytes(SIGNATURE_COLUMNS, rows.signatures)
        files["results.csv"] = csv_bytes(RESULT_COLUMNS, rows.results)
        return files

    def _electronic_worksheets(self, rows: ScopeRows) -> dict[str, bytes]:
        """The worksheet of every stage version in scope that has no digitally signed PDF
        (signed electronically only, before the site had a CA, or not signed yet), built
        now from the stored content: its banner says what it is (draft, superseded...)."""
        from desktop.services.worksheets import WorksheetError, WorksheetService

        signed = {(w.visit_id, w.version) for w in rows.worksheets}
        service = WorksheetService.open(self._registry, self.actor, clock=self._clock)
        files: dict[str, bytes] = {}
        for visit in rows.visits:
            visit_id, version = int(visit[0]), int(visit[5])
            if (visit_id, version) in signed:
                continue
            with contextlib.suppress(WorksheetError):
                _data, built = service.build(visit_id, version)
                files[f"worksheets/electronic/WS-{visit_id}-V{version}.pdf"] = built.pdf
        return files

    def _pki_files(self, rows: ScopeRows) -> dict[str, bytes]:
        from desktop.services.keys import KeyProblem, KeyService

        files: dict[str, bytes] = {}
        # No CA: no digital signatures either; the README says so.
        with contextlib.suppress(KeyProblem):
            files["site-ca.pem"] = KeyService(self._registry).ca_pem()
        for cert in rows.certificates:
            name = f"certificates/{_safe(cert.user_id)}-{_safe(cert.serial)}.pem"
            files[name] = cert.pem.encode("ascii")
        return files

    def _manifest(self, scope: Scope, files: dict[str, bytes]) -> bytes:
        from desktop.registry.document_exports import document_context

        site, head = document_context(self._registry)
        manifest = {
            "format": "nkscreen-archive/1", "app_version": __version__,
            "created": self._clock().astimezone().isoformat(timespec="seconds"),
            "created_by": self.actor.user_id, "site": site.site_name,
            "scope": scope.as_dict(), "audit_chain_head": {"seq": head.seq,
                                                           "hash": head.hash},
            "files": [{"name": name, "bytes": len(data),
                       "sha256": hashlib.sha256(data).hexdigest()}
                      for name, data in sorted(files.items())]}
        return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    def export(self, scope: Scope, path: Path) -> ArchiveExported:
        """Write the archive of ``scope`` to ``path`` (a ZIP file), whole, audited."""
        path = Path(path)
        if path.suffix.lower() != ".zip":
            raise ArchiveError(f"{path.name}: the file must end in .zip.")
        files, patients, worksheets, audit_rows = self.members(scope)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                archive.writestr(name, files[name])
        data = buffer.getvalue()
        exported = ArchiveExported(path, hashlib.sha256(data).hexdigest(),
                                   tuple(sorted(files)), patients, worksheets, audit_rows)
        write_whole(path, data, lambda: self._audit(scope, exported))
        return exported

    def _audit(self, scope: Scope, exported: ArchiveExported) -> None:
        from desktop.registry.document_exports import record_document

        record_document(self._registry, self.actor.user_id, "archive.export", "document", 0, {
            "scope": scope.as_dict(), "file": exported.path.name, "sha256": exported.sha256,
            "files": len(exported.members), "patients": exported.patients,
            "worksheets": exported.worksheets, "audit_rows": exported.audit_rows})


def _safe(text: str) -> str:
    return _SAFE_NAME.sub("_", text) or "_"


def archive_command(data_dir: Path, scope: Scope, target: Path,
                    credentials: Credentials | None) -> dict[str, Any]:
    """``nkscreen archive``: log in, export, the summary printed."""
    with exporter(data_dir, credentials) as (registry, actor):
        return ArchiveService(registry, actor).export(scope, target).summary()
