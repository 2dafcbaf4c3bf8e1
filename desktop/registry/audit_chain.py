"""The hash-chained audit trail: what each audit row covers and how it is sealed.

Every audit row carries ``prev_hash`` (the ``row_hash`` of the row before it) and
``row_hash`` = SHA-256 of ``prev_hash``, a newline and the row's canonical content
(``CONTENT_SQL``: row number, times, time zone, user, action, entity, reason, details,
the field changes, the clock flag). A row altered, deleted, inserted or reordered breaks
the chain. The chain head (row number and hash) is also kept in ``audit_head``, updated
in the same transaction, mirrored to a file beside the registry after each commit
(``mirror``), and recorded in each signature.

Field changes are captured by SQLite triggers on every audited table
(``audit_capture.install_triggers``) into ``audit_pending``: each inserted, updated or
deleted row with its full old and new values as SQLite's ``json_object``. When a write
transaction commits, ``seal`` attaches the changes made in that transaction to its audit
rows (to the event about that row, else to the transaction's first event) - ``changes``: a
new or deleted row in full, an update's changed fields with their old and new values;
``states``: for each changed record the SHA-256 of all its values after the change, which
``audit verify`` compares with the record as it is - fills in the time zone and clock
flag, hashes the new rows onto the chain and moves the head. Changes written outside NK
Screen (sqlite3 by hand) also land in ``audit_pending`` but are never sealed: the next
write moves them to ``audit_foreign`` at its ``BEGIN`` (``floor``) and says so in its own
row, so ``seal`` takes only what its own transaction wrote.

The format is fixed by ``CHAIN_FORMAT``; migrations use this module, so changing what a
row covers means a new format number, never an edit here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final

from desktop.registry.audit_capture import state_item

CHAIN_FORMAT: Final = 1
GENESIS: Final = "0" * 64
"""``prev_hash`` of the first row."""

MIRROR_SUFFIX: Final = ".audit-head.json"
"""The head mirror lives beside the registry file: ``nkscreen.sqlite3.audit-head.json``."""

CLOCK_TOLERANCE: Final = timedelta(seconds=10)
"""A row's time may be this much earlier than the newest on the trail without counting
as the clock set back: a save stamps its time before it waits (up to the 5 s busy
timeout) for another window's save to finish."""

CONTENT_SQL: Final = (
    "json_array(id, occurred_at, recorded_at, time_zone, actor, action, entity, entity_id, "
    "reason, clock_back, anomaly) || char(10) || details || char(10) || ifnull(changes, '') "
    "|| char(10) || ifnull(states, '')")
"""The canonical content of an audit row, built by SQLite so writer and checker agree: its
fields as a JSON array, then its three JSON texts as stored, each on a line of its own
(JSON never holds a raw line break, so the lines cannot be shifted between fields; the
texts are not escaped again, which keeps ``audit verify`` fast)."""


@dataclass(frozen=True)
class Head:
    """The newest sealed audit row."""

    seq: int
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash}


EMPTY_HEAD: Final = Head(0, GENESIS)


def row_hash(prev_hash: str, content: str) -> str:
    """``row_hash`` of a row whose canonical content is ``content``."""
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


# -- sealing ----------------------------------------------------------------------

@dataclass(frozen=True)
class Floor:
    """Where the trail stood when a write transaction began: later rows are its own.
    ``foreign``: changes found waiting in ``audit_pending`` then, written outside NK Screen
    (moved to ``audit_foreign``, never sealed as this transaction's)."""

    event: int
    foreign: int = 0


def floor(conn: sqlite3.Connection) -> Floor:
    """Run just after ``BEGIN IMMEDIATE``: the newest audit row; and any captured change
    still waiting (no NK Screen transaction leaves one) moved aside, so that this
    transaction seals only what it writes itself."""
    event, waiting = conn.execute(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM audit_event), "
        "(SELECT COUNT(*) FROM audit_pending)").fetchone()
    if waiting:
        conn.execute("INSERT INTO audit_foreign (tbl, row_key, op, old, new, found_at) "
                     "SELECT tbl, row_key, op, old, new, ? FROM audit_pending ORDER BY id",
                     (datetime.now(UTC).isoformat(),))
        conn.execute("DELETE FROM audit_pending")
    return Floor(int(event), int(waiting))


def read_head(conn: sqlite3.Connection) -> Head | None:
    """The head record, or None where there is none (no row sealed yet)."""
    found = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    return None if found is None else Head(int(found[0]), str(found[1]))


def newest_time(conn: sqlite3.Connection) -> str | None:
    """The latest ``occurred_at`` on the trail (kept in the head record)."""
    found = conn.execute("SELECT newest_at FROM audit_head WHERE id = 1").fetchone()
    return None if found is None or found[0] is None else str(found[0])


def chain_head(session: Any) -> Head:
    """The head as a write ``session`` sees it now, inside its transaction: the newest
    sealed row (rows this transaction added are sealed only as it commits)."""
    found = session.connection().exec_driver_sql(
        "SELECT seq, hash FROM audit_head WHERE id = 1").first()
    return EMPTY_HEAD if found is None else Head(int(found[0]), str(found[1]))


