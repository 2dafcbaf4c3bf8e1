"""Opening the registry database: checks, connection settings, migrations, sessions.

``open_registry`` turns every way a data folder can be unusable (read-only folder,
unreadable file, not a SQLite file, written by a newer app) into a ``RegistryError``
whose text is one sentence for the user, and checks all of that *before* writing a
byte, so a database it refuses is left exactly as it was.

Several processes may share one database file. Each connection runs in WAL mode
with a 5 s busy timeout, and write transactions start with ``BEGIN IMMEDIATE`` so
they queue for the write lock up front instead of failing half-way when a read
transaction tries to upgrade to a write.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import URL, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

DB_FILENAME = "nkscreen.sqlite3"
BUSY_TIMEOUT_MS = 5000
_READ_ONLY_OPTION = "nkscreen_read_only"
_VERSION_TABLE = "alembic_version"


class RegistryError(Exception):
    """The registry cannot be used; ``str(error)`` is a sentence to show the user."""


class DatabaseTooNew(RegistryError):
    """The database was migrated by a newer NK Screen than this one."""


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (it would not emit BEGIN
    # before SELECTs); the "begin" hook below emits the BEGIN we want instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first, so switching to WAL waits for other processes too.
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def _begin(connection: Connection) -> None:
    if connection.get_execution_options().get(_READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _make_engine(path: Path) -> Engine:
    engine = create_engine(URL.create("sqlite", database=str(path)))
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "begin", _begin)
    return engine


def _describe(exc: BaseException) -> str:
    """The SQLite reason inside a driver error, without SQL or parameters."""
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().rstrip(".") or type(orig).__name__


def database_error(path: Path, exc: BaseException) -> RegistryError:
    """A user-facing error for a failure of the database at ``path``."""
    reason = _describe(exc)
    lowered = reason.lower()
    if "locked" in lowered or "busy" in lowered:
        return RegistryError(
            f"The registry {path} is busy in another NK Screen window; try again in a moment."
        )
    if "not a database" in lowered or "malformed" in lowered:
        return RegistryError(
            f"The file {path} is not a usable NK Screen registry "
            f"(it is damaged or not a SQLite database)."
        )
    if "readonly" in lowered or "read-only" in lowered:
        return RegistryError(f"The registry {path} is read-only, so changes cannot be saved.")
    return RegistryError(f"The registry {path} could not be used ({reason}).")


class Registry:
    """An open registry database: one engine (connection pool) for its lifetime."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A write session: commits when the block succeeds, rolls back when it raises.

        Driver failures (locked, disk full, ...) surface as ``RegistryError``.
        """
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except DBAPIError as exc:
                session.rollback()
                raise database_error(self.path, exc) from exc
            except BaseException:
                session.rollback()
                raise

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only Core connection in a deferred transaction (never takes the write lock)."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{_READ_ONLY_OPTION: True})
                yield conn
                conn.rollback()
        except DBAPIError as exc:
            raise database_error(self.path, exc) from exc

    def close(self) -> None:
        """Close all pooled connections (the last one out checkpoints the WAL)."""
        self.engine.dispose()


def _check_folder(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(
            f"The data folder {data_dir} could not be created ({exc.strerror or exc})."
        ) from exc
    if not data_dir.is_dir():
        raise RegistryError(f"The data folder {data_dir} is not a folder.")
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise RegistryError(
            f"The data folder {data_dir} is read-only; NK Screen needs to write its registry there."
        )


def _inspect(path: Path, options: str) -> tuple[set[str], set[str]]:
    """Table names and Alembic revisions of the database at ``path``, opened read-only."""
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?{options}", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master "
                                                 "WHERE type = 'table'")}
        revisions: set[str] = set()
        if _VERSION_TABLE in tables:
            revisions = {row[0] for row in conn.execute(
                f"SELECT version_num FROM {_VERSION_TABLE}")}
        return tables, revisions
    finally:
        conn.close()


def _check_file(path: Path) -> None:
    """Refuse, without modifying it, a file this app cannot or must not open."""
    if not path.exists():
        return
    if not path.is_file():
        raise RegistryError(f"The registry {path} is not a file.")
    if not os.access(path, os.R_OK):
        raise RegistryError(f"The registry {path} cannot be read (permission denied).")
    if not os.access(path, os.W_OK):
        raise RegistryError(f"The registry {path} is read-only, so changes cannot be saved.")
    if path.stat().st_size == 0:
        return  # an empty file is an empty SQLite database

    from desktop.registry.schema import known_revisions

    try:
        # immutable=1: read without locks, so not even -wal/-shm files appear. Should
        # that catch another process mid-checkpoint, look again the ordinary way.
        tables, revisions = _inspect(path, "mode=ro&immutable=1")
    except sqlite3.Error:
        try:
            tables, revisions = _inspect(path, "mode=ro")
        except sqlite3.Error as exc:
            raise database_error(path, exc) from exc

    user_tables = {t for t in tables if not t.startswith("sqlite_")}
    if user_tables and _VERSION_TABLE not in tables:
        raise RegistryError(f"The file {path} is a SQLite database but not an NK Screen registry.")
    unknown = revisions - known_revisions()
    if unknown:
        raise DatabaseTooNew(
            f"This registry was written by a newer version of NK Screen "
            f"(schema {', '.join(sorted(unknown))}); install that version to open {path}."
        )


def open_registry(data_dir: Path) -> Registry:
    """Open (creating and migrating as needed) the registry in ``data_dir``.

    Raises ``RegistryError`` (or ``DatabaseTooNew``) with a user-facing message.
    """
    from alembic.util import CommandError

    from desktop.registry.schema import upgrade

    data_dir = Path(data_dir)
    path = data_dir / DB_FILENAME
    _check_folder(data_dir)
    _check_file(path)

    engine = _make_engine(path)
    try:
        # One IMMEDIATE transaction: concurrent first starts migrate one after the other.
        with engine.begin() as conn:
            upgrade(conn)
    except CommandError as exc:  # a revision appeared between the check and the lock
        engine.dispose()
        raise DatabaseTooNew(
            f"This registry was written by a newer version of NK Screen; "
            f"install that version to open {path}."
        ) from exc
    except DBAPIError as exc:
        engine.dispose()
        raise database_error(path, exc) from exc
    except BaseException:
        engine.dispose()
        raise
    return Registry(path, engine)
