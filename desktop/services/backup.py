"""Backups of the registry and restoring one: administrators' acts, and the schedule.

- **Back up now** (``backup_now``): an administrator copies the registry to a file of their
  choosing, with its manifest (``desktop.registry.backup``); audited as ``registry.backup``
  under their user id.
- **The schedule** (``backup_if_due``): the app checks at start and every hour; when the
  newest scheduled backup in the folder is at least the interval old (default: daily) it
  makes ``nkscreen-backup-YYYYMMDD-HHMMSS.sqlite3`` (local time) and its manifest, then
  keeps the newest ``backup_keep`` (default 30) of the files named so, removing only
  those: nothing else in the folder is touched. The folder is the site setting
  ``backup_folder``, by default ``backups`` in the data folder (on by default, so a site
  that never set it still has its copies; an administrator should point it at another
  disk). A scheduled backup is the app's act, not a person's: audited under ``system``.
- **Restore** (``check``, then ``restore``): see ``desktop.registry.backup_restore``. The
  registry in use is closed first; the app must be restarted afterwards (the windows and
  sessions of the replaced registry are not carried over).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from desktop.domain.accounts import Actor, Permission
from desktop.paths import private_folder
from desktop.registry.backup import BackupError, Manifest, backup_to, manifest_path, record_backup
from desktop.registry.backup_restore import (
    BACKUP_ACTION,
    Checked,
    OlderBackup,
    Restored,
    check_restore,
    restore_from,
)
from desktop.registry.database import DB_FILENAME, Registry
from desktop.services.acting import NotPermitted, need

__all__ = ["BackupError", "BackupService", "Checked", "Manifest", "NotPermitted",
           "OlderBackup", "Restored", "Schedule", "scheduled_name"]

SYSTEM: Final = "system"
DEFAULT_FOLDER: Final = "backups"
#: How often the running app asks whether a scheduled backup is due.
CHECK_EVERY: Final = timedelta(hours=1)
_NAME = re.compile(r"nkscreen-backup-(\d{8})-(\d{6})\.sqlite3")


@dataclass(frozen=True)
class Schedule:
    folder: Path
    #: The site setting (None: the default folder).
    chosen: str | None
    interval: timedelta
    keep: int

    @property
    def on(self) -> bool:
        return self.interval > timedelta(0)


def scheduled_name(moment: datetime) -> str:
    return f"nkscreen-backup-{moment:%Y%m%d-%H%M%S}.sqlite3"


def scheduled_backups(folder: Path) -> list[tuple[datetime, Path]]:
    """The scheduled backups in ``folder`` (files named as this app names them, with
    their time), newest first."""
    found = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for path in entries:
        match = _NAME.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        try:
            found.append((datetime.strptime("".join(match.groups()), "%Y%m%d%H%M%S"), path))
        except ValueError:
            continue
    return sorted(found, reverse=True)


class BackupService:
    def __init__(self, registry: Registry,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self._registry = registry
        self._clock = clock

    @property
    def data_dir(self) -> Path:
        return self._registry.path.parent

    # -- the schedule -------------------------------------------------------------------

    def schedule(self) -> Schedule:
        from desktop.services.site_settings import SiteSettingsService

        values = SiteSettingsService(self._registry).values()
        folder = (Path(values.backup_folder) if values.backup_folder
                  else self.data_dir / DEFAULT_FOLDER)
        return Schedule(folder, values.backup_folder,
                        timedelta(hours=values.backup_interval_hours), values.backup_keep)

    def last_backup(self) -> datetime | None:
        """When the newest scheduled backup was made (from its name); None: none yet."""
        found = scheduled_backups(self.schedule().folder)
        return found[0][0] if found else None

    def due(self, now: datetime, schedule: Schedule | None = None) -> bool:
        """Whether a scheduled backup is due at ``now`` (local time): none yet, or the
        newest (not after ``now``: a clock set back) at least the interval old."""
        schedule = schedule or self.schedule()
        if not schedule.on:
            return False
        past = [moment for moment, _path in scheduled_backups(schedule.folder)
                if moment <= now]
        return not past or now - past[0] >= schedule.interval

    def backup_if_due(self, now: datetime | None = None) -> Manifest | None:
        """Make the scheduled backup if it is due, then prune; its manifest, or None."""
        now = (now or self._clock()).replace(microsecond=0)
        schedule = self.schedule()
        if not self.due(now, schedule):
            return None
        try:
            private_folder(schedule.folder)
        except OSError as exc:
            raise BackupError(f"Backup folder: {schedule.folder} cannot be created "
                              f"({exc.strerror or exc}).") from None
        target = schedule.folder / scheduled_name(now)
        if target.exists():
            return None
        manifest = backup_to(self._registry, target, now=now)
        self._audit(SYSTEM, manifest, target, scheduled=True)
        self.prune(schedule)
        return manifest

    def prune(self, schedule: Schedule | None = None) -> list[Path]:
        """Remove the scheduled backups beyond the newest ``keep`` (and their manifests);
        the files removed. Files not named as this app names its backups stay."""
        schedule = schedule or self.schedule()
        removed = []
        for _moment, path in scheduled_backups(schedule.folder)[schedule.keep:]:
            try:
                path.unlink()
                manifest_path(path).unlink(missing_ok=True)
            except OSError:
                continue  # kept: a later check tries again
            removed.append(path)
        return removed

    def set_schedule(self, admin: Actor, *, folder: str | None, interval_hours: int,
                     keep: int) -> Schedule:
        from desktop.services.site_settings import SiteSettingsService

        SiteSettingsService(self._registry).update(
            admin, backup_folder=folder, backup_interval_hours=interval_hours,
            backup_keep=keep)
        return self.schedule()

    # -- an administrator's backup ------------------------------------------------------

    def backup_now(self, admin: Actor, target: Path, *, overwrite: bool = False) -> Manifest:
        """Copy the registry to ``target`` (with its manifest); audited under ``admin``."""
        need(admin, Permission.ADMINISTER, self._registry)
        target = Path(target)
        if target.suffix == "":
            target = target.with_suffix(".sqlite3")
        manifest = backup_to(self._registry, target, overwrite=overwrite,
                             now=self._clock())
        self._audit(admin.user_id, manifest, target, scheduled=False)
        return manifest

    def _audit(self, actor: str, manifest: Manifest, target: Path, *,
               scheduled: bool) -> None:
        record_backup(self._registry, actor, BACKUP_ACTION, {
            "file": target.name, "folder": str(target.parent.absolute()),
            "sha256": manifest.sha256, "head": manifest.head.as_dict(),
            "scheduled": scheduled})

    # -- restore ------------------------------------------------------------------------

    def check(self, admin: Actor, file: Path) -> Checked:
        """What restoring ``file`` would do (manifest, trail check, older or not); nothing
        is changed."""
        need(admin, Permission.ADMINISTER, self._registry)
        return check_restore(Path(file), self.data_dir)

    def restore(self, admin: Actor, file: Path, *, reason: str | None = None) -> Restored:
        """Close the registry in use and put ``file`` in its place (``OlderBackup`` for an
        older copy without ``reason``); the app must be started again afterwards."""
        need(admin, Permission.ADMINISTER, self._registry)
        self._registry.close()
        return restore_from(Path(file), self.data_dir, actor=admin.user_id,
                            confirm_reason=reason)


# -- the command line -------------------------------------------------------------------

Credentials = Callable[[], tuple[str, str]]


def _admin(registry: Registry, credentials: Credentials | None) -> str:
    """The administrator's user id, after the password is checked (``NotPermitted``)."""
    from desktop.services.accounts import AccountService

    accounts = AccountService(registry)
    if accounts.needs_first_admin():
        return "command line (before accounts)"
    if credentials is None:
        raise NotPermitted("the registry has accounts: an administrator's user id (--user) and "
                           "password are needed")
    user_id, password = credentials()
    who = accounts.login(user_id, password, action="cli.login")
    need(who, Permission.ADMINISTER)
    return who.user_id


