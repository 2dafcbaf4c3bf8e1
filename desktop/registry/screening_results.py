"""The patient's results: add, correct and withdraw (never delete), with plausibility
and confirmation of unusual values, each saved only over the version it read.

Part of ``desktop.registry.screenings`` (``ScreeningRepository``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from desktop.domain.draft import observation as checked_observation
from desktop.domain.record import RecordError
from desktop.registry.confirmations import unusual
from desktop.registry.screening_capture import CapturePart
from desktop.registry.screening_errors import ObservationNotFound, ScreeningRefused
from desktop.registry.screening_reads import (
    _OBSERVATION_COLUMNS,
    _changed,
    _iso,
    _load_observation,
    _observation_change,
    _observation_row,
    _patient_not_found,
    _require,
    _result_change,
    _result_label,
    _session_rows,
    _version,
)
from desktop.registry.screening_refusals import _OBSERVATION_FIELDS, _invalid, _sentence
from desktop.registry.screening_rows import ObservationInput, ObservationRow

if TYPE_CHECKING:
    from sqlmodel import Session

    from desktop.registry.models.screening import Observation




class ResultsPart(CapturePart):
    """``ScreeningRepository``'s results: see the module docstring."""

    # -- observations (per patient) -----------------------------------------------

    def observations(self, patient_id: int, code: str | None = None) -> list[ObservationRow]:
        """The patient's results (not retracted), newest ``at`` first."""
        where_code = "" if code is None else " AND o.code = ?"
        params: tuple[Any, ...] = (patient_id,) if code is None else (code, patient_id)
        with self._registry.read() as conn:
            found = conn.execute(
                f"SELECT p.id, {_OBSERVATION_COLUMNS} FROM patient p "
                f"LEFT JOIN observation o ON o.patient_id = p.id AND o.retracted = 0"
                f"{where_code} WHERE p.id = ? ORDER BY o.at DESC, o.id DESC", params).fetchall()
        if not found:
            raise _patient_not_found(patient_id)
        return [_observation_row(row[1:]) for row in found if row[1] is not None]

    def _checked(self, data: ObservationInput,
                 birth_date: date) -> tuple[str, str | None, str, str | None]:
        """(canonical unit, uln text or None, value text, what needs confirming or None)
        of valid input, else ValidationFailed naming the field."""
        if data.at is not None and data.at.tzinfo is not None:
            raise _invalid("The result", {"at": "Time taken: give the local date and time, "
                                                "without a time zone."})
        try:
            checked = checked_observation(data.code, data.value, data.unit, data.at,
                                          uln=data.uln, source=data.source,
                                          now=self._clock(), birth_date=birth_date)
        except RecordError as exc:
            label = _OBSERVATION_FIELDS.get(exc.field, exc.field)
            raise _invalid("The result", {exc.field: _sentence(label, exc.message)}) from None
        uln = data.uln.strip() if data.uln is not None and data.uln.strip() else None
        why = unusual(data.code, checked.value, checked.unit, data.value,
                      self._confirm_limits)
        return checked.unit, uln, data.value.strip(), why

    def _confirm(self, obs: Observation, data: ObservationInput, why: str | None,
                 already: bool = False) -> None:
        """Record (or clear) the confirmation of an unusual value; refused unless the
        input confirms it (``already``: the same value was confirmed before)."""
        from desktop.registry.models.base import utcnow

        if why is None:
            obs.confirmation = obs.confirmed_by = obs.confirmed_at = None
            return
        if already:
            return  # the same value, confirmed when it was saved: that confirmation stands
        if not data.confirmed:
            raise _invalid("The result", {"value": f"Value: {why}, which is rarely a real "
                                                   f"result: check it, and confirm it to "
                                                   f"save it."})
        obs.confirmation, obs.confirmed_by, obs.confirmed_at = why, self._user, utcnow()

    def add_observation(self, patient_id: int, visit_id: int | None,
                        data: ObservationInput, *,
                        expected: int | None = None, reason: str = "") -> ObservationRow:
        """Save a result. Checks, each naming its field ("value", "unit", "at", "uln"):
        a number, plausible for the code; a unit accepted for the code (stored in its
        accepted spelling); a time not in the future and not before birth; a ULN above 0.
        A value of ``confirm_limits`` (a creatinine under 0.2 mg/dL) is ValidationFailed
        on "value" unless ``data.confirmed``; the confirmation is stored with the result
        (``confirmation``, ``confirmed_by``, ``confirmed_at``) and in the audit.

        ``visit_id`` (the visit it was entered at, or None) must be a draft visit of
        this patient, else ScreeningRefused. ``expected`` (with a visit only): the
        version of the visit's result of the code as read (``entries``, where the
        visit had none); EntryChanged if a result of that code was entered, corrected
        or withdrawn at the visit since.

        A result that changes what a completed stage of the patient was decided on (its
        re-run, as of the time it was assessed, would read it: see
        ``SigningPart._moved_stages``) needs a reason: ValidationFailed on "reason"
        without one, and nothing is saved; the reason is kept in the audit."""
        from desktop.registry.models.base import utcnow
        from desktop.registry.models.screening import Observation

        with self._registry.session() as session:
            rows = _session_rows(session)
            patient = self._patient(session, patient_id)
            if visit_id is not None:
                visit = self._visit_model(session, visit_id)
                screening = self._screening_model(session, visit.screening_id)
                if screening.patient_id != patient_id:
                    raise ScreeningRefused("That visit belongs to another patient; the result "
                                           "was not saved.")
                if visit.status != "draft":
                    raise ScreeningRefused("The visit is completed and locked; enter the "
                                           "result without a visit, or at the current one.")
                if expected is not None:
                    change = _result_change(rows, visit_id, data.code)
                    if expected != _version(change):
                        raise _changed("result", data.code, _result_label(data.code), change)
            elif expected is not None:
                raise ValueError("add_observation: expected needs the visit the result is "
                                 "entered at")
            unit, uln, value, why = self._checked(data, patient.birth_date)
            assert data.at is not None  # checked
            obs = Observation(patient_id=patient_id, visit_id=visit_id, code=data.code,
                              value=value, unit=unit, at=data.at, uln=uln,
                              source=data.source.strip(), entered_by=self._user,
                              entered_at=utcnow(), retracted=False)
            self._confirm(obs, data, why)
            session.add(obs)
            session.flush()
            assert obs.id is not None
            moved = self._moved_stages(rows, patient_id, data.at)
            checked_reason = self._covered_reason(
                bool(moved), reason, "The result",
                f"Reason: say why this result is added now: it changes what "
                f"{', '.join(moved)} was decided on.")
            details = {"patient_id": patient_id, **_observation_details(obs)}
            if checked_reason:
                details["reason"] = checked_reason
            self._audit(session, "observation.add", "observation", obs.id, details)
            return _load_observation(rows, obs.id)

    def update_observation(self, observation_id: int, data: ObservationInput, *,
                           expected: int | None = None, reason: str = "") -> ObservationRow:
        """Correct a saved result (same checks; the audit keeps the old values). The
        row's ``entered_by``/``entered_at`` become the corrector's. A retracted result
        cannot be corrected (ScreeningRefused); one entered at a completed visit can.
        A changed unusual value must be confirmed again; the confirmation of an
        unchanged value stands; a value no longer unusual loses its confirmation.
        ``expected``: the result's version as read (``ObservationRow.version``);
        EntryChanged if it was corrected or withdrawn since (a correction to what it
        already holds saves nothing and succeeds).

        ``reason``: why it is corrected, kept in the audit. Required (ValidationFailed on
        "reason", nothing saved) when the patient has a completed stage
        (``has_completed_stage``): its decision was made on the patient's results."""
        from desktop.registry.models.base import utcnow
        from desktop.registry.patient_validation import session_completed_stage

        with self._registry.session() as session:
            rows = _session_rows(session)
            obs = self._observation_model(session, observation_id)
            change = _observation_change(rows, observation_id)
            stale = expected is not None and expected != _version(change)
            if stale and obs.retracted:
                raise _changed("result", obs.code, _result_label(obs.code), change)
            if obs.retracted:
                raise ScreeningRefused("The result was retracted and cannot be corrected; "
                                       "enter a new result instead.")
            patient = self._patient(session, obs.patient_id)
            unit, uln, value, why = self._checked(data, patient.birth_date)
            assert data.at is not None  # checked
            completed_stage = session_completed_stage(session, obs.patient_id)
            before = _observation_details(obs)
            same_value = (obs.code, obs.value, obs.unit) == (data.code, value, unit)
            self._confirm(obs, data, why, already=same_value and obs.confirmation is not None)
            obs.code, obs.value, obs.unit, obs.at, obs.uln = data.code, value, unit, data.at, uln
            obs.source = data.source.strip()
            after = _observation_details(obs)
            changes = {key: {"old": before.get(key), "new": after.get(key)}
                       for key in dict.fromkeys([*before, *after])
                       if before.get(key) != after.get(key)}
            if changes:
                if stale:
                    raise _changed("result", obs.code, _result_label(obs.code), change)
                reason = self._covered_reason(
                    completed_stage, reason, "The result",
                    "Reason: say why this result is corrected (a completed stage of this "
                    "patient was decided on the patient's results).")
                obs.entered_by, obs.entered_at = self._user, utcnow()
                details: dict[str, Any] = {"patient_id": obs.patient_id, "changes": changes}
                if reason:
                    details["reason"] = reason
                self._audit(session, "observation.update", "observation", observation_id,
                            details)
            return _load_observation(rows, observation_id)

    def retract_observation(self, observation_id: int, reason: str, *,
                            expected: int | None = None) -> int:
        """Withdraw a wrong result: kept, with the reason, but no longer evaluated; the
        result's version after it. A blank reason is ValidationFailed on "reason";
        retracting twice is refused. ``expected``: the result's version as read
        (``ObservationRow.version``); EntryChanged if it was corrected or withdrawn
        since."""
        from desktop.registry.models.base import utcnow

        if not reason.strip():
            raise _invalid("The retraction", {"reason": "Reason: enter why the result is "
                                                        "withdrawn."})
        with self._registry.session() as session:
            obs = self._observation_model(session, observation_id)
            if expected is not None:
                change = _observation_change(_session_rows(session), observation_id)
                if expected != _version(change):
                    raise _changed("result", obs.code, _result_label(obs.code), change)
            if obs.retracted:
                raise ScreeningRefused("The result has already been retracted.")
            obs.retracted, obs.retracted_reason = True, reason.strip()
            obs.retracted_by, obs.retracted_at = self._user, utcnow()
            return self._audit(session, "observation.retract", "observation",
                               observation_id,
                               {"patient_id": obs.patient_id, "reason": obs.retracted_reason,
                                **_observation_details(obs)})

    @staticmethod
    def _observation_model(session: Session, observation_id: int) -> Observation:
        from desktop.registry.models.screening import Observation

        return _require(session, Observation, observation_id, lambda key: ObservationNotFound(
            f"No result with id {key} is in the registry."))


def _observation_details(obs: Observation) -> dict[str, Any]:
    """A result's values as JSON-ready audit details (with what was confirmed, if any)."""
    details: dict[str, Any] = {"code": obs.code, "value": obs.value, "unit": obs.unit,
                               "at": _iso(obs.at), "uln": obs.uln, "source": obs.source,
                               "visit_id": obs.visit_id}
    if obs.confirmation is not None:
        details["confirmed"] = {"what": obs.confirmation, "by": obs.confirmed_by}
    return details
