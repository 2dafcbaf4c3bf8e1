"""The registers a sponsor and an auditor ask for: a trial's screening log (ICH E6's
subject screening log) and the delegation of authority log, as PDF or CSV.

``LogService.screening_log(trial, sponsor_copy)`` and ``delegation_log()`` give the table
as words (``LogDocument``); ``export(document, path)`` writes it as PDF or CSV by the
file's suffix, whole or not at all, after its audit row (``screening_log.export`` /
``delegation_log.export``: who, which document, the file's SHA-256). A sponsor copy shows
initials and a screening number, never the MRN or the date of birth. Exporting needs
``Permission.EXPORT``. No Qt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from desktop import __version__
from desktop.domain.log_lines import failure_lines, initials, outcome_words, stage_label
from desktop.domain.trial import Trial
from desktop.registry.database import Registry
from desktop.registry.screenings import ScreeningRepository
from desktop.services.acting import Actor, Permission, acting, need
from desktop.services.delegations import CSV_COLUMNS, DelegationService, delegation_cells
from desktop.services.documents import Credentials, DocumentError, exporter, write_whole
from desktop.worksheets.log_pdf import LogDocument, build_log_pdf, log_csv
from desktop.worksheets.worksheet_data import format_when

if TYPE_CHECKING:
    from desktop.services.printing import Printable

SCREENING_COLUMNS: Final = ("Screening no.", "Patient", "MRN", "Date of birth",
                            "Screening date", "Furthest stage", "Outcome",
                            "Screen-fail reasons (criterion number and text)")
SCREENING_WIDTHS: Final = (0.07, 0.13, 0.08, 0.08, 0.08, 0.15, 0.12, 0.29)
SPONSOR_COLUMNS: Final = ("Screening no.", "Initials", "Screening date", "Furthest stage",
                          "Outcome", "Screen-fail reasons (criterion number and text)")
SPONSOR_WIDTHS: Final = (0.08, 0.07, 0.09, 0.17, 0.15, 0.44)
DELEGATION_WIDTHS: Final = (0.035, 0.115, 0.10, 0.085, 0.095, 0.08, 0.08, 0.085, 0.08, 0.085,
                            0.08, 0.08)
FORMATS: Final = (".pdf", ".csv")


@dataclass(frozen=True)
class LogExported:
    path: Path
    document_id: str
    rows: int
    file_sha256: str

    def summary(self) -> dict[str, Any]:
        return {"file": str(self.path), "document_id": self.document_id,
                "rows": self.rows, "sha256": self.file_sha256}


@dataclass(frozen=True)
class _Context:
    document_id: str
    created: str
    chain_head: str
    paper: str
    site_name: str


class LogService:
    def __init__(self, registry: Registry, actor: Actor | str, *,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self._registry = registry
        self.actor = acting(actor)
        self._clock = clock

    def _context(self, kind: str) -> _Context:
        """What the pages print beside the rows (read after them)."""
        from desktop.registry.document_exports import document_context

        site, head = document_context(self._registry)
        now = self._clock().astimezone()
        return _Context(f"{kind}-{now:%Y%m%dT%H%M%S}", format_when(now),
                        f"#{head.seq} {head.hash}",
                        "Letter" if site.paper_size == "Letter" else "A4",
                        site.site_name or "(site name not set)")

    def screening_log(self, trial: Trial, sponsor_copy: bool = False) -> LogDocument:
        """Every patient screened for ``trial``, in the order screening took place (the
        date of its first assessed stage, else its start)."""
        need(self.actor, Permission.READ)
        rows = ScreeningRepository(self._registry, self.actor.user_id).screening_log(trial)
        rows.sort(key=lambda r: (r.screening_date(), r.started_at, r.screening_id))
        cells: list[tuple[str, ...]] = []
        failed = 0
        for row in rows:
            failed += row.failures != ()
            reasons = "\n".join(line for f in row.failures
                                for line in failure_lines(trial, f.stage_id, f.repeat,
                                                          f.reasons))
            shared = (row.screening_date().isoformat(),
                      stage_label(trial, row.furthest_stage, row.furthest_repeat),
                      outcome_words(trial, row.furthest_stage, row.furthest_repeat,
                                    row.furthest_state), reasons)
            if sponsor_copy:
                cells.append((str(row.screening_id),
                              initials(row.given_name, row.family_name), *shared))
            else:
                cells.append((str(row.screening_id), f"{row.family_name.upper()}, "
                              f"{row.given_name}", row.mrn,
                              row.birth_date.isoformat() if row.birth_date else "not recorded",
                              *shared))
        context = self._context(f"SL-{trial.id}")
        noun = "patient" if len(rows) == 1 else "patients"
        lines = [f"{trial.id} — {trial.title}", f"Site: {context.site_name}",
                 f"{len(rows)} {noun} screened; {failed} with a screen failure."]
        if sponsor_copy:
            lines.append("Sponsor copy: patients by initials and screening number; no "
                         "medical record number or date of birth.")
        return LogDocument(
            title=f"Subject screening log — {trial.id}"
            + (" (sponsor copy)" if sponsor_copy else ""),
            lines=tuple(lines),
            columns=SPONSOR_COLUMNS if sponsor_copy else SCREENING_COLUMNS,
            widths=SPONSOR_WIDTHS if sponsor_copy else SCREENING_WIDTHS,
            rows=tuple(cells),
            document_id=context.document_id + ("-S" if sponsor_copy else ""),
            created=context.created, chain_head=context.chain_head,
            app_version=__version__, paper=context.paper)

    def delegation_log(self) -> LogDocument:
        """Every line of the delegation of authority log, revoked ones included."""
        service = DelegationService(self._registry)
        lines = service.lines(self.actor)
        cells = tuple(delegation_cells(lines, service.names()))
        context = self._context("DL")
        return LogDocument(
            title="Delegation of authority log", lines=(
                f"Site: {context.site_name}", f"{len(cells)} line{'' if len(cells) == 1 else 's'}; "
                "times in UTC."),
            columns=CSV_COLUMNS, widths=DELEGATION_WIDTHS, rows=cells,
            document_id=context.document_id, created=context.created,
            chain_head=context.chain_head, app_version=__version__, paper=context.paper)

    def export(self, document: LogDocument, path: Path, action: str) -> LogExported:
        """Write ``document`` to ``path`` as PDF or CSV (by its suffix), audited."""
        need(self.actor, Permission.EXPORT, self._registry)
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            raise DocumentError(f"{path.name}: the file must end in .pdf or .csv.")
        data = log_csv(document) if suffix == ".csv" else build_log_pdf(document)
        exported = LogExported(path, document.document_id, len(document.rows),
                               hashlib.sha256(data).hexdigest())
        write_whole(path, data, lambda: self._audit(action, exported, suffix))
        return exported

    def _audit(self, action: str, exported: LogExported, suffix: str) -> None:
        from desktop.registry.document_exports import record_document

        record_document(self._registry, self.actor.user_id, action, "document", 0, {
            "document_id": exported.document_id, "format": suffix.lstrip("."),
            "rows": exported.rows, "sha256": exported.file_sha256,
            "file": exported.path.name})

    def printable(self, document: LogDocument, kind: str) -> Printable:
        """``document`` as a PDF ready to print; ``kind``: "screening_log" or
        "delegation_log" (the audit action is ``kind.print``)."""
        from desktop.services.printing import printable_log

        need(self.actor, Permission.EXPORT, self._registry)
        return printable_log(kind, f"{document.title} ({document.document_id})",
                             document.document_id, build_log_pdf(document),
                             len(document.rows))

    def printable_screening_log(self, trial: Trial, sponsor_copy: bool = False) -> Printable:
        return self.printable(self.screening_log(trial, sponsor_copy), "screening_log")

    def printable_delegation_log(self) -> Printable:
        return self.printable(self.delegation_log(), "delegation_log")

    def record_print(self, printable: Printable, pages: int, printer: str) -> None:
        """Audit that ``pages`` pages of ``printable`` go to ``printer``."""
        from desktop.services.printing import record_print

        record_print(self._registry, self.actor, printable, pages, printer)

    def export_screening_log(self, trial: Trial, path: Path,
                             sponsor_copy: bool = False) -> LogExported:
        return self.export(self.screening_log(trial, sponsor_copy), path,
                           "screening_log.export")

    def export_delegation_log(self, path: Path) -> LogExported:
        return self.export(self.delegation_log(), path, "delegation_log.export")


def screening_log_command(data_dir: Path, trial: Trial, target: Path, sponsor_copy: bool,
                          credentials: Credentials | None) -> dict[str, Any]:
    """``nkscreen screening-log``: log in, export, the summary printed."""
    with exporter(data_dir, credentials) as (registry, actor):
        return LogService(registry, actor).export_screening_log(
            trial, target, sponsor_copy).summary()


def delegation_log_command(data_dir: Path, target: Path,
                           credentials: Credentials | None) -> dict[str, Any]:
    """``nkscreen delegation-log``: log in, export, the summary printed."""
    with exporter(data_dir, credentials) as (registry, actor):
        return LogService(registry, actor).export_delegation_log(target).summary()
