"""Screenings, visits and what is entered in them: the API the screening UI codes against.

A *screening* is one patient screened for one trial. Its *visits* are the trial's
stages, in order; a stage the protocol repeats (``Stage.repeat``, e.g. one visit
before each of three infusions) has one visit per repeat. What a visit holds:

- planned event dates (``set_event``), carried forward from the screening's latest
  visit when a new visit starts, so the coordinator types a date once;
- the patient's results (``add_observation`` ...), which belong to the *patient*, not
  the visit, so a value entered at screening #1 is seen (and reused while inside its
  window) at every later stage and in every trial;
- patient facts (Gilbert's syndrome, ...), also per patient;
- answers to attested criteria, per visit, with note and source document.

Every write is one ``BEGIN IMMEDIATE`` transaction with its audit event (who, when,
old and new values), so the log never disagrees with the data. Nothing is deleted: a
wrong result is *retracted* (kept, hidden from evaluation, with the reason). A
completed visit is locked: its answers, events and decision can no longer change.
(Results belong to the patient, not the visit: a result entered at a completed visit
can still be corrected or retracted, audited; the visit's verdict snapshot keeps what
was decided.)

Completing a visit decides from the registry, never from the caller: ``complete``
loads the trial (``trials``, the library by default), reads what the registry holds
for the visit (its answers and planned dates, the patient's date of birth, sex,
results and facts) and evaluates it with the engine as of the repository's clock, in
the same transaction that stores the decision. ``evaluate_visit`` gives the same
verdict without storing anything, for a confirmation question.

Gating (``start_visit``, ``complete``, ``override``) follows ``desktop.domain.visits``:
a stage is completed only with a decision; visit slots (each stage, and each repeat of
a repeated stage) open strictly in order, ``visits.slots``: a slot may start only when
every slot before it was completed eligible, overridden, or signed after either. A
stage with a visit completed not eligible and not overridden is a screen failure: no
later visit of that screening can start.

Two windows (or two processes) may edit the same visit. Every entry a form edits
carries a version (``entries``; ``ObservationRow.version``, ``AnswerRow.version``): the
id of the audit event of its last change, so versions need no column of their own and
never repeat. A write given ``expected`` (the version it read) compares it with the
entry's version inside its ``BEGIN IMMEDIATE`` transaction, so no other write can come
between the check and the change; if the entry changed since, it writes nothing and
raises ``EntryChanged`` ("... was changed in another window by USER at TIME"). A write
that would leave the entry as it already is succeeds as a no-op. Each write returns the
entry's version after it, for the next save to expect.

Bad input raises ``ValidationFailed`` (``errors`` maps field -> message) and writes
nothing; a rule broken by the request (starting a stage out of order, changing a
completed visit) raises ``ScreeningRefused`` with a sentence a user can read. An
unknown id raises ``PatientNotFound``, ``ScreeningNotFound``, ``VisitNotFound`` or
``ObservationNotFound`` (all ``RegistryError``).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar, cast

from desktop.domain.draft import make_record
from desktop.domain.draft import observation as checked_observation
from desktop.domain.engine import Verdict, evaluate
from desktop.domain.freshness import stage_codes
from desktop.domain.record import Observation as RecordObservation
from desktop.domain.record import RecordError
from desktop.domain.trial import EVENTS, FACTS, Stage, Trial
from desktop.domain.units import CODES
from desktop.domain.visits import StageState, can_complete, slots
from desktop.registry.confirmations import DEFAULT_LIMITS, ConfirmLimit, unusual
from desktop.registry.database import Registry, RegistryError
from desktop.registry.patients import PatientNotFound, PatientRow, ValidationFailed
from desktop.registry.screening_rows import (
    ANSWER_VALUES,
    DEMOGRAPHICS,
    AnswerRow,
    AnswerValue,
    EntryKind,
    LogRow,
    ObservationInput,
    ObservationRow,
    OverrideRow,
    PatientChangeRow,
    ScreenFailureRow,
    ScreeningRow,
    VisitDecision,
    VisitEntries,
    VisitRow,
    VisitStatus,
)
from desktop.zone import site_zone

if TYPE_CHECKING:
    from sqlmodel import Session

    from desktop.registry.models.patient import Patient
    from desktop.registry.models.screening import Observation, Screening, Visit

__all__ = ["EntryChanged", "ObservationNotFound", "PatientNotFound", "ScreeningNotFound",
           "ScreeningRefused", "ScreeningRepository", "SiteUlnSource", "TrialSource",
           "ValidationFailed", "VisitNotFound", "signed_refusal", "trials_from"]

#: ``trial id -> Trial``; raises ``LookupError`` for a trial it does not know, or
#: ``desktop.library.TrialFileError`` for a trial file it cannot read.
TrialSource = Callable[[str], Trial]
#: The site's upper limits of normal (canonical units); raises ``desktop.site.SiteError``
#: when ``site.json`` cannot be used.
SiteUlnSource = Callable[[], Mapping[str, Fraction]]


def trials_from(trials: Mapping[str, Trial]) -> TrialSource:
    """A ``TrialSource`` over an already loaded library (NCT id -> trial)."""
    def find(trial_id: str) -> Trial:
        found = trials.get(trial_id)
        if found is None:
            raise LookupError(f"trial {trial_id} is not in the trial library")
        return found
    return find


class ScreeningRefused(RegistryError):
    """The request breaks a screening rule; nothing was written. ``str()`` says why."""


class ScreeningNotFound(RegistryError):
    """No screening has the given id."""


class VisitNotFound(RegistryError):
    """No visit has the given id."""


class ObservationNotFound(RegistryError):
    """No result has the given id."""


class EntryChanged(ScreeningRefused):
    """A save over an entry that changed since it was read (in another window, or by
    another process); nothing was written. ``str()`` says who changed it and when.

    ``kind`` and ``name`` say which entry; ``version`` is its version now;
    ``changed_by`` and ``changed_at`` (UTC) the change that came between (None if the
    audit trail does not tell)."""

    def __init__(self, message: str, *, kind: EntryKind, name: str, version: int,
                 changed_by: str | None, changed_at: datetime | None) -> None:
        super().__init__(message)
        self.kind: EntryKind = kind
        self.name = name
        self.version = version
        self.changed_by = changed_by
        self.changed_at = changed_at


# -- reading rows (one decoder for the stdlib read path and the write session) ---------

#: ``(sql, parameters) -> rows`` as the SQLite driver returns them (text, ints, None).
_Rows = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


def _conn_rows(conn: sqlite3.Connection) -> _Rows:
    def run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return conn.execute(sql, tuple(params)).fetchall()
    return run


def _session_rows(session: Session) -> _Rows:
    """Driver-level reads inside the write session's transaction (after a flush)."""
    def run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        session.flush()
        result = session.connection().exec_driver_sql(sql, tuple(params))
        return [tuple(row) for row in result.fetchall()]
    return run


