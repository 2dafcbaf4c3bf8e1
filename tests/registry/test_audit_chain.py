"""The hash-chained audit trail (issue 14): every change is chained as it commits, and
``verify_file`` reports each kind of tampering at the right row."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from desktop.registry.audit_chain import (
    CONTENT_SQL,
    GENESIS,
    Head,
    mirror_path,
    read_mirror,
    row_hash,
)
from desktop.registry.audit_verify import AuditReport, verify_file
from desktop.registry.database import DB_FILENAME, Registry, open_registry
from desktop.registry.models.audit import AuditEvent
from desktop.registry.patients import PatientRepository
from tests.registry.conftest import patient, sign
from tests.registry.test_signatures import _completed


def _path(registry: Registry) -> Path:
    return registry.path


def _check(registry: Registry) -> AuditReport:
    return verify_file(registry.path, mirror=True)


def _sql(registry: Registry, *statements: str) -> None:
    """What someone with the sqlite3 shell does, outside NK Screen."""
    conn = sqlite3.connect(registry.path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _rows(registry: Registry) -> list[tuple[object, ...]]:
    with registry.read() as conn:
        return conn.execute("SELECT id, action, entity, entity_id, prev_hash, row_hash, "
                            "changes FROM audit_event ORDER BY id").fetchall()


def _few(repo: PatientRepository, n: int = 5) -> None:
    for i in range(n):
        added = repo.add(patient(mrn=f"AB{i}", family=f"Fam{i}"))
        repo.update(added.id, patient(mrn=f"AB{i}", family=f"Renamed{i}"))


def _first(report: AuditReport) -> tuple[str, int | None]:
    assert report.problems, "the tampering went unnoticed"
    return report.problems[0].kind, report.problems[0].row


def test_every_write_is_chained_with_its_field_changes(registry: Registry,
                                                       repo: PatientRepository) -> None:
    added = repo.add(patient())
    repo.update(added.id, patient(family="Other"))
    rows = _rows(registry)
    assert [r[1] for r in rows] == ["patient.create", "patient.update"]
    assert rows[0][4] == GENESIS
    assert rows[1][4] == rows[0][5]
    [[table, key, op, old, new]] = json.loads(str(rows[1][6]))
    assert (table, key, op) == ("patient", str(added.id), "update")
    assert old["family_name"] == "Fictional"
    assert new["family_name"] == "Other"
    with registry.read() as conn:
        content = conn.execute(f"SELECT {CONTENT_SQL} FROM audit_event WHERE id = 2"
                               ).fetchone()[0]
        recorded_at, zone = conn.execute(
            "SELECT recorded_at, time_zone FROM audit_event WHERE id = 2").fetchone()
    assert row_hash(str(rows[0][5]), content) == rows[1][5]
    assert datetime.fromisoformat(recorded_at).utcoffset() is not None  # with its offset
    assert zone
    assert read_mirror(registry.path) == Head(2, str(rows[1][5]))
    report = _check(registry)
    assert report.ok, report.problems
    assert report.rows_checked == 2
    assert report.head == Head(2, str(rows[1][5]))


def test_a_rolled_back_write_leaves_no_row_and_no_pending_change(
        registry: Registry, repo: PatientRepository) -> None:
    repo.add(patient())
    def failing_save() -> None:
        with registry.session() as session:
            session.add(AuditEvent(actor="x", action="patient.create", entity="patient",
                                   entity_id=99, details={}))
            session.flush()
            raise RuntimeError("the save failed half-way")

    with pytest.raises(RuntimeError):
        failing_save()
    assert len(_rows(registry)) == 1
    assert _check(registry).ok


def test_an_altered_row_is_reported_at_that_row(registry: Registry,
                                                repo: PatientRepository) -> None:
    _few(repo)
    _sql(registry, "UPDATE audit_event SET actor = 'dr-fake' WHERE id = 4")
    assert _first(_check(registry)) == ("chain", 4)


def test_an_altered_row_rehashed_breaks_the_link_to_the_next(
        registry: Registry, repo: PatientRepository) -> None:
    _few(repo)
    with registry.read() as conn:
        prev = conn.execute("SELECT row_hash FROM audit_event WHERE id = 3").fetchone()[0]
    _sql(registry, "UPDATE audit_event SET actor = 'dr-fake' WHERE id = 4")
    with registry.read() as conn:
        content = conn.execute(f"SELECT {CONTENT_SQL} FROM audit_event WHERE id = 4"
                               ).fetchone()[0]
    _sql(registry, f"UPDATE audit_event SET row_hash = '{row_hash(prev, content)}' "
                   f"WHERE id = 4")
    assert _first(_check(registry)) == ("chain", 5)


def test_a_deleted_row_is_reported_by_number(registry: Registry,
                                             repo: PatientRepository) -> None:
    _few(repo)
    _sql(registry, "DELETE FROM audit_event WHERE id = 6")
    report = _check(registry)
    assert _first(report) == ("chain", 6)
    assert "row 6 is missing" in report.problems[0].message


def test_an_inserted_row_is_reported(registry: Registry, repo: PatientRepository) -> None:
    _few(repo)
    # Make room at row 4 and forge a row there: every later row no longer follows.
    _sql(registry, "UPDATE audit_event SET id = id + 100 WHERE id >= 4",
         "UPDATE audit_event SET id = id - 99 WHERE id >= 104",
         "INSERT INTO audit_event (id, occurred_at, actor, action, entity, entity_id, details, "
         "clock_back, prev_hash, row_hash) VALUES (4, '2026-01-01 00:00:00.000000', "
         "'dr-fake', 'visit.signature', 'visit', 1, '{}', 0, 'x', 'y')")
    kind, row = _first(_check(registry))
    assert (kind, row) == ("chain", 4)


def test_the_newest_rows_removed_are_caught_by_each_witness(
        registry: Registry, repo: PatientRepository, tmp_path: Path) -> None:
    _few(repo)
    _sql(registry, "DELETE FROM audit_event WHERE id > 8")
    report = _check(registry)
    assert _first(report) == ("head", 8)
    assert "reached row 10" in report.problems[0].message
    # The head record put right too: the mirror file beside the registry still knows.
    with registry.read() as conn:
        last = conn.execute("SELECT row_hash FROM audit_event WHERE id = 8").fetchone()[0]
    _sql(registry, f"UPDATE audit_head SET seq = 8, hash = '{last}'")
    assert [p.kind for p in _check(registry).problems][:1] == ["mirror"]
    # Without the mirror file, a copy is still measured against its signatures' heads.
    assert verify_file(registry.path, witnesses=[("the backup manifest", Head(10, "h"))]
                       ).problems[0].kind == "witness"


def test_a_signature_keeps_the_head_it_saw(registry: Registry, screenings, patient_id) -> None:
    done = _completed(screenings, patient_id)
    sign(screenings, done.id)
    with registry.read() as conn:
        seq, digest = conn.execute("SELECT chain_seq, chain_hash FROM signature").fetchone()
        assert conn.execute("SELECT row_hash FROM audit_event WHERE id = ?",
                            (seq,)).fetchone()[0] == digest
        last = conn.execute("SELECT MAX(id) FROM audit_event").fetchone()[0]
    assert seq == last - 1  # the head before the signature's own row
    assert _check(registry).ok
    # Everything from the signature's head on removed, head record and mirror "fixed":
    _sql(registry, f"DELETE FROM audit_event WHERE id >= {seq}")
    with registry.read() as conn:
        prev_seq, prev = conn.execute("SELECT id, row_hash FROM audit_event "
                                      "ORDER BY id DESC LIMIT 1").fetchone()
    _sql(registry, f"UPDATE audit_head SET seq = {prev_seq}, hash = '{prev}'")
    mirror_path(registry.path).unlink()
    kinds = {p.kind for p in verify_file(registry.path).problems}
    assert "signature" in kinds


def test_an_older_copy_put_back_is_caught_by_the_mirror(
        registry: Registry, repo: PatientRepository, tmp_path: Path) -> None:
    _few(repo, 2)
    registry.close()
    shutil.copy(registry.path, tmp_path / "old.sqlite3")
    reopened = open_registry(registry.path.parent)
    PatientRepository(reopened, "c").add(patient(mrn="ZZ9"))
    reopened.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{registry.path}{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "old.sqlite3", registry.path)
    report = verify_file(registry.path, mirror=True)
    assert _first(report) == ("mirror", 4)


def test_a_data_row_edited_directly_is_reported_with_its_last_audit_row(
        registry: Registry, repo: PatientRepository) -> None:
    _few(repo, 2)
    _sql(registry, "UPDATE patient SET birth_date = '1990-01-01' WHERE id = 2")
    report = _check(registry)
    data = [p for p in report.problems if p.kind == "data"]
    assert len(data) == 1
    assert data[0].row == 4
    assert "patient 2" in data[0].message
    assert "birth_date" in data[0].message
    assert "1990" not in data[0].message  # never a value
    assert any(p.kind == "pending" for p in report.problems)


def test_a_row_deleted_or_added_directly_is_reported(registry: Registry, screenings,
                                                     patient_id) -> None:
    done = _completed(screenings, patient_id)
    sign(screenings, done.id)
    _sql(registry, "DROP TRIGGER audit_visit_update", "DROP TRIGGER audit_answer_delete",
         "DROP TRIGGER audit_patient_insert",
         "UPDATE visit SET decision = 'eligible', signed_by = 'Dr Fake'",
         "DELETE FROM answer WHERE id = 1",
         "INSERT INTO patient (mrn, mrn_key, family_name, family_key, given_name, given_key, "
         "birth_date, sex, archived, created_at, created_by, updated_at, updated_by) VALUES "
         "('X1', 'X1', 'F', 'F', 'G', 'G', '1970-01-01', 'male', 0, '', '', '', '')")
    messages = [p.message for p in _check(registry).problems if p.kind == "data"]
    assert any(m.startswith("visit 1 differs") and "signed_by" in m for m in messages)
    assert any(m.startswith("answer 1 is gone") for m in messages)
    assert any(m.startswith("patient 2 is not in the audit trail") for m in messages)


def test_changes_made_outside_are_never_laundered_by_the_next_save(
        registry: Registry, repo: PatientRepository) -> None:
    _few(repo, 1)
    _sql(registry, "UPDATE patient SET sex = 'male' WHERE id = 1")
    repo.add(patient(mrn="NEW1"))  # the app goes on: its save chains only its own change
    report = _check(registry)
    # The save that found the foreign change waiting said so in the chain; the change
    # itself stays outside it, set aside.
    assert [p.kind for p in report.problems] == ["anomaly", "data", "pending"]
    assert "1 change to patient written outside NK Screen was found waiting" \
        in report.problems[0].message
    with registry.read() as conn:
        changes = conn.execute("SELECT changes FROM audit_event ORDER BY id DESC LIMIT 1"
                               ).fetchone()[0]
    assert [c[:2] for c in json.loads(changes)] == [["patient", "2"]]


def test_a_save_after_the_newest_rows_were_removed_records_the_gap(
        registry: Registry, repo: PatientRepository) -> None:
    _few(repo, 2)
    _sql(registry, "DELETE FROM audit_event WHERE id = 4")
    repo.add(patient(mrn="NEW1"))
    with registry.read() as conn:
        anomaly = conn.execute("SELECT anomaly FROM audit_event WHERE id = 4").fetchone()[0]
    assert "head record named row 4" in anomaly
    assert "ended at row 3" in anomaly
    kinds = [(p.kind, p.row) for p in _check(registry).problems]
    assert ("anomaly", 4) in kinds


def test_two_writers_interleaving_keep_one_valid_chain(tmp_path: Path) -> None:
    first = open_registry(tmp_path / "data")
    second = Registry(first.path)  # a second window: its own engine and connections
    errors: list[BaseException] = []

    def write(registry: Registry, name: str) -> None:
        try:
            repo = PatientRepository(registry, name)
            for i in range(40):
                repo.add(patient(mrn=f"{name}{i}", family=name))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(r, n))
               for r, n in ((first, "AA"), (second, "BB"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.close()
    second.close()
    assert not errors
    report = verify_file(first.path, mirror=True)
    assert report.ok, report.problems
    assert report.rows_checked == 80


def test_a_clock_set_back_is_recorded_as_it_is_and_flagged(
        registry: Registry, repo: PatientRepository) -> None:
    repo.add(patient())
    with registry.read() as conn:
        (first,) = conn.execute("SELECT occurred_at FROM audit_event").fetchone()
    earlier = datetime.fromisoformat(first).replace(tzinfo=UTC) - timedelta(hours=3)
    for moment in (earlier, earlier + timedelta(hours=1),
                   earlier + timedelta(hours=3, seconds=1)):
        with registry.session() as session:
            session.add(AuditEvent(occurred_at=moment, actor="c", action="login",
                                   entity="account", entity_id=1, details={}))
    with registry.read() as conn:
        rows = conn.execute("SELECT occurred_at, clock_back FROM audit_event ORDER BY id"
                            ).fetchall()
    assert [r[1] for r in rows] == [0, 1, 1, 0]
    assert rows[1][0] == earlier.strftime("%Y-%m-%d %H:%M:%S.%f")  # kept as the clock said
    report = _check(registry)
    assert report.ok  # a flag for the admin, not a broken trail
    assert report.clock_set_back == (2, 3)


def test_an_upgraded_registry_gets_a_baseline_row_per_record(tmp_path: Path) -> None:
    from tests.registry.test_guards import _previous_release

    path = _previous_release(tmp_path / "data")
    conn = sqlite3.connect(path)
    records = sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("patient", "screening", "visit", "observation", "answer",
                            "visit_event", "patient_fact", "screen_failure"))
    old_rows = conn.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0]
    conn.close()
    registry = open_registry(tmp_path / "data")
    try:
        with registry.read() as read:
            baseline = read.execute("SELECT COUNT(*) FROM audit_event WHERE action = "
                                    "'audit.baseline'").fetchone()[0]
            total = read.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0]
        assert baseline == records
        assert total == old_rows + records
        report = verify_file(registry.path, mirror=True)  # the upgrade mirrored its head
        assert report.ok, report.problems
        assert report.records_checked == records
        # From here on a change outside NK Screen is caught.
        _sql(registry, "UPDATE observation SET value = '999' WHERE id = 1")
        assert any(p.kind == "data" and p.message.startswith("observation 1 differs")
                   for p in verify_file(registry.path).problems)
    finally:
        registry.close()


def test_five_hundred_random_saves_through_the_repositories_verify(tmp_path: Path) -> None:
    import random

    from desktop.registry.site_settings import SiteSettingRepository

    registry = open_registry(tmp_path / "data")
    try:
        rng = random.Random(14)
        repo = PatientRepository(registry, "coordinator")
        settings = SiteSettingRepository(registry)
        ids: list[int] = []
        for step in range(500):
            roll = rng.random()
            if roll < 0.35 or not ids:
                ids.append(repo.add(patient(mrn=f"R{step}", family=f"F{step}",
                                            birth=date(1950 + step % 50, 1, 1))).id)
            elif roll < 0.8:
                target = rng.choice(ids)
                repo.update(target, patient(mrn=f"R{target}x{step}", family=f"G{step}",
                                            sex=rng.choice(["female", "male"])))
            elif roll < 0.9:
                settings.set("admin", {"site_name": f"Site {step}"})
            else:
                target = ids.pop(rng.randrange(len(ids)))
                repo.void(target, f"registered twice ({step})")
    finally:
        registry.close()
    report = verify_file(registry.path, mirror=True)
    assert report.ok, report.problems[:3]
    assert report.rows_checked >= 500


def test_ten_thousand_random_operations_verify(tmp_path: Path) -> None:
    """The chain's own machinery (capture triggers, seal, head) under 10,000 random
    inserts, updates and deletes in transactions of one to three, with and without an
    audit row of their own - on the stdlib connection, without the ORM on top, so that
    it runs in seconds (``synchronous=OFF``: durability is not what is tested here)."""
    import random

    from desktop.registry.audit_chain import floor, seal

    open_registry(tmp_path / "data").close()
    path = tmp_path / "data" / DB_FILENAME
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    rng = random.Random(2026)
    ids: list[int] = []

    def one(step: int) -> None:
        roll = rng.random()
        if roll < 0.4 or not ids:
            cursor = conn.execute(
                "INSERT INTO patient (mrn, mrn_key, mrn_fold, family_name, family_key, "
                "given_name, given_key, birth_date, sex, archived, created_at, created_by, "
                "updated_at, updated_by) VALUES (?, ?, ?, 'F', 'F', 'G', 'G', '1970-01-01', "
                "'male', 0, '', 'c', '', 'c')", (f"M{step}", f"M{step}", f"m{step}"))
            assert cursor.lastrowid is not None
            ids.append(cursor.lastrowid)
        elif roll < 0.75:
            conn.execute("UPDATE patient SET family_name = ?, archived = ? WHERE id = ?",
                         (f"N{step}", rng.randint(0, 1), rng.choice(ids)))
        elif roll < 0.85:
            conn.execute("DELETE FROM patient WHERE id = ?",
                         (ids.pop(rng.randrange(len(ids))),))
        else:
            conn.execute("INSERT INTO site_setting (key, value, updated_at, updated_by) "
                         "VALUES (?, ?, '', 'a') ON CONFLICT (key) DO UPDATE SET "
                         "value = excluded.value", (f"k{rng.randint(0, 9)}", str(step)))

    step = 0
    while step < 10_000:
        conn.execute("BEGIN IMMEDIATE")
        since = floor(conn)
        for _ in range(rng.randint(1, 3)):
            one(step)
            step += 1
        if rng.random() < 0.8:
            conn.execute("INSERT INTO audit_event (occurred_at, actor, action, entity, "
                         "entity_id, details) VALUES (strftime('%Y-%m-%d %H:%M:%f000', "
                         "'now'), 'c', 'patient.update', 'patient', ?, '{}')",
                         (rng.choice(ids) if ids else 0,))
        seal(conn, since)
        conn.execute("COMMIT")
    conn.close()
    report = verify_file(path)
    assert report.ok, report.problems[:3]
    assert report.rows_checked > 3000
    assert report.records_checked > 1000


def test_a_change_made_outside_is_not_laundered_by_a_later_save_of_the_same_record(
        registry: Registry, repo: PatientRepository) -> None:
    added = repo.add(patient())
    # The capture cleared away behind the edit, as someone covering their tracks would.
    _sql(registry, f"UPDATE patient SET birth_date = '1940-01-01', sex = 'male' "
                   f"WHERE id = {added.id}", "DELETE FROM audit_pending")
    repo.set_archived(added.id, True)  # an ordinary save of that patient
    report = _check(registry)
    kind, row = _first(report)
    assert (kind, row) == ("data", 2)
    assert report.problems[0].message.startswith(
        "row 2 changed patient 1, whose values were no longer those the trail recorded at "
        "row 1")


def test_a_trigger_dropped_altered_or_planted_is_reported(registry: Registry,
                                                          repo: PatientRepository) -> None:
    repo.add(patient())
    assert _check(registry).ok
    _sql(registry, "CREATE TRIGGER zz_touch AFTER INSERT ON patient BEGIN UPDATE patient "
                   "SET birth_date = '1999-09-09' WHERE id = NEW.id; END",
         "DROP TRIGGER audit_visit_update",
         "DROP TRIGGER audit_answer_insert",
         "CREATE TRIGGER audit_answer_insert AFTER INSERT ON answer BEGIN SELECT 1; END")
    messages = [p.message for p in _check(registry).problems if p.kind == "schema"]
    assert messages == [
        "the capture trigger audit_visit_update is missing",
        "the capture trigger audit_answer_insert is not the one NK Screen made",
        "the registry has a trigger NK Screen did not make (zz_touch)"]


def test_an_older_copy_put_back_stays_caught_after_more_work(
        registry: Registry, repo: PatientRepository, tmp_path: Path) -> None:
    _few(repo, 1)
    registry.close()
    shutil.copy(registry.path, tmp_path / "old.sqlite3")
    reopened = open_registry(registry.path.parent)
    again = PatientRepository(reopened, "c")
    for mrn in ("C1", "C2", "C3"):
        again.add(patient(mrn=mrn))
    reopened.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{registry.path}{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "old.sqlite3", registry.path)
    reopened = open_registry(registry.path.parent)
    again = PatientRepository(reopened, "c")
    for mrn in ("D1", "D2", "D3", "D4"):  # the trail grows past the mirror's row number
        again.add(patient(mrn=mrn))
    reopened.close()
    report = verify_file(registry.path, mirror=True)
    assert _first(report) == ("anomaly", 3)
    assert "head mirror file named row 5, beyond the trail's end at row 2" \
        in report.problems[0].message


def test_a_row_number_planted_in_the_capture_table_blames_no_later_save(
        registry: Registry, repo: PatientRepository) -> None:
    repo.add(patient())
    _sql(registry, "INSERT INTO audit_pending (id, tbl, row_key, op, old, new) "
                   "VALUES (9223372036854775807, 'patient', '1', 'update', NULL, NULL)")
    for mrn in ("E1", "E2"):
        repo.add(patient(mrn=mrn))
    report = _check(registry)
    assert [p.kind for p in report.problems] == ["anomaly", "pending"]  # the plant, no more
    assert report.records_checked == 3


def test_a_save_waiting_for_another_windows_save_is_not_a_clock_set_back(
        registry: Registry, repo: PatientRepository) -> None:
    repo.add(patient())
    with registry.read() as conn:
        (first,) = conn.execute("SELECT occurred_at FROM audit_event").fetchone()
    stamped = datetime.fromisoformat(first).replace(tzinfo=UTC) - timedelta(seconds=5)
    with registry.session() as session:
        session.add(AuditEvent(occurred_at=stamped, actor="c", action="audit.export",
                               entity="audit", entity_id=0, details={}))
    assert _check(registry).clock_set_back == ()


@pytest.mark.parametrize(("statement", "kind"), [
    ("UPDATE observation SET at = 'Jane Doe 1970-05-17'", "data"),
    ("UPDATE patient SET birth_date = 'Jane Doe'", "data"),
    ("UPDATE signature SET chain_seq = 'Jane Doe'", "signature"),
    ("UPDATE stage_version SET content = 'Jane Doe'", "data"),
    ("UPDATE audit_head SET seq = 'Jane Doe'", "head"),
    ("UPDATE patient SET family_name = x'4a616e65'", "data"),
    ("DROP TABLE audit_pending", "schema"),
])
def test_values_damaged_by_hand_are_problems_never_a_crash_nor_quoted(
        tmp_path: Path, statement: str, kind: str) -> None:
    from tests.cli.test_audit_verify import _signed_registry, _verify

    _signed_registry(tmp_path / "data")
    conn = sqlite3.connect(tmp_path / "data" / DB_FILENAME)
    conn.execute("DROP TRIGGER IF EXISTS audit_patient_update")  # so the BLOB stays a BLOB
    conn.execute(statement)
    conn.commit()
    conn.close()
    code, summary, stderr = _verify(tmp_path / "data")
    assert code == 1
    assert "Jane" not in stderr + json.dumps(summary)
    problems = summary["problems"]
    assert isinstance(problems, list)
    assert kind in {p["kind"] for p in problems}


@pytest.mark.parametrize(("earlier", "flagged"), [
    (timedelta(seconds=10), 0),  # exactly the tolerance: a save that waited
    (timedelta(seconds=10, microseconds=1), 1),  # beyond it: the clock went back
])
def test_the_clock_tolerance_at_its_exact_boundary(
        registry: Registry, repo: PatientRepository, earlier: timedelta,
        flagged: int) -> None:
    repo.add(patient())
    with registry.read() as conn:
        (first,) = conn.execute("SELECT occurred_at FROM audit_event").fetchone()
    stamped = datetime.fromisoformat(first).replace(tzinfo=UTC) - earlier
    with registry.session() as session:
        session.add(AuditEvent(occurred_at=stamped, actor="c", action="login",
                               entity="account", entity_id=1, details={}))
    with registry.read() as conn:
        (clock_back,) = conn.execute("SELECT clock_back FROM audit_event WHERE id = 2"
                                     ).fetchone()
    assert clock_back == flagged
