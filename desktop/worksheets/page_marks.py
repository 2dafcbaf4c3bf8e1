"""What every page of a worksheet carries: the state banner, the identifying footer
("Page X of Y", document id, content hash, audit chain head, app version) and a QR code.

The canvas keeps each page until the document is saved, so the footer knows the page
count in one pass (no second build).
"""

from __future__ import annotations

import math
from functools import cache
from itertools import groupby
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from desktop.worksheets.fonts import BOLD, REGULAR
from desktop.worksheets.numbered_canvas import NumberedCanvas
from desktop.worksheets.qr_mask import encode
from desktop.worksheets.worksheet_data import WorksheetData, banner_text, strip_text

MARGIN = 18 * mm
QR_SIZE = 24 * mm
FOOTER_HEIGHT = QR_SIZE + 6 * mm  # the frame ends above this
BANNER_HEIGHT = 9 * mm
FOOTER_SIZE = 7
QR_FORM = "nkscreen-qr"
WATERMARK_ANGLE = 35


def qr_payload(data: WorksheetData) -> str:
    """The QR code's text: ``NKS1/DOC:<id>/SHA256:<content hash>/CHAIN:<seq>:<hash>``.

    Hashes in upper-case hex, so the whole text fits QR's alphanumeric mode (5.5 bits a
    character, not 8): a smaller code, encoded in about two thirds of the time. A document
    id outside that alphabet (lower case, say) still works: the code falls back to bytes.
    """
    head = data.chain_head
    return (f"NKS1/DOC:{data.document_id}/SHA256:{data.content_hash.upper()}"
            f"/CHAIN:{head.seq}:{head.hash.upper()}")


def parse_qr_payload(text: str) -> dict[str, str]:
    """The payload's fields back (hashes in lower case, as printed): for a verifier."""
    version, doc, sha, chain = text.split("/")
    if version != "NKS1" or not (doc.startswith("DOC:") and sha.startswith("SHA256:")
                                 and chain.startswith("CHAIN:")):
        raise ValueError(f"not a worksheet QR payload: {text!r}")
    seq, chain_hash = chain.removeprefix("CHAIN:").split(":")
    return {"doc": doc.removeprefix("DOC:"), "sha256": sha.removeprefix("SHA256:").lower(),
            "chain_seq": seq, "chain_hash": chain_hash.lower()}


def page_label(number: int, total: int) -> str:
    return f"Page {number} of {total}"


def draw_page_marks(canv: Canvas, data: WorksheetData) -> None:
    """Banner and QR code, drawn under the page's content (before it)."""
    width, height = canv._pagesize
    banner, strip = banner_text(data), strip_text(data)
    canv.saveState()
    if banner:
        # A light diagonal watermark across the page, readable printed in black and white.
        # As large as fits the page's width along the diagonal, at most 44 pt.
        fit = 0.8 * width / math.cos(math.radians(WATERMARK_ANGLE))
        size = min(44.0, 44.0 * fit / stringWidth(banner, BOLD, 44))
        canv.setFillGray(0.88)
        canv.setFont(BOLD, size)
        canv.translate(width / 2, height / 2)
        canv.rotate(WATERMARK_ANGLE)
        canv.drawCentredString(0, 0, banner)
        canv.restoreState()
        canv.saveState()
    if strip:
        # A top strip, in case the watermark is cut by a photocopier's contrast (and the
        # sealed note, which has no watermark).
        canv.setFillGray(0.9)
        canv.setStrokeGray(0.3)
        canv.rect(MARGIN, height - MARGIN + 2 * mm, width - 2 * MARGIN, BANNER_HEIGHT - 3 * mm,
                  stroke=1, fill=1)
        canv.setFillGray(0)
        canv.setFont(BOLD, 10 if banner else 8.5)
        canv.drawCentredString(width / 2, height - MARGIN + 3.8 * mm, strip)
    _draw_qr(canv, qr_payload(data), width - MARGIN - QR_SIZE, MARGIN - 6 * mm)
    canv.restoreState()


@cache
def qr_modules(payload: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code's dark modules, row by row (encoded once: every page carries the same)."""
    return tuple(tuple(bool(m) for m in row) for row in encode(payload, "M"))


def qr_path(modules: tuple[tuple[bool, ...], ...]) -> str:
    """The dark modules as PDF rectangle operators in module units (whole numbers, one
    ``re`` per run of a row), filled at once: an operator string, not ~1000 calls."""
    ops: list[str] = []
    for r, row in enumerate(reversed(modules)):
        c = 0
        for dark, run in groupby(row):
            count = len(list(run))
            if dark:
                ops.append(f"{c} {r} {count} 1 re")
            c += count
    ops.append("f")
    return "\n".join(ops)


def _draw_qr(canv: Canvas, payload: str, x: float, y: float) -> None:
    """Drawn once per document as a form (every page shows the same code); no graphics
    renderer, so it names no font."""
    if not canv.hasForm(QR_FORM):
        modules = qr_modules(payload)
        canv.beginForm(QR_FORM)
        canv.saveState()
        canv.scale(QR_SIZE / len(modules), QR_SIZE / len(modules))
        canv.setFillGray(0)
        canv.addLiteral(qr_path(modules))
        canv.restoreState()
        canv.endForm()
    canv.saveState()
    canv.translate(x, y)
    canv.doForm(QR_FORM)
    canv.restoreState()


def draw_footer(canv: Canvas, data: WorksheetData, number: int, total: int) -> None:
    width, _ = canv._pagesize
    right = width - MARGIN - QR_SIZE - 4 * mm
    lines = [
        f"Document {data.document_id}   ·   NK Screen {data.app_version}",
        f"Content SHA-256: {data.content_hash}",
        f"Audit chain head: {data.chain_head.text()}",
    ]
    canv.saveState()
    canv.setStrokeGray(0.5)
    canv.line(MARGIN, MARGIN + QR_SIZE - 4 * mm, width - MARGIN, MARGIN + QR_SIZE - 4 * mm)
    canv.setFillGray(0)
    canv.setFont(BOLD, 9)
    canv.drawString(MARGIN, MARGIN + 11 * mm, page_label(number, total))
    canv.setFont(REGULAR, FOOTER_SIZE)
    y = MARGIN + 7 * mm
    for line in lines:
        canv.drawString(MARGIN, y, _fit(line, right - MARGIN))
        y -= FOOTER_SIZE + 2
    canv.restoreState()


def _fit(text: str, width: float) -> str:
    """Never let a footer line run under the QR code: shrink is not an option (hashes must
    stay legible), so a line too long is cut with an ellipsis (an unusually long id)."""
    if stringWidth(text, REGULAR, FOOTER_SIZE) <= width:
        return text
    while text and stringWidth(text + "…", REGULAR, FOOTER_SIZE) > width:
        text = text[:-1]
    return text + "…"


class WorksheetCanvas(NumberedCanvas):
    """The worksheet's pages, each footed with its identifiers."""

    def __init__(self, *args: Any, data: WorksheetData, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._data = data

    def footer(self, number: int, total: int) -> None:
        draw_footer(self, self._data, number, total)
