"""Reading screening rows: one decoder for the stdlib read path and the write session,
the row loaders, and the versions of entries (the audit event of their last change).

Part of ``desktop.registry.screenings``; see its docstring for the versions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from desktop.domain.trial import FACTS
from desktop.domain.units import CODES
from desktop.registry.database import RegistryError
from desktop.registry.patients import PatientNotFound
from desktop.registry.screening_errors import (
    EntryChanged,
    ObservationNotFound,
    ScreeningNotFound,
    VisitNotFound,
)
from desktop.registry.screening_rows import (
    AnswerRow,
    AnswerValue,
    EntryKind,
    ObservationRow,
    OverrideRow,
    ScreenFailureRow,
    ScreeningRow,
    VisitDecision,
    VisitRow,
    VisitStatus,
)

if TYPE_CHECKING:
    from sqlmodel import Session


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
                  "v.override_recorded_at, v.signed_by, v.signed_at, v.version, "
                  "v.correction_reason, "
                  "(SELECT group_concat(g.action) FROM signature g "
                  "WHERE g.visit_id = v.id AND g.version = v.version), "
                  "(SELECT value FROM site_setting WHERE key = 'open_before_signature')")


def _visit_row(values: Sequence[Any]) -> VisitRow:
    (id_, screening_id, stage_id, repeat, status, decision, started_at, started_by,
     completed_at, completed_by, assessed_at, rationale, agreed_by, recorded_by, recorded_at,
     signed_by, signed_at, version, correction_reason, actions, before_signature) = values
    override = None
    if int(version) != 1:  # a free-text sign-off or override is of version 1 only
        signed_by = signed_at = rationale = None
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
                    signed_by=signed_by, signed_at=_utc(signed_at), version=int(version),
                    correction_reason=correction_reason,
                    signed_actions=tuple(actions.split(",")) if actions else (),
                    open_before_signature=before_signature == "true")


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
