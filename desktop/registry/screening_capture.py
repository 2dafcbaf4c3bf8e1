"""What a signature is linked to: the stage version captured at completion (its signed
content and the trial file's bytes), re-run today, and whether a write changes what a
completed stage was decided on.

Part of ``desktop.registry.screenings``; ``screening_signing`` signs and corrects.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from desktop.domain.signing import (
    trial_file_sha256,
)
from desktop.domain.signing_content import build_content, used_observations
from desktop.domain.trial import Trial
from desktop.registry.screening_base import Evaluation, ScreeningBase, TrialUsed
from desktop.registry.screening_errors import ScreeningRefused
from desktop.registry.screening_reads import (
    _load_screening,
    _load_visit,
    _Rows,
)
from desktop.registry.screening_refusals import _visit_title
from desktop.registry.screening_rows import VisitRow
from desktop.registry.signature_reads import (
    _PARSED,
    _legacy_problem,
    _versions,
)
from desktop.registry.signature_rows import StageVersionRow

if TYPE_CHECKING:
    from sqlmodel import Session

    from desktop.registry.models.signing import StageVersion

class CapturePart(ScreeningBase):
    """``ScreeningRepository``'s stage versions: see the module docstring."""

    # -- capture (at completion) --------------------------------------------------

    def _keep_trial_file(self, session: Session, used: TrialUsed) -> str:
        """Store the trial file's bytes once per SHA-256; the hash."""
        from desktop.registry.models.signing import TrialFile

        sha = trial_file_sha256(used.data)
        if session.get(TrialFile, sha) is None:
            session.add(TrialFile(sha256=sha, trial_id=used.trial.id, format=used.format,
                                  data=used.data))
            session.flush()
        return sha

    def _content(self, visit: VisitRow, evaluation: Evaluation, trial_sha: str,
                 version: int) -> bytes:
        verdict = evaluation.verdict
        content = build_content(
            trial_id=verdict.trial.id, trial_sha256=trial_sha, stage_id=visit.stage_id,
            repeat=visit.repeat, version=version, verdict=verdict, typed=evaluation.typed,
            site_uln=evaluation.site_uln, answers=evaluation.answers,
            events=evaluation.events, facts=evaluation.facts,
            birth_date=evaluation.birth_date, sex=evaluation.sex,
            assessed_at=evaluation.as_of)
        return content.serialised()

    def _capture(self, session: Session, visit: VisitRow, evaluation: Evaluation,
                 used: TrialUsed, *, version: int, reason: str | None,
                 captured: str = "completion", decision: str | None = None,
                 verdict: dict[str, Any] | None = None) -> StageVersion:
        """Store the stage version just decided, with its signed content and verdict
        (``decision``, ``verdict``: the ones the stage was given, for a stage completed
        before signatures, whose content is captured later)."""
        from desktop.registry.models.base import utcnow
        from desktop.registry.models.signing import StageVersion

        sha = self._keep_trial_file(session, used)
        content = self._content(visit, evaluation, sha, version)
        row = StageVersion(
            visit_id=visit.id, version=version,
            decision=decision or evaluation.verdict.decision,
            verdict=verdict if verdict is not None else evaluation.verdict.as_json(),
            completed_at=visit.completed_at or utcnow(),
            completed_by=visit.completed_by or self._user, trial_sha256=sha,
            content=content.decode("utf-8"),
            content_sha256=hashlib.sha256(content).hexdigest(),
            observation_ids=sorted({evaluation.observation_ids[o]
                                    for o in used_observations(evaluation.verdict)}),
            correction_reason=reason, captured=captured)
        session.add(row)
        session.flush()
        return row

    def _stored_trial(self, rows: _Rows, sha: str) -> Trial:
        """The trial file kept under ``sha``, its bytes checked against the hash, parsed
        once per process (parsing a large protocol costs more than signing)."""
        from desktop.library import TrialFileError, parse_trial

        found = rows("SELECT trial_id, data FROM trial_file WHERE sha256 = ?", (sha,))
        if not found:
            raise ScreeningRefused(f"The trial file {sha[:12]}... the stage was decided "
                                   "under is missing from the registry.")
        data = bytes(found[0][1])
        if trial_file_sha256(data) != sha:
            raise ScreeningRefused(f"The stored trial file {sha[:12]}... no longer matches "
                                   "its SHA-256: the registry was changed outside NK Screen.")
        if sha in _PARSED:
            return _PARSED[sha]
        try:
            trial = parse_trial(data, f"{found[0][0]} ({sha[:12]})")
        except TrialFileError as exc:
            raise ScreeningRefused(f"The stored trial file cannot be read: {exc}.") from None
        if len(_PARSED) >= 64:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[sha] = trial
        return trial

    def _now_content(self, rows: _Rows, visit: VisitRow,
                     version: StageVersionRow) -> tuple[bytes, str]:
        """The content the version has today: re-run under its own trial version, as of
        the time it was assessed, on what the registry holds now; and the decision."""
        assert visit.assessed_at is not None
        trial = self._stored_trial(rows, version.trial_sha256)
        evaluation = self._evaluation(rows, visit, visit.assessed_at, trial)
        return (self._content(visit, evaluation, version.trial_sha256, version.version),
                evaluation.verdict.decision)

    def _current(self, session: Session, rows: _Rows, visit: VisitRow, *,
                 correcting: bool = False) -> StageVersionRow:
        """The visit's current stage version; captured now (from the library's trial, as
        of the time assessed) for a stage completed before signatures existed, refused
        if that re-run decides otherwise than the stage was (unless ``correcting``: the
        version is kept with the decision it had, its content as of the correction)."""
        for found in reversed(_versions(rows, visit.id)):
            if found.version == visit.version:
                return found
        used, evaluation = self._legacy_evaluation(rows, visit)
        problem = _legacy_problem(rows, visit, evaluation)
        if problem is not None and not correcting:
            title = _visit_title(used.trial.stage(visit.stage_id), visit.stage_id,
                                 visit.repeat)
            raise ScreeningRefused(
                f"{title} was completed before electronic signatures; on what the registry "
                f"holds now {problem}. Open a correction so it is decided again before it "
                "is signed.")
        stored = rows("SELECT verdict FROM visit WHERE id = ?", (visit.id,))
        self._capture(session, visit, evaluation, used, version=visit.version,
                      reason=visit.correction_reason,
                      captured="correction" if correcting else "signing",
                      decision=visit.decision,
                      verdict=json.loads(stored[0][0]) if stored and stored[0][0] else None)
        return next(v for v in _versions(rows, visit.id) if v.version == visit.version)

    def _legacy_evaluation(self, rows: _Rows, visit: VisitRow) -> tuple[TrialUsed, Evaluation]:
        """A stage completed before signatures re-run under the library's trial, as of
        the time it was assessed, on what the registry holds now."""
        screening = _load_screening(rows, visit.screening_id)
        used = self._trial_file(screening.trial_id)
        assert visit.assessed_at is not None
        return used, self._evaluation(rows, visit, visit.assessed_at, used.trial)

    def _moved_stages(self, rows: _Rows, patient_id: int, at: datetime) -> list[str]:
        """The patient's completed stages, assessed at or after ``at``, whose signed
        content no longer holds on what this transaction now holds (a stage completed
        before signatures counts as moved: nothing tells what it was decided on)."""
        moved: list[str] = []
        for (visit_id,) in rows(
                "SELECT v.id FROM visit v JOIN screening s ON s.id = v.screening_id "
                "WHERE s.patient_id = ? AND v.status = 'completed' "
                "AND julianday(v.assessed_at) >= julianday(?) ORDER BY v.id",
                (patient_id, at.isoformat())):
            visit = _load_visit(rows, int(visit_id))
            version = next((v for v in _versions(rows, visit.id)
                            if v.version == visit.version), None)
            if version is None or not self._still_holds(rows, visit, version):
                moved.append(self._stage_name(rows, visit, version))
        return moved

    def _still_holds(self, rows: _Rows, visit: VisitRow, version: StageVersionRow) -> bool:
        """Whether the version's re-run today gives exactly its signed content."""
        stored = rows("SELECT content FROM stage_version WHERE id = ?", (version.id,))
        try:
            now, _decision = self._now_content(rows, visit, version)
        except ScreeningRefused:
            return False
        return bool(now.decode("utf-8") == stored[0][0])

    def _stage_name(self, rows: _Rows, visit: VisitRow,
                    version: StageVersionRow | None) -> str:
        """E.g. "NCT06138587 Screening #1", from the trial file the stage was decided
        under (the library's for a stage completed before signatures)."""
        trial_id = _load_screening(rows, visit.screening_id).trial_id
        try:
            trial = self._trial(trial_id) if version is None \
                else self._stored_trial(rows, version.trial_sha256)
            title = _visit_title(trial.stage(visit.stage_id), visit.stage_id, visit.repeat)
        except ScreeningRefused:
            title = visit.stage_id
        return f"{trial_id} {title}"
