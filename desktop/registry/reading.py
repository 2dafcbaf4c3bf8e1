"""Reading patients with the stdlib ``sqlite3`` module: the light path the patient list uses.

Nothing here imports SQLAlchemy, SQLModel or Alembic, so the main window can open the
registry and fill its list without paying for them (about 0.7 s of imports). The
functions take an open ``sqlite3`` connection (see ``Registry.read``) and return plain
``PatientRow`` values, exactly as the ORM-based writes do.

Search (``desktop.registry.search_sql``) uses range conditions on the case-folded key
columns, which SQLite answers from covering indexes: ``key >= :lo AND key < :hi`` with
``hi = lo + U+10FFFF`` is "starts with ``lo``"; inner name words and parts of MRNs come
from the search tables beside the patient table. The statements are built once per shape
and only bound per call.
"""

from __future__ import annotations

import functools
import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Protocol

from desktop.domain.identifiers import mrn_key
from desktop.domain.patient_search import Query
from desktop.registry import search_sql

_COLUMNS: Final = ("patient.id, patient.mrn, patient.family_name, patient.given_name, "
                   "patient.birth_date, patient.sex, patient.archived, patient.void_reason")
_ACTIVE: Final = "patient.archived = 0"
# Literally "archived = 1": the WHERE of the partial index ix_patient_archived.
_ARCHIVED: Final = "patient.archived = 1"


