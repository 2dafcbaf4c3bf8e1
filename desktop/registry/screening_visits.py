"""Screenings and their visits: start a screening and a stage (gating), complete a
visit (capturing its signed content), and its verdict snapshot.

Part of ``desktop.registry.screenings`` (``ScreeningRepository``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from desktop.domain.engine import Verdict
from desktop.domain.trial import Trial
from desktop.domain.visits import can_complete
from desktop.registry.screening_errors import ScreeningRefused
from desktop.registry.screening_reads import (
    _SCREENING_COLUMNS,
    _conn_rows,
    _load_screening,
    _load_visit,
    _load_visits,
    _patient_not_found,
    _screening_row,
    _session_rows,
    _visit_not_found,
)
from desktop.registry.screening_refusals import (
    _DECISION_WORDS,
    _start_refusal,
    _visit_title,
)
from desktop.registry.screening_rows import ScreeningRow, VisitDecision, VisitRow
from desktop.registry.screening_signing import SigningPart

if TYPE_CHECKING:
    from sqlmodel import Session

    from desktop.registry.models.screening import Visit


class VisitsPart(SigningPart):
    """``ScreeningRepository``'s visits: see the module docstring."""

    # -- screenings -------------------------------------------------------------

    def start(self, patient_id: int, trial: Trial) -> ScreeningRow:
        """Start screening the patient for ``trial``. Refused if already screened for it
        or the patient is archived."""
        from desktop.registry.models.base import utcnow
        from desktop.registry.models.screening import Screening

        with self._registry.session() as session:
            patient = self._patient(session, patient_id)
            if patient.archived:
                raise ScreeningRefused(
                    f"{patient.given_name} {patient.family_name} (MRN {patient.mrn}) is "
                    f"archived; restore the patient before starting a screening.")
            rows = _session_rows(session)
            if rows("SELECT 1 FROM screening WHERE patient_id = ? AND trial_id = ?",
                    (patient_id, trial.id)):
                raise ScreeningRefused(
                    f"{patient.given_name} {patient.family_name} (MRN {patient.mrn}) is "
                    f"already being screened for {trial.id}; open that screening.")
            screening = Screening(patient_id=patient_id, trial_id=trial.id,
                                  started_at=utcnow(), started_by=self._user)
            session.add(screening)
            session.flush()
            assert screening.id is not None
            self._audit(session, "screening.start", "screening", screening.id,
                        {"patient_id": patient_id, "trial_id": trial.id,
                         "protocol_version": trial.protocol_version})
            return _load_screening(rows, screening.id)

    def screenings(self, patient_id: int) -> list[ScreeningRow]:
        """The patient's screenings, oldest first."""
        with self._registry.read() as conn:
            found = conn.execute(
                f"SELECT p.id, {_SCREENING_COLUMNS} FROM patient p "
                f"LEFT JOIN screening s ON s.patient_id = p.id WHERE p.id = ? "
                f"ORDER BY s.started_at, s.id", (patient_id,)).fetchall()
        if not found:
            raise _patient_not_found(patient_id)
        return [_screening_row(row[1:]) for row in found if row[1] is not None]

    def screening(self, screening_id: int) -> ScreeningRow:
        with self._registry.read() as conn:
            return _load_screening(_conn_rows(conn), screening_id)

    # -- visits -----------------------------------------------------------------

    def visits(self, screening_id: int) -> list[VisitRow]:
        """Every visit of the screening, in the order they were started."""
        with self._registry.read() as conn:
            return _load_visits(_conn_rows(conn), screening_id)

    def visit(self, visit_id: int) -> VisitRow:
        with self._registry.read() as conn:
            return _load_visit(_conn_rows(conn), visit_id)

    def start_visit(self, screening_id: int, trial: Trial, stage_id: str) -> VisitRow:
        """Open a draft visit of ``stage_id`` (the next repeat, for a repeated stage).

        Refused when: the screening is not for ``trial``; the stage is not the trial's;
        this stage already has a draft visit (the UI opens that draft instead); a visit
        of this stage was completed not eligible and not approved by an override
        signature (screen failure), or completed eligible and awaits the investigator's
        confirmation; the stage's repeats are used up; a visit slot before it (an
        earlier stage, or an earlier repeat of this stage) lets the next open only once
        confirmed eligible or approved (``VisitRow.state``, ``desktop.domain.visits``).
        Events of the screening's latest visit are copied into the new visit (audited
        as carried forward).
        """
        from desktop.registry.models.base import utcnow
        from desktop.registry.models.screening import Visit, VisitEvent

        with self._registry.session() as session:
            rows = _session_rows(session)
            screening = _load_screening(rows, screening_id)
            if screening.trial_id != trial.id:
                raise ScreeningRefused(f"This screening is for {screening.trial_id}, "
                                       f"not {trial.id}.")
            visits = _load_visits(rows, screening_id)
            refusal, repeat = _start_refusal(trial, stage_id, visits)
            if refusal is not None:
                raise ScreeningRefused(refusal)
            now = utcnow()
            visit = Visit(screening_id=screening_id, stage_id=stage_id, repeat=repeat,
                          status="draft", started_at=now, started_by=self._user)
            session.add(visit)
            session.flush()
            assert visit.id is not None
            details: dict[str, Any] = {"screening_id": screening_id, "stage_id": stage_id,
                                       "repeat": repeat}
            if visits:
                source = visits[-1]
                carried = rows("SELECT name, at FROM visit_event WHERE visit_id = ? "
                               "ORDER BY name", (source.id,))
                for name, at in carried:
                    session.add(VisitEvent(visit_id=visit.id, name=name,
                                           at=datetime.fromisoformat(at),
                                           entered_by=self._user, entered_at=now))
                if carried:
                    details["events_carried_forward"] = {
                        "from_visit": source.id,
                        "events": {name: datetime.fromisoformat(at).isoformat()
                                   for name, at in carried}}
            self._audit(session, "visit.start", "visit", visit.id, details)
            return _load_visit(rows, visit.id)

    def evaluate_visit(self, visit_id: int) -> Verdict:
        """What completing the visit now would decide: its stage evaluated on what the
        registry holds, as of the clock's now. Stores nothing (for a confirmation).
        ScreeningRefused if the trial, the site settings or a saved result cannot be
        read."""
        with self._registry.read() as conn:
            rows = _conn_rows(conn)
            return self._evaluate(rows, _load_visit(rows, visit_id), self._clock())

    def complete(self, visit_id: int, *, expect: VisitDecision | None = None) -> VisitRow:
        """Complete a draft with the decision of what the registry holds for it.

        In one transaction: the visit's stage is evaluated (as ``evaluate_visit``) as of
        the clock's now, which becomes ``assessed_at``; the decision (eligible or not
        eligible; 'incomplete' is refused) and a snapshot of the verdict are stored; a
        not-eligible completion records a screen failure with the failing criteria.
        The caller cannot hand in a decision. ``expect`` only guards one: the decision
        the user was shown and agreed to; if the registry now decides otherwise (an
        entry changed meanwhile), nothing is stored and ScreeningRefused says so."""
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            rows = _session_rows(session)
            visit = self._draft(session, visit_id, "its decision")
            screening = self._screening_model(session, visit.screening_id)
            assessed_at = self._clock()
            used = self._trial_file(screening.trial_id)
            evaluation = self._evaluation(rows, _load_visit(rows, visit_id), assessed_at,
                                          used.trial)
            verdict = evaluation.verdict
            title = _visit_title(verdict.stage, visit.stage_id, visit.repeat)
            decision = verdict.decision
            if not verdict.results:
                raise ScreeningRefused(f"{title} has no criteria to decide on; it cannot be "
                                       f"completed.")
            if not can_complete(decision):
                count = len(verdict.missing)
                open_ = ", ".join(r.id for r in verdict.missing[:5])
                more = ", ..." if count > 5 else ""
                raise ScreeningRefused(
                    f"{title} cannot be completed while its decision is "
                    f"incomplete: {count} criteri{'on has' if count == 1 else 'a have'} "
                    f"no answer or result yet ({open_}{more}).")
            if expect is not None and decision != expect:
                raise ScreeningRefused(
                    f"{title} was not completed: it was to be completed "
                    f"{_DECISION_WORDS[expect]}, but what the registry holds now decides "
                    f"{_DECISION_WORDS[decision]} (an entry changed meanwhile). Review the "
                    f"outcomes and complete again.")
            now = utcnow()
            visit.status, visit.decision = "completed", decision
            visit.completed_at, visit.completed_by = now, self._user
            visit.assessed_at = assessed_at
            visit.verdict = verdict.as_json()
            reasons = [[r.id, r.reason] for r in verdict.failing]
            assert visit.id is not None
            assert screening.id is not None
            if decision == "not_eligible":
                self._record_failure(session, visit, reasons)
            stored = self._capture(session, _load_visit(rows, visit.id), evaluation, used,
                                   version=visit.version, reason=visit.correction_reason)
            self._audit(session, "visit.complete", "visit", visit.id,
                        {"decision": decision, "assessed_at": assessed_at.isoformat(),
                         "protocol_version": verdict.trial.protocol_version,
                         "version": visit.version, "trial_sha256": stored.trial_sha256,
                         "content_sha256": stored.content_sha256,
                         "failing": reasons})
            return _load_visit(rows, visit.id)

    def _record_failure(self, session: Session, visit: Visit,
                        reasons: list[list[str]]) -> None:
        """The visit's screen failure (a correction decided not eligible again updates
        it; the earlier reasons stay in the audit and the earlier version's verdict)."""
        from sqlmodel import select

        from desktop.registry.models.base import utcnow
        from desktop.registry.models.screening import ScreenFailure

        found = session.exec(select(ScreenFailure).where(
            ScreenFailure.visit_id == visit.id)).first()
        if found is not None:
            found.reasons, found.recorded_at, found.recorded_by = \
                reasons, utcnow(), self._user
            return
        assert visit.id is not None
        session.add(ScreenFailure(visit_id=visit.id, screening_id=visit.screening_id,
                                  stage_id=visit.stage_id, repeat=visit.repeat,
                                  reasons=reasons, recorded_at=utcnow(),
                                  recorded_by=self._user))

    def verdict_snapshot(self, visit_id: int) -> dict[str, object] | None:
        """The verdict JSON stored at completion (``Verdict.as_json()``), or None."""
        with self._registry.read() as conn:
            found = conn.execute("SELECT verdict FROM visit WHERE id = ?",
                                 (visit_id,)).fetchall()
        if not found:
            raise _visit_not_found(visit_id)
        if found[0][0] is None:
            return None
        snapshot = json.loads(found[0][0])
        return cast("dict[str, object] | None", snapshot)
