"""The backup service: the schedule (due at exactly the interval, pruning to the newest
``keep`` of its own files only), an administrator's backup and restore, and who may."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from desktop.domain.accounts import Actor, Role
from desktop.registry.backup import manifest_path, read_manifest
from desktop.registry.database import Registry, open_registry
from desktop.services.acting import NotPermitted
from desktop.services.backup import BackupService, OlderBackup, scheduled_name
from desktop.services.site_settings import SiteSettingError, SiteSettingsService
from tests.backup_support import add_patients, audit_actions, patient_mrns

T0 = datetime(2026, 12, 1, 2, 30, 0)
ADMIN = Actor("ada", "Ada Admin", frozenset({Role.ADMIN}))
MONITOR = Actor("mo", "Mo Monitor", frozenset({Role.MONITOR}))


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    opened = open_registry(tmp_path / "data")
    yield opened
    opened.close()


@pytest.fixture
def service(registry: Registry) -> BackupService:
    return BackupService(registry, clock=lambda: T0)


def fake_backup(folder: Path, moment: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / scheduled_name(moment)
    path.write_bytes(b"not checked here")
    manifest_path(path).write_text("{}")
    return path


def test_the_default_schedule_is_daily_into_the_data_folder_keeping_30(
        service: BackupService, registry: Registry) -> None:
    schedule = service.schedule()
    assert schedule.folder == registry.path.parent / "backups"
    assert schedule.interval == timedelta(hours=24)
    assert schedule.keep == 30
    assert schedule.on


def test_due_at_exactly_the_interval_and_not_a_second_before(service: BackupService) -> None:
    folder = service.schedule().folder
    assert service.due(T0)  # none yet
    fake_backup(folder, T0)
    assert not service.due(T0 + timedelta(hours=24) - timedelta(seconds=1))
    assert service.due(T0 + timedelta(hours=24))
    assert service.last_backup() == T0


def test_a_backup_from_a_clock_ahead_does_not_stop_the_schedule(
        service: BackupService) -> None:
    fake_backup(service.schedule().folder, T0 + timedelta(days=3))  # the clock went back
    assert service.due(T0)


def test_interval_zero_is_no_scheduled_backup(service: BackupService) -> None:
    service.set_schedule(ADMIN, folder=None, interval_hours=0, keep=30)
    assert not service.due(T0)
    assert service.backup_if_due(T0) is None
    assert not service.schedule().folder.exists()


def test_the_scheduled_backup_is_made_audited_and_pruned_to_its_own_newest(
        service: BackupService, registry: Registry, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    service.set_schedule(ADMIN, folder=str(folder), interval_hours=24, keep=30)
    old = [fake_backup(folder, T0 - timedelta(days=day)) for day in range(1, 36)]
    others = [folder / "nkscreen-backup-notes.txt", folder / "mine.sqlite3",
              folder / (scheduled_name(T0 - timedelta(days=90)) + ".bak")]
    for path in others:
        path.write_text("not ours")
    add_patients(registry, 0, 2)
    manifest = service.backup_if_due()
    assert manifest is not None
    made = folder / scheduled_name(T0)
    assert read_manifest(made) == manifest
    assert patient_mrns(made) == ["P00000", "P00001"]
    kept = sorted(p for p in folder.iterdir() if p.name.endswith(".sqlite3")
                  and p.name.startswith("nkscreen-backup-"))
    assert kept == sorted([made, *old[:29]])  # the newest 30, the new one among them
    assert all(not manifest_path(p).exists() for p in old[29:])
    assert all(p.read_text() == "not ours" for p in others)
    actor, action, details = audit_actions(registry.path)[-1]
    assert (actor, action) == ("system", "registry.backup")
    assert details["file"] == made.name
    assert details["sha256"] == manifest.sha256
    assert details["head"] == manifest.head.as_dict()
    assert details["scheduled"] is True
    assert service.backup_if_due(T0 + timedelta(hours=1)) is None  # not due again


def test_schedule_settings_are_checked(service: BackupService) -> None:
    with pytest.raises(SiteSettingError, match="Backup folder"):
        service.set_schedule(ADMIN, folder="relative/folder", interval_hours=24, keep=30)
    with pytest.raises(SiteSettingError, match="Backups kept"):
        service.set_schedule(ADMIN, folder=None, interval_hours=24, keep=0)
    with pytest.raises(SiteSettingError, match="Backup every"):
        service.set_schedule(ADMIN, folder=None, interval_hours=-1, keep=30)
    with pytest.raises(NotPermitted):
        service.set_schedule(MONITOR, folder=None, interval_hours=24, keep=30)


def test_only_an_administrator_backs_up_or_restores(service: BackupService,
                                                    tmp_path: Path) -> None:
    with pytest.raises(NotPermitted):
        service.backup_now(MONITOR, tmp_path / "copy.sqlite3")
    assert not (tmp_path / "copy.sqlite3").exists()
    service.backup_now(ADMIN, tmp_path / "copy.sqlite3")
    with pytest.raises(NotPermitted):
        service.check(MONITOR, tmp_path / "copy.sqlite3")
    with pytest.raises(NotPermitted):
        service.restore(MONITOR, tmp_path / "copy.sqlite3")


def test_backup_now_then_an_older_restore(service: BackupService, registry: Registry,
                                          tmp_path: Path) -> None:
    add_patients(registry, 0, 1)
    manifest = service.backup_now(ADMIN, tmp_path / "copy")  # .sqlite3 added
    target = tmp_path / "copy.sqlite3"
    assert read_manifest(target) == manifest
    assert audit_actions(registry.path)[-1][:2] == ("ada", "registry.backup")
    assert not service.check(ADMIN, target).standing.older  # only the backup came after
    add_patients(registry, 10, 1)
    assert service.check(ADMIN, target).standing.older
    with pytest.raises(OlderBackup):
        service.restore(ADMIN, target)
    done = service.restore(ADMIN, target, reason="wrong patient entered")
    assert done.reason == "wrong patient entered"
    assert patient_mrns(registry.path) == ["P00000"]
    reopened = open_registry(registry.path.parent)  # the restored registry opens
    try:
        assert SiteSettingsService(reopened).values().backup_keep == 30
    finally:
        reopened.close()
