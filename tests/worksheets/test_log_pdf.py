"""A register as PDF and CSV (issue 15): every page numbered "Page X of Y" with the
document's id and chain head, the header on every page, a long cell wrapped inside its
column, the fonts embedded; CSV cells a spreadsheet would run as formulas neutralised."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from desktop.worksheets.log_pdf import LogDocument, build_log_pdf, log_csv

COLUMNS = ("No.", "Patient", "Outcome", "Screen-fail reasons")


def _document(rows: int = 3, reasons: str = "Screening #1: #5 ECOG ≤2", **kw: object
              ) -> LogDocument:
    doc = LogDocument(
        title="Subject screening log — NCT06152809",
        lines=("NCT06152809 — a trial", "Site: Test site"),
        columns=COLUMNS, widths=(0.1, 0.3, 0.2, 0.4),
        rows=tuple((str(n), f"DOE, Patient {n}", "Screen failure", reasons)
                   for n in range(1, rows + 1)),
        document_id="SL-NCT06152809-20261203T060000", created="2026-12-03 06:00:00 UTC+00:00",
        chain_head="#42 " + "ab" * 32, app_version="9.9.9")
    return replace(doc, **kw)  # type: ignore[arg-type]


def _pages(pdf: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def test_many_rows_paginate_with_the_header_and_footer_on_every_page() -> None:
    pages = _pages(build_log_pdf(_document(rows=200)))
    assert len(pages) > 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Screen-fail reasons" in page  # the header repeats
        assert "Document SL-NCT06152809-20261203T060000" in page
        assert "#42 " + "ab" * 32 in page
        assert "NK Screen 9.9.9" in page
    text = " ".join(pages)
    assert all(f"DOE, Patient {n} " in text + " " for n in (1, 100, 200))


def test_a_cell_taller_than_a_page_splits_and_loses_nothing() -> None:
    reasons = "\n".join(f"Screening #1: #{n} criterion number {n} not met" for n in range(1, 90))
    pages = _pages(build_log_pdf(_document(rows=1, reasons=reasons)))
    assert len(pages) >= 2
    text = " ".join(pages)
    for n in (1, 45, 89):
        assert f"#{n} criterion number {n} not met" in text


def test_a_word_wider_than_its_column_is_broken_inside_the_column() -> None:
    long_id = "x" * 200
    pdf = build_log_pdf(_document(rows=1, reasons=long_id))
    text = "".join(_pages(pdf)).replace(" ", "")
    assert long_id in text
    # Every piece was drawn inside the page: pypdf finds each character.
    assert text.count("x") >= 200


def test_an_empty_log_says_so() -> None:
    assert "No entries." in _pages(build_log_pdf(_document(rows=0)))[0]


def test_letter_paper_is_landscape_letter() -> None:
    page = PdfReader(io.BytesIO(build_log_pdf(_document(paper="Letter")))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (792, 612)
    page = PdfReader(io.BytesIO(build_log_pdf(_document()))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)


def test_a_row_needs_one_cell_per_column() -> None:
    with pytest.raises(ValueError, match="one cell per column"):
        LogDocument("t", (), COLUMNS, (0.25,) * 4, (("1", "2"),), "id", "now", "#0", "1")


@pytest.mark.parametrize("formula", ["=HYPERLINK(\"http://x\",\"click\")", "+1+1", "-2+3",
                                     "@SUM(A1)", "\t=1", "\r=1"])
def test_a_csv_cell_a_spreadsheet_would_run_is_neutralised(formula: str) -> None:
    data = log_csv(_document(rows=1, reasons=formula))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(COLUMNS)
    assert rows[1][3] == "'" + formula
    assert rows[1][1] == "DOE, Patient 1"  # an ordinary cell is left as it is


def test_the_csv_keeps_symbols_and_line_breaks_inside_a_cell() -> None:
    data = log_csv(_document(rows=1, reasons="a ≥ 1\nb µmol/L"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][3] == "a ≥ 1\nb µmol/L"


PDFFONTS = shutil.which("pdffonts")


@pytest.mark.skipif(PDFFONTS is None, reason="pdffonts (poppler-utils) is not installed")
def test_only_embedded_fonts(tmp_path: Path) -> None:
    path = tmp_path / "log.pdf"
    path.write_bytes(build_log_pdf(_document(rows=50)))
    out = subprocess.run([str(PDFFONTS), str(path)], capture_output=True, text=True,
                         check=True).stdout
    fonts = out.splitlines()[2:]
    assert fonts, out
    for line in fonts:
        assert "DejaVuSans" in line, line
        assert line.split()[-5] == "yes", line
