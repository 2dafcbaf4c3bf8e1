"""A trial's candidate list as CSV, audited: who exported which list, how many rows.

``export_candidates`` writes the rows Find candidates… shows (in the order given) to a
``.csv`` file, whole or not at all, after its audit row ``candidates.export`` (the
acting user, the trial, the row count, the file's name and SHA-256). Needs
``Permission.EXPORT``. No Qt.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from desktop.domain.trial import Trial
from desktop.registry.database import Registry
from desktop.services.acting import Actor, Permission, acting, need
from desktop.services.documents import DocumentError, write_whole
from desktop.services.prescreening import DECISION_WORDS, Candidate, failing_lines, needs_text

ACTION: Final = "candidates.export"
COLUMNS: Final = ("Patient", "MRN", "Date of birth", "Sex", "Already screened",
                  "First stage so far", "If screened now", "Failing (number and text)",
                  "Failing if screened now", "Needs", "Note")


@dataclass(frozen=True)
class CandidatesExported:
    path: Path
    rows: int
    file_sha256: str


def candidate_cells(candidate: Candidate) -> tuple[str, ...]:
    """One row of the list, in words (as the table shows it)."""
    result = candidate.result
    words = DECISION_WORDS
    return (f"{candidate.family_name.upper()}, {candidate.given_name}", candidate.mrn,
            candidate.birth_date.isoformat(), candidate.sex,
            "yes" if result.screened else "no",
            words.get(result.decision or "", "cannot be worked out"),
            words.get(result.provisional_decision or "", "cannot be worked out"),
            "\n".join(failing_lines(result)), "\n".join(failing_lines(result, True)),
            needs_text(result.missing_inputs),
            result.problem or result.caution or "")


def candidates_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """The CSV of rows of ``candidate_cells``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for cells in rows:
        if len(cells) != len(COLUMNS):
            raise ValueError("a candidate row has the wrong number of cells")
        writer.writerow([_safe(cell) for cell in cells])
    return out.getvalue().encode("utf-8-sig")


def _safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def export_candidates(registry: Registry, actor: Actor | str, trial: Trial,
                      candidates: Sequence[Candidate], path: Path) -> CandidatesExported:
    """Write ``candidates`` (the list for ``trial``) to ``path`` (a .csv), audited."""
    return export_rows(registry, actor, trial, [candidate_cells(c) for c in candidates],
                       path)


def export_rows(registry: Registry, actor: Actor | str, trial: Trial,
                rows: Sequence[Sequence[str]], path: Path) -> CandidatesExported:
    """As ``export_candidates``, for rows already in words (``candidate_cells``)."""
    who = acting(actor)
    need(who, Permission.EXPORT, registry)
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise DocumentError(f"{path.name}: the file must end in .csv.")
    data = candidates_csv(rows)
    exported = CandidatesExported(path, len(rows), hashlib.sha256(data).hexdigest())

    def audit() -> None:
        from desktop.registry.document_exports import record_document

        record_document(registry, who.user_id, ACTION, "document", 0, {
            "trial_id": trial.id, "stage": trial.stages[0].id, "rows": exported.rows,
            "format": "csv", "sha256": exported.file_sha256, "file": path.name})

    write_whole(path, data, audit)
    return exported