def summary(manifest: Manifest, file: Path) -> dict[str, Any]:
    return {"file": str(file), "sha256": manifest.sha256, "head": manifest.head.as_dict(),
            "created_at": manifest.created_at, "schema": manifest.schema}


def backup_command(data_dir: Path, target: Path,
                   credentials: Credentials | None) -> dict[str, Any]:
    """``nkscreen backup -o FILE``: the summary printed (file, sha256, head)."""
    from desktop.registry.database import open_registry

    if not (data_dir / DB_FILENAME).is_file():
        raise BackupError(f"There is no registry in {data_dir} to back up.")
    registry = open_registry(data_dir)
    try:
        actor = _admin(registry, credentials)
        manifest = backup_to(registry, target)
        BackupService(registry)._audit(actor, manifest, target, scheduled=False)
        return summary(manifest, target)
    finally:
        registry.close()


def restore_command(data_dir: Path, file: Path, credentials: Credentials | None,
                    reason: str | None) -> dict[str, Any]:
    """``nkscreen restore FILE``: the summary printed (file, sha256, head, and the
    replaced registry's head and safety copy)."""
    from desktop.registry.database import open_registry

    actor = "command line (no registry before)"
    if (data_dir / DB_FILENAME).is_file():
        registry = open_registry(data_dir)
        try:
            actor = _admin(registry, credentials)
        finally:
            registry.close()
    done = restore_from(file, data_dir, actor=actor, confirm_reason=reason)
    return summary(done.manifest, file) | {
        "registry": str(done.registry_file),
        "old_head": None if done.old_head is None else done.old_head.as_dict(),
        "safety_copy": None if done.safety_copy is None else str(done.safety_copy),
        "older": bool(done.why), **({"reason": done.reason} if done.why else {})}