def _utc(value: str | None) -> datetime | None:
    """A bookkeeping time (stored as UTC without offset) as an aware UTC datetime."""
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _utc_req(value: str) -> datetime:
    result = _utc(value)
    assert result is not None
    return result


def _local(value: str | None) -> datetime | None:
    """A clinical (local wall-clock, naive) time, exactly as stored."""
    return None if value is None else datetime.fromisoformat(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


_SCREENING_COLUMNS = "s.id, s.patient_id, s.trial_id, s.started_at, s.started_by"


def _screening_row(values: Sequence[Any]) -> ScreeningRow:
    id_, patient_id, trial_id, started_at, started_by = values
    return ScreeningRow(id=int(id_), patient_id=int(patient_id), trial_id=trial_id,
                        started_at=_utc_req(started_at), started_by=started_by)


_VISIT_COLUMNS = ("v.id, v.screening_id, v.stage_id, v.repeat, v.status, v.decision, "
                  "v.started_at, v.started_by, v.completed_at, v.completed_by, v.assessed_at, "
                  "v.override_rationale, v.override_agreed_by, v.override_recorded_by, "
                  "v.override_recorded_at, v.signed_by, v.signed_at")


def _visit_row(values: Sequence[Any]) -> VisitRow:
    (id_, screening_id, stage_id, repeat, status, decision, started_at, started_by,
     completed_at, completed_by, assessed_at, rationale, agreed_by, recorded_by, recorded_at,
     signed_by, signed_at) = values
    override = None
    if rationale is not None:
        override = OverrideRow(rationale=rationale, agreed_by=agreed_by or "",
                               recorded_by=recorded_by or "",
                               recorded_at=_utc_req(recorded_at))
    return VisitRow(id=int(id_), screening_id=int(screening_id), stage_id=stage_id,
                    repeat=int(repeat), status=cast(VisitStatus, status),
                    decision=cast("VisitDecision | None", decision),
                    started_at=_utc_req(started_at), started_by=started_by,
                    completed_at=_utc(completed_at), completed_by=completed_by,
                    assessed_at=_local(assessed_at), override=override,
                    signed_by=signed_by, signed_at=_utc(signed_at))


#: The last column is the result's version: its latest audit event (index on entity).
_OBSERVATION_COLUMNS = ("o.id, o.patient_id, o.code, o.value, o.unit, o.at, o.uln, o.source, "
                        "o.visit_id, o.entered_by, o.entered_at, o.confirmation, "
                        "o.confirmed_by, o.confirmed_at, "
                        "(SELECT MAX(e.id) FROM audit_event e "
                        "WHERE e.entity = 'observation' AND e.entity_id = o.id)")


def _observation_row(values: Sequence[Any]) -> ObservationRow:
    (id_, patient_id, code, value, unit, at, uln, source, visit_id, entered_by,
     entered_at, confirmation, confirmed_by, confirmed_at, version) = values
    at_local = _local(at)
    assert at_local is not None
    return ObservationRow(id=int(id_), patient_id=int(patient_id), code=code, value=value,
                          unit=unit, at=at_local, uln=uln, source=source,
                          visit_id=None if visit_id is None else int(visit_id),
                          entered_by=entered_by, entered_at=_utc_req(entered_at),
                          confirmation=confirmation, confirmed_by=confirmed_by,
                          confirmed_at=_utc(confirmed_at),
                          version=0 if version is None else int(version))


_ANSWER_COLUMNS = ("a.visit_id, a.criterion_id, a.value, a.note, a.source_document, "
                   "a.entered_by, a.entered_at")


def _answer_row(values: Sequence[Any], version: int = 0) -> AnswerRow:
    visit_id, criterion_id, value, note, source_document, entered_by, entered_at = values
    return AnswerRow(visit_id=int(visit_id), criterion_id=criterion_id,
                     value=cast(AnswerValue, value), note=note,
                     source_document=source_document, entered_by=entered_by,
                     entered_at=_utc_req(entered_at), version=version)


_FAILURE_COLUMNS = ("f.visit_id, f.screening_id, f.stage_id, f.repeat, f.reasons, "
                    "f.recorded_at, f.recorded_by")


def _failure_row(values: Sequence[Any]) -> ScreenFailureRow:
    visit_id, screening_id, stage_id, repeat, reasons, recorded_at, recorded_by = values
    pairs = tuple((str(c), str(r)) for c, r in json.loads(reasons))
    return ScreenFailureRow(visit_id=int(visit_id), screening_id=int(screening_id),
                            stage_id=stage_id, repeat=int(repeat), reasons=pairs,
                            recorded_at=_utc_req(recorded_at), recorded_by=recorded_by)


def _screening_not_found(screening_id: int) -> ScreeningNotFound:
    return ScreeningNotFound(f"No screening with id {screening_id} is in the registry.")


def _visit_not_found(visit_id: int) -> VisitNotFound:
    return VisitNotFound(f"No visit with id {visit_id} is in the registry.")


def _patient_not_found(patient_id: int) -> PatientNotFound:
    return PatientNotFound(f"No patient with id {patient_id} is in the registry.")


_Model = TypeVar("_Model")


def _require(session: Session, model: type[_Model], key: int,
             missing: Callable[[int], RegistryError]) -> _Model:
    """The row of ``model`` with id ``key``, or ``missing(key)`` raised."""
    found = session.get(model, key)
    if found is None:
        raise missing(key)
    return found


def _load_screening(rows: _Rows, screening_id: int) -> ScreeningRow:
    found = rows(f"SELECT {_SCREENING_COLUMNS} FROM screening s WHERE s.id = ?",
                 (screening_id,))
    if not found:
        raise _screening_not_found(screening_id)
    return _screening_row(found[0])


def _load_visit(rows: _Rows, visit_id: int) -> VisitRow:
    found = rows(f"SELECT {_VISIT_COLUMNS} FROM visit v WHERE v.id = ?", (visit_id,))
    if not found:
        raise _visit_not_found(visit_id)
    return _visit_row(found[0])


def _load_visits(rows: _Rows, screening_id: int) -> list[VisitRow]:
    """The screening's visits in the order they were started (id order)."""
    found = rows(f"SELECT s.id, {_VISIT_COLUMNS} FROM screening s "
                 f"LEFT JOIN visit v ON v.screening_id = s.id "
                 f"WHERE s.id = ? ORDER BY v.id", (screening_id,))
    if not found:
        raise _screening_not_found(screening_id)
    return [_visit_row(row[1:]) for row in found if row[1] is not None]


def _load_observation(rows: _Rows, observation_id: int) -> ObservationRow:
    found = rows(f"SELECT {_OBSERVATION_COLUMNS} FROM observation o WHERE o.id = ?",
                 (observation_id,))
    if not found:
        raise ObservationNotFound(f"No result with id {observation_id} is in the registry.")
    return _observation_row(found[0])


# -- versions (the audit trail's ids) ----------------------------------------------------

@dataclass(frozen=True)
class _Change:
    """The latest audit event of an entry: its id is the entry's version."""

    version: int
    action: str
    by: str
    at: datetime


def _change(values: Sequence[Any]) -> _Change:
    id_, action, actor, occurred_at = values
    return _Change(int(id_), str(action), str(actor), _utc_req(occurred_at))


#: Where the audit trail records each kind of entry kept by name: (entity, action, the
#: details key naming the entry). Results are audited by their own id instead.
_AUDITED: dict[EntryKind, tuple[str, str, str]] = {
    "event": ("visit", "event.set", "name"),
    "answer": ("visit", "answer.set", "criterion_id"),
    "fact": ("patient", "fact.set", "name"),
}


#: Audit actions on a patient known to leave the patient's facts as they are. Any other
#: (a merge of patient records moves facts, and actions yet to come may too) counts as a
#: change of every fact: a save expecting an older version is refused, never let through.
_LEAVES_FACTS = frozenset({"patient.create", "patient.update", "patient.archive",
                           "patient.restore", "patient.void"})


def _latest_changes(rows: _Rows, kind: EntryKind, owner_id: int) -> dict[str, _Change]:
    """The latest change of each ``kind`` entry of the visit or patient ``owner_id``, by
    name (read from the audit details in Python: no reliance on SQLite's JSON). For
    facts, every name of ``FACTS`` once a patient event may have changed them all."""
    entity, action, key = _AUDITED[kind]
    latest: dict[str, _Change] = {}
    where = "" if kind == "fact" else " AND action = ?"
    params = (entity, owner_id) if kind == "fact" else (entity, owner_id, action)
    for values in rows(f"SELECT id, action, actor, occurred_at, details FROM audit_event "
                       f"WHERE entity = ? AND entity_id = ?{where} ORDER BY id", params):
        if values[1] != action:
            if values[1] not in _LEAVES_FACTS:
                latest = dict.fromkeys(FACTS, _change(values[:4]))
            continue
        name = json.loads(values[4]).get(key)
        if isinstance(name, str):
            latest[name] = _change(values[:4])
    return latest


def _observation_change(rows: _Rows, observation_id: int) -> _Change | None:
    found = rows("SELECT id, action, actor, occurred_at FROM audit_event WHERE entity = "
                 "'observation' AND entity_id = ? ORDER BY id DESC LIMIT 1",
                 (observation_id,))
    return _change(found[0]) if found else None


def _result_change(rows: _Rows, visit_id: int, code: str) -> _Change | None:
    """The latest change of any result of ``code`` entered at the visit."""
    found = rows("SELECT e.id, e.action, e.actor, e.occurred_at FROM observation o "
                 "JOIN audit_event e ON e.entity = 'observation' AND e.entity_id = o.id "
                 "WHERE o.visit_id = ? AND o.code = ? ORDER BY e.id DESC LIMIT 1",
                 (visit_id, code))
    return _change(found[0]) if found else None


def _version(change: _Change | None) -> int:
    return 0 if change is None else change.version


def _changed(kind: EntryKind, name: str, what: str, change: _Change | None) -> EntryChanged:
    """The refusal of a save over an entry changed since it was read."""
    if change is None:
        text = f"{what} was changed in another window; this change was not saved."
    else:
        how = {"observation.retract": " (withdrawn)",
               "patient.merge": " (patient records merged)"}.get(change.action, "")
        text = (f"{what} was changed{how} in another window by {change.by} at "
                f"{change.at.astimezone():%Y-%m-%d %H:%M}; this change was not saved.")
    return EntryChanged(text, kind=kind, name=name, version=_version(change),
                        changed_by=None if change is None else change.by,
                        changed_at=None if change is None else change.at)


def _result_label(code: str) -> str:
    info = CODES.get(code)
    return f"The {info.label if info is not None else code} result"


# -- messages --------------------------------------------------------------------------

def _invalid(what: str, errors: dict[str, str]) -> ValidationFailed:
    """``ValidationFailed`` whose text says what was not saved (not "the patient")."""
    exc = ValidationFailed(errors)
    exc.args = (f"{what} was not saved: " + " ".join(exc.errors.values()),)
    return exc


_OBSERVATION_FIELDS = {"code": "Test", "value": "Value", "unit": "Unit",
                       "at": "Time taken", "uln": "Upper limit of normal"}


_DECISION_WORDS: dict[str, str] = {"eligible": "eligible", "not_eligible": "not eligible",
                                   "incomplete": "incomplete"}


def _sentence(label: str, message: str) -> str:
    text = f"{label}: {message.strip()}"
    return text if text.endswith(".") else text + "."


def _visit_title(stage: Stage | None, stage_id: str, repeat: int) -> str:
    if stage is None:
        return stage_id
    if stage.repeat == 1:
        return stage.title
    return f"{stage.title} ({repeat} of {stage.repeat})"


def _signed_refusal(title: str, signed_by: str, signed_at: datetime | None) -> str:
    """Why a signed not-eligible visit cannot be overridden (the form shows it too)."""
    when = "" if signed_at is None else \
        f" on {signed_at.astimezone():%Y-%m-%d %H:%M}"
    return (f"{title} was signed by {signed_by}{when}, confirming it not eligible; a "
            f"signed stage cannot be overridden.")


def signed_refusal(visit: VisitRow, title: str) -> str | None:
    """The sentence ``override`` refuses a signed visit with, or None if not signed."""
    if visit.signed_by is None:
        return None
    return _signed_refusal(title, visit.signed_by, visit.signed_at)


def _roles_missing(roles: Sequence[str], agreed_by: str) -> list[str]:
    """Roles not named in ``agreed_by``: case-insensitive, as whole words ("PI" is not
    found in "Dr Pippa"), any run of spaces matching a space."""
    missing = []
    for role in roles:
        words = r"\s+".join(re.escape(word) for word in role.split())
        if not re.search(rf"(?<![0-9A-Za-z]){words}(?![0-9A-Za-z])", agreed_by, re.IGNORECASE):
            missing.append(role)
    return missing


# -- gating ----------------------------------------------------------------------------

def _start_refusal(trial: Trial, stage_id: str,
                   visits: Sequence[VisitRow]) -> tuple[str | None, int]:
    """Why a visit of ``stage_id`` may not start now (None if it may), and its repeat."""
    stage = trial.stage(stage_id)
    if stage is None:
        return (f"{stage_id!r} is not a stage of {trial.id} "
                f"(its stages: {', '.join(trial.stage_ids)})."), 0
    own = sorted((v for v in visits if v.stage_id == stage_id), key=lambda v: v.repeat)
    for visit in own:
        if visit.state is StageState.IN_PROGRESS:
            return (f"A draft {_visit_title(stage, stage_id, visit.repeat)} visit is already "
                    f"open; continue that visit."), 0
    for visit in own:
        if not visit.state.lets_next_open:
            ending = (" unless it is overridden"
                      if stage.override is not None and visit.signed_by is None
                      else "; its signature confirmed the screen failure"
                      if visit.signed_by is not None else "")
            return (f"{_visit_title(stage, stage_id, visit.repeat)} was completed not eligible "
                    f"(a screen failure), so no further visit can start{ending}."), 0
    if len(own) >= stage.repeat:
        if stage.repeat == 1:
            return f"{stage.title} has already been completed.", 0
        return (f"All {stage.repeat} {stage.title} visits the protocol plans have already "
                f"been completed."), 0
    repeat = len(own) + 1
    states = {(v.stage_id, v.repeat): v.state for v in visits}
    for slot in slots(trial.stages, states):
        if slot.stage.id == stage_id and slot.repeat == repeat:
            if slot.may_start:
                return None, repeat
            break
        if not slot.state.lets_next_open:
            wanted = _visit_title(stage, stage_id, repeat)
            if slot.state is StageState.NOT_STARTED:
                return f"{wanted} cannot start before {slot.title} is completed.", 0
            if slot.state is StageState.IN_PROGRESS:
                return (f"{wanted} cannot start while {slot.title} is in progress; "
                        f"complete that visit first."), 0
            signed = any(v.signed_by is not None for v in visits
                         if (v.stage_id, v.repeat) == (slot.stage.id, slot.repeat))
            ending = (" and has not been overridden"
                      if slot.stage.override is not None and not signed
                      else "; the screening ended there")
            return (f"{wanted} cannot start: {slot.title} was completed not "
                    f"eligible{ending}."), 0
    # The slot exists, nothing before it blocks, yet it may not start: a visit the
    # trial's current stage order does not explain. Refuse rather than guess.
    return (f"{_visit_title(stage, stage_id, repeat)} cannot start: the screening's "
            f"visits do not follow {trial.id}'s stages."), 0


class ScreeningRepository:
    """Reads and writes screenings on behalf of ``user`` (recorded with every write).

    ``clock`` returns the current local wall-clock time (naive); tests pass a fixed one.
    ``trials`` finds a trial by NCT id for evaluating a visit (default: the packaged
    library, ``desktop.library.find_trial``); ``site_uln`` is the site's ULN table, or
    a function reading it (default: ``site.json`` in the registry's data folder, read
    at each evaluation). ``confirm_limits``: values saved only once confirmed
    (``desktop.registry.confirmations``; default ``DEFAULT_LIMITS``).
    """

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
        from desktop.site import SiteError, load_site_uln

        source = self._site_uln
        if isinstance(source, Mapping):
            return source
        try:
            return source() if source is not None else \
                load_site_uln(self._registry.path.parent)
        except SiteError as exc:
            raise ScreeningRefused(f"The site settings could not be read, so the visit "
                                   f"cannot be evaluated: {exc}.") from None

    def _evaluate(self, rows: _Rows, visit: VisitRow, as_of: datetime) -> Verdict:
        """The visit's stage evaluated on what the registry holds, as of ``as_of``.

        Reads the patient's date of birth and sex, results (not retracted) and facts,
        and the visit's planned dates and answers. A saved result of a code the stage
        reads that can no longer be read as a result is refused (never skipped: an
        older value would stand in for it)."""
        screening = _load_screening(rows, visit.screening_id)
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
        answers = {str(cid): str(value) for cid, value in rows(
            "SELECT criterion_id, value FROM answer WHERE visit_id = ?", (visit.id,))}
        title = _visit_title(stage, stage.id, visit.repeat)
        reads = set(stage_codes(stage))
        observations: list[RecordObservation] = []
        unreadable: list[str] = []
        #: Saved unusual values nobody confirmed (saved before confirmation existed).
        unconfirmed: dict[RecordObservation, str] = {}
        for values in rows(f"SELECT {_OBSERVATION_COLUMNS} FROM observation o "
                           f"WHERE o.patient_id = ? AND o.retracted = 0 ORDER BY o.id",
                           (screening.patient_id,)):
            saved = _observation_row(values)
            try:
                parsed = checked_observation(saved.code, saved.value, saved.unit, saved.at,
                                             uln=saved.uln, source=saved.source or None)
            except RecordError as exc:
                if saved.code in reads:
                    unreadable.append(f"{saved.value} {saved.unit} taken "
                                      f"{saved.at:%Y-%m-%d %H:%M} ({exc.message})")
                continue
            observations.append(parsed)
            if saved.confirmation is None:
                why = unusual(saved.code, parsed.value, parsed.unit, saved.value,
                              self._confirm_limits)
                if why is not None:
                    unconfirmed[parsed] = f"{why}, taken {saved.at:%Y-%m-%d %H:%M}"
        if unreadable:
            raise ScreeningRefused(
                f"{title} cannot be evaluated: saved results can no longer be read: "
                f"{'; '.join(unreadable)}. Correct or withdraw them first.")
        record = make_record(birth_date, sex, as_of, events, facts, observations, answers,
                             site_zone())
        try:
            verdict = evaluate(trial, stage.id, record, self._site_table())
        except RecordError as exc:
            raise ScreeningRefused(f"{title} cannot be evaluated: {exc}.") from None
        resting = list(dict.fromkeys(unconfirmed[o] for r in verdict.results for o in r.used
                                     if o in unconfirmed and r.outcome != "unknown"))
        if resting:
            raise ScreeningRefused(
                f"{title} cannot be evaluated: the decision would rest on an unusual value "
                f"nobody confirmed: {'; '.join(resting)}. Confirm it at the result (or "
                f"correct it) first.")
        return verdict

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

    def _draft(self, session: Session, visit_id: int, doing: str) -> Visit:
        """The visit, refused unless it is a draft (a completed visit is locked)."""
        visit = self._visit_model(session, visit_id)
        if visit.status != "draft":
            raise ScreeningRefused(f"The visit is completed and locked; {doing} "
                                   f"can no longer be changed.")
        return visit

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
        of this stage was completed not eligible and not overridden (screen failure);
        the stage's repeats are used up; a visit slot before it (an earlier stage, or
        an earlier repeat of this stage) has not been completed eligible, overridden,
        or signed after either (``desktop.domain.visits.slots``).
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
        from desktop.registry.models.screening import ScreenFailure

        with self._registry.session() as session:
            rows = _session_rows(session)
            visit = self._draft(session, visit_id, "its decision")
            screening = self._screening_model(session, visit.screening_id)
            assessed_at = self._clock()
            verdict = self._evaluate(rows, _load_visit(rows, visit_id), assessed_at)
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
                session.add(ScreenFailure(visit_id=visit.id, screening_id=screening.id,
                                          stage_id=visit.stage_id, repeat=visit.repeat,
                                          reasons=reasons, recorded_at=now,
                                          recorded_by=self._user))
            self._audit(session, "visit.complete", "visit", visit.id,
                        {"decision": decision, "assessed_at": assessed_at.isoformat(),
                         "protocol_version": verdict.trial.protocol_version,
                         "failing": reasons})
            return _load_visit(rows, visit.id)

    def override(self, visit_id: int, trial: Trial, rationale: str,
                 agreed_by: str) -> VisitRow:
        """Proceed after a completed not-eligible visit, where ``Stage.override`` allows
        it. ``rationale`` and ``agreed_by`` (who agreed, e.g. "Dr A (PI); Dr B (IND
        holder)") are required; every role in ``Stage.override.agreed_by`` must be named
        in ``agreed_by`` (case-insensitive, as whole words), else ValidationFailed on
        "agreed_by". Refused for a draft, an eligible or an already overridden visit,
        a visit the investigator has signed (the signature confirmed the screen
        failure), and where the protocol allows no override. The screen failure row
        stays."""
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            rows = _session_rows(session)
            visit = self._visit_model(session, visit_id)
            screening = self._screening_model(session, visit.screening_id)
            if screening.trial_id != trial.id:
                raise ScreeningRefused(f"This visit is of a screening for "
                                       f"{screening.trial_id}, not {trial.id}.")
            stage = trial.stage(visit.stage_id)
            title = _visit_title(stage, visit.stage_id, visit.repeat)
            if stage is None or stage.override is None:
                raise ScreeningRefused(f"The protocol does not allow proceeding after a "
                                       f"not-eligible {title}.")
            if visit.status != "completed" or visit.decision != "not_eligible":
                raise ScreeningRefused(f"Only a {title} visit completed not eligible can be "
                                       f"overridden.")
            if visit.override_rationale is not None:
                raise ScreeningRefused(f"{title} has already been overridden.")
            if visit.signed_by is not None:
                raise ScreeningRefused(_signed_refusal(title, visit.signed_by,
                                                       visit.signed_at))
            errors: dict[str, str] = {}
            if not rationale.strip():
                errors["rationale"] = "Rationale: enter why screening may proceed."
            roles = stage.override.agreed_by
            wanted = " and as ".join(roles)
            if not agreed_by.strip():
                errors["agreed_by"] = f"Agreed by: name who agreed as {wanted}."
            else:
                missing = _roles_missing(roles, agreed_by)
                if missing:
                    errors["agreed_by"] = (f"Agreed by: name who agreed as {wanted} "
                                           f"(not found: {', '.join(missing)}).")
            if errors:
                raise _invalid("The override", errors)
            visit.override_rationale = rationale.strip()
            visit.override_agreed_by = agreed_by.strip()
            visit.override_recorded_by, visit.override_recorded_at = self._user, utcnow()
            assert visit.id is not None
            self._audit(session, "visit.override", "visit", visit.id,
                        {"rationale": visit.override_rationale,
                         "agreed_by": visit.override_agreed_by,
                         "required_roles": list(roles)})
            return _load_visit(rows, visit.id)

    def sign(self, visit_id: int, investigator: str) -> VisitRow:
        """The investigator confirms a completed visit's decision (a signed not-eligible
        visit stays not eligible: see ``VisitRow.state``). Refused for a draft or a
        visit already signed; ValidationFailed on "investigator" if the name is blank."""
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            rows = _session_rows(session)
            visit = self._visit_model(session, visit_id)
            if visit.status != "completed":
                raise ScreeningRefused("Only a completed visit can be signed; complete it "
                                       "first.")
            if visit.signed_by is not None:
                raise ScreeningRefused(f"The visit has already been signed by "
                                       f"{visit.signed_by}.")
            if not investigator.strip():
                raise _invalid("The signature", {"investigator": "Investigator: enter the "
                                                 "name of the investigator who signs."})
            visit.signed_by, visit.signed_at = investigator.strip(), utcnow()
            assert visit.id is not None
            self._audit(session, "visit.sign", "visit", visit.id,
                        {"signed_by": visit.signed_by, "decision": visit.decision,
                         "overridden": visit.override_rationale is not None})
            return _load_visit(rows, visit.id)

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

    # -- what a visit form edits, with versions ----------------------------------

    def entries(self, visit_id: int) -> VisitEntries:
        """Everything the visit's form edits (planned dates and answers of the visit,
        the patient's facts and results) with each entry's version, read in one
        transaction: each version belongs to the value read with it, so a save that
        expects it is refused if anything came between."""
        with self._registry.read() as conn:
            rows = _conn_rows(conn)
            visit = _load_visit(rows, visit_id)
            patient_id = _load_screening(rows, visit.screening_id).patient_id
            events = {str(name): datetime.fromisoformat(at) for name, at in rows(
                "SELECT name, at FROM visit_event WHERE visit_id = ? ORDER BY name",
                (visit_id,))}
            facts = {str(name): bool(value) for name, value in rows(
                "SELECT name, value FROM patient_fact WHERE patient_id = ? ORDER BY name",
                (patient_id,))}
            versions: dict[tuple[EntryKind, str], int] = {}
            owners: tuple[tuple[EntryKind, int], ...] = (
                ("event", visit_id), ("answer", visit_id), ("fact", patient_id))
            for kind, owner in owners:
                for name, change in _latest_changes(rows, kind, owner).items():
                    versions[kind, name] = change.version
            answers = {row[1]: _answer_row(row, versions.get(("answer", row[1]), 0))
                       for row in rows(f"SELECT {_ANSWER_COLUMNS} FROM answer a "
                                       f"WHERE a.visit_id = ? ORDER BY a.id", (visit_id,))}
            observations = tuple(_observation_row(values) for values in rows(
                f"SELECT {_OBSERVATION_COLUMNS} FROM observation o WHERE o.patient_id = ? "
                f"AND o.retracted = 0 ORDER BY o.at DESC, o.id DESC", (patient_id,)))
            for code, version in rows(
                    "SELECT o.code, MAX(e.id) FROM observation o JOIN audit_event e "
                    "ON e.entity = 'observation' AND e.entity_id = o.id "
                    "WHERE o.visit_id = ? GROUP BY o.code", (visit_id,)):
                versions["result", str(code)] = int(version)
        return VisitEntries(visit=visit, patient_id=patient_id, events=events, facts=facts,
                            answers=answers, observations=observations, versions=versions)

    # -- events (per visit) -------------------------------------------------------

    def events(self, visit_id: int) -> dict[str, datetime]:
        """The visit's planned event dates (local wall-clock), by event name."""
        with self._registry.read() as conn:
            found = conn.execute("SELECT v.id, e.name, e.at FROM visit v "
                                 "LEFT JOIN visit_event e ON e.visit_id = v.id "
                                 "WHERE v.id = ? ORDER BY e.name", (visit_id,)).fetchall()
        if not found:
            raise _visit_not_found(visit_id)
        result: dict[str, datetime] = {}
        for _, name, at in found:
            when = _local(at)
            if name is not None and when is not None:
                result[name] = when
        return result

    def set_event(self, visit_id: int, name: str, at: datetime | None, *,
                  expected: int | None = None) -> int:
        """Set (or clear, with None) a planned event date of a draft visit; the event's
        version after it.

        ``name`` is one of ``desktop.domain.trial.EVENTS``; ``at`` is local wall-clock
        time (naive), else ValidationFailed on "name" or "at". ``expected``: the version
        read (``entries``); EntryChanged if the date changed since."""
        from sqlmodel import select

        from desktop.registry.models.base import utcnow
        from desktop.registry.models.screening import VisitEvent

        errors: dict[str, str] = {}
        if name not in EVENTS:
            errors["name"] = (f"Event: {name!r} is not a planned event "
                              f"(known: {', '.join(EVENTS)}).")
        if at is not None and at.tzinfo is not None:
            errors["at"] = "Date: give the local date and time, without a time zone."
        if errors:
            raise _invalid("The event date", errors)
        with self._registry.session() as session:
            visit = self._draft(session, visit_id, "its event dates")
            assert visit.id is not None
            row = session.exec(select(VisitEvent).where(VisitEvent.visit_id == visit_id,
                                                        VisitEvent.name == name)).first()
            change = _latest_changes(_session_rows(session), "event", visit.id).get(name)
            old = None if row is None else row.at
            if old == at:
                return _version(change)
            if expected is not None and expected != _version(change):
                raise _changed("event", name, f"The planned {EVENTS[name]}", change)
            if at is None:
                assert row is not None
                session.delete(row)
            elif row is None:
                session.add(VisitEvent(visit_id=visit_id, name=name, at=at,
                                       entered_by=self._user, entered_at=utcnow()))
            else:
                row.at, row.entered_by, row.entered_at = at, self._user, utcnow()
            return self._audit(session, "event.set", "visit", visit.id,
                               {"name": name, "old": _iso(old), "new": _iso(at)})

    # -- facts (per patient) ------------------------------------------------------

    def facts(self, patient_id: int) -> dict[str, bool]:
        """The patient's recorded facts (``desktop.domain.trial.FACTS``), by name."""
        with self._registry.read() as conn:
            found = conn.execute("SELECT p.id, f.name, f.value FROM patient p "
                                 "LEFT JOIN patient_fact f ON f.patient_id = p.id "
                                 "WHERE p.id = ? ORDER BY f.name", (patient_id,)).fetchall()
        if not found:
            raise _patient_not_found(patient_id)
        return {name: bool(value) for _, name, value in found if name is not None}

    def set_fact(self, patient_id: int, name: str, value: bool | None, *,
                 expected: int | None = None) -> int:
        """Set (or clear, with None) a patient fact such as ``gilbert_syndrome``
        (one of ``desktop.domain.trial.FACTS``, else ValidationFailed on "name"); the
        fact's version after it. ``expected``: the version read (``entries``);
        EntryChanged if the fact changed since (at any visit of the patient)."""
        from sqlmodel import select

        from desktop.registry.models.base import utcnow
        from desktop.registry.models.screening import PatientFact

        if name not in FACTS:
            raise _invalid("The fact", {"name": f"Fact: {name!r} is not a known fact "
                                                f"(known: {', '.join(FACTS)})."})
        with self._registry.session() as session:
            self._patient(session, patient_id)
            row = session.exec(select(PatientFact).where(PatientFact.patient_id == patient_id,
                                                         PatientFact.name == name)).first()
            change = _latest_changes(_session_rows(session), "fact", patient_id).get(name)
            old = None if row is None else row.value
            if old == value:
                return _version(change)
            if expected is not None and expected != _version(change):
                raise _changed("fact", name, f"The patient fact {FACTS[name]}", change)
            if value is None:
                assert row is not None
                session.delete(row)
            elif row is None:
                session.add(PatientFact(patient_id=patient_id, name=name, value=value,
                                        entered_by=self._user, entered_at=utcnow()))
            else:
                row.value, row.entered_by, row.entered_at = value, self._user, utcnow()
            return self._audit(session, "fact.set", "patient", patient_id,
                               {"name": name, "old": old, "new": value})

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
                        expected: int | None = None) -> ObservationRow:
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
        or withdrawn at the visit since."""
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
            self._audit(session, "observation.add", "observation", obs.id,
                        {"patient_id": patient_id, **_observation_details(obs)})
            return _load_observation(rows, obs.id)

    def update_observation(self, observation_id: int, data: ObservationInput, *,
                           expected: int | None = None) -> ObservationRow:
        """Correct a saved result (same checks; the audit keeps the old values). The
        row's ``entered_by``/``entered_at`` become the corrector's. A retracted result
        cannot be corrected (ScreeningRefused); one entered at a completed visit can.
        A changed unusual value must be confirmed again; the confirmation of an
        unchanged value stands; a value no longer unusual loses its confirmation.
        ``expected``: the result's version as read (``ObservationRow.version``);
        EntryChanged if it was corrected or withdrawn since (a correction to what it
        already holds saves nothing and succeeds)."""
        from desktop.registry.models.base import utcnow

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
                obs.entered_by, obs.entered_at = self._user, utcnow()
                self._audit(session, "observation.update", "observation", observation_id,
                            {"patient_id": obs.patient_id, "changes": changes})
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

    # -- answers (per visit) ------------------------------------------------------

    def answers(self, visit_id: int) -> dict[str, AnswerRow]:
        """The visit's answers, by criterion id (each with its version)."""
        with self._registry.read() as conn:
            rows = _conn_rows(conn)
            found = rows(f"SELECT v.id, {_ANSWER_COLUMNS} FROM visit v "
                         f"LEFT JOIN answer a ON a.visit_id = v.id "
                         f"WHERE v.id = ? ORDER BY a.id", (visit_id,))
            if not found:
                raise _visit_not_found(visit_id)
            changes = _latest_changes(rows, "answer", visit_id)
        return {row[2]: _answer_row(row[1:], _version(changes.get(row[2])))
                for row in found if row[1] is not None}

    def set_answer(self, visit_id: int, criterion_id: str, value: AnswerValue | None,
                   note: str = "", source_document: str = "", *,
                   expected: int | None = None) -> int:
        """Answer (or clear, with None) an attested criterion of a draft visit; the
        answer's version after it (``answers`` reads the saved row).

        The repository does not know the trial here: the caller passes an attested
        criterion id of the visit's stage (the engine refuses any other when it
        evaluates). ValidationFailed on "value" for anything but yes/no/n/a.
        ``expected``: the version read (``entries``); EntryChanged if the answer, its
        note or source document changed since."""
        from sqlmodel import select

        from desktop.registry.models.base import utcnow
        from desktop.registry.models.screening import Answer

        errors: dict[str, str] = {}
        if not criterion_id.strip():
            errors["criterion_id"] = "Criterion: choose the criterion the answer is for."
        if value is not None and value not in ANSWER_VALUES:
            errors["value"] = "Answer: choose yes, no or n/a."
        if errors:
            raise _invalid("The answer", errors)
        criterion_id = criterion_id.strip()
        with self._registry.session() as session:
            self._draft(session, visit_id, "its answers")
            row = session.exec(select(Answer).where(Answer.visit_id == visit_id,
                                                    Answer.criterion_id == criterion_id)
                               ).first()
            change = _latest_changes(_session_rows(session), "answer",
                                     visit_id).get(criterion_id)
            old = None if row is None else {"value": row.value, "note": row.note,
                                            "source_document": row.source_document}
            new = None if value is None else {"value": value, "note": note.strip(),
                                              "source_document": source_document.strip()}
            if old == new:
                return _version(change)
            if expected is not None and expected != _version(change):
                raise _changed("answer", criterion_id, f"The answer to {criterion_id}",
                               change)
            if new is None:
                assert row is not None
                session.delete(row)
            elif row is None:
                session.add(Answer(visit_id=visit_id, criterion_id=criterion_id,
                                   value=new["value"], note=new["note"],
                                   source_document=new["source_document"],
                                   entered_by=self._user, entered_at=utcnow()))
            else:
                row.value, row.note = new["value"], new["note"]
                row.source_document = new["source_document"]
                row.entered_by, row.entered_at = self._user, utcnow()
            return self._audit(session, "answer.set", "visit", visit_id,
                               {"criterion_id": criterion_id, "old": old, "new": new})

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
        """The screening's screen failures, oldest first (overridden ones included)."""
        with self._registry.read() as conn:
            found = conn.execute(f"SELECT s.id, {_FAILURE_COLUMNS} FROM screening s "
                                 f"LEFT JOIN screen_failure f ON f.screening_id = s.id "
                                 f"WHERE s.id = ? ORDER BY f.recorded_at, f.id",
                                 (screening_id,)).fetchall()
        if not found:
            raise _screening_not_found(screening_id)
        return [_failure_row(row[1:]) for row in found if row[1] is not None]

    def screening_log(self, trial: Trial) -> list[LogRow]:
        """Every patient screened for the trial, most recently active first.

        The furthest stage is the visit of the highest stage (in the trial's order),
        then the highest repeat; last activity is the latest of the screening's start,
        its visits' start, completion, override and signature, and the entry of its
        visits' events, answers and results."""
        with self._registry.read() as conn:
            heads = conn.execute(
                f"SELECT {_SCREENING_COLUMNS}, p.mrn, p.family_name, p.given_name "
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
            failure_rows = conn.execute(
                f"SELECT {_FAILURE_COLUMNS} FROM screen_failure f JOIN screening s "
                f"ON s.id = f.screening_id WHERE s.trial_id = ? ORDER BY f.recorded_at, f.id",
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
        order = {stage_id: i for i, stage_id in enumerate(trial.stage_ids)}

        log: list[LogRow] = []
        for values in heads:
            screening = _screening_row(values[:5])
            mrn, family_name, given_name = values[5:]
            visits = visits_of.get(screening.id, [])
            times = [screening.started_at]
            for v in visits:
                times += [t for t in (v.started_at, v.completed_at, v.signed_at,
                                      v.override.recorded_at if v.override else None)
                          if t is not None]
            if screening.id in entered_of:
                times.append(entered_of[screening.id])
            furthest = max(visits, key=lambda v: (order.get(v.stage_id, -1), v.repeat, v.id),
                           default=None)
            log.append(LogRow(
                screening_id=screening.id, patient_id=screening.patient_id, mrn=mrn,
                family_name=family_name, given_name=given_name,
                started_at=screening.started_at, last_activity=max(times),
                furthest_stage=None if furthest is None else furthest.stage_id,
                furthest_repeat=0 if furthest is None else furthest.repeat,
                furthest_state=None if furthest is None else furthest.state,
                failures=tuple(failures_of.get(screening.id, ()))))
        log.sort(key=lambda r: (r.last_activity, r.screening_id), reverse=True)
        return log


def _observation_details(obs: Observation) -> dict[str, Any]:
    """A result's values as JSON-ready audit details (with what was confirmed, if any)."""
    details: dict[str, Any] = {"code": obs.code, "value": obs.value, "unit": obs.unit,
                               "at": _iso(obs.at), "uln": obs.uln, "source": obs.source,
                               "visit_id": obs.visit_id}
    if obs.confirmation is not None:
        details["confirmed"] = {"what": obs.confirmation, "by": obs.confirmed_by}
    return details
