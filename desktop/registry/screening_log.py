"""What the screening windows read across visits: the patient, changes to date of birth
and sex, screen failures, and the screening log of a trial.

Part of ``desktop.registry.screenings`` (``ScreeningRepository``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from desktop.domain.trial import Trial
from desktop.registry.patients import PatientRow
from desktop.registry.screening_base import ScreeningBase
from desktop.registry.screening_reads import (
    _FAILURE_COLUMNS,
    _SCREENING_COLUMNS,
    _VISIT_COLUMNS,
    _failure_row,
    _patient_not_found,
    _screening_not_found,
    _screening_row,
    _utc_req,
    _visit_row,
)
from desktop.registry.screening_rows import (
    DEMOGRAPHICS,
    LogRow,
    PatientChangeRow,
    ScreenFailureRow,
    VisitRow,
)

#: A screen failure stands while its visit (``fv``) is completed not eligible, or is a
#: correction still being decided whose latest completed version was not eligible.
_STANDING_FAILURE = (
    "((fv.status = 'completed' AND fv.decision = 'not_eligible') OR "
    "(fv.status = 'draft' AND (SELECT sv.decision FROM stage_version sv "
    "WHERE sv.visit_id = fv.id ORDER BY sv.version DESC LIMIT 1) = 'not_eligible'))")


class LogPart(ScreeningBase):
    """``ScreeningRepository``'s log: see the module docstring."""

    # -- the patient --------------------------------------------------------------

    def patient(self, patient_id: int) -> PatientRow:
        """The patient as the registry holds it now (after any edit)."""
        from desktop.registry import reading

        with self._registry.read() as conn:
            found = reading.get(conn, patient_id)
        if found is None:
            raise _patient_not_found(patient_id)
        return found

    def patient_changes(self, patient_id: int) -> list[PatientChangeRow]:
        """Every change to the patient's date of birth or sex, oldest first, as the
        audit trail recorded the patient's edits (who, when, old and new value)."""
        from desktop.registry.patients import ENTITY

        with self._registry.read() as conn:
            found = conn.execute(
                "SELECT p.id, a.actor, a.occurred_at, a.details FROM patient p "
                "LEFT JOIN audit_event a ON a.entity = ? AND a.entity_id = p.id "
                "AND a.action = 'patient.update' WHERE p.id = ? "
                "ORDER BY a.occurred_at, a.id", (ENTITY, patient_id)).fetchall()
        if not found:
            raise _patient_not_found(patient_id)
        result: list[PatientChangeRow] = []
        for _, actor, occurred_at, details in found:
            if occurred_at is None:
                continue
            changes = json.loads(details).get("changes") or {}
            for name in DEMOGRAPHICS:
                change = changes.get(name)
                if isinstance(change, dict):
                    result.append(PatientChangeRow(
                        field=name, old=str(change.get("old")), new=str(change.get("new")),
                        changed_by=str(actor), changed_at=_utc_req(occurred_at)))
        return result

    # -- the trial's view ---------------------------------------------------------

    def screen_failures(self, screening_id: int) -> list[ScreenFailureRow]:
        """The screening's screen failures, oldest first (overridden ones included).

        A visit's failure counts while the visit stands completed not eligible (or is
        being corrected from a not-eligible version); one decided eligible again by a
        correction no longer lists it: its earlier version keeps the verdict and the
        audit the reasons."""
        with self._registry.read() as conn:
            found = conn.execute(f"SELECT s.id, {_FAILURE_COLUMNS} FROM screening s "
                                 f"LEFT JOIN (screen_failure f JOIN visit fv ON "
                                 f"fv.id = f.visit_id AND {_STANDING_FAILURE}) "
                                 f"ON f.screening_id = s.id "
                                 f"WHERE s.id = ? ORDER BY f.recorded_at, f.id",
                                 (screening_id,)).fetchall()
        if not found:
            raise _screening_not_found(screening_id)
        return [_failure_row(row[1:]) for row in found if row[1] is not None]

    def screening_log(self, trial: Trial) -> list[LogRow]:
        """Every patient screened for the trial, most recently active first.

        The furthest stage is the visit of the highest stage (in the trial's order),
        then the highest repeat; last activity is the latest of the screening's start,
        its visits' start, completion, override and signatures, and the entry of its
        visits' events, answers and results."""
        with self._registry.read() as conn:
            heads = conn.execute(
                f"SELECT {_SCREENING_COLUMNS}, p.mrn, p.family_name, p.given_name, "
                f"p.birth_date "
                f"FROM screening s JOIN patient p ON p.id = s.patient_id "
                f"WHERE s.trial_id = ?", (trial.id,)).fetchall()
            visit_rows = conn.execute(
                f"SELECT {_VISIT_COLUMNS} FROM visit v JOIN screening s "
                f"ON s.id = v.screening_id WHERE s.trial_id = ? ORDER BY v.id",
                (trial.id,)).fetchall()
            entered = conn.execute(
                "SELECT v.screening_id, MAX(x.at) FROM ("
                " SELECT visit_id, entered_at AS at FROM visit_event"
                " UNION ALL SELECT visit_id, entered_at FROM answer"
                " UNION ALL SELECT visit_id, entered_at FROM observation"
                " WHERE visit_id IS NOT NULL"
                ") x JOIN visit v ON v.id = x.visit_id JOIN screening s "
                "ON s.id = v.screening_id WHERE s.trial_id = ? GROUP BY v.screening_id",
                (trial.id,)).fetchall()
            assessed = conn.execute(
                "SELECT v.screening_id, MIN(json_extract(sv.content, '$.assessed_at')) "
                "FROM stage_version sv JOIN visit v ON v.id = sv.visit_id JOIN screening s "
                "ON s.id = v.screening_id WHERE s.trial_id = ? GROUP BY v.screening_id",
                (trial.id,)).fetchall()
            signature_rows = conn.execute(
                "SELECT v.screening_id, g.signed_at FROM signature g JOIN visit v "
                "ON v.id = g.visit_id JOIN screening s ON s.id = v.screening_id "
                "WHERE s.trial_id = ?", (trial.id,)).fetchall()
            failure_rows = conn.execute(
                f"SELECT {_FAILURE_COLUMNS} FROM screen_failure f JOIN screening s "
                f"ON s.id = f.screening_id JOIN visit fv ON fv.id = f.visit_id "
                f"AND {_STANDING_FAILURE} "
                f"WHERE s.trial_id = ? ORDER BY f.recorded_at, f.id",
                (trial.id,)).fetchall()
        visits_of: dict[int, list[VisitRow]] = {}
        for values in visit_rows:
            row = _visit_row(values)
            visits_of.setdefault(row.screening_id, []).append(row)
        failures_of: dict[int, list[ScreenFailureRow]] = {}
        for values in failure_rows:
            failure = _failure_row(values)
            failures_of.setdefault(failure.screening_id, []).append(failure)
        entered_of = {int(sid): _utc_req(at) for sid, at in entered if at is not None}
        # Local wall-clock times, as the stage was assessed as of.
        assessed_of = {int(sid): datetime.fromisoformat(str(at)) for sid, at in assessed
                       if at is not None}
        order = {stage_id: i for i, stage_id in enumerate(trial.stage_ids)}
        signed_of: dict[int, list[datetime]] = {}
        for sid, signed_at in signature_rows:
            signed_of.setdefault(int(sid), []).append(
                datetime.fromisoformat(signed_at).astimezone(UTC))

        log: list[LogRow] = []
        for values in heads:
            screening = _screening_row(values[:5])
            mrn, family_name, given_name, birth = values[5:]
            visits = visits_of.get(screening.id, [])
            times = [screening.started_at]
            for v in visits:
                times += [t for t in (v.started_at, v.completed_at, v.signed_at,
                                      v.override.recorded_at if v.override else None)
                          if t is not None]
            if screening.id in entered_of:
                times.append(entered_of[screening.id])
            times += signed_of.get(screening.id, [])
            furthest = max(visits, key=lambda v: (order.get(v.stage_id, -1), v.repeat, v.id),
                           default=None)
            log.append(LogRow(
                screening_id=screening.id, patient_id=screening.patient_id, mrn=mrn,
                family_name=family_name, given_name=given_name,
                birth_date=None if birth is None else date.fromisoformat(str(birth)),
                first_assessed=assessed_of.get(screening.id),
                started_at=screening.started_at, last_activity=max(times),
                furthest_stage=None if furthest is None else furthest.stage_id,
                furthest_repeat=0 if furthest is None else furthest.repeat,
                furthest_state=None if furthest is None else furthest.state,
                failures=tuple(failures_of.get(screening.id, ()))))
        log.sort(key=lambda r: (r.last_activity, r.screening_id), reverse=True)
        return log
