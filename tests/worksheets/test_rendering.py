"""A PDF's pages as pixels for printing (issue 17): the signature boxes of a signed
worksheet are drawn (PDFium's forms initialised), the resolution is capped at 300 dpi,
and something that is not a PDF is refused in words."""

from __future__ import annotations

import pytest

from desktop.worksheets.pdf_signing import with_signature_fields
from desktop.worksheets.rendering import MAX_DPI, PageImage, PdfPages, RenderError, page_count
from desktop.worksheets.signer_boxes import BoxPlace
from desktop.worksheets.worksheet_pdf import build_worksheet
from tests.worksheets.sample import worksheet
from tests.worksheets.test_pdf_signing import _signed

DPI = 100


def ink_in(page: PageImage, box: BoxPlace, page_height: float) -> int:
    """How many pixels inside ``box`` (PDF points, origin bottom left) are dark."""
    scale = page.dpi / 72.0
    left, right = int(box.x * scale) + 3, int((box.x + box.width) * scale) - 3
    top = int((page_height - box.y - box.height) * scale) + 3
    bottom = int((page_height - box.y) * scale) - 3
    return sum(1 for y in range(top, bottom) for x in range(left, right)
               if sum(page.pixel(x, y)) < 3 * 128)


def _box_ink(pdf: bytes, box: BoxPlace) -> int:
    with PdfPages(pdf) as pages:
        _width, height = pages.size(box.page_index)
        return ink_in(pages.render(box.page_index, DPI), box, height)


def test_a_signed_worksheets_boxes_are_drawn_not_blank() -> None:
    """Each box of the signed worksheet carries its signature's appearance: far more ink
    than the same box laid out but not signed (its field empty)."""
    built = build_worksheet(worksheet())
    unsigned = with_signature_fields(built.pdf, built.signer_boxes)
    signed = _signed()[0]
    assert page_count(signed) == built.pages
    for box in built.signer_boxes:
        empty, drawn = _box_ink(unsigned, box), _box_ink(signed, box)
        assert drawn > empty + 1000, (box.role, empty, drawn)


def test_the_resolution_is_capped_at_300_dpi_and_the_page_is_white_paper() -> None:
    built = build_worksheet(worksheet())
    with PdfPages(built.pdf) as pages:
        width_pt, height_pt = pages.size(0)
        page = pages.render(0, 600)
    assert page.dpi == MAX_DPI
    assert abs(page.width - width_pt / 72 * 300) <= 1
    assert abs(page.height - height_pt / 72 * 300) <= 1
    assert page.stride >= page.width * 4
    assert page.pixel(2, 2) == (255, 255, 255)  # the margin: paper, not transparency


def test_a_page_past_the_end_is_an_index_error() -> None:
    with PdfPages(build_worksheet(worksheet()).pdf) as pages, pytest.raises(IndexError):
        pages.render(len(pages), DPI)


def test_bytes_that_are_not_a_pdf_are_refused_in_words() -> None:
    with pytest.raises(RenderError, match="cannot be opened for printing"):
        PdfPages(b"not a pdf at all")
