"""What a stage's worksheet is built from, read in one transaction: the version's stored
content, verdict and trial file, its signatures, the patient, the site and the audit
chain head at that moment. Part of ``desktop.registry.screenings``.

A completed version is printed from what was stored at completion (what its signatures
cover), never from what the registry holds today. A draft (not completed yet, or a
correction being entered) is printed from what completing it now would store: its
content built from the registry as of now, under the library's trial file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from desktop.domain.signing import trial_file_sha256
from desktop.domain.trial import Trial
from desktop.registry.audit_chain import EMPTY_HEAD, Head, read_head
from desktop.registry.reading import PatientRow
from desktop.registry.screening_capture import CapturePart
from desktop.registry.screening_errors import ScreeningRefused
from desktop.registry.screening_reads import _conn_rows, _load_screening, _load_visit, _Rows
from desktop.registry.screening_rows import VisitRow
from desktop.registry.signature_reads import _versions
from desktop.registry.signature_rows import StageVersionRow
from desktop.registry.site_reading import SiteValues, read_site


@dataclass(frozen=True)
class WorksheetSource:
    visit: VisitRow
    patient: PatientRow
    trial: Trial
    trial_sha256: str
    #: The version printed, and whether it is built now (a draft) or was stored.
    version: int
    live: bool
    content: dict[str, Any]
    content_sha256: str
    verdict: dict[str, Any]
    #: Every stored version of the visit (with signatures), oldest first.
    versions: tuple[StageVersionRow, ...]
    site: SiteValues
    head: Head

    @property
    def stored(self) -> StageVersionRow | None:
        return next((v for v in self.versions if v.version == self.version), None)


class WorksheetPart(CapturePart):
    """``ScreeningRepository``'s worksheet reads: see the module docstring."""

    def worksheet_source(self, visit_id: int, version: int | None = None) -> WorksheetSource:
        """What the worksheet of ``visit_id`` at ``version`` (default: its current one)
        is built from. ``ScreeningRefused`` names a version the visit does not have, or
        why a draft cannot be evaluated now."""
        with self._registry.read() as conn:
            rows = _conn_rows(conn)
            visit = _load_visit(rows, visit_id)
            wanted = visit.version if version is None else version
            versions = tuple(_versions(rows, visit_id))
            screening = _load_screening(rows, visit.screening_id)
            patient = self._patient_row(conn, screening.patient_id)
            site, head = read_site(conn), read_head(conn) or EMPTY_HEAD
            stored = next((v for v in versions if v.version == wanted), None)
            if stored is not None:
                found = rows("SELECT content, verdict FROM stage_version WHERE id = ?",
                             (stored.id,))
                content, verdict = json.loads(found[0][0]), json.loads(found[0][1])
                return WorksheetSource(
                    visit, patient, self._stored_trial(rows, stored.trial_sha256),
                    stored.trial_sha256, wanted, False, content, stored.content_sha256,
                    verdict, versions, site, head)
            if wanted != visit.version or wanted < 1:
                have = ", ".join(str(v.version) for v in versions) or "none completed yet"
                raise ScreeningRefused(f"Visit {visit_id} has no version {wanted} "
                                       f"(versions: {have}; the current one is "
                                       f"{visit.version}).")
            return self._live_source(rows, visit, patient, versions, site, head)

    def _live_source(self, rows: _Rows, visit: VisitRow, patient: PatientRow,
                     versions: tuple[StageVersionRow, ...], site: SiteValues,
                     head: Head) -> WorksheetSource:
        """The draft (or a stage completed before signatures): built from now."""
        if visit.status == "completed":  # completed before signatures existed
            used, evaluation = self._legacy_evaluation(rows, visit)
            verdict: dict[str, Any] = dict(json.loads(rows(
                "SELECT verdict FROM visit WHERE id = ?", (visit.id,))[0][0] or "{}"))
        else:
            used = self._trial_file(_load_screening(rows, visit.screening_id).trial_id)
            evaluation = self._evaluation(rows, visit, self._clock(), used.trial)
            verdict = evaluation.verdict.as_json()
        sha = trial_file_sha256(used.data)
        content = self._content(visit, evaluation, sha, visit.version)
        return WorksheetSource(visit, patient, used.trial, sha, visit.version, True,
                               json.loads(content), hashlib.sha256(content).hexdigest(),
                               verdict, versions, site, head)

    @staticmethod
    def _patient_row(conn: Any, patient_id: int) -> PatientRow:
        from desktop.registry import reading
        from desktop.registry.screening_reads import _patient_not_found

        found = reading.get(conn, patient_id)
        if found is None:
            raise _patient_not_found(patient_id)
        return found

__all__ = ["ScreeningRefused", "WorksheetPart", "WorksheetSource"]
