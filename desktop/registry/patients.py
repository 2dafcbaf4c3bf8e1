"""Patient records: validation, add/update/archive with audit, and fast prefix search.

This is the API the UI codes against. It trades in plain frozen dataclasses
(``PatientInput`` in, ``PatientRow`` out) so no ORM object or session escapes.
Validation and the write happen in one ``BEGIN IMMEDIATE`` transaction, so a
concurrent writer cannot slip a duplicate MRN in between; the UNIQUE index on
``mrn_key`` is the last line of defence. Search uses range conditions on the
case-folded key columns, which SQLite answers from indexes (see ``_prefix``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Subquery
from sqlmodel import Session

from desktop.registry.database import Registry, RegistryError
from desktop.registry.models.audit import record_event
from desktop.registry.models.base import search_key, utcnow
from desktop.registry.models.patient import Patient, patient_table

SEXES = ("female", "male")
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
ENTITY = "patient"
FIELDS = ("mrn", "family_name", "given_name", "birth_date", "sex")

# Greater than any character SQLite will meet in a key: "key < prefix + MAX" bounds a prefix.
_MAX_CHAR = "\U0010ffff"

_table = patient_table
_c = _table.c
_ROW_COLUMNS = (_c.id, _c.mrn, _c.family_name, _c.given_name, _c.birth_date, _c.sex,
                _c.archived)


@dataclass(frozen=True)
class PatientInput:
    """What the user typed; ``validate`` trims and checks it."""

    mrn: str
    family_name: str
    given_name: str
    birth_date: date | None
    sex: str


@dataclass(frozen=True)
class PatientRow:
    """A saved patient as the UI shows it."""

    id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    archived: bool


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


# Search statements are built once per shape with bind parameters (``lo``/``hi`` bound
# the prefix range) so each call only executes a statement SQLAlchemy has compiled
# and cached; building the expression tree anew cost more than SQLite's work.
_LO, _HI = bindparam("lo", type_=String()), bindparam("hi", type_=String())
_OFFSET, _LIMIT = bindparam("offset", type_=Integer()), bindparam("limit", type_=Integer())
_ORDER = (_c.family_key, _c.given_key, _c.mrn_key)


def _prefix(column: Any) -> ColumnElement[bool]:
    """``column`` starts with the prefix, written as an index-friendly range."""
    return and_(column >= _LO, column < _HI)


def _not_prefix(column: Any) -> ColumnElement[bool]:
    return or_(column < _LO, column >= _HI)


def _match_branches(with_text: bool, include_archived: bool) -> list[list[ColumnElement[bool]]]:
    """WHERE clauses of disjoint row sets whose union is the search result.

    An empty search is one branch (all patients). A prefix search is three:
    MRN matches; family-name matches whose MRN does not; given-name matches whose MRN
    and family name do not. Each branch is a range on its own covering index, so the
    union is counted and ordered without reading the table and without de-duplication
    (a plain ``OR`` makes SQLite fetch every matching row, which is several times slower).
    """
    archived = [] if include_archived else [_c.archived == false()]
    if not with_text:
        return [archived]
    return [
        [_prefix(_c.mrn_key), *archived],
        [_prefix(_c.family_key), _not_prefix(_c.mrn_key), *archived],
        [_prefix(_c.given_key), _not_prefix(_c.mrn_key), _not_prefix(_c.family_key), *archived],
    ]


@functools.cache
def _count_statement(with_text: bool, include_archived: bool) -> Select[int]:
    if not with_text:
        everyone = select(func.count()).select_from(_table)
        if include_archived:
            return everyone
        # A bare count(*) is a quick b-tree count; the archived few come from a partial index.
        archived = (select(func.count()).select_from(_table).where(_c.archived == true())
                    .scalar_subquery())
        return select(everyone.scalar_subquery() - archived)
    counts = [select(func.count()).select_from(_table).where(*where).scalar_subquery()
              for where in _match_branches(with_text, include_archived)]
    return select(counts[0] + counts[1] + counts[2])


def _rows_for(page: Subquery) -> Select[Any]:
    """The displayed columns of the patients in ``page`` (ids and sort keys), in order."""
    return (select(*_ROW_COLUMNS).join_from(page, _table, _c.id == page.c.id)
            .order_by(page.c.family_key, page.c.given_key, page.c.mrn_key))


@functools.cache
def _search_statement(with_text: bool, include_archived: bool) -> Select[Any]:
    branches = _match_branches(with_text, include_archived)
    if not with_text:  # walk the ordering index: no sort at all
        return (select(*_ROW_COLUMNS).where(*branches[0]).order_by(*_ORDER)
                .offset(_OFFSET).limit(_LIMIT))
    # Pick the page from the covering indexes first, then read just those rows.
    page = (union_all(*(select(_c.id, *_ORDER).where(*where) for where in branches))
            .order_by(*(column.name for column in _ORDER))
            .offset(_OFFSET).limit(_LIMIT).subquery("page"))
    return _rows_for(page)


def _search_params(text: str) -> dict[str, str]:
    key = search_key(text)
    return {"lo": key, "hi": key + _MAX_CHAR} if key else {}


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
            return self._errors(conn, data, patient_id, today)

    def _errors(self, db: Connection | Session, data: PatientInput, patient_id: int | None,
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
            query = select(_c.mrn, _c.archived).where(_c.mrn_key == search_key(data.mrn))
            if patient_id is not None:
                query = query.where(_c.id != patient_id)
            clash = db.execute(query).first()
            if clash is not None:
                errors["mrn"] = _duplicate_message(clash.mrn, clash.archived)
        return errors

    def _check(self, session: Session, data: PatientInput,
               patient_id: int | None) -> PatientInput:
        errors = self._errors(session, data, patient_id, None)
        if errors:
            raise ValidationFailed(errors)
        return _trimmed(data)

    # -- writes -------------------------------------------------------------------

    def add(self, data: PatientInput) -> PatientRow:
        """Save a new patient; raises ``ValidationFailed`` and saves nothing if invalid."""
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
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise PatientNotFound(f"No patient with id {patient_id} is in the registry.")
        return patient

    # -- reads --------------------------------------------------------------------

    def get(self, patient_id: int) -> PatientRow:
        with self._registry.read() as conn:
            row = conn.execute(select(*_ROW_COLUMNS).where(_c.id == patient_id)).first()
        if row is None:
            raise PatientNotFound(f"No patient with id {patient_id} is in the registry.")
        return PatientRow(*row)

    def count(self, text: str = "", include_archived: bool = False) -> int:
        """How many patients ``search`` would list without a limit."""
        params = _search_params(text)
        query = _count_statement(bool(params), include_archived)
        with self._registry.read() as conn:
            return int(conn.execute(query, params).scalar_one())

    def search(self, text: str = "", offset: int = 0, limit: int = 200,
               include_archived: bool = False) -> list[PatientRow]:
        """Patients whose MRN, family or given name starts with ``text`` (case-insensitive),
        ordered by family name, given name, MRN."""
        params: dict[str, Any] = _search_params(text)
        with_text = bool(params)
        params.update(offset=max(offset, 0), limit=max(limit, 0))
        if params["limit"] == 0:
            return []
        query = _search_statement(with_text, include_archived)
        with self._registry.read() as conn:
            return [PatientRow(*row) for row in conn.execute(query, params)]


def _snapshot(patient: Patient) -> dict[str, Any]:
    """The user-visible fields as JSON-ready values, for audit details."""
    return {"mrn": patient.mrn, "family_name": patient.family_name,
            "given_name": patient.given_name, "birth_date": patient.birth_date.isoformat(),
            "sex": patient.sex, "archived": patient.archived}
