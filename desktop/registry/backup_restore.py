"""Putting a backup back as the registry, after checking it.

``check_restore`` changes nothing: the copy must match its manifest (size and SHA-256),
be of a schema this app knows, and pass ``audit_verify.verify_file`` (its own chain, head
record and signatures' heads); then it is compared with the current registry (``standing``).
A copy is **older** when the current registry has moved on past it: a signature there
recorded a chain head beyond the copy's, or its trail goes on past the copy's head with
anything but rows that only record a session or a backup (``PASSING``: a login, a lock, a
logout, ``registry.backup`` - the row each backup adds after its copy), or the two trails
are not one (they differ at a row both hold). Restoring an older
copy throws away what came after, so it needs a reason, kept in the audit trail.

``restore_from`` does the same checks on a copy of the file taken into the data folder (so
what is checked is what is put in place), then, holding the opening lock: a safety backup
of the current registry beside it (``nkscreen-before-restore-<UTC time>.sqlite3``, with its
manifest), the current file switched out of WAL (SQLite refuses that while any other
connection, in this process or another, has it open: that refusal is ours too; it also
folds the ``-wal`` into the file, so no old log can be joined to the restored file), and
``os.replace``. The registry is then opened (migrated if the copy is of an older schema),
the head mirror forced to its head, and ``registry.restore`` recorded in it by an ordinary
write. An app that has the registry open must close it first (``Registry.close``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from desktop.paths import private_folder
from desktop.registry.audit_chain import EMPTY_HEAD, Head, mirror, read_head
from desktop.registry.backup import (
    BackupError,
    Manifest,
    backup_to,
    copy_facts,
    read_manifest,
    record_backup,
    sha256_of,
)
from desktop.registry.database import DB_FILENAME, RegistryError, open_registry

BACKUP_ACTION: Final = "registry.backup"
RESTORE_ACTION: Final = "registry.restore"
SAFETY_PREFIX: Final = "nkscreen-before-restore-"
#: Audit actions that record a session or a backup, no record of the registry: a copy the
#: current trail passes only by these is not older (a failed login is not among them: it
#: counts towards locking the account).
PASSING: Final = (BACKUP_ACTION, "login", "cli.login", "logout", "session.lock")


class OlderBackup(BackupError):
    """The copy is older than the current registry and no reason was given."""

    def __init__(self, message: str, standing: Standing) -> None:
        super().__init__(message)
        self.standing = standing


@dataclass(frozen=True)
class Standing:
    """How a copy stands against the current registry."""

    #: The current registry's head; None where there is no registry yet.
    current: Head | None
    #: Why the copy is older (sentences); empty when it is not.
    why: tuple[str, ...] = ()

    @property
    def older(self) -> bool:
        return bool(self.why)


@dataclass(frozen=True)
class Checked:
    manifest: Manifest
    standing: Standing


@dataclass(frozen=True)
class Restored:
    registry_file: Path
    manifest: Manifest
    #: The head of the registry that was replaced (None: there was none).
    old_head: Head | None
    safety_copy: Path | None
    reason: str | None
    why: tuple[str, ...] = field(default=())


# -- checking -----------------------------------------------------------------------

def _check_copy(copy: Path, manifest: Manifest, shown: str) -> None:
    """Refuse (``BackupError``) a copy that does not match its manifest or its chain."""
    digest, size = sha256_of(copy)
    if digest != manifest.sha256 or size != manifest.size:
        raise BackupError(f"{shown} does not match its manifest (its SHA-256 differs): it "
                          "was changed or damaged after the backup, so it is not restored.")
    try:
        head, schema = copy_facts(copy)
    except sqlite3.Error as exc:
        raise BackupError(f"{shown} is not a usable registry ({exc}).") from None
    _check_schema(schema, shown)
    if head != manifest.head:
        raise BackupError(f"{shown}: its audit chain head (row {head.seq}) is not the one "
                          f"its manifest names (row {manifest.head.seq}).")
    from desktop.registry.audit_verify import verify_file

    try:
        report = verify_file(copy)
    except sqlite3.Error as exc:
        raise BackupError(f"{shown}: its audit trail cannot be checked ({exc}).") from None
    if not report.ok:
        first = report.problems[0]
        more = len(report.problems) - 1
        raise BackupError(f"{shown} fails the audit trail check, so it is not restored: "
                          f"{first.message}"
                          + (f" (and {more} more problems)." if more else "."))


def _check_schema(schema: str, shown: str) -> None:
    from desktop.registry.revision import HEAD

    revisions = {r for r in schema.split(",") if r}
    if not revisions:
        raise BackupError(f"{shown} is not an NK Screen registry (no schema revision).")
    unknown = revisions - {HEAD}
    if unknown:
        from desktop.registry.schema import known_revisions

        unknown -= known_revisions()
    if unknown:
        raise BackupError(f"{shown} was written by a newer version of NK Screen (schema "
                          f"{', '.join(sorted(unknown))}); install that version to restore it.")


def standing(current: Path, copy: Path, head: Head) -> Standing:
    """How the copy (``head``: its chain head) stands against the registry at ``current``."""
    if not current.is_file():
        return Standing(None)
    try:
        conn = sqlite3.connect(f"{current.absolute().as_uri()}?mode=ro", uri=True,
                               isolation_level=None, timeout=5)
        try:
            conn.execute("BEGIN")
            return _compare(conn, copy, head)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Standing(EMPTY_HEAD, (f"the current registry cannot be read ({exc}), so it "
                                     "cannot be compared with the copy",))


def _compare(conn: sqlite3.Connection, copy: Path, head: Head) -> Standing:
    now = read_head(conn) or EMPTY_HEAD
    why: list[str] = []
    signed, furthest = conn.execute(
        "SELECT COUNT(*), MAX(chain_seq) FROM signature WHERE chain_seq > ?",
        (head.seq,)).fetchone()
    if signed:
        why.append(f"{signed} signature(s) in the current registry were written when its "
                   f"audit trail had reached row {furthest}, past this copy's row {head.seq}")
    marks = ", ".join("?" * len(PASSING))
    (later,) = conn.execute(f"SELECT COUNT(*) FROM audit_event WHERE id > ? AND action "
                            f"NOT IN ({marks})", (head.seq, *PASSING)).fetchone()
    if later:
        why.append(f"the current registry's audit trail goes on to row {now.seq}, with "
                   f"{later} row(s) after this copy's row {head.seq}")
    if now.seq >= head.seq > 0:
        found = conn.execute("SELECT row_hash FROM audit_event WHERE id = ?",
                             (head.seq,)).fetchone()
        if found is None or found[0] != head.hash:
            why.append(f"the copy's audit trail is not the current registry's (they differ "
                       f"at row {head.seq}): it is a copy of another registry or history")
    elif 0 < now.seq < head.seq and _row_hash(copy, now.seq) != now.hash:
        why.append(f"the copy's audit trail is not the current registry's (they differ at "
                   f"row {now.seq}): it is a copy of another registry or history")
    return Standing(now, tuple(why))


def _row_hash(path: Path, seq: int) -> str | None:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        found = conn.execute("SELECT row_hash FROM audit_event WHERE id = ?",
                             (seq,)).fetchone()
        return None if found is None else str(found[0])
    finally:
        conn.close()


def check_restore(file: Path, data_dir: Path) -> Checked:
    """Everything ``restore_from`` checks, with nothing changed: the manifest, the copy's
    integrity and trail, and how it stands against the registry in ``data_dir``."""
    file = Path(file)
    if not file.is_file():
        raise BackupError(f"There is no backup file at {file}.")
    manifest = read_manifest(file)
    _check_copy(file, manifest, file.name)
    return Checked(manifest, standing(Path(data_dir) / DB_FILENAME, file, manifest.head))


def older_message(file: Path, why: tuple[str, ...]) -> str:
    return (f"{file.name} is older than the current registry ({'; '.join(why)}); restoring "
            "it discards what came after, so it needs a reason (kept in the audit trail).")


# -- restoring ----------------------------------------------------------------------

def restore_from(file: Path, data_dir: Path, *, actor: str,
                 confirm_reason: str | None = None,
                 now: datetime | None = None) -> Restored:
    """Put the backup ``file`` in place as the registry of ``data_dir`` (see the module
    docstring); ``BackupError`` (``OlderBackup`` for an older copy without
    ``confirm_reason``) says why not, with nothing changed."""
    from desktop.registry.guards import GuardError, opening_lock, refuse_network_share

    file, data_dir = Path(file), Path(data_dir)
    if not file.is_file():
        raise BackupError(f"There is no backup file at {file}.")
    manifest = read_manifest(file)
    reason = " ".join((confirm_reason or "").split()) or None
    current = data_dir / DB_FILENAME
    moment = now or datetime.now(UTC)
    try:
        private_folder(data_dir)
    except OSError as exc:
        raise BackupError(f"The data folder {data_dir} cannot be created "
                          f"({exc.strerror or exc}).") from None
    try:
        refuse_network_share(data_dir)
        with opening_lock(data_dir / f"{DB_FILENAME}.lock", timeout=10):
            safety, checked = _replace(file, manifest, current, reason, moment)
    except GuardError as exc:
        raise BackupError(str(exc)) from None
    try:
        registry = open_registry(data_dir)  # an older schema is migrated, after its backup
    except RegistryError as exc:
        kept = "" if safety is None else f" (the previous registry is kept as {safety.name})"
        raise BackupError(f"{file.name} was put in place{kept}, but it cannot be opened: "
                          f"{exc}") from None
    try:
        with registry.read() as conn:
            head = read_head(conn) or EMPTY_HEAD
        mirror(current, head, force=True)  # the old mirror names the replaced trail
        details: dict[str, Any] = {
            "file": file.name, "sha256": manifest.sha256, "head": manifest.head.as_dict(),
            "created_at": manifest.created_at, "schema": manifest.schema,
            "old_head": None if checked.current is None else checked.current.as_dict(),
            "safety_copy": None if safety is None else safety.name,
            "older": checked.older}
        if checked.older:
            details |= {"why": list(checked.why), "reason": reason}
        record_backup(registry, actor, RESTORE_ACTION, details)
    finally:
        registry.close()
    return Restored(current, manifest, checked.current, safety, reason, checked.why)


def _replace(file: Path, manifest: Manifest, current: Path, reason: str | None,
             moment: datetime) -> tuple[Path | None, Standing]:
    fd, name = tempfile.mkstemp(prefix=".nkscreen-restore-", suffix=".partial",
                                dir=current.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        try:
            shutil.copyfile(file, tmp)
        except OSError as exc:
            raise BackupError(f"{file} could not be copied into {current.parent} "
                              f"({exc.strerror or exc}); nothing was changed.") from None
        _check_copy(tmp, manifest, file.name)
        checked = standing(current, tmp, manifest.head)
        if checked.older and reason is None:
            raise OlderBackup(older_message(file, checked.why), checked)
        safety = None
        if current.exists():
            safety = _safety_copy(current, moment)
            _release(current)
        os.replace(tmp, current)
        for suffix in ("-wal", "-shm", "-journal"):  # nothing of the old file stays
            with contextlib.suppress(FileNotFoundError):
                os.unlink(current.with_name(current.name + suffix))
        return safety, checked
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _safety_copy(current: Path, moment: datetime) -> Path:
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = current.with_name(f"{SAFETY_PREFIX}{stamp}{current.suffix}")
    try:
        backup_to(current, target)
    except BackupError:
        # A damaged registry cannot be copied page by page: keep its bytes as they are.
        try:
            shutil.copy2(current, target)
            wal = current.with_name(current.name + "-wal")
            if wal.exists():
                shutil.copy2(wal, target.with_name(target.name + "-wal"))
        except OSError as exc:
            raise BackupError(f"The current registry could not be kept as {target.name} "
                              f"({exc.strerror or exc}); nothing was changed.") from None
    return target


def _release(current: Path) -> None:
    """Switch the current file out of WAL, which SQLite allows only to the one connection
    that has it open: a registry open elsewhere is refused, and its log is folded in."""
    try:
        conn = sqlite3.connect(current, isolation_level=None, timeout=1)
    except sqlite3.Error:
        return  # not a database any more: nothing can have it open usefully
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            return  # damaged: the safety copy holds its bytes
        mode = "wal"
    except sqlite3.DatabaseError:
        return
    finally:
        conn.close()
    if str(mode).lower() != "delete":
        raise BackupError("The registry is open in another NK Screen window or program: "
                          "close it there and try again (nothing was changed, but a safety "
                          "copy of the current registry was kept).")
