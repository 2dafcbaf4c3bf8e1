"""The worksheet PDF: every text the reader needs is in it, in embedded fonts only, the
pages count themselves, the state banner and identifiers are on each page, and the signer
boxes say where they are."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.graphics.barcode.qrencoder import QRAlphaNum

from desktop.domain.signing import Meaning
from desktop.worksheets.page_marks import parse_qr_payload, qr_modules, qr_payload
from desktop.worksheets.signer_boxes import BOX_HEIGHT
from desktop.worksheets.worksheet_data import Correction, CriterionRow, Signature, format_when
from desktop.worksheets.worksheet_pdf import Built, build_worksheet
from tests.worksheets.sample import CRITERIA, PLUS_ONE, signed, with_override, worksheet

PAGE = re.compile(r"Page (\d+) of (\d+)")


@cache
def _draft() -> Built:
    return build_worksheet(worksheet())


@cache
def _signed() -> Built:
    return build_worksheet(signed())


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _all_text(pdf: bytes) -> str:
    return _flat(" ".join(_pages(pdf)))


def _check_page_numbers(pages: list[str]) -> None:
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        assert PAGE.findall(text) == [(str(number), str(total))], text[-300:]


def test_every_criterion_text_response_and_outcome_is_printed() -> None:
    text = _all_text(_draft().pdf)
    for row in CRITERIA:
        assert _flat(row.text) in text
        assert _flat(row.response) in text
        assert f"{row.mark} {row.outcome}" in text
    for symbol in ("≥", "≤", "µmol/L", "×ULN", "<", "&"):
        assert symbol in text


def test_the_computed_value_shows_its_inputs_and_the_facts_are_there() -> None:
    text = _all_text(_draft().pdf)
    assert ("CrCl 41.8 mL/min — Cockcroft-Gault: age 68 y, weight 79.5 kg, "
            "creatinine 1.90 mg/dL, male") in text
    for fact in ("NCT07011004", "Haplo NK cells after FLAG-Ida", "A1234567", "DOE, John",
                 "1958-03-14", "Screening #1", "2026-12-12", "Lymphodepletion day -5 2026-12-20",
                 "3f" * 32, "University Hospital Example", "haemolysed",
                 "Not eligible: I2 not met; E2 unknown."):
        assert fact in text


def test_a_draft_says_so_on_every_page_and_its_boxes_are_blank() -> None:
    pages = _pages(_draft().pdf)
    assert all("DRAFT – NOT SIGNED" in page for page in pages)
    text = _flat(" ".join(pages))
    assert "Printed name:" in text
    assert "Date-time (workstation clock):" in text
    assert "Alice Martin" not in text


def test_a_signed_worksheet_prints_each_manifestation_once_and_no_banner() -> None:
    text = _all_text(_signed().pdf)
    assert text.count("Alice Martin") == 1
    assert text.count("Dr Bruno Keller") == 1
    assert "Prepared by" in text
    assert "Screen failure confirmed by" in text
    assert "2026-12-12 14:05:33 UTC+01:00" in text
    assert "DRAFT" not in text
    assert "SUPERSEDED" not in text


@pytest.mark.parametrize(("changes", "banner"), [
    ({"state": "superseded", "superseded_by": 3}, "SUPERSEDED by version 3"),
    ({"state": "changed"}, "DATA CHANGED SINCE SIGNING"),
])
def test_the_state_banner_is_on_every_page(changes: dict[str, object], banner: str) -> None:
    pages = _pages(build_worksheet(signed(**changes)).pdf)
    assert all(banner in page for page in pages)


def test_a_superseded_state_needs_its_version() -> None:
    with pytest.raises(ValueError, match="superseding version"):
        worksheet(state="superseded")
    with pytest.raises(ValueError, match="superseding version"):
        worksheet(superseded_by=2)


def test_a_correction_and_an_override_are_printed() -> None:
    data = worksheet(correction=Correction(1, "b2" * 32, "Creatinine unit entered wrongly."),
                     override=with_override())
    text = _all_text(build_worksheet(data).pdf)
    assert "replaces version 1" in text
    assert "b2" * 32 in text
    assert "Creatinine unit entered wrongly." in text
    assert "Bilirubin rise from known Gilbert's syndrome" in text
    assert "Medical monitor, sponsor" in text


def test_every_page_names_the_document_its_hash_chain_head_and_version() -> None:
    for page in _pages(_draft().pdf):
        assert "WS-NCT07011004-A1234567-S1-V1" in page
        assert "a1" * 32 in page
        assert "#1234 " + "c0" * 32 in page
        assert "NK Screen 0.1.0" in page


def test_sixty_criteria_paginate_with_the_header_repeated() -> None:
    rows = tuple(CriterionRow(f"I{n}", "Inclusion", f"Criterion number {n}: platelets ≥ "
                              f"{n} ×10⁹/L in the last 7 days.", f"{n + 100} ×10⁹/L", "Pass")
                 for n in range(1, 61))
    built = build_worksheet(worksheet(criteria=rows))
    pages = _pages(built.pdf)
    assert built.pages == len(pages) >= 3
    _check_page_numbers(pages)
    assert pages[-1].count(f"Page {len(pages)} of {len(pages)}") == 1
    text = _flat(" ".join(pages))
    for n in range(1, 61):
        assert f"Criterion number {n}: platelets" in text
    table_pages = [p for p in pages if "Criterion number" in p]
    assert all("No. Kind Criterion Response Outcome" in _flat(p) for p in table_pages)


def test_a_criterion_longer_than_a_page_splits_across_pages() -> None:
    words = " ".join(f"clause{n}" for n in range(1400))
    long = CriterionRow("E9", "Exclusion", f"Any of: {words}. End of criterion.", "No", "Pass")
    built = build_worksheet(worksheet(criteria=(*CRITERIA[:2], long, *CRITERIA[2:])))
    pages = _pages(built.pdf)
    _check_page_numbers(pages)
    text = _flat(" ".join(pages))
    assert "clause0 clause1" in text
    assert "clause1399. End of criterion." in text
    assert _flat(CRITERIA[-1].text) in text
    holding = [i for i, p in enumerate(pages) if "clause" in p]
    assert len(holding) >= 2  # split over pages, not cut
    # Each later page of the split row names it: its number carried over.
    for i in holding[1:]:
        assert "E9 (cont.)" in _flat(pages[i])


def test_the_header_heads_a_page_and_never_repeats_in_mid_page() -> None:
    """ReportLab would offer the rest of a split table to the same page, where a row
    taller than what is left splits again under a second header."""
    tall = tuple(CriterionRow(f"I{n}", "Inclusion", " ".join(["word"] * (40 + 37 * (n % 4))),
                              "Yes", "Pass") for n in range(1, 25))
    pages = _pages(build_worksheet(worksheet(criteria=tall)).pdf)
    assert len(pages) >= 3
    for page in pages:
        assert page.count("No. Kind Criterion Response Outcome") <= 1


def test_the_signer_boxes_are_fixed_rectangles_on_their_pages() -> None:
    built = _signed()
    assert [b.role for b in built.signer_boxes] == ["Study coordinator", "Investigator"]
    assert [b.name for b in built.signer_boxes] == ["signer-1", "signer-2"]
    reader = PdfReader(io.BytesIO(built.pdf))
    for box in built.signer_boxes:
        assert 0 <= box.page_index < built.pages
        assert box.height == BOX_HEIGHT
        media = reader.pages[box.page_index].mediabox
        assert box.x > 0
        assert box.x + box.width <= float(media.width)
        assert box.y > 0
        assert box.y + box.height <= float(media.height)
    first, second = built.signer_boxes
    if first.page_index == second.page_index:
        assert second.y + second.height <= first.y  # one below the other, no overlap


def test_letter_paper() -> None:
    built = build_worksheet(worksheet(paper="Letter"))
    media = PdfReader(io.BytesIO(built.pdf)).pages[0].mediabox
    assert (round(float(media.width)), round(float(media.height))) == (612, 792)


def test_the_same_data_gives_the_same_bytes() -> None:
    assert build_worksheet(worksheet()).pdf == _draft().pdf


def test_the_qr_payload_names_the_document_content_and_chain() -> None:
    data = worksheet()
    payload = qr_payload(data)
    assert payload == ("NKS1/DOC:WS-NCT07011004-A1234567-S1-V1/SHA256:" + "A1" * 32
                       + "/CHAIN:1234:" + "C0" * 32)
    assert parse_qr_payload(payload) == {"doc": "WS-NCT07011004-A1234567-S1-V1",
                                         "sha256": "a1" * 32, "chain_seq": "1234",
                                         "chain_hash": "c0" * 32}
    assert QRAlphaNum.valid(payload)  # the compact mode
    modules = qr_modules(payload)
    assert len(modules) == len(modules[0]) >= 21
    assert qr_modules(qr_payload(replace(data, content_hash="a2" * 32))) != modules


def test_a_document_id_outside_the_alphanumeric_set_still_encodes() -> None:
    payload = qr_payload(worksheet(document_id="ws_lower-case"))
    assert not QRAlphaNum.valid(payload)
    assert parse_qr_payload(payload)["doc"] == "ws_lower-case"
    assert len(qr_modules(payload)) >= 21
    with pytest.raises(ValueError, match="not a worksheet QR payload"):
        parse_qr_payload("XYZ/DOC:a/SHA256:b/CHAIN:1:c")


def test_a_signature_time_needs_its_offset() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        Signature("A", "B", Meaning.PREPARED, datetime(2026, 1, 1, 9, 0))
    assert format_when(datetime(2026, 1, 2, 3, 4, 5, tzinfo=PLUS_ONE)) == \
        "2026-01-02 03:04:05 UTC+01:00"


PDFFONTS = shutil.which("pdffonts")
PDFTOPPM = shutil.which("pdftoppm")


@pytest.mark.skipif(PDFFONTS is None, reason="pdffonts (poppler-utils) is not installed")
def test_only_embedded_fonts(tmp_path: Path) -> None:
    path = tmp_path / "worksheet.pdf"
    path.write_bytes(_signed().pdf)
    out = subprocess.run([str(PDFFONTS), str(path)], capture_output=True, text=True,
                         check=True).stdout
    fonts = out.splitlines()[2:]
    assert fonts, out
    for line in fonts:
        assert "DejaVuSans" in line, line
        assert line.split()[-5] == "yes", line  # the "emb" column


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) is not installed")
def test_page_one_renders(tmp_path: Path) -> None:
    path = tmp_path / "worksheet.pdf"
    path.write_bytes(_draft().pdf)
    subprocess.run([str(PDFTOPPM), "-r", "40", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True, capture_output=True)
    (png,) = tmp_path.glob("page*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


ZBARIMG = shutil.which("zbarimg")


@pytest.mark.skipif(PDFTOPPM is None or ZBARIMG is None,
                    reason="pdftoppm (poppler-utils) or zbarimg (zbar-tools) is not installed")
@pytest.mark.parametrize("document_id", ["WS-NCT07011004-A1234567-S1-V1", "ws_lower-case id"])
def test_the_printed_qr_code_reads_back_as_its_payload(tmp_path: Path, document_id: str) -> None:
    data = worksheet(document_id=document_id)
    path = tmp_path / "worksheet.pdf"
    path.write_bytes(build_worksheet(data).pdf)
    subprocess.run([str(PDFTOPPM), "-r", "150", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True, capture_output=True)
    (png,) = tmp_path.glob("page*.png")
    read = subprocess.run([str(ZBARIMG), "-q", "--raw", str(png)], capture_output=True,
                          text=True, check=True).stdout
    assert read.strip() == qr_payload(data)
