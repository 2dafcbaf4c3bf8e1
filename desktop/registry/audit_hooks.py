"""The audit chain's hooks on the write engine: where the trail stood at ``BEGIN
IMMEDIATE``, sealing just before each commit, the head mirrored after it.

``database._make_engine`` calls ``listen`` for every engine that writes records (not the
migrations', which seal in the migration itself and mirror through
``mirror_after_migration``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.registry.database import Registry, RegistryError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

_FLOOR = "nkscreen.audit_floor"
_SEALED = "nkscreen.audit_sealed"


def listen(engine: Engine, path: Path, begin: Callable[[Connection], None]) -> None:
    """Hook the chain onto ``engine`` (the registry at ``path``); ``begin`` starts a write
    transaction (``BEGIN IMMEDIATE``)."""
    from sqlalchemy import event

    event.listen(engine, "begin", lambda conn: _begin_audited(begin, conn))
    event.listen(engine, "commit", lambda conn: _seal(path, conn))
    event.listen(engine, "rollback", _forget)
    # After the commit, the head goes to the mirror file beside the registry.
    event.listen(engine, "checkin", lambda dbapi, record: _mirror(path, record))


def _raw(connection: Connection) -> sqlite3.Connection:
    """The stdlib connection under ``connection``, in the same transaction."""
    raw = connection.connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _begin_audited(begin: Callable[[Connection], None], connection: Connection) -> None:
    """BEGIN IMMEDIATE, then note where the audit trail stood: what comes after is this
    transaction's own, for ``_seal`` to chain (anything older that is unsealed was
    written outside NK Screen and is left for ``audit verify`` to report)."""
    from desktop.registry.audit_chain import floor

    begin(connection)
    connection.info[_FLOOR] = floor(_raw(connection))


def _seal(path: Path, connection: Connection) -> None:
    """Chain this transaction's audit rows and changes just before it commits."""
    from desktop.registry.audit_chain import seal

    since = connection.info.pop(_FLOOR, None)
    if since is None:
        return
    head = seal(_raw(connection), since, registry_path=path)
    if head is not None:
        connection.info[_SEALED] = head


def _forget(connection: Connection) -> None:
    connection.info.pop(_FLOOR, None)
    connection.info.pop(_SEALED, None)  # a commit that failed after sealing


def _mirror(path: Path, record: Any) -> None:
    from desktop.registry.audit_chain import mirror

    head = None if record is None else record.info.pop(_SEALED, None)
    if head is not None:
        mirror(path, head)


def mirror_after_migration(registry: Registry) -> None:
    """An upgrade seals the older rows and the baseline onto the chain: its head goes to
    the mirror file too (the migration's engine has no commit hooks)."""
    from desktop.registry.audit_chain import mirror, read_head

    try:
        with registry.read() as conn:
            head = read_head(conn)
    except RegistryError:
        return
    if head is not None:
        mirror(registry.path, head)
