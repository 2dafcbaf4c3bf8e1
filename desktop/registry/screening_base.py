"""What every part of ``ScreeningRepository`` shares: the acting user, the clock, the
trial and ULN sources, evaluating a visit on what the registry holds, the audit row,
loading the models a write changes.

Part of ``desktop.registry.screenings``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from desktop.domain.draft import make_record
from desktop.domain.engine import Verdict, evaluate
from desktop.domain.freshness import stage_codes
from desktop.domain.record import Observation as RecordObservation
from desktop.domain.record import RecordError
from desktop.domain.trial import Trial
from desktop.registry.confirmations import DEFAULT_LIMITS, ConfirmLimit
from desktop.registry.database import Registry
from desktop.registry.patient_results import (
    RESULT_COLUMNS,
    resting_on_unconfirmed,
    saved_results,
)
from desktop.registry.patient_validation import covered_reason
from desktop.registry.screening_errors import ScreeningRefused, SiteUlnSource, TrialSource
from desktop.registry.screening_reads import (
    _load_screening,
    _patient_not_found,
    _require,
    _Rows,
    _screening_not_found,
    _visit_not_found,
)
from desktop.registry.screening_refusals import _invalid, _visit_title
from desktop.registry.screening_rows import VisitRow
from desktop.zone import site_zone

if TYPE_CHECKING:
    from sqlmodel import Session

    from desktop.registry.models.patient import Patient
    from desktop.registry.models.screening import Screening, Visit


@dataclass(frozen=True)
class TrialUsed:
    """A trial and the exact bytes it was read from ("yaml" or "json")."""

    trial: Trial
    data: bytes
    format: str


@dataclass(frozen=True)
class Evaluation:
    """A visit's verdict and everything it was evaluated on (for the signed content)."""

    verdict: Verdict
    typed: Mapping[RecordObservation, tuple[str, str | None]]
    observation_ids: Mapping[RecordObservation, int]
    site_uln: Mapping[str, Fraction]
    answers: Mapping[str, tuple[str, str, str]]
    events: Mapping[str, datetime]
    facts: Mapping[str, bool]
    birth_date: date
    sex: str
    as_of: datetime