def _earlier(occurred_at: str, by: timedelta) -> str:
    try:
        moment = datetime.fromisoformat(occurred_at) - by
    except ValueError:
        return occurred_at
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _mirror_notes(conn: sqlite3.Connection, registry_path: Path, found: Head) -> list[str]:
    """Inside the write lock, a mirror can only name a row on the trail (it is written
    after each commit): one that names a row beyond the end, or a different row, means
    rows were removed or an older copy put back. Said in the chain before the mirror is
    overwritten."""
    mirrored = read_mirror(registry_path)
    if mirrored is None or mirrored.seq == 0:
        return []
    if mirrored.seq > found.seq:
        return [f"the head mirror file named row {mirrored.seq}, beyond the trail's end at "
                f"row {found.seq}: rows were removed or an older copy put back"]
    row = conn.execute("SELECT row_hash FROM audit_event WHERE id = ?",
                       (mirrored.seq,)).fetchone()
    if row is None or row[0] != mirrored.hash:
        return [f"the head mirror file named a row {mirrored.seq} that is not the trail's: "
                f"rows were removed or an older copy put back"]
    return []


def local_time(occurred_at: str, zone: tzinfo | None = None) -> tuple[str, str]:
    """The workstation's wall-clock time, with its UTC offset, and its zone's name, for an
    ``occurred_at`` as stored (naive UTC text); ``zone``: the site zone, read once by a
    caller converting many."""
    if zone is None:
        from desktop.zone import site_zone

        zone = site_zone()
    try:
        moment = datetime.fromisoformat(occurred_at).replace(tzinfo=UTC).astimezone(zone)
    except ValueError:
        return "", zone_name(zone)
    return moment.isoformat(), zone_name(zone)


def zone_name(zone: Any) -> str:
    """An IANA name where there is one (the machine's zone file's link target), else the
    zone's abbreviation."""
    key = getattr(zone, "key", None)
    if key == "localtime":
        target = os.path.realpath("/etc/localtime")
        marker = "zoneinfo" + os.sep
        key = target.split(marker, 1)[1] if marker in target else None
    if isinstance(key, str) and key:
        return key
    return str(zone.tzname(datetime.now(UTC)) or "local")


def _reason(details: str) -> str | None:
    try:
        parsed = json.loads(details)
    except (TypeError, ValueError):
        return None
    reason = parsed.get("reason") if isinstance(parsed, dict) else None
    return reason if isinstance(reason, str) and reason else None


def _merged(pending: list[tuple[Any, ...]]) -> dict[tuple[str, str], list[Any]]:
    """Per changed row: [table, key, op, first old, last new], in order of first change."""
    merged: dict[tuple[str, str], list[Any]] = {}
    for _id, table, key, _op, old, new in pending:
        entry = merged.get((table, key))
        if entry is None:
            merged[(table, key)] = [table, key, "", old, new]
        else:
            entry[4] = new
    for entry in merged.values():
        entry[2] = "insert" if entry[3] is None else "delete" if entry[4] is None else "update"
    return {k: v for k, v in merged.items() if v[3] != v[4]}