class Queryable(Protocol):
    """What the read functions need of a connection (``sqlite3.Connection`` has it)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> sqlite3.Cursor: ...


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
    #: Why the patient was voided; None for a patient who is not (a voided one is archived).
    void_reason: str | None = None

    @property
    def voided(self) -> bool:
        return self.void_reason is not None


@dataclass(frozen=True)
class MrnHolder:
    """The patient already holding an MRN: what a refusal tells the user about them."""

    mrn: str
    family_name: str
    given_name: str
    archived: bool
    voided: bool


def search_key(text: str) -> str:
    """The normalised form used for uniqueness and prefix search: trimmed, case-folded."""
    return text.strip().casefold()


def patient_row(values: tuple[Any, ...]) -> PatientRow:
    """A ``PatientRow`` from ``_COLUMNS`` as SQLite stores them (ISO date text, 0/1)."""
    id_, mrn, family_name, given_name, birth_date, sex, archived, void_reason = values
    return PatientRow(id=int(id_), mrn=mrn, family_name=family_name, given_name=given_name,
                      birth_date=date.fromisoformat(birth_date), sex=sex,
                      archived=bool(archived), void_reason=void_reason)


# -- statements -------------------------------------------------------------------

@functools.cache
def _all_sql(counting: bool, include_archived: bool) -> str:
    """Everyone (a blank search): counted, or one page walking the ordering index."""
    if counting:
        if include_archived:
            return "SELECT count(*) FROM patient"
        # A bare count(*) is a quick b-tree count; the archived few come from a partial index.
        return (f"SELECT (SELECT count(*) FROM patient) - "
                f"(SELECT count(*) FROM patient WHERE {_ARCHIVED})")
    where = "" if include_archived else f" WHERE {_ACTIVE}"
    return (f"SELECT {_COLUMNS} FROM patient{where} ORDER BY {search_sql.ORDER} "
            f"LIMIT :limit OFFSET :offset")


GET_SQL: Final = f"SELECT {_COLUMNS} FROM patient WHERE patient.id = :id"

#: The patient (other than ``:exclude``) already holding an MRN: one not voided whose
#: folded key is ``:fold`` (``desktop.domain.identifiers.mrn_key``), else any, voided ones
#: included, whose plain key is ``:key`` (the UNIQUE index on ``mrn_key`` still covers
#: them). Plain named-parameter SQL, so the write session can run it as ``sqlalchemy.text``.
MRN_CLASH_SQL: Final = (
    "SELECT patient.mrn, patient.family_name, patient.given_name, patient.archived, "
    "patient.void_reason IS NOT NULL FROM patient "
    "WHERE ((patient.mrn_fold = :fold AND patient.void_reason IS NULL) "
    "OR patient.mrn_key = :key) AND patient.id != :exclude "
    "ORDER BY patient.void_reason IS NOT NULL LIMIT 1")


#: Whether the patient ``:patient_id`` has a completed visit in any of their screenings:
#: a stage decided on their date of birth, sex, results and facts, so a change to those
#: needs a reason (``patient_validation.covered_reason``). NULL for an unknown patient.
COMPLETED_STAGE_SQL: Final = (
    "SELECT EXISTS (SELECT 1 FROM visit JOIN screening ON screening.id = visit.screening_id "
    "WHERE screening.patient_id = patient.id AND visit.status = 'completed') "
    "FROM patient WHERE patient.id = :patient_id")


# -- queries ------------------------------------------------------------------------

def count(conn: Queryable, text: str = "", include_archived: bool = False,
          cap: int | None = None) -> int:
    """How many patients ``search`` would list without a limit; with a ``cap``, at most
    ``cap`` (``cap`` itself then means "``cap`` or more"), which a broad search reaches
    without reading every match."""
    query, params = search_sql.params(text)
    if cap is not None and cap <= 0:
        return 0
    if query.empty:
        (value,) = conn.execute(_all_sql(True, include_archived), params).fetchone()
        return int(value) if cap is None else min(int(value), cap)
    walked = frozenset() if cap is None else _dense(conn, query, params, include_archived,
                                                    cap, listed_only=True)
    total = 0
    for sql in search_sql.count_sql(query, include_archived, cap is not None, walked):
        if cap is not None:
            if total >= cap:
                break
            params["cap"] = cap - total
        (value,) = conn.execute(sql, params).fetchone()
        total += int(value)
    return total if cap is None else min(total, cap)


def search(conn: Queryable, text: str = "", offset: int = 0, limit: int = 200,
           include_archived: bool = False) -> list[PatientRow]:
    """Patients whose MRN contains ``text`` or whose names have a word starting with each
    word of it (``desktop.domain.patient_search``), ordered by family name, given name, MRN."""
    query, params = search_sql.params(text)
    params.update(offset=max(offset, 0), limit=max(limit, 0))
    if params["limit"] == 0:
        return []
    if query.empty:
        sql = _all_sql(False, include_archived)
    else:
        walked = _dense(conn, query, params, include_archived,
                        params["offset"] + params["limit"])
        sql = search_sql.search_sql(query, include_archived, _COLUMNS, walked)
    rows = conn.execute(sql, params).fetchall()
    return [patient_row(values) for values in rows]


#: About how many patients the registry holds, read from the end of the table's b-tree.
PATIENTS_SQL: Final = "SELECT coalesce(max(id), 0) FROM patient"

#: A row set smaller than this is read from its own index whatever the registry's size.
DENSE_MIN: Final = 1000


def dense_threshold(patients: int, wanted: int) -> int:
    """How many rows make a row set dense, among about ``patients``, to find ``wanted``."""
    return max(DENSE_MIN, math.isqrt(patients * wanted))


def _dense(conn: Queryable, query: Query, params: dict[str, Any],
           include_archived: bool, wanted: int, listed_only: bool = False) -> frozenset[int]:
    """The row sets of ``query`` to read by walking the name-order index rather than from
    their own index, to find ``wanted`` rows: those with at least about
    sqrt(patients x wanted) rows (``DENSE_MIN`` at least), where the walk reaches
    ``wanted`` matches before reading their own would be done. Each probe stops at that
    many. ``listed_only`` considers only the row sets whose own reading lists every row
    first (``RowSet.listed``; a capped count of the others stops at the cap anyway)."""
    (patients,) = conn.execute(PATIENTS_SQL).fetchone()
    threshold = dense_threshold(int(patients), wanted)
    dense = set()
    for i, row_set in enumerate(search_sql.row_sets(query, include_archived)):
        if row_set.probe is None or (listed_only and not row_set.listed):
            continue
        (found,) = conn.execute(row_set.probe, {**params, "cap": threshold}).fetchone()
        if int(found) >= threshold:
            dense.add(i)
    return frozenset(dense)


def get(conn: Queryable, patient_id: int) -> PatientRow | None:
    found = conn.execute(GET_SQL, {"id": patient_id}).fetchall()
    return patient_row(found[0]) if found else None


def mrn_clash_params(mrn: str, patient_id: int | None) -> tuple[str, dict[str, Any]]:
    """The statement and parameters of ``mrn_clash`` (shared with the write session).

    ``mrn`` is the MRN as it would be stored (``desktop.domain.identifiers.normalise_mrn``).
    """
    return MRN_CLASH_SQL, {"fold": mrn_key(mrn), "key": search_key(mrn),
                           "exclude": -1 if patient_id is None else patient_id}


def holder(values: Sequence[Any]) -> MrnHolder:
    """An ``MrnHolder`` from a row of ``MRN_CLASH_SQL``."""
    mrn, family_name, given_name, archived, voided = values
    return MrnHolder(mrn=str(mrn), family_name=str(family_name), given_name=str(given_name),
                     archived=bool(archived), voided=bool(voided))


def mrn_clash(conn: Queryable, mrn: str, patient_id: int | None) -> MrnHolder | None:
    """Another patient holding ``mrn`` (same folded key), or None."""
    sql, params = mrn_clash_params(mrn, patient_id)
    found = conn.execute(sql, params).fetchall()
    return holder(found[0]) if found else None


def has_completed_stage(conn: Queryable, patient_id: int) -> bool | None:
    """Whether the patient has a completed stage (``COMPLETED_STAGE_SQL``); None if no
    patient has that id."""
    found = conn.execute(COMPLETED_STAGE_SQL, {"patient_id": patient_id}).fetchall()
    return bool(found[0][0]) if found else None
