"""Building a worksheet PDF in-process: a two-page draft (the sample stage, its criteria
repeated to fill a second page). Target: under 50 ms median. Opt-in: ``python -m pytest
tests/benchmarks/test_worksheet_bench.py --benchmark-enable --benchmark-only``.

Each round encodes its QR code afresh (a real worksheet's payload is new), the fonts stay
registered as they do in a running app.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pytest_benchmark.fixture import BenchmarkFixture

from desktop.worksheets.page_marks import qr_modules
from desktop.worksheets.worksheet_pdf import Built, build_worksheet
from tests.worksheets.sample import CRITERIA, worksheet

DATA = worksheet(criteria=CRITERIA * 3)


def test_a_two_page_worksheet(benchmark: BenchmarkFixture) -> None:
    assert build_worksheet(DATA).pages == 2  # what is measured (fonts registered here)

    def fresh() -> tuple[tuple[Any, ...], dict[str, Any]]:  # not timed
        qr_modules.cache_clear()
        return (DATA,), {}

    benchmark.group = "worksheet PDF"
    built: Built = benchmark.pedantic(  # type: ignore[no-untyped-call]
        build_worksheet, setup=fresh, rounds=30, warmup_rounds=2)
    assert built.pages == 2
    assert benchmark.stats is not None
    assert benchmark.stats.stats.median < 0.050


def test_a_real_stage_through_the_service(benchmark: BenchmarkFixture, tmp_path: Any) -> None:
    """What Export worksheet… costs on a real visit: the registry read (stored version,
    kept trial file, patient, site, chain head), the wording and the PDF (NCT06152809
    screening #1, 31 criteria, completed and confirmed)."""
    from desktop.library import find_trial
    from desktop.registry.database import open_registry
    from desktop.registry.patients import PatientRepository
    from desktop.registry.screenings import ScreeningRepository
    from desktop.services.worksheets import WorksheetService
    from tests.registry.conftest import CLOCK, patient, sign, store_example

    registry = open_registry(tmp_path / "data")
    try:
        trial = find_trial("NCT06152809")
        pid = PatientRepository(registry, "cora").add(patient(
            mrn="B1", birth=date(1971, 7, 9), sex="male")).id
        screenings = ScreeningRepository(registry, "cora", lambda: CLOCK)
        visit = screenings.start_visit(screenings.start(pid, trial).id, trial, "screening-1")
        store_example(screenings, pid, visit, trial.id)
        done = screenings.complete(visit.id)
        sign(screenings, done.id)
        service = WorksheetService(registry, "cora", repository=screenings)
        data, built = service.build(done.id)
        assert data.state == "signed"

        def fresh() -> tuple[tuple[Any, ...], dict[str, Any]]:
            qr_modules.cache_clear()
            return (done.id,), {}

        benchmark.group = "worksheet PDF"
        result = benchmark.pedantic(  # type: ignore[no-untyped-call]
            service.build, setup=fresh, rounds=20, warmup_rounds=2)
        assert result[1].pages == built.pages
        assert benchmark.stats is not None
        assert benchmark.stats.stats.median < 0.050
    finally:
        registry.close()
