"""Signing a completed stage once the password is checked: the registry re-reads what
the stage covers, checks it is as decided, hashes and writes the signature (issue 13:
under 20 ms median). Opt-in: ``python -m pytest tests/benchmarks/test_signing_bench.py
--benchmark-enable --benchmark-only``. The largest stage of the library (NCT07011004
screening #1, 52 criteria) is signed, each round on a visit of its own."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pytest_benchmark.fixture import BenchmarkFixture

from desktop.domain.signing import Action
from desktop.library import find_trial
from desktop.registry.database import open_registry
from desktop.registry.patients import PatientRepository
from desktop.registry.screenings import ScreeningRepository
from desktop.registry.signature_rows import Shown
from tests.registry.conftest import CLOCK, patient, store_example

TRIAL = find_trial("NCT07011004")


def test_signing_a_stage(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    registry = open_registry(tmp_path / "data")
    try:
        patients = PatientRepository(registry, "coordinator")
        screenings = ScreeningRepository(registry, "coordinator", lambda: CLOCK)
        count = iter(range(10_000))

        def completed() -> tuple[tuple[Any, ...], dict[str, Any]]:  # not timed
            mrn = f"B{next(count)}"
            pid = patients.add(patient(mrn=mrn, birth=date(1971, 7, 9), sex="male")).id
            visit = screenings.start_visit(screenings.start(pid, TRIAL).id, TRIAL,
                                           "screening-1")
            store_example(screenings, pid, visit, TRIAL.id)
            screenings.complete(visit.id)
            return (visit.id, screenings.shown(visit.id)), {}

        def sign(visit_id: int, shown: Shown) -> None:
            screenings.add_signature(visit_id, user_id="cora", printed_name="Cora C",
                                     role="Coordinator", action=Action.PREPARE,
                                     signed_at=datetime.now(UTC),
                                     shown=shown)

        benchmark.group = "signing a stage (after the password check)"
        benchmark.pedantic(sign, setup=completed, rounds=30, warmup_rounds=2)
        assert benchmark.stats.stats.median < 0.020
    finally:
        registry.close()
