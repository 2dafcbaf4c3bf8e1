"""Opening safely: one opener at a time, a backup before an upgrade, no network shares,
and an upgrade of a populated registry that keeps every row."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from desktop.registry.database import DB_FILENAME, RegistryError, open_registry
from desktop.registry.guards import GuardError, network_filesystem, opening_lock
from desktop.registry.revision import HEAD

FIXTURE = Path(__file__).parent / "fixtures" / "registry-0002.sql"


def _rows(path: Path, only: set[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables (``only`` those named) in the order they were written."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version' ORDER BY name")]
        return {t: [dict(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY rowid")]
                for t in tables if only is None or t in only}
    finally:
        conn.close()


def _previous_release(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DB_FILENAME
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    conn.close()
    return path


def test_upgrading_a_populated_registry_keeps_every_row(tmp_path: Path) -> None:
    path = _previous_release(tmp_path / "data")
    before = _rows(path)
    assert sum(len(rows) for rows in before.values()) > 200  # patients, visits, audit...
    open_registry(tmp_path / "data").close()
    after = _rows(path, only=set(before))  # tables added since (some without rowid) aside
    for table, rows in before.items():
        kept = [{k: row[k] for k in rows[0]} for row in after[table]] if rows else after[table]
        if table == "audit_event":  # the upgrade adds a baseline row per record after them
            assert {row["action"] for row in kept[len(rows):]} == {"audit.baseline"}
            kept = kept[:len(rows)]
        assert kept == rows, table
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_an_upgrade_is_preceded_by_a_backup_named_for_its_revision(tmp_path: Path) -> None:
    path = _previous_release(tmp_path / "data")
    before = _rows(path)
    open_registry(tmp_path / "data").close()
    backups = sorted((tmp_path / "data").glob("nkscreen-before-upgrade-from-0002-*.sqlite3"))
    assert len(backups) == 1
    assert _rows(backups[0]) == before
    conn = sqlite3.connect(backups[0])
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0002",)]
    conn.close()
    # Opening again at head makes no second backup.
    open_registry(tmp_path / "data").close()
    assert len(list((tmp_path / "data").glob("nkscreen-before-upgrade-*"))) == 1


def test_a_new_registry_needs_no_backup(tmp_path: Path) -> None:
    open_registry(tmp_path).close()
    assert not list(tmp_path.glob("nkscreen-before-upgrade-*"))


def test_a_migration_leaving_a_dangling_reference_changes_nothing(tmp_path: Path) -> None:
    path = _previous_release(tmp_path / "data")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("UPDATE visit SET screening_id = 9999 WHERE id = (SELECT min(id) FROM visit)")
    conn.commit()
    conn.close()
    before = _rows(path)
    with pytest.raises(RegistryError, match="nothing was changed"):
        open_registry(tmp_path / "data")
    assert _rows(path) == before
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0002",)]
    conn.close()


MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
//fileserver/clinic /mnt/clinic cifs rw,vers=3.0 0 0
nas:/export /srv/nfs nfs4 rw 0 0
/dev/sdb1 /mnt/clinic/local ext4 rw 0 0
"""


@pytest.mark.parametrize(
    ("folder", "kind"),
    [("/mnt/clinic/NKScreen", "cifs"), ("/srv/nfs/data", "nfs4"), ("/home/cc/NKScreen", None),
     ("/mnt/clinic/local/NKScreen", None), ("/mnt/clinicfoo", None)],
)
def test_network_file_systems_are_recognised(folder: str, kind: str | None) -> None:
    assert network_filesystem(Path(folder), MOUNTS) == kind


def test_a_registry_on_a_network_share_is_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.registry import guards

    mounts = f"/dev/sda1 / ext4 rw 0 0\n//srv/share {tmp_path} cifs rw 0 0\n"
    real = guards.network_filesystem
    monkeypatch.setattr(guards, "network_filesystem",
                        lambda folder, _mounts=None: real(folder, mounts))
    with pytest.raises(RegistryError, match=r"network file system \(cifs\).*local disk"):
        open_registry(tmp_path / "data")
    assert not (tmp_path / "data" / DB_FILENAME).exists()


def test_the_opening_lock_waits_and_times_out(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    with opening_lock(lock), pytest.raises(GuardError, match="being opened"), \
            opening_lock(lock, timeout=0.2):
        pass
    with opening_lock(lock):  # released
        pass


def _open_many(folders: list[str], barrier: Any, failures: Any) -> None:
    for folder in folders:
        barrier.wait()
        try:
            open_registry(Path(folder)).close()
        except Exception as exc:  # reported to the parent
            failures.put(f"{folder}: {exc}")


@pytest.mark.parametrize("rounds", [25])
def test_concurrent_first_opens_from_four_processes_never_fail(tmp_path: Path,
                                                               rounds: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    failures = ctx.Queue()
    folders = [str(tmp_path / f"d{i}") for i in range(rounds)]
    procs = [ctx.Process(target=_open_many, args=(folders, barrier, failures))
             for _ in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=240)
        assert proc.exitcode == 0
    found = []
    while not failures.empty():
        found.append(failures.get())
    assert found == []
    for folder in folders:
        conn = sqlite3.connect(Path(folder) / DB_FILENAME)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        conn.close()
