"""Registers for the binder as PDF and CSV: a trial's screening log, the delegation log.

``LogDocument`` is the table as words (the services fill it); ``build_log_pdf`` lays it
out landscape on the site's paper in the shipped, embedded fonts, the header repeated on
every page and each page footed with "Page X of Y", the document id, when it was made,
the audit chain head and the app version; ``log_csv`` writes the same table for a
spreadsheet (UTF-8 with a byte-order mark, every cell a formula could start neutralised).

Cells are wrapped once into plain lines (``wrapping``), not laid out as
paragraphs: a log of a thousand patients builds in a fraction of a second.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import partial
from typing import Any

from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from desktop.domain.text_safety import spreadsheet_cell
from desktop.worksheets.fonts import BOLD, REGULAR, register_fonts
from desktop.worksheets.numbered_canvas import NumberedCanvas
from desktop.worksheets.wrapping import leading, wrap

PAPER = {"A4": A4, "Letter": LETTER}
MARGIN = 15 * mm
FOOTER = 14 * mm
SIZE = 8
LEADING = leading(SIZE)
PADDING = 3

TITLE = ParagraphStyle("log-title", fontName=BOLD, fontSize=13, leading=16,
                       spaceAfter=1.5 * mm)
LINE = ParagraphStyle("log-line", fontName=REGULAR, fontSize=9, leading=11.5)


@dataclass(frozen=True)
class LogDocument:
    title: str
    #: Lines under the title (trial, site, counts, "Sponsor copy: ...").
    lines: tuple[str, ...]
    columns: tuple[str, ...]
    #: Each column's share of the page's width (they sum to 1).
    widths: tuple[float, ...]
    rows: tuple[tuple[str, ...], ...]
    document_id: str
    #: "2026-12-03 05:55 UTC+00:00", workstation clock.
    created: str
    chain_head: str
    app_version: str
    paper: str = "A4"

    def __post_init__(self) -> None:
        if len(self.widths) != len(self.columns) or any(
                len(row) != len(self.columns) for row in self.rows):
            raise ValueError("every row needs one cell per column")


def log_csv(document: LogDocument) -> bytes:
    """The table as CSV: a header row, then one row per line; cells a spreadsheet would
    run as a formula (``=``, ``+``, ``-``, ``@`` ...) begin with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(document.columns)
    for row in document.rows:
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")


def _wrap(text: str, width: float, font: str = REGULAR) -> str:
    return wrap(text, width, font, SIZE)


class _LogCanvas(NumberedCanvas):
    def __init__(self, *args: Any, document: LogDocument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._document = document

    def footer(self, number: int, total: int) -> None:
        doc = self._document
        width, _ = self._pagesize
        self.saveState()
        self.setStrokeGray(0.5)
        self.line(MARGIN, MARGIN + 8 * mm, width - MARGIN, MARGIN + 8 * mm)
        self.setFillGray(0)
        self.setFont(BOLD, 9)
        self.drawString(MARGIN, MARGIN + 3.5 * mm, f"Page {number} of {total}")
        self.setFont(BOLD, 8)
        self.drawRightString(width - MARGIN, MARGIN + 3.5 * mm, doc.title)
        self.setFont(REGULAR, 7)
        self.drawString(MARGIN, MARGIN, f"Document {doc.document_id}   ·   created "
                        f"{doc.created} (workstation clock)   ·   NK Screen "
                        f"{doc.app_version}")
        self.drawString(MARGIN, MARGIN - 8.5, f"Audit chain head at creation: "
                        f"{doc.chain_head}")
        self.restoreState()


def build_log_pdf(document: LogDocument) -> bytes:
    """The log's PDF bytes."""
    register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=landscape(PAPER[document.paper]), invariant=1,
        initialFontName=REGULAR, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN + FOOTER, title=f"{document.title} {document.document_id}",
        author="NK Screen", creator=f"NK Screen {document.app_version}")
    width = doc.width - 12  # the frame pads each side by 6 pt
    widths = [share * width for share in document.widths]
    inner = [w - 2 * PADDING for w in widths]
    header = [_wrap(name, w, BOLD) for name, w in zip(document.columns, inner, strict=True)]
    body = [[_wrap(cell, w) for cell, w in zip(row, inner, strict=True)]
            for row in document.rows]
    if not body:
        body = [["No entries."] + [""] * (len(document.columns) - 1)]
    table = Table([header, *body], colWidths=widths, repeatRows=1, splitInRow=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("FONTNAME", (0, 0), (-1, 0), BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), SIZE),
        ("LEADING", (0, 0), (-1, -1), LEADING),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), (0.85, 0.85, 0.85)),
        ("GRID", (0, 0), (-1, -1), 0.4, (0.3, 0.3, 0.3)),
        ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]))
    story = [Paragraph(_escape(document.title), TITLE)]
    story += [Paragraph(_escape(line), LINE) for line in document.lines]
    story += [Spacer(1, 3 * mm), table]
    doc.build(story, canvasmaker=partial(_LogCanvas, document=document))
    return out.getvalue()


def _escape(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)
