"""Patient records: validation, add/update/archive/void/merge with audit, fast search.

This is the API the UI codes against. It trades in plain frozen dataclasses
(``PatientInput`` in, ``PatientRow`` out) so no ORM object or session escapes.

MRNs and names follow the domain's rules (:mod:`desktop.domain.identifiers`), checked
here on every add and edit whatever the caller checked before: an MRN is stored NFKC and
trimmed, with the site's allowed characters only (``site.json``'s ``mrn_characters``),
and two MRNs differing only in case, runs of spaces or width are one MRN. Validation and
the write happen in one ``BEGIN IMMEDIATE`` transaction, so a concurrent writer cannot
slip a duplicate MRN in between. That check is what keeps MRNs unique while a registry
from before migration 0004 still holds duplicates; once none remain (``mrn_problems``),
the write that removed the last one switches on the partial UNIQUE index on
``mrn_fold`` as the database's own last line of defence (the UNIQUE index on
``mrn_key``, case-folded only, has always been there).

A duplicate is merged into the patient kept, or voided with a reason; nothing is ever
deleted, and every change leaves an audit event in the same transaction.

Reads (``get``, ``count``, ``search``, and ``validate`` outside a write) use the stdlib
``sqlite3`` module (``desktop.registry.reading``), so the patient list can open and fill
without importing SQLAlchemy; writes use SQLModel, imported on the first write. There
is one mapping of a patient row to a ``PatientRow`` (``reading.patient_row``): a write
reads its row back with the same statement inside its own transaction. (Reading through
SQLAlchemy Core instead was measured and refused: importing it costs about 0.37 s on the
reference machine, more than the whole bare-window start-up, and would put it before the
patient list fills; see ``tests/benchmarks/test_startup_bench.py``.)

Where it lives: this module is the API (``PatientRepository``, its rows and what it
raises, all importable from here) and holds the writes; beside it are
``patient_validation`` (``PatientInput``, the checks on every add and edit and their
messages), ``patient_errors`` (what the repository raises), ``reading`` (the light reads)
and ``merging`` (what a merge moves, and when it is refused).
"""

from __future__ import annotations

import functools
from datetime import date
from typing import TYPE_CHECKING, Any

from desktop.domain.identifiers import MrnRules, mrn_key
from desktop.registry import reading, search_sql
from desktop.registry.database import Registry
from desktop.registry.mrn_problems import MrnProblem, find_mrn_problems, visible
from desktop.registry.patient_errors import (
    MergeRefused,
    PatientNotFound,
    PatientVoided,
    ValidationFailed,
)
from desktop.registry.patient_validation import (
    REASON_MAX,
    SEXES,
    PatientInput,
    checked_reason,
    covered_reason,
    field_errors,
    session_clash,
    session_completed_stage,
)
from desktop.registry.reading import PatientRow, search_key

if TYPE_CHECKING:
    from sqlmodel import Session

    from desktop.registry.models.patient import Patient

__all__ = ["ENTITY", "FIELDS", "SEXES", "MergeRefused", "MrnProblem", "PatientInput",
           "PatientNotFound", "PatientRepository", "PatientRow", "PatientVoided",
           "ValidationFailed"]

ENTITY = "patient"
FIELDS = ("mrn", "family_name", "given_name", "birth_date", "sex")
#: The fields a completed stage was decided on (field -> how a reason prompt names it).
_COVERED = {"birth_date": "date of birth", "sex": "sex"}


def _row(session: Session, patient: Patient) -> PatientRow:
    """The patient as saved, read back inside the write's transaction with the light
    path's own statement and mapping (``reading.GET_SQL``, ``reading.patient_row``), so
    a write and a read can never map the same row two ways."""
    from sqlalchemy import text

    assert patient.id is not None
    session.flush()
    found = session.execute(text(reading.GET_SQL), {"id": patient.id}).first()
    assert found is not None
    return reading.patient_row(tuple(found))


def _who(patient: Patient | PatientRow) -> str:
    return f"{patient.family_name}, {patient.given_name} (MRN {visible(patient.mrn, quotes=False)})"


