"""Capturing changes for the audit trail: the triggers, a record's form, its state digest.

Every audited table has three SQLite triggers (``install_triggers``) that copy each
inserted, updated or deleted row, as SQLite's ``json_object`` of all its columns
(``snapshot_sql``), into ``audit_pending``; ``audit_chain.seal`` takes them from there. A
record's state on the trail is the digest of that text (``state_digest``), so the checker
compares records with one query per table. ``baseline`` records every record of a table
as it stands (an upgrade, or a migration that changes the table's columns).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from typing import Final

AUDITED: Final[dict[str, str]] = {
    "patient": "id", "patient_fact": "id", "screening": "id", "visit": "id",
    "visit_event": "id", "observation": "id", "answer": "id", "screen_failure": "id",
    "account": "id", "delegation": "id", "site_setting": "key", "uln_value": "id",
    "trial_file": "sha256", "stage_version": "id", "signature": "id",
    "signing_ca": "id", "ca_key_grant": "id", "user_key": "id", "user_certificate": "id",
    "signed_worksheet": "id",
}
"""Every table of source records, with its key column."""

STATE_DIGEST_HEX: Final = 32

BLOB_COLUMNS: Final = {("trial_file", "data"), ("signed_worksheet", "data"),
                       ("signing_ca", "sealed_key"),
                       ("ca_key_grant", "wrapped"), ("user_key", "sealed")}
"""Kept as their length (``trial_file.data`` is also checked against its SHA-256 key; the
sealed keys have a SHA-256 column beside them, and never reach the trail themselves)."""

SEALED_COLUMNS: Final = (("signing_ca", "sealed_key", "sealed_sha256"),
                         ("ca_key_grant", "wrapped", "wrapped_sha256"),
                         ("user_key", "sealed", "sealed_sha256"))
"""The sealed blobs and the SHA-256 column beside each (the trail records the digest, and
``audit verify`` checks the blob against it)."""

AUDITED_0007: Final = ("patient", "patient_fact", "screening", "visit", "visit_event",
                       "observation", "answer", "screen_failure", "account", "delegation",
                       "site_setting", "uln_value", "trial_file", "stage_version", "signature")
"""The audited tables as migration 0007 knew them (a later migration adds its own)."""

def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """The columns of ``table`` in schema order."""
    return [row[1] for row in conn.execute(f"PRAGMA table_info({_quote(table)})")]


def snapshot_sql(conn: sqlite3.Connection, table: str, prefix: str = "") -> str:
    """SQLite's ``json_object`` of a row of ``table`` (``prefix`` ``NEW.``/``OLD.`` in a
    trigger, nothing in a query), the form in which the trail records rows."""
    parts = []
    for column in columns(conn, table):
        value = f"{prefix}{_quote(column)}"
        if (table, column) in BLOB_COLUMNS:
            value = f"length({value})"
        parts.append(f"'{column}', {value}")
    return f"json_object({', '.join(parts)})"


def key_sql(table: str, prefix: str = "") -> str:
    return f"CAST({prefix}{_quote(AUDITED[table])} AS TEXT)"


def trigger_statements(conn: sqlite3.Connection,
                       tables: Iterable[str] = AUDITED) -> dict[str, str]:
    """The capture triggers every audited table must have, by name, for its current
    columns: exactly as ``install_triggers`` creates them (``audit verify`` compares the
    registry's own with these, so a trigger dropped, altered or added is caught)."""
    statements: dict[str, str] = {}
    for table in tables:
        new, old = snapshot_sql(conn, table, "NEW."), snapshot_sql(conn, table, "OLD.")
        body = {
            "insert": f"{key_sql(table, 'NEW.')}, 'insert', NULL, {new}",
            "update": f"{key_sql(table, 'NEW.')}, 'update', {old}, {new}",
            "delete": f"{key_sql(table, 'OLD.')}, 'delete', {old}, NULL",
        }
        for op, values in body.items():
            statements[f"audit_{table}_{op}"] = (
                f"CREATE TRIGGER audit_{table}_{op} AFTER {op.upper()} ON {_quote(table)} "
                f"BEGIN INSERT INTO audit_pending (tbl, row_key, op, old, new) "
                f"VALUES ('{table}', {values}); END")
    return statements


def install_triggers(conn: sqlite3.Connection, tables: Iterable[str] = AUDITED) -> None:
    """(Re)create the capture triggers of every audited table, for its current columns.

    A migration that changes an audited table's columns calls this again at its end, and
    ``baseline`` for that table (its records' values, as the trail compares them, change
    form with their columns).
    """
    for name, statement in trigger_statements(conn, tables).items():
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        conn.execute(statement)


def baseline(conn: sqlite3.Connection, tables: Iterable[str], note: str) -> int:
    """One ``audit.baseline`` row per record of ``tables`` with its values as they are
    (unsealed: the caller's transaction seals them). The number of rows written."""
    now = conn.execute("SELECT strftime('%Y-%m-%d %H:%M:%f000', 'now')").fetchone()[0]
    details = json.dumps({"note": note})
    written = 0
    for table in tables:
        rows = conn.execute(f"SELECT {key_sql(table)}, {snapshot_sql(conn, table)} "
                            f"FROM {_quote(table)} ORDER BY {_quote(AUDITED[table])}"
                            ).fetchall()
        for row_key, values in rows:
            change = f"[[{json.dumps(table)},{json.dumps(row_key)},\"baseline\",null,{values}]]"
            conn.execute(
                "INSERT INTO audit_event (occurred_at, actor, action, entity, entity_id, "
                "details, changes, states) "
                "VALUES (?, 'nkscreen', 'audit.baseline', ?, ?, ?, ?, ?)",
                (now, table, int(row_key) if row_key.isdigit() else 0, details, change,
                 state_item(table, row_key, None, values, known=False)))
            written += 1
    return written


def state_digest(snapshot: str | None) -> str:
    """What the trail keeps of a record's values after a change: the SHA-256 of SQLite's
    ``json_object`` text of the row (``snapshot_sql``), its first 128 bits in hex (to
    forge a record to a kept digest is a second preimage: out of reach at 128 bits, and
    half the length keeps ``audit verify`` fast), "-" for a deleted row."""
    return "-" if snapshot is None else \
        hashlib.sha256(snapshot.encode()).hexdigest()[:STATE_DIGEST_HEX]


def state_item(table: str, key: str, before: str | None, after: str | None, *,
               known: bool = True) -> str:
    """One entry of an audit row's ``states``: ``table:key=before>after`` (digests; the
    first "?" where what came before is not known, a baseline)."""
    return (f"{table}:{key}={state_digest(before) if known else '?'}>"
            f"{state_digest(after)}")
