"""What keeps a registry safe while it is opened: one opener at a time, a backup before
any upgrade, and no registry on a network share.

- **One opener at a time.** Several windows or processes starting at the same moment on
  a new data folder would race to create the file and switch it to WAL; SQLite answers
  the loser "database is locked" at once (the busy timeout does not cover that switch).
  An advisory lock on a small file beside the registry (``nkscreen.sqlite3.lock``)
  serialises check-and-migrate across processes; the lock goes with the process, so a
  crash never leaves it held.
- **A backup before any upgrade**, through SQLite's online backup API (consistent even
  with other readers), kept beside the registry with the revision in its name.
- **Local disks only.** SQLite's WAL mode needs shared memory between processes, which
  SMB/CIFS, NFS and other network file systems do not give: a registry there can be
  corrupted. Detected from the mount table (Linux) or the drive type (Windows).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from desktop.paths import private_file

#: File systems on which a registry is refused (Linux names from /proc/mounts).
NETWORK_FILESYSTEMS = frozenset({
    "cifs", "smb3", "smbfs", "nfs", "nfs4", "ncpfs", "afs", "coda", "9p", "ceph",
    "glusterfs", "fuse.sshfs", "sshfs", "davfs", "fuse.davfs2", "lustre", "gpfs", "fuse.rclone",
})
LOCK_TIMEOUT_S = 60.0


class GuardError(Exception):
    """A reason not to open the registry; ``str(error)`` is a sentence for the user."""


# --------------------------------------------------------------------------- lock


@contextlib.contextmanager
def opening_lock(lock_path: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the advisory lock on ``lock_path`` (created if absent) for the block."""
    handle = open(lock_path, "a+b")  # noqa: SIM115 - held for the whole block
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(handle):
            if time.monotonic() > deadline:
                raise GuardError(
                    f"The registry in {lock_path.parent} is being opened by another NK "
                    f"Screen window that has not finished after {timeout:.0f} s; close the "
                    "other windows and try again.")
            time.sleep(0.01)
        try:
            yield
        finally:
            _unlock(handle)
    finally:
        handle.close()


def _try_lock(handle: IO[bytes]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------- backup


def backup_before_upgrade(path: Path, revisions: set[str]) -> Path:
    """Copy the registry at ``path`` beside it, named for its revision; the copy's path.

    ``nkscreen.sqlite3`` at revision 0002 becomes
    ``nkscreen-before-upgrade-from-0002-20261201T231500Z.sqlite3``.
    """
    revision = "-".join(sorted(revisions)) or "none"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}-before-upgrade-from-{revision}-{stamp}{path.suffix}")
    source = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        private_file(target)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    except (sqlite3.Error, OSError) as exc:
        target.unlink(missing_ok=True)
        raise GuardError(f"The registry {path} could not be backed up before its upgrade "
                         f"({exc}); nothing was changed.") from exc
    finally:
        source.close()
    return target


# --------------------------------------------------------------------------- network


def network_filesystem(folder: Path, mounts: str | None = None) -> str | None:
    """The network file system ``folder`` is on (e.g. ``"cifs"``), or None if local.

    ``mounts`` is the text of ``/proc/mounts`` (read when None, on Linux).
    """
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        return _windows_remote(folder)
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    resolved = str(folder.resolve())
    best, best_type = "", None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, fields[2]
    if best_type in NETWORK_FILESYSTEMS:
        return best_type
    return None


def _windows_remote(folder: Path) -> str | None:  # pragma: no cover - Windows only
    text = str(folder.resolve())
    if text.startswith(("\\\\", "//")) and not text.startswith("\\\\?\\"):
        return "a network share (UNC path)"
    import ctypes

    drive = os.path.splitdrive(text)[0] + "\\"
    drive_remote = 4
    if ctypes.windll.kernel32.GetDriveTypeW(drive) == drive_remote:  # type: ignore[attr-defined]
        return "a network drive"
    return None


def refuse_network_share(folder: Path, mounts: str | None = None) -> None:
    kind = network_filesystem(folder, mounts)
    if kind is not None:
        raise GuardError(
            f"The data folder {folder} is on a network file system ({kind}). SQLite's "
            "write-ahead log does not work there and the registry could be corrupted: "
            "choose a folder on this workstation's local disk (--data-dir or NKSCREEN_HOME).")
