"""Reading the audit trail for the audit view: filtered, paged rows and their field changes.

Read-only, through ``Registry.read`` (stdlib ``sqlite3``). A filter (``AuditFilter``) names
any of: a patient, a user, an entity kind, an action, and a range of days in the site's
zone (turned into UTC bounds on ``occurred_at``, which is stored as naive UTC text). Rows
come newest first, a page at a time (``LIMIT``), using the trail's indexes on
``occurred_at``, ``actor`` and ``(entity, entity_id)``.

A patient's rows are those about the patient or any record that belongs to them (facts,
results, screenings, their visits and what hangs off a visit: planned dates, answers,
screen failures, stage versions, signatures), found through ``(entity, entity_id)``; and,
besides, rows whose field changes touch the patient's row or a row holding their
``patient_id`` (a merge written as the kept patient's event, say), found by reading the
changes of only the rows whose text mentions them.

Each row's ``changes`` is turned into field-level changes (``audit_rows``), a password
hash never shown.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Final

from desktop.registry.audit_rows import (
    CHANGED,
    SET,
    AuditChoices,
    AuditRow,
    FieldChange,
    audit_row,
    field_changes,
)
from desktop.registry.database import Registry
from desktop.registry.reading import PatientRow

__all__ = ["CHANGED", "MAX_PAGE", "SET", "AuditChoices", "AuditFilter", "AuditFilterError",
           "AuditReads", "AuditRow", "FieldChange", "field_changes", "utc_bounds"]

#: The most rows one page may hold.
MAX_PAGE: Final = 1000

_COLUMNS: Final = ("e.id, e.occurred_at, e.recorded_at, e.time_zone, e.actor, e.action, "
                   "e.entity, e.entity_id, e.reason, e.clock_back, e.anomaly, e.details, "
                   "e.changes")

#: The tables of a patient's records: an audit row about one of them is about one patient.
_PATIENT_TABLES: Final = ("patient", "patient_fact", "observation", "screening",
                          "screen_failure", "visit", "visit_event", "answer", "stage_version",
                          "signature")
#: Actions whose row may carry changes of another patient's records: a change is sealed
#: onto the audit row about that record, else onto its transaction's first row
#: (``audit_chain.seal``), and only a merge (moving the duplicate's records in the kept
#: patient's row) or a change written without an audit row of its own spans patients.
_CARRIERS: Final = ("patient.merge", "record.change")

#: Every record that belongs to the patient ``:pid``, as (table, key): the keys audit
#: rows carry in ``entity``/``entity_id`` and in their changes. Each branch is answered
#: from an index on the parent's id. ``patient_events``: the rows about those records
#: (through ``ix_audit_event_entity``), and the rows that may carry their changes without
#: being about them (rows about no patient's record, and ``_CARRIERS``) whose changes
#: mention the patient, read change by change.
_PATIENT_ROWS: Final = """
patient_rows(tbl, key) AS (
  SELECT 'patient', :pid
  UNION ALL SELECT 'patient_fact', id FROM patient_fact WHERE patient_id = :pid
  UNION ALL SELECT 'observation', id FROM observation WHERE patient_id = :pid
  UNION ALL SELECT 'screening', id FROM screening WHERE patient_id = :pid
  UNION ALL SELECT 'screen_failure', f.id FROM screen_failure f
    JOIN screening s ON s.id = f.screening_id WHERE s.patient_id = :pid
  UNION ALL SELECT 'visit', v.id FROM visit v
    JOIN screening s ON s.id = v.screening_id WHERE s.patient_id = :pid
  UNION ALL SELECT 'visit_event', x.id FROM visit_event x JOIN visit v ON v.id = x.visit_id
    JOIN screening s ON s.id = v.screening_id WHERE s.patient_id = :pid
  UNION ALL SELECT 'answer', x.id FROM answer x JOIN visit v ON v.id = x.visit_id
    JOIN screening s ON s.id = v.screening_id WHERE s.patient_id = :pid
  UNION ALL SELECT 'stage_version', x.id FROM stage_version x JOIN visit v ON v.id = x.visit_id
    JOIN screening s ON s.id = v.screening_id WHERE s.patient_id = :pid
  UNION ALL SELECT 'signature', x.id FROM signature x JOIN visit v ON v.id = x.visit_id
    JOIN screening s ON s.id = v.screening_id WHERE s.patient_id = :pid
),
patient_events(id) AS (
  SELECT a.id FROM patient_rows r
    JOIN audit_event a ON a.entity = r.tbl AND a.entity_id = r.key
  UNION
  SELECT a.id FROM audit_event a, json_each(a.changes) c
    WHERE (a.entity NOT IN ({family}) OR a.action IN ({carriers}))
      AND (instr(a.changes, :pid_mention) > 0 OR instr(a.changes, :patient_mention) > 0)
      AND (json_extract(c.value, '$[3].patient_id') = :pid
           OR json_extract(c.value, '$[4].patient_id') = :pid
           OR EXISTS (SELECT 1 FROM patient_rows r WHERE r.tbl = json_extract(c.value, '$[0]')
                      AND CAST(r.key AS TEXT) = json_extract(c.value, '$[1]')))
)""".format(family=", ".join(f"'{t}'" for t in _PATIENT_TABLES),
            carriers=", ".join(f"'{a}'" for a in _CARRIERS))


class AuditFilterError(ValueError):
    """A filter that cannot be applied; the message names the field."""


@dataclass(frozen=True)
class AuditFilter:
    """What the audit view lists; every field left None lists everything."""

    patient_id: int | None = None
    actor: str | None = None
    entity: str | None = None
    action: str | None = None
    #: First and last day shown (both inclusive), in the site's zone.
    start: date | None = None
    end: date | None = None

    def as_dict(self) -> dict[str, Any]:
        """The filter as the export's audit row records it (set fields only)."""
        values = {"patient_id": self.patient_id, "actor": self.actor, "entity": self.entity,
                  "action": self.action,
                  "start": self.start.isoformat() if self.start else None,
                  "end": self.end.isoformat() if self.end else None}
        return {name: value for name, value in values.items() if value is not None}


