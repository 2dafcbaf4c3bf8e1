"""A backup of the registry: a consistent copy made while the app runs, and its manifest.

``backup_to`` copies the registry with SQLite's online backup API. The source is opened
read-only in its own connection and one read transaction is held for the whole copy, so
the copy is one snapshot (a commit made meanwhile is either wholly in it or not at all).
In WAL mode a reader never blocks a writer: the app's saves go on while the pages are
copied, in steps of ``PAGES_PER_STEP``; only the checkpoint waits for the copy to end.
The copy is switched to a rollback journal (one self-contained file, no ``-wal``) and
checked (``PRAGMA integrity_check``) before it gets its final name.

Beside the copy, ``<copy>.manifest.json`` says what it is: the app version, when and from
where it was made, its size and SHA-256, its schema revision and its audit chain head (the
head is exported with every backup: a witness, outside the registry, of how far its trail
had reached). Both files are written under temporary names and renamed, so a final name
never holds half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from desktop.registry.audit_chain import EMPTY_HEAD, Head, read_head
from desktop.registry.database import BUSY_TIMEOUT_MS, Registry, RegistryError

MANIFEST_FORMAT: Final = 1
MANIFEST_SUFFIX: Final = ".manifest.json"
#: Pages copied per step of the online backup (4 MB at SQLite's default page size).
PAGES_PER_STEP: Final = 1024
_CHUNK = 1 << 20


class BackupError(RegistryError):
    """A backup that cannot be made or used; ``str(error)`` is one sentence."""


@dataclass(frozen=True)
class Manifest:
    """What a backup file is, as written beside it."""

    app_version: str
    #: Local time with its UTC offset (ISO 8601).
    created_at: str
    source: str
    file: str
    sha256: str
    size: int
    head: Head
    schema: str
    format: int = MANIFEST_FORMAT

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "app_version": self.app_version,
                "created_at": self.created_at, "source": self.source, "file": self.file,
                "sha256": self.sha256, "size": self.size, "head": self.head.as_dict(),
                "schema": self.schema}


def manifest_path(copy: Path) -> Path:
    """``nkscreen-backup-….sqlite3`` → ``nkscreen-backup-….sqlite3.manifest.json``."""
    return copy.with_name(copy.name + MANIFEST_SUFFIX)


def read_manifest(copy: Path) -> Manifest:
    """The manifest beside ``copy``; ``BackupError`` if it is missing or not one."""
    path = manifest_path(copy)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{copy.name} has no manifest ({path.name}) beside it: only a "
                          "backup made by NK Screen, with its manifest, can be "
                          "restored.") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"The manifest {path} cannot be read ({exc}).") from None
    try:
        if data["format"] != MANIFEST_FORMAT:
            raise BackupError(f"The manifest {path} is of format {data['format']!r}, which "
                              "this version of NK Screen does not know.")
        head = data["head"]
        return Manifest(app_version=str(data["app_version"]),
                        created_at=str(data["created_at"]), source=str(data["source"]),
                        file=str(data["file"]), sha256=str(data["sha256"]),
                        size=int(data["size"]), head=Head(int(head["seq"]), str(head["hash"])),
                        schema=str(data["schema"]))
    except (KeyError, TypeError, ValueError):
        raise BackupError(f"The manifest {path} is not an NK Screen backup manifest (a "
                          "field is missing or of the wrong kind).") from None


def sha256_of(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of the file at ``path``."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def copy_facts(path: Path) -> tuple[Head, str]:
    """The audit chain head and schema revision of the registry file at ``path``, read
    without writing (``sqlite3.Error`` if it is not a database)."""
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True,
                           isolation_level=None)
    try:
        conn.execute("BEGIN")
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        head = (read_head(conn) if "audit_head" in tables else None) or EMPTY_HEAD
        revision = ""
        if "alembic_version" in tables:
            revision = ",".join(sorted(row[0] for row in conn.execute(
                "SELECT version_num FROM alembic_version")))
        return head, revision
    finally:
        conn.close()


def _online_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"{source.absolute().as_uri()}?mode=ro", uri=True,
                          isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        src.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # One read transaction for every step: the copy is one snapshot, and a commit
        # by another connection does not restart it.
        src.execute("BEGIN")
        src.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            src.backup(dst, pages=PAGES_PER_STEP, sleep=0.01)
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            problem = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if problem != "ok":
                raise BackupError(f"The copy of the registry {source} failed SQLite's "
                                  f"integrity check ({problem}); no backup was kept.")
        finally:
            dst.close()
    finally:
        src.close()


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _write_text(path: Path, text: str) -> Path:
    """``text`` in a new temporary file beside ``path``; its path (renamed by the caller)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    return Path(tmp)


def backup_to(source: Registry | Path, target: Path, *, overwrite: bool = False,
              now: datetime | None = None) -> Manifest:
    """Copy the registry (open, or its file) to ``target``, with its manifest beside it.

    Refuses (``BackupError``) a ``target`` that exists unless ``overwrite``, or that is
    the registry itself. The copy's head and schema are read from the copy, so the
    manifest describes exactly what was copied.
    """
    path = source.path if isinstance(source, Registry) else Path(source)
    target = Path(target)
    if not path.is_file():
        raise BackupError(f"There is no registry at {path} to back up.")
    if target.exists() and (not overwrite or target.resolve() == path.resolve()):
        raise BackupError(f"{target} already exists: choose a new file name for the backup.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    moment = (now or datetime.now()).astimezone()
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                    dir=target.parent)
    except OSError as exc:
        raise BackupError(f"The backup cannot be written in {target.parent} "
                          f"({exc.strerror or exc}).") from None
    os.close(fd)
    tmp, tmp_manifest = Path(name), None
    try:
        _online_copy(path, tmp)
        _fsync(tmp)
        head, schema = copy_facts(tmp)
        digest, size = sha256_of(tmp)
        manifest = Manifest(app_version=_version(), created_at=moment.isoformat(),
                            source=str(path.absolute()), file=target.name, sha256=digest,
                            size=size, head=head, schema=schema)
        tmp_manifest = _write_text(manifest_path(target),
                                   json.dumps(manifest.as_dict(), indent=2) + "\n")
        os.replace(tmp, target)
        try:
            os.replace(tmp_manifest, manifest_path(target))
        except OSError:
            target.unlink(missing_ok=True)  # never a copy without its manifest
            raise
        return manifest
    except sqlite3.Error as exc:
        raise BackupError(f"The registry {path} could not be backed up ({exc}); no backup "
                          "was kept.") from None
    except OSError as exc:
        raise BackupError(f"The backup could not be written to {target} "
                          f"({exc.strerror or exc}); no backup was kept.") from None
    finally:
        for leftover in (tmp, tmp_manifest):
            if leftover is not None:
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)


def _version() -> str:
    from desktop import __version__

    return __version__


def record_backup(registry: Registry, actor: str, action: str,
                  details: dict[str, Any]) -> None:
    """The audit row of a backup or restore (``action``: ``registry.backup`` or
    ``registry.restore``), through an ordinary write so it is chained like any other."""
    from desktop.registry.models.audit import record_event

    with registry.session() as session:
        record_event(session, actor=actor, action=action, entity="registry", entity_id=0,
                     details=details)
