"""Building a worksheet PDF in-process: a two-page draft (the sample stage, its criteria
repeated to fill a second page). Target: under 50 ms median. Opt-in: ``python -m pytest
tests/benchmarks/test_worksheet_bench.py --benchmark-enable --benchmark-only``.

Each round encodes its QR code afresh (a real worksheet's payload is new), the fonts stay
registered as they do in a running app.
"""

from __future__ import annotations

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
