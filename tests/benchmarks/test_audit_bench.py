"""The audit trail's costs (issue 14). Targets: ``audit verify`` over 1,000,000 audit rows
under 5 s; a save with its audit row under 5 ms median.

The million-row registry is built once per run in bulk (1,000 patients, each audit row an
update of one of them: its changed field with old and new value, and the patient's state
digest, the way ``seal`` records it),
hashed onto the chain as ``seal`` does, then checked by the same ``verify_file`` as
``nkscreen audit verify``.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from desktop.registry.audit_capture import key_sql, snapshot_sql, state_item
from desktop.registry.audit_chain import CONTENT_SQL, GENESIS, Head, mirror, row_hash
from desktop.registry.audit_verify import verify_file
from desktop.registry.database import DB_FILENAME, open_registry
from desktop.registry.patients import PatientInput, PatientRepository

ROWS = 1_000_000
PATIENTS = 1_000


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("million")
    registry = open_registry(data)
    repo = PatientRepository(registry, "coordinator")
    for i in range(PATIENTS):
        repo.add(PatientInput(f"B{i:05}", f"Family{i}", "Given", date(1960, 1, 1), "female"))
    registry.close()
    path = data / DB_FILENAME
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN IMMEDIATE")
    snapshots = dict(conn.execute(f"SELECT {key_sql('patient')}, "
                                  f"{snapshot_sql(conn, 'patient')} FROM patient"))
    start = conn.execute("SELECT MAX(id) FROM audit_event").fetchone()[0]

    def rows() -> object:
        for n in range(ROWS - start):
            key = str(n % PATIENTS + 1)
            change = (f'[["patient","{key}","update",{{"family_name":"Old{n}"}},'
                      f'{{"family_name":"New{n}"}}]]')
            yield ("2026-12-01 10:00:00.000000", "2026-12-01T11:00:00+01:00",
                   "Europe/Berlin", "coordinator", "patient.update", "patient", int(key),
                   '{"reason": ""}', change,
                   state_item("patient", key, snapshots[key], snapshots[key]))

    conn.executemany("INSERT INTO audit_event (occurred_at, recorded_at, time_zone, actor, "
                     "action, entity, entity_id, details, changes, states) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
    prev, links = GENESIS, []
    for row_id, stored, content in conn.execute(
            f"SELECT id, row_hash, {CONTENT_SQL} FROM audit_event ORDER BY id").fetchall():
        if stored is not None:  # the patients' own rows, sealed as they were saved
            prev = stored
            continue
        digest = row_hash(prev, content)
        links.append((prev, digest, row_id))
        prev = digest
    conn.executemany("UPDATE audit_event SET prev_hash = ?, row_hash = ? WHERE id = ?", links)
    conn.execute("UPDATE audit_head SET seq = ?, hash = ?", (ROWS, prev))
    conn.execute("COMMIT")
    conn.close()
    mirror(path, Head(ROWS, prev), force=True)
    return path


def test_audit_verify_over_a_million_rows(benchmark: BenchmarkFixture, million: Path) -> None:
    report = benchmark.pedantic(verify_file, args=(million,), kwargs={"mirror": True},
                                rounds=3, iterations=1)
    assert report.ok, report.problems[:3]
    assert report.rows_checked == ROWS


def test_a_save_with_its_audit_row(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    registry = open_registry(tmp_path / "data")
    repo = PatientRepository(registry, "coordinator")
    added = repo.add(PatientInput("S1", "Family", "Given", date(1960, 1, 1), "female"))
    counter = iter(range(1_000_000))

    def save() -> None:
        n = next(counter)
        repo.update(added.id, PatientInput(f"S{n}", "Family", "Given", date(1960, 1, 1),
                                           "female"))

    benchmark.pedantic(save, rounds=300, iterations=1, warmup_rounds=10)
    registry.close()
    assert verify_file(registry.path, mirror=True).ok