# -- filters ----------------------------------------------------------------------

def _midnight_utc(day: date, zone: tzinfo) -> str:
    """The UTC text of the start of ``day`` in ``zone``, as ``occurred_at`` is stored."""
    moment = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(sep=" ")


def utc_bounds(start: date | None, end: date | None,
               zone: tzinfo) -> tuple[str | None, str | None]:
    """``occurred_at`` bounds of the days ``start`` to ``end`` in ``zone``: from the start
    of ``start`` (inclusive) to the start of the day after ``end`` (exclusive)."""
    if start is not None and end is not None and end < start:
        raise AuditFilterError("The 'to' date is before the 'from' date.")
    low = None if start is None else _midnight_utc(start, zone)
    high = None if end is None else _midnight_utc(end + timedelta(days=1), zone)
    return low, high


def _where(filters: AuditFilter, zone: tzinfo) -> tuple[str, str, dict[str, Any]]:
    """(WITH clause or "", WHERE conditions joined, parameters) of ``filters``."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    for name in ("actor", "entity", "action"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(f"e.{name} = :{name}")
            params[name] = value
    low, high = utc_bounds(filters.start, filters.end, zone)
    if low is not None:
        # Bare seconds, no fraction: "… 05:00:00" sorts before "… 05:00:00.000000".
        conditions.append("e.occurred_at >= :low")
        params["low"] = low
    if high is not None:
        conditions.append("e.occurred_at < :high")
        params["high"] = high
    with_clause = ""
    if filters.patient_id is not None:
        with_clause = f"WITH {_PATIENT_ROWS}"
        conditions.append("e.id IN (SELECT id FROM patient_events)")
        params.update(pid=filters.patient_id,
                      pid_mention=f'"patient_id":{filters.patient_id}',
                      patient_mention=f'["patient","{filters.patient_id}"')
    where = " AND ".join(conditions) if conditions else "1"
    return with_clause, where, params


# -- the queries ------------------------------------------------------------------

def _site_zone() -> tzinfo:
    from desktop.zone import site_zone

    return site_zone()


class AuditReads:
    """The audit view's reads on an open registry (``zone``: the site's, by default)."""

    def __init__(self, registry: Registry, zone: tzinfo | None = None) -> None:
        self._registry = registry
        self._zone = zone

    @property
    def zone(self) -> tzinfo:
        return self._zone if self._zone is not None else _site_zone()

    def count(self, filters: AuditFilter) -> int:
        """How many audit rows ``filters`` lists."""
        with_clause, where, params = _where(filters, self.zone)
        with self._registry.read() as conn:
            (found,) = conn.execute(f"{with_clause} SELECT COUNT(*) FROM audit_event e "
                                    f"WHERE {where}", params).fetchone()
        return int(found)

    def page(self, filters: AuditFilter, offset: int = 0, limit: int = 200) -> list[AuditRow]:
        """The rows ``filters`` lists, newest first, from ``offset``, at most ``limit``."""
        limit = max(0, min(limit, MAX_PAGE))
        with_clause, where, params = _where(filters, self.zone)
        with self._registry.read() as conn:
            # The row numbers first (from an index alone), then only those rows are read.
            found = conn.execute(
                f"{with_clause} SELECT {_COLUMNS} FROM audit_event e WHERE e.id IN ("
                f"SELECT e.id FROM audit_event e WHERE {where} "
                f"ORDER BY e.id DESC LIMIT :limit OFFSET :offset) ORDER BY e.id DESC",
                {**params, "limit": limit, "offset": max(0, offset)}).fetchall()
        return [audit_row(values) for values in found]

    def listing(self, filters: AuditFilter, offset: int = 0,
                limit: int = 200) -> tuple[int, list[AuditRow]]:
        """``count`` and ``page`` together, in one read. With a patient, in one statement
        (the patient's rows are found once, the total counted over them as a window);
        otherwise as two, each answered from the indexes."""
        if filters.patient_id is None:
            return self.count(filters), self.page(filters, offset, limit)
        limit = max(0, min(limit, MAX_PAGE))
        with_clause, where, params = _where(filters, self.zone)
        with self._registry.read() as conn:
            found = conn.execute(
                f"{with_clause} SELECT {_COLUMNS}, p.total FROM (SELECT e.id AS id, "
                f"COUNT(*) OVER () AS total FROM audit_event e WHERE {where} "
                f"ORDER BY e.id DESC LIMIT :limit OFFSET :offset) p "
                f"JOIN audit_event e ON e.id = p.id ORDER BY e.id DESC",
                {**params, "limit": limit, "offset": max(0, offset)}).fetchall()
        if not found:  # nothing on this page: the total is still wanted
            return (self.count(filters) if offset > 0 else 0), []
        return int(found[0][-1]), [audit_row(values[:-1]) for values in found]

    def each(self, filters: AuditFilter, chunk: int = 500) -> Iterator[AuditRow]:
        """Every row ``filters`` lists, newest first, read a chunk at a time (by row
        number, so rows written meanwhile neither repeat nor shift the chunks)."""
        with_clause, where, params = _where(filters, self.zone)
        with self._registry.read() as conn:  # one read transaction: one state of the trail
            before: int | None = None
            while True:
                found = _chunk(conn, with_clause, where, params, before, chunk)
                for values in found:
                    yield audit_row(values)
                if len(found) < chunk:
                    return
                before = int(found[-1][0])

    def patients_with_mrn(self, mrn: str) -> list[PatientRow]:
        """The patients whose MRN folds to ``mrn``'s key, those not voided first."""
        from desktop.domain.identifiers import mrn_key
        from desktop.registry import reading

        with self._registry.read() as conn:
            ids = [int(i) for (i,) in conn.execute(
                "SELECT id FROM patient WHERE mrn_fold = ? "
                "ORDER BY void_reason IS NOT NULL, id", (mrn_key(mrn),))]
            found = [reading.get(conn, patient_id) for patient_id in ids]
        return [row for row in found if row is not None]

    def choices(self) -> AuditChoices:
        """Every user, action and entity kind on the trail, sorted (for the filter lists)."""
        with self._registry.read() as conn:
            actors = _distinct(conn, "actor")
            entities = _distinct(conn, "entity")
            actions = tuple(str(a) for (a,) in conn.execute(
                "SELECT DISTINCT action FROM audit_event ORDER BY action"))
        return AuditChoices(actors=actors, actions=actions, entities=entities)


def _chunk(conn: sqlite3.Connection, with_clause: str, where: str, params: dict[str, Any],
           before: int | None, size: int) -> list[tuple[Any, ...]]:
    bound = "" if before is None else " AND e.id < :before"
    return conn.execute(
        f"{with_clause} SELECT {_COLUMNS} FROM audit_event e WHERE e.id IN ("
        f"SELECT e.id FROM audit_event e WHERE {where}{bound} "
        f"ORDER BY e.id DESC LIMIT :size) ORDER BY e.id DESC",
        {**params, "before": before, "size": size}).fetchall()


def _distinct(conn: sqlite3.Connection, column: str) -> tuple[str, ...]:
    """The distinct values of an indexed leading column, one index probe each (a skip
    scan: fast however many rows share a value)."""
    values: list[str] = []
    found = conn.execute(f"SELECT MIN({column}) FROM audit_event").fetchone()[0]
    while found is not None:
        values.append(str(found))
        found = conn.execute(f"SELECT MIN({column}) FROM audit_event WHERE {column} > ?",
                             (found,)).fetchone()[0]
    return tuple(values)