class ScreeningBase:
    """The state and plumbing the parts of ``ScreeningRepository`` share."""

    def __init__(self, registry: Registry, user: str,
                 clock: Callable[[], datetime] = datetime.now, *,
                 trials: TrialSource | None = None,
                 site_uln: Mapping[str, Fraction] | SiteUlnSource | None = None,
                 confirm_limits: Mapping[str, ConfirmLimit] = DEFAULT_LIMITS) -> None:
        if not user.strip():
            raise ValueError("ScreeningRepository needs the name of the acting user")
        self._registry = registry
        self._user = user.strip()
        self._clock = clock
        self._trials = trials
        self._site_uln = site_uln
        self._confirm_limits = confirm_limits

    @property
    def confirm_limits(self) -> Mapping[str, ConfirmLimit]:
        """The values a person must confirm before they are saved (by code)."""
        return self._confirm_limits

    # -- evaluation plumbing --------------------------------------------------------

    def _trial(self, trial_id: str) -> Trial:
        """The trial a screening is for, or ScreeningRefused saying why it cannot be read."""
        from desktop.library import TrialFileError, find_trial

        try:
            return (self._trials or find_trial)(trial_id)
        except (LookupError, TrialFileError) as exc:
            raise ScreeningRefused(f"The trial file of {trial_id} could not be read, so the "
                                   f"visit cannot be evaluated: {exc}.") from None

    def _site_table(self) -> Mapping[str, Fraction]:
        """The ULNs a visit is evaluated with: the given table, else the registry's own
        dated table (each result judged against the ULN in force on its day)."""
        from desktop.registry.site_reading import read_site
        from desktop.site import SiteError

        source = self._site_uln
        if isinstance(source, Mapping):
            return source
        try:
            if source is not None:
                return source()
            with self._registry.read() as conn:
                return read_site(conn).uln
        except SiteError as exc:
            raise ScreeningRefused(f"The site settings could not be read, so the visit "
                                   f"cannot be evaluated: {exc}.") from None

    def _trial_file(self, trial_id: str) -> TrialUsed:
        """The trial with the exact bytes it is read from: the library's file, or (for a
        trial handed in by a caller) its canonical JSON, which reads back the same."""
        from desktop.library import TrialFileError, find_trial_file

        if self._trials is not None:
            trial = self._trial(trial_id)
            try:  # the library's file, when it is the trial handed in
                library, data = find_trial_file(trial_id)
            except (LookupError, TrialFileError):
                library = None
            if library is not None and library == trial:
                return TrialUsed(trial, data, "yaml")
            return TrialUsed(trial, trial.model_dump_json().encode("utf-8"), "json")
        try:
            trial, data = find_trial_file(trial_id)
        except (LookupError, TrialFileError) as exc:
            raise ScreeningRefused(f"The trial file of {trial_id} could not be read, so the "
                                   f"visit cannot be evaluated: {exc}.") from None
        return TrialUsed(trial, data, "yaml")

    def _evaluate(self, rows: _Rows, visit: VisitRow, as_of: datetime) -> Verdict:
        """The visit's stage evaluated on what the registry holds, as of ``as_of``."""
        return self._evaluation(rows, visit, as_of).verdict

    def _evaluation(self, rows: _Rows, visit: VisitRow, as_of: datetime,
                    trial: Trial | None = None) -> Evaluation:
        """The visit's stage evaluated on what the registry holds, as of ``as_of``, under
        ``trial`` (default: the trial library's), with everything it read.

        Reads the patient's date of birth and sex, results (not retracted) and facts,
        and the visit's planned dates and answers. A saved result of a code the stage
        reads that can no longer be read as a result is refused (never skipped: an
        older value would stand in for it)."""
        screening = _load_screening(rows, visit.screening_id)
        if trial is None:
            trial = self._trial(screening.trial_id)
        stage = trial.stage(visit.stage_id)
        if stage is None:
            raise ScreeningRefused(f"{visit.stage_id!r} is no longer a stage of {trial.id} in "
                                   f"the trial library, so the visit cannot be evaluated.")
        found = rows("SELECT birth_date, sex FROM patient WHERE id = ?",
                     (screening.patient_id,))
        if not found:
            raise _patient_not_found(screening.patient_id)
        birth_date, sex = date.fromisoformat(found[0][0]), str(found[0][1])
        events = {str(name): datetime.fromisoformat(at) for name, at in rows(
            "SELECT name, at FROM visit_event WHERE visit_id = ?", (visit.id,))}
        facts = {str(name): bool(value) for name, value in rows(
            "SELECT name, value FROM patient_fact WHERE patient_id = ?",
            (screening.patient_id,))}
        answer_parts = {str(cid): (str(value), note or "", source or "")
                        for cid, value, note, source in rows(
            "SELECT criterion_id, value, note, source_document FROM answer "
            "WHERE visit_id = ?", (visit.id,))}
        answers = {cid: parts[0] for cid, parts in answer_parts.items()}
        title = _visit_title(stage, stage.id, visit.repeat)
        reads = set(stage_codes(stage))
        saved = saved_results(
            rows(f"SELECT {RESULT_COLUMNS} FROM observation o "
                 f"WHERE o.patient_id = ? AND o.retracted = 0 ORDER BY o.id",
                 (screening.patient_id,)), reads, self._confirm_limits)
        observations, typed, ids = saved.observations, saved.typed, saved.ids
        unreadable = [words for _code, words in saved.unreadable]
        unconfirmed = saved.unconfirmed
        if unreadable:
            raise ScreeningRefused(
                f"{title} cannot be evaluated: saved results can no longer be read: "
                f"{'; '.join(unreadable)}. Correct or withdraw them first.")
        record = make_record(birth_date, sex, as_of, events, facts, observations, answers,
                             site_zone())
        site_table = self._site_table()
        try:
            verdict = evaluate(trial, stage.id, record, site_table)
        except RecordError as exc:
            raise ScreeningRefused(f"{title} cannot be evaluated: {exc}.") from None
        resting = resting_on_unconfirmed(verdict, unconfirmed)
        if resting:
            raise ScreeningRefused(
                f"{title} cannot be evaluated: the decision would rest on an unusual value "
                f"nobody confirmed: {'; '.join(resting)}. Confirm it at the result (or "
                f"correct it) first.")
        return Evaluation(verdict=verdict, typed=typed, observation_ids=ids,
                          site_uln=site_table, answers=answer_parts, events=events,
                          facts=facts, birth_date=birth_date, sex=sex, as_of=as_of)

    # -- write plumbing -----------------------------------------------------------

    def _audit(self, session: Session, action: str, entity: str, entity_id: int,
               details: dict[str, Any]) -> int:
        """Add the write's audit event; its id (the changed entry's new version)."""
        from desktop.registry.models.audit import AuditEvent

        event = AuditEvent(actor=self._user, action=action, entity=entity,
                           entity_id=entity_id, details=details)
        session.add(event)
        session.flush()
        assert event.id is not None
        return event.id

    @staticmethod
    def _patient(session: Session, patient_id: int) -> Patient:
        from desktop.registry.models.patient import Patient

        return _require(session, Patient, patient_id, _patient_not_found)

    @staticmethod
    def _screening_model(session: Session, screening_id: int) -> Screening:
        from desktop.registry.models.screening import Screening

        return _require(session, Screening, screening_id, _screening_not_found)

    @staticmethod
    def _visit_model(session: Session, visit_id: int) -> Visit:
        from desktop.registry.models.screening import Visit

        return _require(session, Visit, visit_id, _visit_not_found)

    def has_completed_stage(self, patient_id: int) -> bool:
        """Whether the patient has a completed visit in any screening: a stage decided on
        their date of birth, sex, results and facts, so correcting a result or changing a
        fact needs a reason (``update_observation``, ``set_fact``)."""
        from desktop.registry import reading

        with self._registry.read() as conn:
            found = reading.has_completed_stage(conn, patient_id)
        if found is None:
            raise _patient_not_found(patient_id)
        return found

    @staticmethod
    def _covered_reason(completed_stage: bool, reason: str, what: str, asking: str) -> str:
        """``reason`` as recorded for a change to what a completed stage was decided on;
        ValidationFailed on "reason" (``what`` was not saved, ``asking`` the message) if
        the patient has a completed stage (``patient_validation.session_completed_stage``,
        asked before any model is changed) and no reason is given, or if the reason given
        is unusable (``patient_validation.covered_reason``)."""
        checked, problem = covered_reason(reason, completed_stage, asking)
        if problem is not None:
            raise _invalid(what, {"reason": problem})
        return checked

    def _draft(self, session: Session, visit_id: int, doing: str) -> Visit:
        """The visit, refused unless it is a draft (a completed visit is locked)."""
        visit = self._visit_model(session, visit_id)
        if visit.status != "draft":
            raise ScreeningRefused(f"The visit is completed and locked; {doing} "
                                   f"can no longer be changed.")
        return visit