class PatientRepository:
    """Reads and writes patients on behalf of ``user`` (recorded in the audit log)."""

    def __init__(self, registry: Registry, user: str, mrn_rules: MrnRules | None = None) -> None:
        """``mrn_rules``: None for the site's (``site.json`` in the registry's folder, read
        on first use; the default rules if it has none or cannot be used, which the app
        reports at start)."""
        if not user.strip():
            raise ValueError("PatientRepository needs the name of the acting user")
        self._registry = registry
        self._user = user.strip()
        self._mrn_rules = mrn_rules

    @property
    def mrn_rules(self) -> MrnRules:
        """The MRN rules every add and edit is checked against."""
        rules = self._mrn_rules
        if rules is None:  # the site's, from the registry's settings
            from desktop.registry.site_reading import read_site

            with self._registry.read() as conn:
                characters = read_site(conn).mrn_characters
            rules = MrnRules(characters) if characters else MrnRules()
            self._mrn_rules = rules
        return rules

    # -- validation ---------------------------------------------------------------

    def validate(self, data: PatientInput, patient_id: int | None = None,
                 today: date | None = None) -> dict[str, str]:
        """Field name -> message for every problem; empty when ``data`` can be saved."""
        with self._registry.read() as conn:
            return field_errors(functools.partial(reading.mrn_clash, conn),
                                lambda: self.mrn_rules, data, patient_id, today)[0]

    def _check(self, session: Session, data: PatientInput,
               patient_id: int | None) -> PatientInput:
        errors, clean = field_errors(session_clash(session), lambda: self.mrn_rules, data,
                                     patient_id, None)
        if errors:
            raise ValidationFailed(errors)
        return clean

    # -- writes -------------------------------------------------------------------
    #
    # Writes go through SQLModel, imported here on the first write (or earlier by
    # ``Registry.warm_up``) so that opening the registry and listing stay light.

    def add(self, data: PatientInput) -> PatientRow:
        """Save a new patient; raises ``ValidationFailed`` and saves nothing if invalid."""
        from sqlalchemy.exc import IntegrityError

        from desktop.registry.models.audit import record_event
        from desktop.registry.models.base import utcnow
        from desktop.registry.models.patient import Patient

        try:
            with self._registry.session() as session:
                clean = self._check(session, data, None)
                assert clean.birth_date is not None
                now = utcnow()
                patient = Patient(
                    mrn=clean.mrn, mrn_key=search_key(clean.mrn), mrn_fold=mrn_key(clean.mrn),
                    family_name=clean.family_name, family_key=search_key(clean.family_name),
                    given_name=clean.given_name, given_key=search_key(clean.given_name),
                    birth_date=clean.birth_date, sex=clean.sex, archived=False,
                    created_at=now, created_by=self._user, updated_at=now,
                    updated_by=self._user,
                )
                session.add(patient)
                session.flush()
                assert patient.id is not None
                record_event(session, actor=self._user, action="patient.create", entity=ENTITY,
                             entity_id=patient.id, details=_snapshot(patient))
                _index(session, patient, None)
                return _row(session, patient)
        except IntegrityError as exc:  # pragma: no cover - the IMMEDIATE lock prevents it
            raise ValidationFailed({"mrn": f"MRN {visible(data.mrn.strip(), quotes=False)} "
                                           "already belongs to another patient."}) from exc

    def update(self, patient_id: int, data: PatientInput, reason: str = "") -> PatientRow:
        """Change a patient's details; the audit event lists old and new values, and the
        reason if one is given.

        The date of birth and the sex are what a completed stage was decided on: changing
        either of a patient with a completed stage (``has_completed_stage``) needs a
        reason, else ``ValidationFailed`` on "reason" and nothing changes. Names and the
        MRN need none."""
        from desktop.registry.models.audit import record_event
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            patient = self._load(session, patient_id)
            self._refuse_voided(patient, "changed")
            clean = self._check(session, data, patient_id)
            assert clean.birth_date is not None
            covered = _covered(patient, clean)
            reason, problem = covered_reason(
                reason, bool(covered) and session_completed_stage(session, patient_id),
                f"Reason: say why the {' and '.join(covered)} "
                f"{'is' if len(covered) == 1 else 'are'} changed (a completed stage of this "
                f"patient was decided on {'it' if len(covered) == 1 else 'them'}).")
            if problem is not None:
                raise ValidationFailed({"reason": problem})
            before = _snapshot(patient)
            old_names = (patient.mrn, patient.family_name, patient.given_name)
            patient.mrn, patient.mrn_key = clean.mrn, search_key(clean.mrn)
            patient.mrn_fold = mrn_key(clean.mrn)
            patient.family_name, patient.family_key = (clean.family_name,
                                                       search_key(clean.family_name))
            patient.given_name, patient.given_key = clean.given_name, search_key(clean.given_name)
            patient.birth_date = clean.birth_date
            patient.sex = clean.sex
            after = _snapshot(patient)
            changes = {name: {"old": before[name], "new": after[name]}
                       for name in FIELDS if before[name] != after[name]}
            if changes:
                patient.updated_at, patient.updated_by = utcnow(), self._user
                details: dict[str, Any] = {"changes": changes}
                if reason:
                    details["reason"] = reason
                record_event(session, actor=self._user, action="patient.update", entity=ENTITY,
                             entity_id=patient_id, details=details)
            if changes.keys() & {"mrn", "family_name", "given_name"}:
                _index(session, patient, old_names)
            if "mrn" in changes:  # perhaps the last duplicate corrected
                session.flush()
                self._switch_on_unique_mrns(session)
            return _row(session, patient)

    def set_archived(self, patient_id: int, archived: bool) -> PatientRow:
        """Archive (hide from default search) or restore a patient. Nothing is ever deleted."""
        from desktop.registry.models.audit import record_event
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            patient = self._load(session, patient_id)
            if not archived:
                self._refuse_voided(patient, "restored")
            if patient.archived != archived:
                patient.archived = archived
                patient.updated_at, patient.updated_by = utcnow(), self._user
                record_event(session, actor=self._user,
                             action="patient.archive" if archived else "patient.restore",
                             entity=ENTITY, entity_id=patient_id, details={})
            return _row(session, patient)

    def void(self, patient_id: int, reason: str) -> PatientRow:
        """Mark a patient registered in error (a duplicate, say) voided, with ``reason``.

        The record and everything attached to it stay; it is archived, holds its MRN no
        longer for uniqueness, and can no longer be changed or restored. Raises
        ``ValidationFailed`` (``errors["reason"]``) without a usable reason.
        """
        reason = checked_reason(reason, "voided")
        with self._registry.session() as session:
            patient = self._load(session, patient_id)
            self._refuse_voided(patient, "voided again")
            self._void(session, patient, reason, {})
            self._switch_on_unique_mrns(session)
            return _row(session, patient)

    def merge(self, duplicate_id: int, kept_id: int, reason: str) -> PatientRow:
        """Move the duplicate's screenings, results and facts to the kept patient, then
        void the duplicate; the kept patient as it is now.

        Only two patients listed as sharing an MRN, with one date of birth and sex, and
        never both screened for one trial (:mod:`desktop.registry.merging`); otherwise
        ``MergeRefused`` and nothing changes. Audited on both patients.
        """
        from desktop.registry.merging import check_pair, move_records
        from desktop.registry.models.audit import record_event

        reason = checked_reason(reason, "merged")
        with self._registry.session() as session:
            duplicate = self._load(session, duplicate_id)
            kept = self._load(session, kept_id)
            check_pair(duplicate, kept)
            moved = move_records(session, duplicate, kept)
            record_event(session, actor=self._user, action="patient.merge", entity=ENTITY,
                         entity_id=kept_id, details={
                             "from": duplicate_id, "from_mrn": duplicate.mrn, "reason": reason,
                             **moved})
            self._void(session, duplicate,
                       f"Merged into {_who(kept)}: {reason}"[:REASON_MAX],
                       {"merged_into": kept_id})
            self._switch_on_unique_mrns(session)
            return _row(session, kept)

    def _void(self, session: Session, patient: Patient, reason: str,
              details: dict[str, Any]) -> None:
        from desktop.registry.models.audit import record_event
        from desktop.registry.models.base import utcnow

        assert patient.id is not None
        was_archived = patient.archived
        patient.void_reason, patient.archived = reason, True
        patient.updated_at, patient.updated_by = utcnow(), self._user
        record_event(session, actor=self._user, action="patient.void", entity=ENTITY,
                     entity_id=patient.id, details={"reason": reason, "mrn": patient.mrn,
                                                    "was_archived": was_archived, **details})
        session.flush()

    @staticmethod
    def _refuse_voided(patient: Patient, done: str) -> None:
        if patient.void_reason is not None:
            raise PatientVoided(f"{_who(patient)} was voided ({patient.void_reason[:200]}), "
                                f"so the record cannot be {done}.")

    def _switch_on_unique_mrns(self, session: Session) -> bool:
        """Create the partial UNIQUE index on ``mrn_fold`` if no two patients (not voided)
        share an MRN any more; whether it is on. Inside the caller's write transaction."""
        from sqlalchemy import text

        from desktop.registry.models.audit import record_event
        from desktop.registry.models.patient import UNIQUE_MRN_INDEX, patient_table

        if session.execute(text(_INDEX_SQL), {"name": UNIQUE_MRN_INDEX}).first() is not None:
            return True
        if session.execute(text(_SHARED_SQL)).first() is not None:
            return False
        (index,) = [ix for ix in patient_table.indexes if ix.name == UNIQUE_MRN_INDEX]
        index.create(session.connection())
        record_event(session, actor=self._user, action="registry.unique_mrns", entity="registry",
                     entity_id=0, details={"index": UNIQUE_MRN_INDEX})
        return True

    def mrn_problems(self) -> list[MrnProblem]:
        """Patients (not voided) sharing one MRN, and patients whose MRN or name breaks the
        rules as stored: what an administrator should merge, void or edit. Changes nothing."""
        rules = self.mrn_rules
        with self._registry.read() as conn:
            return find_mrn_problems(conn, rules)

    def unique_mrns_enforced(self) -> bool:
        """Whether the database itself refuses a second patient with one MRN (the partial
        UNIQUE index exists: no duplicates were left, or there never were any)."""
        from desktop.registry.models.patient import UNIQUE_MRN_INDEX

        with self._registry.read() as conn:
            return bool(conn.execute(_INDEX_SQL, {"name": UNIQUE_MRN_INDEX}).fetchall())

    @staticmethod
    def _load(session: Session, patient_id: int) -> Patient:
        from desktop.registry.models.patient import Patient

        patient = session.get(Patient, patient_id)
        if patient is None:
            raise PatientNotFound(f"No patient with id {patient_id} is in the registry.")
        return patient

    # -- reads (stdlib sqlite3, see desktop.registry.reading) ---------------------------

    def get(self, patient_id: int) -> PatientRow:
        with self._registry.read() as conn:
            row = reading.get(conn, patient_id)
        if row is None:
            raise PatientNotFound(f"No patient with id {patient_id} is in the registry.")
        return row

    def has_completed_stage(self, patient_id: int) -> bool:
        """Whether the patient has a completed visit in any screening: then changing the
        date of birth or the sex needs a reason (``update``)."""
        with self._registry.read() as conn:
            found = reading.has_completed_stage(conn, patient_id)
        if found is None:
            raise PatientNotFound(f"No patient with id {patient_id} is in the registry.")
        return found

    def needs_reason(self, patient_id: int, data: PatientInput) -> bool:
        """Whether ``update`` would refuse ``data`` without a reason: it changes the date
        of birth or the sex of a patient with a completed stage (as saved now)."""
        with self._registry.read() as conn:
            saved = reading.get(conn, patient_id)
            if saved is None:
                raise PatientNotFound(f"No patient with id {patient_id} is in the registry.")
            return bool(_covered(saved, data)) and bool(
                reading.has_completed_stage(conn, patient_id))

    def count(self, text: str = "", include_archived: bool = False,
              cap: int | None = None) -> int:
        """How many patients ``search`` would list without a limit; with a ``cap``, at
        most ``cap`` (then meaning "``cap`` or more"), far quicker for a broad search."""
        with self._registry.read() as conn:
            return reading.count(conn, text, include_archived, cap)

    def search(self, text: str = "", offset: int = 0, limit: int = 200,
               include_archived: bool = False) -> list[PatientRow]:
        """Patients whose MRN contains ``text`` (from ``MRN_PART_MIN`` characters, else
        starts with it) or whose names have a word starting with each word of ``text``
        ("Testwell, Demo", "lindqvist", "bob"), without regard to case or accents
        (:mod:`desktop.domain.patient_search`); ordered by family name, given name, MRN."""
        if limit <= 0:
            return []
        with self._registry.read() as conn:
            return reading.search(conn, text, offset, limit, include_archived)


