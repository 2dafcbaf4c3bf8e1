"""Rendering one page for the printer (issue 17). Target: one page at 300 dpi under
150 ms median. Opt-in: ``python -m pytest tests/benchmarks/test_print_render_bench.py
--benchmark-enable --benchmark-only``.

The page is the signed sample worksheet's first (the criteria table, the QR code, the
banner): the densest page a worksheet has; the document is opened and its forms
initialised once, as a print job does, and each round renders the page into PDFium's
own BGRx buffer (what the printer is given, uncopied).
"""

from __future__ import annotations

from pytest_benchmark.fixture import BenchmarkFixture

from desktop.worksheets.rendering import PageImage, PdfPages
from tests.worksheets.test_pdf_signing import _signed


def test_one_page_at_300_dpi(benchmark: BenchmarkFixture) -> None:
    with PdfPages(_signed()[0]) as pages:
        page: PageImage = benchmark(pages.render, 0, 300)
    assert (page.dpi, page.width) == (300, 2481)
    assert benchmark.stats is None or benchmark.stats.stats.median < 0.150


def test_the_signatures_page_at_300_dpi(benchmark: BenchmarkFixture) -> None:
    """The page with the two signature fields: their appearances drawn as well."""
    with PdfPages(_signed()[0]) as pages:
        last = len(pages) - 1
        page: PageImage = benchmark(pages.render, last, 300)
    assert page.index == last
