"""Checking a registry against its audit trail (``nkscreen audit verify``).

Read-only, and never migrates. In order:

1. **The chain.** Each row's hash is recomputed from its content and the row before; a
   gap in the row numbers (rows deleted), a row that does not follow the one before
   (inserted or replaced) or whose content no longer matches its hash (altered), and a
   row never sealed (written outside NK Screen) are each reported with the row number.
2. **The witnesses outside the table.** The head record, the mirror file beside the
   registry and the head each signature recorded must all lie on the chain: a trail that
   ends before one of them lost its newest rows (or is an older copy put back).
3. **The records.** Every row of every audited table must hold exactly what the trail
   last recorded for it; a row the trail never saw, or saw deleted, or one it recorded
   that is gone, is reported with the table, the key, the field names and the audit row.
   Changes captured but never sealed (``audit_pending``) were written outside NK Screen.

Messages name row numbers, tables, keys and field names only, never a value, so the
report can be shown or sent to anyone without disclosing patient data.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.registry.audit_capture import (
    AUDITED,
    SEALED_COLUMNS,
    key_sql,
    snapshot_sql,
    state_digest,
    trigger_statements,
)
from desktop.registry.audit_chain import CONTENT_SQL, EMPTY_HEAD, GENESIS, Head, read_mirror

_MAX_PROBLEMS = 200
_NAMED = 20
"""Records differing beyond this many are listed without their field names (each name
means replaying the trail for that record)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong; ``message`` is a sentence without patient data."""

    kind: str  # chain, head, mirror, signature, data, pending, anomaly, trial_file
    message: str
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "row": self.row, "message": self.message}


@dataclass(frozen=True)
class AuditReport:
    rows_checked: int
    head: Head
    """The chain's last row as found in the table."""
    problems: tuple[Problem, ...]
    records_checked: int = 0
    truncated: bool = False
    clock_set_back: tuple[int, ...] = ()
    """Rows written while the workstation's clock was behind the trail (not a problem of
    the trail: the time is kept as the clock said; for the administrator to look at)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows_checked": self.rows_checked,
                "records_checked": self.records_checked, "head": self.head.as_dict(),
                "problems": [p.as_dict() for p in self.problems],
                "problems_truncated": self.truncated,
                "clock_set_back_rows": list(self.clock_set_back)}


@dataclass
class _Found:
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False

    def add(self, kind: str, message: str, row: int | None = None) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(Problem(kind, message, row))
        else:
            self.truncated = True


def verify_file(path: Path, *, mirror: bool = False,
                witnesses: Iterable[tuple[str, Head]] = ()) -> AuditReport:
    """Check the registry file at ``path`` (the registry itself or a copy of it).

    ``mirror``: also check the mirror file beside it (the registry in its data folder;
    a copy has none). ``witnesses``: further heads known to have been reached, each with
    a few words saying where it was recorded (a backup manifest, say).
    """
    conn = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True,
                           isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("BEGIN")  # one snapshot for every check
        return _verify(conn, Path(path), mirror, list(witnesses))
    finally:
        conn.close()


def _verify(conn: sqlite3.Connection, path: Path, check_mirror: bool,
            witnesses: list[tuple[str, Head]]) -> AuditReport:
    found = _Found()
    try:
        return _checks(conn, path, check_mirror, witnesses, found)
    except sqlite3.Error as exc:
        # A table missing or damaged: SQLite's reason names tables and columns, no values.
        found.add("schema", f"the registry's tables cannot be read as NK Screen writes them "
                            f"({_describe(exc)})")
        return AuditReport(0, EMPTY_HEAD, tuple(found.problems), 0, found.truncated)


def _describe(exc: sqlite3.Error) -> str:
    return str(exc).strip().rstrip(".") or type(exc).__name__


def _integer_rows(conn: sqlite3.Connection, sql: str) -> tuple[list[tuple[Any, ...]], int]:
    """The rows of ``sql`` whose first two columns are typed as written (integer, text),
    and how many are not (damaged by hand)."""
    good, bad = [], 0
    for row in conn.execute(sql):
        if row[0] == "integer" and row[1] == "text":
            good.append(row[2:])
        else:
            bad += 1
    return good, bad


def _checks(conn: sqlite3.Connection, path: Path, check_mirror: bool,
            witnesses: list[tuple[str, Head]], found: _Found) -> AuditReport:
    _check_schema(conn, found)
    heads, bad = _integer_rows(conn, "SELECT typeof(seq), typeof(hash), seq, hash "
                                     "FROM audit_head WHERE id = 1")
    head_record = Head(int(heads[0][0]), str(heads[0][1])) if heads else None
    if bad:
        found.add("head", "the head record is damaged (not a row number and a hash)")
    signed, bad = _integer_rows(conn, "SELECT typeof(chain_seq), typeof(chain_hash), id, "
                                      "visit_id, chain_seq, chain_hash FROM signature "
                                      "WHERE chain_seq IS NOT NULL ORDER BY id")
    if bad:
        found.add("signature", f"{bad} signature{'s' if bad > 1 else ''}' recorded chain "
                               f"head{'s are' if bad > 1 else ' is'} damaged")
    mirrored = read_mirror(path) if check_mirror else None
    wanted = {int(s[2]) for s in signed} | {h.seq for _w, h in witnesses}
    wanted |= {h.seq for h in (head_record, mirrored) if h is not None}
    recorded: dict[str, tuple[int, str]] = {}
    count, last, hashes = _check_chain(conn, found, wanted, recorded)
    clock = tuple(int(r[0]) for r in conn.execute(
        "SELECT id FROM audit_event WHERE clock_back = 1 ORDER BY id LIMIT ?",
        (_MAX_PROBLEMS,)))

    if head_record is None:
        if count and not bad:
            found.add("head", f"the head record is missing, though the trail has {count} rows")
    else:
        _check_witness(found, "head", "the head record", head_record, last, hashes,
                       exact=True)
    if check_mirror:
        if mirrored is None:
            if count:
                found.add("mirror", "the head mirror file beside the registry is missing "
                                    "or unreadable")
        else:
            _check_witness(found, "mirror", "the head mirror file", mirrored, last, hashes)
    for signature_id, visit_id, seq, digest in signed:
        _check_witness(found, "signature",
                       f"signature {signature_id} (visit {visit_id})",
                       Head(int(seq), str(digest)), last, hashes)
    for where, head in witnesses:
        _check_witness(found, "witness", where, head, last, hashes)
    records = _check_records(conn, found, recorded)
    return AuditReport(count, last, tuple(found.problems), records, found.truncated, clock)


def _check_schema(conn: sqlite3.Connection, found: _Found) -> None:
    """The capture triggers exactly as NK Screen makes them, and no other trigger: a
    trigger dropped would let changes pass uncaptured, one added could rewrite every
    later save before it is captured."""
    expected = trigger_statements(conn)
    present = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
    for name in sorted(expected.keys() - present.keys()):
        found.add("schema", f"the capture trigger {name} is missing")
    for name in sorted(expected.keys() & present.keys()):
        if present[name] != expected[name]:
            found.add("schema", f"the capture trigger {name} is not the one NK Screen made")
    for name in sorted(present.keys() - expected.keys()):
        found.add("schema", f"the registry has a trigger NK Screen did not make ({name})")


def _check_chain(conn: sqlite3.Connection, found: _Found, wanted: set[int],
                 recorded: dict[str, tuple[int, str]]) -> tuple[int, Head, dict[int, str]]:
    """Walk the chain; fill ``recorded`` with each record's last state on the trail
    (``table:key`` -> (row, digest))."""
    expected, previous, count = GENESIS, 0, 0
    last = EMPTY_HEAD
    hashes: dict[int, str] = {}
    sha256 = hashlib.sha256
    rows = conn.execute(f"SELECT id, prev_hash, row_hash, {CONTENT_SQL}, anomaly, states "
                        f"FROM audit_event ORDER BY id")
    for row_id, prev_hash, stored, content, anomaly, states in rows:
        if states:
            for item in states.split(";") if ";" in states else (states,):
                record, _, change = item.partition("=")
                before, _, after = change.partition(">")
                known = recorded.get(record)
                if before != "?" and before != (known[1] if known else "-"):
                    found.add("data", f"row {row_id} changed {record.replace(':', ' ', 1)}, "
                                      f"whose values were no longer those the trail "
                                      + (f"recorded at row {known[0]}" if known
                                         else "knew (it was never recorded)")
                                      + ": changed outside NK Screen before", row_id)
                recorded[record] = (row_id, after)
        count += 1
        if row_id != previous + 1:
            missing = (f"row {previous + 1} is" if row_id == previous + 2
                       else f"rows {previous + 1} to {row_id - 1} are")
            found.add("chain", f"{missing} missing from the audit trail (deleted)",
                      previous + 1)
        elif prev_hash != expected:
            found.add("chain", f"row {row_id} does not follow row {previous} on the chain "
                               f"(a row was inserted, replaced or re-hashed)", row_id)
        if stored is None:
            found.add("chain", f"row {row_id} was never sealed onto the chain "
                               f"(written outside NK Screen)", row_id)
        elif sha256(f"{prev_hash}\n{content}".encode()).hexdigest() != stored:
            found.add("chain", f"row {row_id} was altered: its content no longer matches "
                               f"its hash", row_id)
        if anomaly:
            found.add("anomaly", f"row {row_id}: {anomaly}", row_id)
        if row_id in wanted:
            hashes[row_id] = str(stored)
        expected, previous = stored, row_id
    if count:
        last = Head(previous, str(expected))
    return count, last, hashes


def _check_witness(found: _Found, kind: str, where: str, head: Head, last: Head,
                   hashes: dict[int, str], *, exact: bool = False) -> None:
    if head.seq > last.seq:
        found.add(kind, f"the audit trail ends at row {last.seq}, but {where} shows it "
                        f"reached row {head.seq}: the newest rows were removed, or an older "
                        f"copy of the registry was put back", last.seq or None)
    elif head.seq and hashes.get(head.seq) != head.hash:
        found.add(kind, f"row {head.seq} is not the row {where} recorded", head.seq)
    elif exact and head.seq < last.seq:
        found.add(kind, f"rows {head.seq + 1} to {last.seq} lie beyond {where} "
                        f"(written outside NK Screen)", head.seq + 1)


def _check_records(conn: sqlite3.Connection, found: _Found,
                   recorded: dict[str, tuple[int, str]]) -> int:
    """Each record as it is against its last state on the trail (by digest; the fields
    that differ are named by replaying the trail's changes for that record alone)."""
    checked = 0
    differing: list[tuple[str, str, int, str]] = []
    for table in AUDITED:
        try:
            current = conn.execute(f"SELECT {key_sql(table)}, {snapshot_sql(conn, table)} "
                                   f'FROM "{table}"').fetchall()
        except sqlite3.Error as exc:  # a BLOB where NK Screen writes text, say
            found.add("data", f"{table} holds values NK Screen never writes "
                              f"({_describe(exc)})")
            recorded = {k: v for k, v in recorded.items() if not k.startswith(f"{table}:")}
            continue
        for key, now in current:
            checked += 1
            last = recorded.pop(f"{table}:{key}", None)
            if last is None:
                found.add("data", f"{table} {key} is not in the audit trail "
                                  f"(added outside NK Screen)")
            elif last[1] == "-":
                found.add("data", f"{table} {key} exists, but the audit trail recorded it "
                                  f"deleted at row {last[0]}", last[0])
            elif last[1] != state_digest(now):
                differing.append((table, str(key), last[0], now))
    for table, key, row_id, now in differing:
        fields = _fields(conn, table, key, now) if len(differing) <= _NAMED else []
        named = f" ({', '.join(fields)})" if fields else ""
        found.add("data", f"{table} {key} differs from what the audit trail last recorded "
                          f"at row {row_id}{named}: changed outside NK Screen", row_id)
    for record, (row_id, digest) in recorded.items():
        table = record.partition(":")[0]
        if digest != "-" and table in AUDITED:
            found.add("data", f"{record.replace(':', ' ', 1)} is gone, but the audit trail "
                              f"last recorded it at row {row_id} (deleted outside NK Screen)",
                      row_id)
    for (key, data) in conn.execute("SELECT sha256, data FROM trial_file"):
        if hashlib.sha256(bytes(data)).hexdigest() != key:
            found.add("trial_file", f"trial_file {key[:12]}… no longer matches its SHA-256")
    for table, column, digest_column in SEALED_COLUMNS:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                            (table,)).fetchone():
            continue  # a copy from before signing keys (#16)
        for (key, data, digest) in conn.execute(
                f'SELECT id, "{column}", "{digest_column}" FROM "{table}"'):
            if hashlib.sha256(bytes(data)).hexdigest() != digest:
                found.add("data", f"{table} {key}: its {column} no longer matches its SHA-256 "
                                  f"(changed outside NK Screen)")
    foreign = conn.execute("SELECT COUNT(*), group_concat(DISTINCT tbl) FROM audit_foreign"
                           ).fetchone()
    if foreign[0]:
        found.add("pending", f"{foreign[0]} change{'s' if foreign[0] > 1 else ''} to "
                             f"{foreign[1]} written outside NK Screen "
                             f"{'were' if foreign[0] > 1 else 'was'} found waiting by a later "
                             f"save and set aside unsealed")
    pending = conn.execute("SELECT COUNT(*), group_concat(DISTINCT tbl) FROM audit_pending"
                           ).fetchone()
    if pending[0]:
        found.add("pending", f"{pending[0]} change{'s' if pending[0] > 1 else ''} to "
                             f"{pending[1]} {'were' if pending[0] > 1 else 'was'} written "
                             f"outside NK Screen and never sealed onto the audit trail")
    return checked


def _fields(conn: sqlite3.Connection, table: str, key: str, now: str) -> list[str]:
    """The fields of one record that differ from its values replayed from the trail."""
    state: dict[str, Any] = {}
    for (value,) in conn.execute(
            "SELECT c.value FROM audit_event e, json_each(e.changes) c "
            "WHERE e.changes IS NOT NULL AND json_extract(c.value, '$[0]') = ? "
            "AND json_extract(c.value, '$[1]') = ? ORDER BY e.id", (table, key)):
        try:
            _t, _k, op, _old, new = json.loads(value)
        except (TypeError, ValueError):
            return []
        if op == "update" and isinstance(new, dict):
            state.update(new)
        else:
            state = dict(new) if isinstance(new, dict) else {}
    current = json.loads(now)
    return sorted(k for k in state.keys() | current.keys() if state.get(k) != current.get(k))
