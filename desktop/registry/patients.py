"""Patient records: validation, add/update/archive/void/merge with audit, fast prefix search.

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
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from desktop.domain.identifiers import (
    IdentifierError,
    MrnRules,
    describe_char,
    mrn_key,
    normalise_mrn,
    normalise_name,
)
from desktop.registry import reading
from desktop.registry.database import Registry, RegistryError
from desktop.registry.mrn_problems import MrnProblem, find_mrn_problems, visible
from desktop.registry.reading import MrnHolder, PatientRow, search_key

if TYPE_CHECKING:
    from sqlmodel import Session

    from desktop.registry.models.patient import Patient

__all__ = ["ENTITY", "FIELDS", "SEXES", "MergeRefused", "MrnProblem", "PatientInput",
           "PatientNotFound", "PatientRepository", "PatientRow", "PatientVoided",
           "ValidationFailed"]

SEXES = ("female", "male")
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
ENTITY = "patient"
FIELDS = ("mrn", "family_name", "given_name", "birth_date", "sex")
#: Longest reason for voiding or merging, in characters.
REASON_MAX = 500

#: ``(mrn, patient_id) -> `` another patient holding that MRN, or None.
_ClashLookup = Callable[[str, int | None], MrnHolder | None]


@dataclass(frozen=True)
class PatientInput:
    """What the user typed; ``validate`` trims and checks it."""

    mrn: str
    family_name: str
    given_name: str
    birth_date: date | None
    sex: str


class ValidationFailed(RegistryError):
    """Nothing was saved; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str], done: str = "saved") -> None:
        self.errors = dict(errors)
        super().__init__(f"The patient was not {done}: " + " ".join(self.errors.values()))


class PatientNotFound(RegistryError):
    """No patient has the given id."""


class PatientVoided(RegistryError):
    """The patient was voided: the record stays as it was, and cannot be changed."""


class MergeRefused(RegistryError):
    """The two patients cannot be merged as they are; nothing was changed."""


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


def _session_clash(session: Session) -> _ClashLookup:
    """``reading.mrn_clash``, run inside the write session's transaction."""
    from sqlalchemy import text

    def lookup(mrn: str, patient_id: int | None) -> MrnHolder | None:
        sql, params = reading.mrn_clash_params(mrn, patient_id)
        found = session.execute(text(sql), params).first()
        return reading.holder(tuple(found)) if found is not None else None

    return lookup


def _sentence(what: str, problem: str) -> str:
    """A domain message (``is 40 characters long; at most 32``) as a sentence on a field."""
    # Else the problem names its subject: "'А' (U+0410 ...) is not allowed in an MRN ...".
    text = f"{what} {problem}" if problem.startswith(("is ", "contains ")) else problem
    return text if text.endswith(".") else text + "."


def _duplicate_message(mrn: str, holder: MrnHolder) -> str:
    who = f"{visible(holder.family_name, quotes=False)}, " \
          f"{visible(holder.given_name, quotes=False)}"
    shown = visible(holder.mrn, quotes=False)
    if holder.voided:
        return (f"MRN {shown} belongs to a voided patient record ({who}); an MRN once "
                "given is not given to another patient.")
    where = ", archived" if holder.archived else ""
    same = "" if holder.mrn == mrn else (
        "; MRNs that differ only in case, spacing or full-width characters are one MRN")
    return f"MRN {shown} already belongs to another patient ({who}{where}){same}."


