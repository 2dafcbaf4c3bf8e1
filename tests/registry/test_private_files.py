"""The data folder's files are their user's alone on a shared workstation: what NK Screen
creates is 0o700 (folders) and 0o600 (the registry, its -wal and -shm, the copy before
an upgrade, backups, the log), whatever the umask; what already exists keeps its modes."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from desktop.paths import private_file
from desktop.registry.backup import backup_to
from desktop.registry.database import DB_FILENAME, open_registry
from desktop.services.patients import PatientService
from tests.registry.test_guards import _previous_release

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The common default, under which a plain create gives everyone read access."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_registry_and_its_folder_are_the_users_alone(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "data"
    registry = open_registry(folder)
    try:
        PatientService.open(registry, "tester")  # a write: the -wal and -shm exist now
        with registry.read() as conn:
            conn.execute("SELECT COUNT(*) FROM patient").fetchone()
        assert _mode(folder) == 0o700
        files = [folder / DB_FILENAME, folder / f"{DB_FILENAME}-wal",
                 folder / f"{DB_FILENAME}-shm"]
        assert all(p.exists() for p in files)
        assert {p.name: _mode(p) for p in files} == dict.fromkeys(
            (p.name for p in files), 0o600)
    finally:
        registry.close()


def test_what_exists_keeps_its_modes(tmp_path: Path) -> None:
    """A site may share a registry between accounts on purpose (a group folder)."""
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o770)
    os.chmod(folder, 0o770)
    open_registry(folder).close()
    os.chmod(folder / DB_FILENAME, 0o660)
    open_registry(folder).close()
    assert _mode(folder) == 0o770
    assert _mode(folder / DB_FILENAME) == 0o660


def test_the_copy_before_an_upgrade_is_the_users_alone(tmp_path: Path) -> None:
    path = _previous_release(tmp_path / "data")
    os.chmod(path, 0o644)  # as a previous release left it
    open_registry(tmp_path / "data").close()
    (copy,) = (tmp_path / "data").glob("nkscreen-before-upgrade-from-*.sqlite3")
    assert _mode(copy) == 0o600


def test_a_backup_is_the_users_alone(tmp_path: Path) -> None:
    registry = open_registry(tmp_path / "data")
    try:
        target = tmp_path / "backup.sqlite3"
        backup_to(registry.path, target, now=datetime(2026, 12, 4, 9, 0).astimezone())
        assert _mode(target) == 0o600
    finally:
        registry.close()


def test_the_log_is_the_users_alone(tmp_path: Path) -> None:
    from desktop.ui.common.errors import log_exception

    log = tmp_path / "nkscreen.log"
    assert log_exception(log, ValueError("MRN A1234567 could not be read"), "Unexpected")
    assert _mode(log) == 0o600
    assert "A1234567" in log.read_text(encoding="utf-8")


def test_private_file_leaves_an_existing_file_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "kept.txt"
    path.write_text("kept")
    os.chmod(path, 0o644)
    private_file(path)
    assert path.read_text() == "kept"
    assert _mode(path) == 0o644
