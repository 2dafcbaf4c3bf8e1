"""Audit view speed over 100,000 audit rows (opt-in: ``--benchmark-enable``).

Each round is what the view does per "Show": ``listing``, the count and the first page. The trail is
the demo's screenings' rows copied (other records' ids, earlier hours) to past 100,000.
Targets (median): under 100 ms with no filter or a user, entity or date filter (from
their indexes; most of it is turning 200 rows' changes into field changes); under 200 ms
for an action (no index: a scan); under 300 ms for a patient (the rows that may carry
another record's changes are read change by change).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from desktop import paths
from desktop.library import load_library
from desktop.registry.audit_reads import AuditFilter, AuditReads
from desktop.registry.database import Registry, open_registry
from desktop.registry.demo import seed_demo
from desktop.registry.demo_screenings import seed_demo_screenings

ROWS = 100_000
#: A day among the copies (each an hour earlier than the one before).
DAY = date.today() - timedelta(days=20)


@pytest.fixture(scope="module")
def big_trail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    folder = Path(tmp_path_factory.mktemp("bench-audit"))
    registry = open_registry(folder)
    seed_demo(registry)
    seed_demo_screenings(registry, {t.id: t for t in load_library()},
                         paths.trials_dir() / "examples")
    conn = sqlite3.connect(registry.path)
    (seeded,) = conn.execute("SELECT COUNT(*) FROM audit_event").fetchone()
    with conn:
        for copy in range(1, ROWS // seeded + 1):
            conn.execute(
                "INSERT INTO audit_event (occurred_at, actor, action, entity, entity_id, "
                "details, recorded_at, time_zone, reason, changes, clock_back) "
                "SELECT datetime(occurred_at, ?), actor, action, entity, entity_id + ?, "
                "details, recorded_at, time_zone, reason, replace(replace(changes, "
                "'\"patient_id\":', '\"patient_id\":1' || ?), '[\"patient\",\"', "
                "'[\"patient\",\"9' || ?), clock_back FROM audit_event WHERE id <= ?",
                (f"-{copy} hours", 1000 * copy, copy, copy, seeded))
    conn.close()
    yield registry
    registry.close()


@pytest.mark.parametrize(("name", "filters", "target"), [
    ("all", AuditFilter(), 0.1),
    ("user", AuditFilter(actor="demo"), 0.1),
    ("entity", AuditFilter(entity="visit"), 0.1),
    ("days", AuditFilter(start=DAY, end=DAY + timedelta(days=2)), 0.1),
    ("action", AuditFilter(action="visit.signature"), 0.2),
    ("patient", AuditFilter(patient_id=2), 0.3),
])
def test_count_and_first_page(benchmark: BenchmarkFixture, big_trail: Registry, name: str,
                              filters: AuditFilter, target: float) -> None:
    reads = AuditReads(big_trail, ZoneInfo("America/New_York"))
    benchmark.group = f"audit view over {ROWS:,} rows"

    def show() -> int:
        total, rows = reads.listing(filters, 0, 200)
        return total + len(rows)

    assert benchmark(show) > 0
    assert benchmark.stats.stats.median < target, name
