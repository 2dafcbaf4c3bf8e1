"""Patient records: validation, add/update/archive with audit, and fast prefix search.

This is the API the UI codes against. It trades in plain frozen dataclasses
(``PatientInput`` in, ``PatientRow`` out) so no ORM object or session escapes.
Validation and the write happen in one ``BEGIN IMMEDIATE`` transaction, so a
concurrent writer cannot slip a duplicate MRN in between; the UNIQUE index on
``mrn_key`` is the last line of defence.

Reads (``get``, ``count``, ``search``, and ``validate`` outside a write) use the stdlib
``sqlite3`` module (``desktop.registry.reading``), so the patient list can open and fill
without importing SQLAlchemy; writes use SQLModel, imported on the first write.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from desktop.registry import reading
from desktop.registry.database import Registry, RegistryError
from desktop.registry.reading import PatientRow, search_key

if TYPE_CHECKING:
    from sqlmodel import Session

    from desktop.registry.models.patient import Patient

__all__ = ["ENTITY", "FIELDS", "SEXES", "PatientInput", "PatientNotFound", "PatientRepository",
           "PatientRow", "ValidationFailed"]

SEXES = ("female", "male")
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
ENTITY = "patient"
FIELDS = ("mrn", "family_name", "given_name", "birth_date", "sex")

#: ``(mrn, patient_id) -> (mrn, archived)`` of another patient holding that MRN, or None.
_ClashLookup = Callable[[str, int | None], tuple[str, bool] | None]


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

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("The patient was not saved: " + " ".join(self.errors.values()))


class PatientNotFound(RegistryError):
    """No patient has the given id."""


def _row(patient: Patient) -> PatientRow:
    assert patient.id is not None
    return PatientRow(id=patient.id, mrn=patient.mrn, family_name=patient.family_name,
                      given_name=patient.given_name, birth_date=patient.birth_date,
                      sex=patient.sex, archived=patient.archived)


def _session_clash(session: Session) -> _ClashLookup:
    """``reading.mrn_clash``, run inside the write session's transaction."""
    from sqlalchemy import text

    def lookup(mrn: str, patient_id: int | None) -> tuple[str, bool] | None:
        sql, params = reading.mrn_clash_params(mrn, patient_id)
        found = session.execute(text(sql), params).first()
        return (str(found[0]), bool(found[1])) if found is not None else None

    return lookup


def _trimmed(data: PatientInput) -> PatientInput:
    return PatientInput(mrn=data.mrn.strip(), family_name=data.family_name.strip(),
                        given_name=data.given_name.strip(), birth_date=data.birth_date,
                        sex=data.sex.strip())


def _duplicate_message(mrn: str, archived: bool) -> str:
    where = " (archived)" if archived else ""
    return f"MRN {mrn} already belongs to another patient{where}."


class PatientRepository:
    """Reads and writes patients on behalf of ``user`` (recorded in the audit log)."""

    def __init__(self, registry: Registry, user: str) -> None:
        if not user.strip():
            raise ValueError("PatientRepository needs the name of the acting user")
        self._registry = registry
        self._user = user.strip()

    # -- validation ---------------------------------------------------------------

    def validate(self, data: PatientInput, patient_id: int | None = None,
                 today: date | None = None) -> dict[str, str]:
        """Field name -> message for every problem; empty when ``data`` can be saved."""
        with self._registry.read() as conn:
            return self._errors(functools.partial(reading.mrn_clash, conn), data, patient_id,
                                today)

    def _errors(self, clash_with: _ClashLookup, data: PatientInput, patient_id: int | None,
                today: date | None) -> dict[str, str]:
        data = _trimmed(data)
        today = today or date.today()
        errors: dict[str, str] = {}
        if not data.mrn:
            errors["mrn"] = "Enter the MRN."
        if not data.family_name:
            errors["family_name"] = "Enter the family name."
        if not data.given_name:
            errors["given_name"] = "Enter the given name."
        if data.birth_date is None:
            errors["birth_date"] = "Enter the date of birth."
        elif data.birth_date > today:
            errors["birth_date"] = "The date of birth cannot be in the future."
        elif data.birth_date < EARLIEST_BIRTH_DATE:
            errors["birth_date"] = "The date of birth cannot be before 1 January 1900."
        if data.sex not in SEXES:
            errors["sex"] = "Choose female or male."
        if data.mrn:
            clash = clash_with(data.mrn, patient_id)
            if clash is not None:
                errors["mrn"] = _duplicate_message(*clash)
        return errors

    def _check(self, session: Session, data: PatientInput,
               patient_id: int | None) -> PatientInput:
        errors = self._errors(_session_clash(session), data, patient_id, None)
        if errors:
            raise ValidationFailed(errors)
        return _trimmed(data)

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
                    mrn=clean.mrn, mrn_key=search_key(clean.mrn),
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
                return _row(patient)
        except IntegrityError as exc:  # pragma: no cover - the IMMEDIATE lock prevents it
            raise ValidationFailed({"mrn": _duplicate_message(data.mrn.strip(), False)}) from exc

    def update(self, patient_id: int, data: PatientInput) -> PatientRow:
        """Change a patient's details; the audit event lists old and new values."""
        from desktop.registry.models.audit import record_event
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            patient = self._load(session, patient_id)
            clean = self._check(session, data, patient_id)
            assert clean.birth_date is not None
            before = _snapshot(patient)
            patient.mrn, patient.mrn_key = clean.mrn, search_key(clean.mrn)
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
            return _row(patient)

    def set_archived(self, patient_id: int, archived: bool) -> PatientRow:
        """Archive (hide from default search) or restore a patient. Nothing is ever deleted."""
        from desktop.registry.models.audit import record_event
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            patient = self._load(session, patient_id)
            if patient.archived != archived:
                patient.archived = archived
                patient.updated_at, patient.updated_by = utcnow(), self._user
                record_event(session, actor=self._user,
                             action="patient.archive" if archived else "patient.restore",
                             entity=ENTITY, entity_id=patient_id, details={})
            return _row(patient)

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


def _snapshot(patient: Patient) -> dict[str, Any]:
    """The user-visible fields as JSON-ready values, for audit details."""
    return {"mrn": patient.mrn, "family_name": patient.family_name,
            "given_name": patient.given_name, "birth_date": patient.birth_date.isoformat(),
            "sex": patient.sex, "archived": patient.archived}
