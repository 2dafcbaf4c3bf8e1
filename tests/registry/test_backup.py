"""Backups made while the registry is written to, and restoring them.

What an administrator relies on: a copy taken while others save is one consistent
registry that passes the audit check, described by its manifest; a copy changed since is
never put back; an older copy is put back only with a reason, which the restored
registry's audit trail keeps; and the registry is never half replaced.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from desktop.registry.audit_chain import read_head, read_mirror
from desktop.registry.backup import (
    BackupError,
    backup_to,
    manifest_path,
    read_manifest,
    sha256_of,
)
from desktop.registry.backup_restore import (
    OlderBackup,
    check_restore,
    restore_from,
)
from desktop.registry.database import DB_FILENAME, Registry, open_registry
from desktop.registry.revision import HEAD
from tests.backup_support import add_patients, audit_actions, patient_mrns


def copy_head_matches_trail(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        head = read_head(conn)
        (newest,) = conn.execute("SELECT MAX(id) FROM audit_event").fetchone()
        (created,) = conn.execute("SELECT COUNT(*) FROM audit_event "
                                  "WHERE action = 'patient.create'").fetchone()
        (patients,) = conn.execute("SELECT COUNT(*) FROM patient").fetchone()
    finally:
        conn.close()
    assert head is not None
    assert head.seq == newest
    return created, patients


def test_backup_while_writing_is_one_consistent_verifying_registry(
        registry: Registry, tmp_path: Path) -> None:
    from desktop.registry.audit_verify import verify_file

    add_patients(registry, 0, 40)
    stop, errors, written = threading.Event(), [], [0]

    def writer() -> None:
        number = 1000
        try:
            while not stop.is_set():
                add_patients(registry, number, 1)
                number += 1
                written[0] += 1
        except BaseException as exc:  # the test fails on any
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 3:  # the writer is under way
            stop.wait(0.01)
        target = tmp_path / "copy.sqlite3"
        manifest = backup_to(registry, target)
        during = written[0]
        while written[0] < during + 3:  # and goes on after: it was never shut out
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert sha256_of(target) == (manifest.sha256, manifest.size)
    assert read_manifest(target) == manifest
    created, patients = copy_head_matches_trail(target)
    assert created == patients >= 43  # every patient with its audit row, and no other
    assert verify_file(target).ok
    assert manifest.head.seq == verify_file(target).head.seq
    assert not Path(f"{target}-wal").exists()  # one self-contained file


def test_the_manifest_says_what_the_copy_is(registry: Registry, tmp_path: Path) -> None:
    add_patients(registry, 0, 2)
    target = tmp_path / "copy.sqlite3"
    backup_to(registry, target)
    data = json.loads(manifest_path(target).read_text(encoding="utf-8"))
    assert data["file"] == "copy.sqlite3"
    assert data["sha256"] == sha256_of(target)[0]
    assert data["source"] == str(registry.path.absolute())
    assert data["created_at"][-6] in "+-"  # with its UTC offset
    with registry.read() as conn:
        assert data["head"] == read_head(conn).as_dict()  # type: ignore[union-attr]
    assert data["schema"] == HEAD
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_existing_file_is_not_overwritten(registry: Registry, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite3"
    target.write_text("keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup_to(registry, target)
    assert target.read_text() == "keep me"
    with pytest.raises(BackupError, match="already exists"):
        backup_to(registry, registry.path, overwrite=True)


def test_restore_into_a_new_folder_gives_the_copy(registry: Registry,
                                                     tmp_path: Path) -> None:
    add_patients(registry, 0, 5)
    target = tmp_path / "copy.sqlite3"
    manifest = backup_to(registry, target)
    fresh = tmp_path / "new" / "data"  # a new workstation: the folder is made
    done = restore_from(target, fresh, actor="admin")
    assert done.old_head is None
    assert done.safety_copy is None
    assert patient_mrns(fresh / DB_FILENAME) == patient_mrns(target)
    actor, action, details = audit_actions(fresh / DB_FILENAME)[-1]
    assert (actor, action) == ("admin", "registry.restore")
    assert details["sha256"] == manifest.sha256
    assert details["head"] == manifest.head.as_dict()
    reopened = open_registry(fresh)
    with reopened.read() as conn:
        head = read_head(conn)
    reopened.close()
    assert read_mirror(fresh / DB_FILENAME) == head


def test_restore_over_the_registry_keeps_a_safety_copy_and_replaces_the_wal(
        registry: Registry, tmp_path: Path) -> None:
    from desktop.registry.audit_verify import verify_file

    add_patients(registry, 0, 3)
    target = tmp_path / "copy.sqlite3"
    backup_to(registry, target)
    data_dir = registry.path.parent
    before = patient_mrns(registry.path)
    registry.close()
    done = restore_from(target, data_dir, actor="admin")  # only the backup came after
    assert done.why == ()
    assert done.reason is None
    assert done.safety_copy is not None
    assert done.safety_copy.parent == data_dir
    assert done.safety_copy.name.startswith("nkscreen-before-restore-")
    assert patient_mrns(done.safety_copy) == before
    assert read_manifest(done.safety_copy).file == done.safety_copy.name  # restorable too
    assert patient_mrns(registry.path) == patient_mrns(target)
    assert verify_file(registry.path).ok


def test_a_copy_changed_after_the_backup_is_refused(registry: Registry,
                                                    tmp_path: Path) -> None:
    add_patients(registry, 0, 3)
    target = tmp_path / "copy.sqlite3"
    backup_to(registry, target)
    conn = sqlite3.connect(target)
    conn.execute("DROP TRIGGER audit_patient_update")
    conn.execute("UPDATE patient SET family_name = 'Changed' WHERE mrn = 'P00001'")
    conn.execute("UPDATE audit_event SET actor = 'someone else' WHERE id = 2")
    conn.commit()
    conn.close()
    before = patient_mrns(registry.path)
    registry.close()
    with pytest.raises(BackupError, match="does not match its manifest"):
        restore_from(target, registry.path.parent, actor="admin")
    # Even with the manifest's SHA-256 made to match: its trail gives it away.
    manifest = json.loads(manifest_path(target).read_text())
    manifest["sha256"], manifest["size"] = sha256_of(target)
    manifest_path(target).write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="fails the audit trail check"):
        check_restore(target, registry.path.parent)
    assert patient_mrns(registry.path) == before
    assert [p.name for p in registry.path.parent.iterdir()
            if "restore" in p.name] == []  # nothing left behind


def test_an_older_copy_needs_a_reason_which_the_trail_keeps(registry: Registry,
                                                            tmp_path: Path) -> None:
    add_patients(registry, 0, 2)
    target = tmp_path / "copy.sqlite3"
    manifest = backup_to(registry, target)
    add_patients(registry, 100, 1)  # a patient after the backup
    with registry.read() as conn:
        newer = read_head(conn)
    data_dir = registry.path.parent
    registry.close()
    checked = check_restore(target, data_dir)
    assert checked.standing.older
    assert checked.standing.current == newer
    with pytest.raises(OlderBackup, match="older than the current registry"):
        restore_from(target, data_dir, actor="admin")
    assert "P00100" in patient_mrns(data_dir / DB_FILENAME)  # refused: nothing changed
    done = restore_from(target, data_dir, actor="admin",
                        confirm_reason="  the patient was entered   in the wrong registry ")
    assert "P00100" not in patient_mrns(data_dir / DB_FILENAME)
    actor, action, details = audit_actions(data_dir / DB_FILENAME)[-1]
    assert (actor, action) == ("admin", "registry.restore")
    assert details["older"] is True
    assert details["reason"] == "the patient was entered in the wrong registry"
    assert details["old_head"] == newer.as_dict()  # type: ignore[union-attr]
    assert details["head"] == manifest.head.as_dict()
    assert done.safety_copy is not None
    assert "P00100" in patient_mrns(done.safety_copy)


def test_a_copy_of_another_registry_needs_a_reason(tmp_path: Path) -> None:
    one, other = open_registry(tmp_path / "one"), open_registry(tmp_path / "other")
    add_patients(one, 0, 2)
    add_patients(other, 50, 2)
    backup_to(other, tmp_path / "other.sqlite3")
    one.close()
    other.close()
    checked = check_restore(tmp_path / "other.sqlite3", tmp_path / "one")
    assert any("not the current registry's" in why for why in checked.standing.why)


def test_a_registry_open_elsewhere_is_not_replaced(registry: Registry,
                                                   tmp_path: Path) -> None:
    add_patients(registry, 0, 2)
    target = tmp_path / "copy.sqlite3"
    backup_to(registry, target)
    add_patients(registry, 100, 1)  # still open: its connections hold the file
    with pytest.raises(BackupError, match="open in another NK Screen window"):
        restore_from(target, registry.path.parent, actor="admin", confirm_reason="test")
    assert "P00100" in patient_mrns(registry.path)
    add_patients(registry, 200, 1)  # and it still works
    assert "P00200" in patient_mrns(registry.path)


def test_no_manifest_no_restore(registry: Registry, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite3"
    backup_to(registry, target)
    manifest_path(target).unlink()
    with pytest.raises(BackupError, match="has no manifest"):
        check_restore(target, registry.path.parent)


def test_a_signature_after_the_copy_makes_it_older(registry: Registry, tmp_path: Path,
                                                   patient_id: int) -> None:
    from desktop.library import find_trial
    from desktop.registry.screenings import ScreeningRepository
    from tests.registry.conftest import CLOCK, sign, store_example

    screenings = ScreeningRepository(registry, "coordinator", lambda: CLOCK)
    trial = find_trial("NCT06138587")
    visit = screenings.start_visit(screenings.start(patient_id, trial).id, trial,
                                   "screening-1")
    store_example(screenings, patient_id, visit, trial.id)
    screenings.complete(visit.id)
    target = tmp_path / "copy.sqlite3"
    backup_to(registry, target)
    add_patients(registry, 100, 1)  # then the signature, on a trail past the copy's head
    sign(screenings, visit.id)
    registry.close()
    why = check_restore(target, registry.path.parent).standing.why
    assert any(line.startswith("1 signature(s) in the current registry were written when "
                               "its audit trail had reached row") for line in why), why
