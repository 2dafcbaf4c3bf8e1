"""Opening the registry database: checks, connection settings, migrations, sessions.

``open_registry`` turns every way a data folder can be unusable (read-only folder,
unreadable file, not a SQLite file, written by a newer app) into a ``RegistryError``
whose text is one sentence for the user, and checks all of that *before* writing a
byte, so a database it refuses is left exactly as it was.

Several processes may share one database file. Each connection runs in WAL mode
with a 5 s busy timeout, and write transactions start with ``BEGIN IMMEDIATE`` so
they queue for the write lock up front instead of failing half-way when a read
transaction tries to upgrade to a write.

Two ways in, so that opening and listing stay cheap: reads (``Registry.read``) use
pooled stdlib ``sqlite3`` connections, and a registry already at the packaged schema
revision (``desktop.registry.revision.HEAD``) opens without Alembic. SQLAlchemy and
SQLModel are imported only for writes (``Registry.session``), migrations, or
``Registry.warm_up`` - never at import time of this module.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.paths import private_file, private_folder
from desktop.registry.location import DB_FILENAME as DB_FILENAME
from desktop.registry.revision import HEAD

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 5000
_VERSION_TABLE = "alembic_version"
_MAX_IDLE_READERS = 5
#: The page cache of each pooled read connection, in KiB (SQLite's default is 2 MiB). A
#: search over 100,000 patients reads the patient rows a name word or MRN part points
#: at; with the default cache each keystroke reads them from the file again (#18: about
#: 6 ms instead of 1 ms for "a"). Pages are held only once read, and kept between reads
#: while the database does not change.
READ_CACHE_KIB = 32 * 1024


class RegistryError(Exception):
    """The registry cannot be used; ``str(error)`` is a sentence to show the user."""


class DatabaseTooNew(RegistryError):
    """The database was migrated by a newer NK Screen than this one."""


def _set_pragmas(dbapi_connection: Any, _record: Any, foreign_keys: bool = True) -> None:
    # Take transaction control away from the sqlite3 module (it would not emit BEGIN
    # before SELECTs); the "begin" hook below emits the BEGIN we want instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first, so switching to WAL waits for other processes too.
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def _set_migration_pragmas(dbapi_connection: Any, record: Any) -> None:
    # Foreign keys off for a migration, outside its transaction (the pragma is a no-op
    # inside one): batch mode recreates tables, and a recreated referenced table would
    # fail on a populated registry. The migration checks the keys before it commits.
    _set_pragmas(dbapi_connection, record, foreign_keys=False)


def _begin(connection: Connection) -> None:
    # Every SQLAlchemy transaction writes (reads go through ``Registry.read``).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _make_engine(path: Path, *, migration: bool = False) -> Engine:
    from sqlalchemy import URL, create_engine, event

    engine = create_engine(URL.create("sqlite", database=str(path)))
    event.listen(engine, "connect", _set_migration_pragmas if migration else _set_pragmas)
    if migration:
        event.listen(engine, "begin", _begin)
    else:
        from desktop.registry.audit_hooks import listen

        listen(engine, path, _begin)
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
    """An open registry database.

    Reads go through a small pool of stdlib ``sqlite3`` connections; writes through a
    SQLAlchemy engine (its own connection pool) built on first use. Both are safe to
    use from several threads; each connection serves one thread at a time.
    """

    def __init__(self, path: Path, engine: Engine | None = None, *,
                 read_only: bool = False) -> None:
        self.path = path
        self._engine = engine
        #: Reads only, on ``mode=ro`` connections that change nothing, not even the
        #: journal mode (``audit verify`` re-running signed stages).
        self.read_only = read_only
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine for writes (importing SQLAlchemy on first access)."""
        engine = self._engine
        if self.read_only:
            raise RegistryError(f"The registry {self.path} is open for reading only.")
        if engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = _make_engine(self.path)
                engine = self._engine
        return engine

    def warm_up(self) -> None:
        """Do now the one-off work of the first write: import SQLAlchemy, SQLModel and
        the table models, configure the ORM mappers, build the engine.

        Meant for a background thread once the patient list is shown, so the first
        save does not stall the window for it.
        """
        from sqlalchemy.orm import configure_mappers

        import desktop.registry.models  # noqa: F401  (every table, mapped)

        configure_mappers()
        _ = self.engine

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A write session: commits when the block succeeds, rolls back when it raises.

        Driver failures (locked, disk full, ...) surface as ``RegistryError``.
        """
        from sqlalchemy.exc import DBAPIError
        from sqlmodel import Session

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
    def read(self) -> Iterator[sqlite3.Connection]:
        """A pooled stdlib ``sqlite3`` connection in a deferred transaction (never takes
        the write lock), rolled back at the end of the block.

        Driver failures surface as ``RegistryError``.
        """
        try:
            conn = self._checkout()
        except sqlite3.Error as exc:
            raise database_error(self.path, exc) from exc
        try:
            conn.execute("BEGIN")
            yield conn
        except sqlite3.Error as exc:
            raise database_error(self.path, exc) from exc
        finally:
            self._checkin(conn)

    def _checkout(self) -> sqlite3.Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        # mode=rw: a read never creates the file (open_registry has made it).
        mode = "ro" if self.read_only else "rw"
        conn = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode={mode}", uri=True,
                               timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        try:
            if self.read_only:
                conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            else:
                _set_pragmas(conn, None)
            conn.execute(f"PRAGMA cache_size=-{READ_CACHE_KIB}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _checkin(self, conn: sqlite3.Connection) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            conn.close()
            return
        with self._lock:
            if len(self._idle) < _MAX_IDLE_READERS:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close all pooled connections (the last one out checkpoints the WAL)."""
        with self._lock:
            idle, self._idle = self._idle, []
            engine = self._engine
        for conn in idle:
            conn.close()
        if engine is not None:
            engine.dispose()


