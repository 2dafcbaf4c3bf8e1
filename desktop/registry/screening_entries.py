"""What a visit's form edits besides results: planned event dates, patient facts and
answers, each with its version (``entries``), saved only over the version it read.

Part of ``desktop.registry.screenings`` (``ScreeningRepository``).
"""

from __future__ import annotations

from datetime import datetime

from desktop.domain.trial import EVENTS, FACTS
from desktop.registry.screening_base import ScreeningBase
from desktop.registry.screening_reads import (
    _ANSWER_COLUMNS,
    _OBSERVATION_COLUMNS,
    _answer_row,
    _changed,
    _conn_rows,
    _iso,
    _latest_changes,
    _load_screening,
    _load_visit,
    _local,
    _observation_row,
    _patient_not_found,
    _session_rows,
    _version,
    _visit_not_found,
)
from desktop.registry.screening_refusals import _invalid
from desktop.registry.screening_rows import (
    ANSWER_VALUES,
    AnswerRow,
    AnswerValue,
    EntryKind,
    VisitEntries,
)


class EntriesPart(ScreeningBase):
    """``ScreeningRepository``'s entries: see the module docstring."""

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
                 expected: int | None = None, reason: str = "") -> int:
        """Set (or clear, with None) a patient fact such as ``gilbert_syndrome``
        (one of ``desktop.domain.trial.FACTS``, else ValidationFailed on "name"); the
        fact's version after it. ``expected``: the version read (``entries``);
        EntryChanged if the fact changed since (at any visit of the patient).

        ``reason``: why it is changed, kept in the audit. Required (ValidationFailed on
        "reason", nothing saved) when the patient has a completed stage
        (``has_completed_stage``): its decision was made on the patient's facts. Setting
        a fact to what it already is needs none."""
        from sqlmodel import select

        from desktop.registry.models.base import utcnow
        from desktop.registry.models.screening import PatientFact
        from desktop.registry.patient_validation import session_completed_stage

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
            reason = self._covered_reason(
                session_completed_stage(session, patient_id), reason, "The fact",
                f"Reason: say why {FACTS[name]} is changed (a completed stage of this "
                f"patient was decided on the patient's facts).")
            if value is None:
                assert row is not None
                session.delete(row)
            elif row is None:
                session.add(PatientFact(patient_id=patient_id, name=name, value=value,
                                        entered_by=self._user, entered_at=utcnow()))
            else:
                row.value, row.entered_by, row.entered_at = value, self._user, utcnow()
            details: dict[str, object] = {"name": name, "old": old, "new": value}
            if reason:
                details["reason"] = reason
            return self._audit(session, "fact.set", "patient", patient_id, details)

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