def _compact(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def _change_text(entry: list[Any]) -> str:
    """``[table, key, op, old, new]``: a new or deleted row in full (SQLite's own text,
    embedded unparsed); an update with only the fields it changed."""
    table, key, op, old, new = entry
    if op == "update":
        before, after = json.loads(old), json.loads(new)
        changed = [f for f in after if before.get(f) != after[f]] + \
            [f for f in before if f not in after]
        old = _compact({f: before.get(f) for f in changed})
        new = _compact({f: after.get(f) for f in changed})
    return (f"[{json.dumps(table)},{json.dumps(key)},\"{op}\","
            f"{'null' if old is None else old},{'null' if new is None else new}]")


def seal(conn: sqlite3.Connection, since: Floor, *, actor: str = "system",
         registry_path: Path | None = None) -> Head | None:
    """Chain what this transaction wrote (audit rows and captured changes past ``since``).

    Runs inside the writing transaction, just before it commits. The previous row and the
    head record are read here, never from a cache. Returns the new head, or None when the
    transaction wrote nothing audited.
    """
    pending = conn.execute(
        "SELECT id, tbl, row_key, op, old, new FROM audit_pending ORDER BY id").fetchall()
    events = conn.execute(
        "SELECT id, entity, entity_id, details, occurred_at FROM audit_event "
        "WHERE id > ? ORDER BY id", (since.event,)).fetchall()
    changes = _merged(pending)
    if changes and not events:
        # A write with no audit row of its own still gets one. Its entity is "record", not
        # a table: reads that take an entity's newest audit row as its version never see it.
        occurred = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        tables = sorted({table for table, _key in changes})
        details = json.dumps({"tables": tables})
        cursor = conn.execute(
            "INSERT INTO audit_event (occurred_at, actor, action, entity, entity_id, details) "
            "VALUES (?, ?, 'record.change', 'record', 0, ?)", (occurred, actor, details))
        events = [(cursor.lastrowid, "record", 0, details, occurred)]
    if not events:
        if pending:
            conn.execute("DELETE FROM audit_pending")
        return None
    by_event: dict[int, list[str]] = {int(e[0]): [] for e in events}
    states: dict[int, list[str]] = {int(e[0]): [] for e in events}
    owner = {(str(e[1]), str(e[2])): int(e[0]) for e in events}
    first = int(events[0][0])
    for changed, entry in changes.items():
        event = owner.get(changed, first)
        by_event[event].append(_change_text(entry))
        states[event].append(state_item(entry[0], entry[1], entry[3], entry[4]))

    last = conn.execute("SELECT id, row_hash, occurred_at FROM audit_event WHERE id <= ? "
                        "ORDER BY id DESC LIMIT 1", (since.event,)).fetchone()
    head = read_head(conn)
    prev_hash = GENESIS if last is None else (last[1] or (head.hash if head else GENESIS))
    # The clock went back when a time is earlier than the newest time on the trail.
    prev_time = newest_time(conn) if head else (None if last is None else str(last[2]))
    notes = []
    expected = head or EMPTY_HEAD
    found = EMPTY_HEAD if last is None else Head(int(last[0]), str(last[1] or ""))
    if found != expected:
        notes.append(f"when this row was written the head record named row {expected.seq}, "
                     f"but the trail ended at row {found.seq}"
                     + ("" if last is None or last[1] else " (unsealed)"))
    if since.foreign:
        named = ", ".join(sorted({r[0] for r in conn.execute(
            "SELECT DISTINCT tbl FROM audit_foreign")}))
        notes.append(f"{since.foreign} change{'s' if since.foreign > 1 else ''} to {named} "
                     f"written outside NK Screen {'were' if since.foreign > 1 else 'was'} "
                     f"found waiting, and set aside unsealed")
    if registry_path is not None:  # its mirror file, checked before it is overwritten
        notes.extend(_mirror_notes(conn, registry_path, found))
    anomaly: str | None = "; ".join(notes) or None
    tolerance = _earlier(prev_time, CLOCK_TOLERANCE) if prev_time else None
    from desktop.zone import site_zone

    site = site_zone()  # once per transaction: it reads the machine's zone file
    for event_id, _entity, _entity_id, details, occurred in events:
        occurred = str(occurred)
        recorded_at, zone = local_time(occurred, site)
        clock_back = 1 if tolerance is not None and occurred < tolerance else 0
        listed = by_event[int(event_id)]
        conn.execute(
            "UPDATE audit_event SET recorded_at = ?, time_zone = ?, reason = ?, "
            "changes = COALESCE(?, changes), states = COALESCE(?, states), clock_back = ?, "
            "anomaly = ? WHERE id = ?",
            (recorded_at, zone, _reason(str(details)),
             f"[{','.join(listed)}]" if listed else None,
             ";".join(states[int(event_id)]) or None, clock_back, anomaly, event_id))
        anomaly = None
        (content,) = conn.execute(f"SELECT {CONTENT_SQL} FROM audit_event WHERE id = ?",
                                  (event_id,)).fetchone()
        digest = row_hash(prev_hash, content)
        conn.execute("UPDATE audit_event SET prev_hash = ?, row_hash = ? WHERE id = ?",
                     (prev_hash, digest, event_id))
        prev_hash, prev_time = digest, max(occurred, prev_time or occurred)
        tolerance = _earlier(prev_time, CLOCK_TOLERANCE)
    conn.execute("DELETE FROM audit_pending")
    new_head = Head(int(events[-1][0]), prev_hash)
    conn.execute("INSERT INTO audit_head (id, seq, hash, newest_at, updated_at) "
                 "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, "
                 "hash = excluded.hash, newest_at = excluded.newest_at, "
                 "updated_at = excluded.updated_at",
                 (new_head.seq, new_head.hash, prev_time, datetime.now(UTC).isoformat()))
    return new_head


# -- the mirror file ----------------------------------------------------------------

def mirror_path(registry_path: Path) -> Path:
    return registry_path.with_name(registry_path.name + MIRROR_SUFFIX)


def read_mirror(registry_path: Path) -> Head | None:
    """The head mirrored beside the registry; None if there is no (readable) mirror."""
    try:
        data = json.loads(mirror_path(registry_path).read_text(encoding="utf-8"))
        return Head(int(data["seq"]), str(data["hash"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def mirror(registry_path: Path, head: Head, *, force: bool = False) -> None:
    """Write ``head`` to the mirror file, atomically, unless it already names a newer row
    (another process committed after us) and ``force`` is not set. Failures are ignored:
    the head record in the registry stays the authority; the mirror is a second witness."""
    path = mirror_path(registry_path)
    if not force:
        current = read_mirror(registry_path)
        if current is not None and current.seq > head.seq:
            return
    data = json.dumps({"format": CHAIN_FORMAT, **head.as_dict(),
                       "written_at": datetime.now(UTC).isoformat()})
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)