def _check_folder(data_dir: Path) -> None:
    try:
        private_folder(data_dir)
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


def _create(path: Path) -> None:
    """A new registry file, its user's alone (``desktop.paths.private_file``)."""
    try:
        private_file(path)
    except OSError as exc:
        raise RegistryError(
            f"The registry {path} could not be created ({exc.strerror or exc}).") from exc


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


def _check_file(path: Path) -> set[str] | None:
    """Refuse, without modifying it, a file this app cannot or must not open.

    The revisions of the database there (empty for a new one); None if there is none yet.
    """
    if not path.exists():
        return None
    if not path.is_file():
        raise RegistryError(f"The registry {path} is not a file.")
    if not os.access(path, os.R_OK):
        raise RegistryError(f"The registry {path} cannot be read (permission denied).")
    if not os.access(path, os.W_OK):
        raise RegistryError(f"The registry {path} is read-only, so changes cannot be saved.")
    if path.stat().st_size == 0:
        return None  # an empty file is an empty SQLite database

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
    unknown = revisions - {HEAD}
    if unknown:  # only now is Alembic needed, to know the older revisions
        from desktop.registry.schema import known_revisions

        unknown -= known_revisions()
    if unknown:
        raise DatabaseTooNew(
            f"This registry was written by a newer version of NK Screen "
            f"(schema {', '.join(sorted(unknown))}); install that version to open {path}."
        )
    return revisions


def _open_at_head(path: Path) -> Registry | None:
    """The registry at ``path`` if, read through a real connection, it is at ``HEAD``.

    ``None`` if it is not, so that the caller takes the Alembic path: a new or older
    schema to migrate, or a newer one to refuse. (``_check_file`` reads the file alone,
    without the write-ahead log, so what it saw may be behind what another process has
    written; this connection sees the committed state.)
    """
    registry = Registry(path)
    try:
        with registry.read() as conn:
            current: set[str] = set()
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                            (_VERSION_TABLE,)).fetchall():
                current = {row[0] for row in conn.execute(
                    f"SELECT version_num FROM {_VERSION_TABLE}")}
    except BaseException:
        registry.close()
        raise
    if current == {HEAD}:
        return registry
    registry.close()
    return None


def _migrate(path: Path) -> Registry:
    """Create or upgrade the database at ``path`` with Alembic; the open registry.

    Foreign keys are off for the migration's connection and checked with
    ``PRAGMA foreign_key_check`` before it commits: a migration that would leave a
    dangling reference is rolled back, and the registry stays as it was.
    """
    from alembic.util import CommandError
    from sqlalchemy.exc import DBAPIError

    from desktop.registry.schema import upgrade

    engine = _make_engine(path, migration=True)
    try:
        # One IMMEDIATE transaction: concurrent first starts migrate one after the other.
        with engine.begin() as conn:
            upgrade(conn)
            dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if dangling:
                table, rowid, parent = dangling[0][0], dangling[0][1], dangling[0][2]
                raise RegistryError(
                    f"The upgrade of the registry {path} was stopped and nothing was "
                    f"changed: row {rowid} of {table} would refer to a missing {parent} "
                    f"({len(dangling)} such rows).")
    except CommandError as exc:  # a revision appeared between the check and the lock
        raise DatabaseTooNew(
            f"This registry was written by a newer version of NK Screen; "
            f"install that version to open {path}."
        ) from exc
    except DBAPIError as exc:
        raise database_error(path, exc) from exc
    finally:
        engine.dispose()
    registry = Registry(path)
    from desktop.registry.audit_hooks import mirror_after_migration

    mirror_after_migration(registry)
    return registry


def open_registry(data_dir: Path) -> Registry:
    """Open (creating and migrating as needed) the registry in ``data_dir``.

    A registry already at the packaged schema revision opens with ``sqlite3`` alone;
    a new or older one is migrated by Alembic, an older one after a backup beside it.
    Check-and-migrate holds a lock file, so concurrent first starts (several windows or
    processes) open one after another. A data folder on a network file system is
    refused. Raises ``RegistryError`` (or ``DatabaseTooNew``) with a user-facing message.
    """
    from desktop.registry.guards import (
        GuardError,
        backup_before_upgrade,
        opening_lock,
        refuse_network_share,
    )

    data_dir = Path(data_dir)
    path = data_dir / DB_FILENAME
    _check_folder(data_dir)
    try:
        refuse_network_share(data_dir)
        with opening_lock(data_dir / f"{DB_FILENAME}.lock"):
            revisions = _check_file(path)
            if revisions is None:
                _create(path)
            else:
                registry = _open_at_head(path)
                if registry is not None:
                    return registry
                if revisions:
                    backup_before_upgrade(path, revisions)
            return _migrate(path)
    except GuardError as exc:
        raise RegistryError(str(exc)) from None