def _reason(text: str, done: str) -> str:
    """A reason for voiding or merging: NFC, trimmed, visible characters, at most 500."""
    reason = unicodedata.normalize("NFC", text).strip()
    problem = ""
    if not reason:
        problem = "Give the reason."
    elif len(reason) > REASON_MAX:
        problem = f"The reason is {len(reason)} characters long; at most {REASON_MAX}."
    else:
        bad = next((ch for ch in reason if not ch.isprintable()), None)
        if bad is not None:
            problem = f"The reason contains an invisible or control character " \
                      f"{describe_char(bad)}."
    if problem:
        raise ValidationFailed({"reason": problem}, done)
    return reason


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
        if rules is None:
            from desktop.site import SiteError, load_site_mrn_rules

            try:
                rules = load_site_mrn_rules(self._registry.path.parent)
            except SiteError:
                rules = MrnRules()
            self._mrn_rules = rules
        return rules

    # -- validation ---------------------------------------------------------------

    def validate(self, data: PatientInput, patient_id: int | None = None,
                 today: date | None = None) -> dict[str, str]:
        """Field name -> message for every problem; empty when ``data`` can be saved."""
        with self._registry.read() as conn:
            return self._errors(functools.partial(reading.mrn_clash, conn), data, patient_id,
                                today)[0]

    def _errors(self, clash_with: _ClashLookup, data: PatientInput, patient_id: int | None,
                today: date | None) -> tuple[dict[str, str], PatientInput]:
        """The problems, and ``data`` as it would be stored (normalised, trimmed)."""
        today = today or date.today()
        errors: dict[str, str] = {}
        mrn = self._mrn(errors, data.mrn)
        family_name = self._name(errors, "family_name", "family name", data.family_name)
        given_name = self._name(errors, "given_name", "given name", data.given_name)
        if data.birth_date is None:
            errors["birth_date"] = "Enter the date of birth."
        elif data.birth_date > today:
            errors["birth_date"] = "The date of birth cannot be in the future."
        elif data.birth_date < EARLIEST_BIRTH_DATE:
            errors["birth_date"] = "The date of birth cannot be before 1 January 1900."
        sex = data.sex.strip()
        if sex not in SEXES:
            errors["sex"] = "Choose female or male."
        if "mrn" not in errors:
            clash = clash_with(mrn, patient_id)
            if clash is not None:
                errors["mrn"] = _duplicate_message(mrn, clash)
        clean = PatientInput(mrn=mrn, family_name=family_name, given_name=given_name,
                             birth_date=data.birth_date, sex=sex)
        return errors, clean

    def _mrn(self, errors: dict[str, str], text: str) -> str:
        if not text.strip():
            errors["mrn"] = "Enter the MRN."
            return ""
        try:
            return normalise_mrn(text, self.mrn_rules)
        except IdentifierError as exc:
            errors["mrn"] = _sentence("The MRN", str(exc))
            return text.strip()

    @staticmethod
    def _name(errors: dict[str, str], field: str, what: str, text: str) -> str:
        try:
            name = normalise_name(text, what)
        except IdentifierError as exc:
            errors[field] = _sentence(f"The {what}", str(exc))
            return text.strip()
        if not name:
            errors[field] = f"Enter the {what}."
        return name

    def _check(self, session: Session, data: PatientInput,
               patient_id: int | None) -> PatientInput:
        errors, clean = self._errors(_session_clash(session), data, patient_id, None)
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
                return _row(session, patient)
        except IntegrityError as exc:  # pragma: no cover - the IMMEDIATE lock prevents it
            raise ValidationFailed({"mrn": f"MRN {visible(data.mrn.strip(), quotes=False)} "
                                           "already belongs to another patient."}) from exc

    def update(self, patient_id: int, data: PatientInput) -> PatientRow:
        """Change a patient's details; the audit event lists old and new values."""
        from desktop.registry.models.audit import record_event
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            patient = self._load(session, patient_id)
            self._refuse_voided(patient, "changed")
            clean = self._check(session, data, patient_id)
            assert clean.birth_date is not None
            before = _snapshot(patient)
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
                record_event(session, actor=self._user, action="patient.update", entity=ENTITY,
                             entity_id=patient_id, details={"changes": changes})
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
        reason = _reason(reason, "voided")
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

        reason = _reason(reason, "merged")
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

    def count(self, text: str = "", include_archived: bool = False) -> int:
        """How many patients ``search`` would list without a limit."""
        with self._registry.read() as conn:
            return reading.count(conn, text, include_archived)

    def search(self, text: str = "", offset: int = 0, limit: int = 200,
               include_archived: bool = False) -> list[PatientRow]:
        """Patients whose MRN, family or given name starts with ``text`` (case-insensitive),
        ordered by family name, given name, MRN."""
        if limit <= 0:
            return []
        with self._registry.read() as conn:
            return reading.search(conn, text, offset, limit, include_archived)


_INDEX_SQL = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :name"
_SHARED_SQL = ("SELECT 1 FROM patient WHERE void_reason IS NULL AND mrn_fold IS NOT NULL "
               "GROUP BY mrn_fold HAVING count(*) > 1 LIMIT 1")


def _snapshot(patient: Patient) -> dict[str, Any]:
    """The user-visible fields as JSON-ready values, for audit details."""
    return {"mrn": patient.mrn, "family_name": patient.family_name,
            "given_name": patient.given_name, "birth_date": patient.birth_date.isoformat(),
            "sex": patient.sex, "archived": patient.archived}