_INDEX_SQL = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :name"
_SHARED_SQL = ("SELECT 1 FROM patient WHERE void_reason IS NULL AND mrn_fold IS NOT NULL "
               "GROUP BY mrn_fold HAVING count(*) > 1 LIMIT 1")


def _index(session: Session, patient: Patient, old: tuple[str, str, str] | None) -> None:
    """Store the patient's name words and MRN parts for search (``search_sql``), in place
    of those made of the ``old`` MRN, family and given name (None for a new patient)."""
    from sqlalchemy import text

    assert patient.id is not None
    if old is not None:
        old_words, old_parts = search_sql.index_rows(patient.id, *old)
        if old_words:
            session.execute(text(search_sql.DELETE_WORD_SQL), old_words)
        if old_parts:
            session.execute(text(search_sql.DELETE_PART_SQL), old_parts)
    words, parts = search_sql.index_rows(patient.id, patient.mrn, patient.family_name,
                                         patient.given_name)
    if words:
        session.execute(text(search_sql.INSERT_WORD_SQL), words)
    if parts:
        session.execute(text(search_sql.INSERT_PART_SQL), parts)


def _covered(saved: Patient | PatientRow, data: PatientInput) -> list[str]:
    """The details a completed stage was decided on that ``data`` changes, as a reason
    prompt names them ("date of birth", "sex")."""
    new = {"birth_date": data.birth_date, "sex": data.sex.strip()}
    return [label for name, label in _COVERED.items() if new[name] != getattr(saved, name)]


def _snapshot(patient: Patient) -> dict[str, Any]:
    """The user-visible fields as JSON-ready values, for audit details."""
    return {"mrn": patient.mrn, "family_name": patient.family_name,
            "given_name": patient.given_name, "birth_date": patient.birth_date.isoformat(),
            "sex": patient.sex, "archived": patient.archived}
