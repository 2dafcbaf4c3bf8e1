"""The lab-order sheet for phlebotomy: which blood tests to draw, from when and by when,
for a patient's next screening stage. One portrait page as a rule, in the shipped fonts.

``LabOrder`` is the sheet as words (the lab-order service fills it); ``build_lab_order_pdf``
lays it out: the patient (name, MRN, date of birth), trial, stage, the planned events and
when the labs are due, then a table of the tests to draw with their draw-from and draw-by
times (an overdue one marked so; one whose time no window sets says why), the results
that already count (with until when), and a footer with the document id, who made it and
when.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import partial
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from desktop.worksheets.fonts import BOLD, REGULAR, register_fonts
from desktop.worksheets.numbered_canvas import NumberedCanvas
from desktop.worksheets.wrapping import leading, wrap

TITLE_TEXT = "Lab order — phlebotomy"
COLUMNS = ("Test", "Draw from", "Draw by", "")
WIDTHS = (0.40, 0.22, 0.22, 0.16)
MARGIN = 18 * mm
SIZE = 10
PADDING = 4

TITLE = ParagraphStyle("order-title", fontName=BOLD, fontSize=15, leading=19,
                       spaceAfter=2 * mm)
FIELD = ParagraphStyle("order-field", fontName=REGULAR, fontSize=10.5, leading=14)
HEAD = ParagraphStyle("order-head", fontName=BOLD, fontSize=10.5, leading=14,
                      spaceBefore=3 * mm)
SMALL = ParagraphStyle("order-small", fontName=REGULAR, fontSize=9, leading=11.5)


@dataclass(frozen=True)
class LabOrder:
    document_id: str
    #: "TESTWELL, Demo"
    patient: str
    mrn: str
    birth_date: str
    #: "NCT06152809 — A Phase 1 Study ..."
    trial: str
    stage: str
    stage_id: str
    #: "Before CIML NK cell infusion labs due from ... (by ...)", with "— overdue".
    due: str
    #: "NK cell infusion: 2026-12-12 08:00"
    events: tuple[str, ...]
    #: Planned dates against the protocol's schedule.
    warnings: tuple[str, ...]
    #: (test, draw from, draw by, note): the note "overdue", "planned date needed" (the
    #: event the window hangs on has no date) or "no time window" (the most recent
    #: result counts), else "".
    rows: tuple[tuple[str, str, str, str], ...]
    #: Results that already count, with until when (not to draw).
    reused: tuple[str, ...]
    made_by: str
    #: "2026-12-03 05:55:10 UTC+00:00", workstation clock.
    created: str
    app_version: str


class _OrderCanvas(NumberedCanvas):
    def __init__(self, *args: Any, order: LabOrder, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._order = order

    def footer(self, number: int, total: int) -> None:
        order = self._order
        width, _ = self._pagesize
        self.saveState()
        self.setStrokeGray(0.5)
        self.line(MARGIN, MARGIN + 6 * mm, width - MARGIN, MARGIN + 6 * mm)
        self.setFont(BOLD, 9)
        self.drawString(MARGIN, MARGIN + 1.5 * mm, f"Page {number} of {total}")
        self.drawRightString(width - MARGIN, MARGIN + 1.5 * mm,
                             f"{order.patient} · MRN {order.mrn}")
        self.setFont(REGULAR, 7)
        self.drawString(MARGIN, MARGIN - 7, f"Document {order.document_id}   ·   made by "
                        f"{order.made_by} {order.created} (workstation clock)   ·   "
                        f"NK Screen {order.app_version}")
        self.restoreState()


def _escape(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


def _field(name: str, value: str) -> Paragraph:
    return Paragraph(f"<b>{_escape(name)}:</b> {_escape(value)}", FIELD)


def _table(order: LabOrder, width: float) -> Table:
    widths = [share * width for share in WIDTHS]
    inner = [w - 2 * PADDING for w in widths]
    header = [wrap(name, w, BOLD, SIZE) for name, w in zip(COLUMNS, inner, strict=True)]
    body = [[wrap(cell, w, BOLD if col == 3 and cell == "overdue" else REGULAR, SIZE)
             for col, (cell, w) in enumerate(zip(row, inner, strict=True))]
            for row in order.rows] or [["Nothing to draw: every result counts.", "", "", ""]]
    table = Table([header, *body], colWidths=widths, repeatRows=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("FONTNAME", (0, 0), (-1, 0), BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), SIZE),
        ("LEADING", (0, 0), (-1, -1), leading(SIZE)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), (0.85, 0.85, 0.85)),
        ("GRID", (0, 0), (-1, -1), 0.5, (0.3, 0.3, 0.3)),
        ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    for index, row in enumerate(order.rows, start=1):
        if row[3] == "overdue":
            style.append(("TEXTCOLOR", (3, index), (3, index), (0.7, 0, 0)))
            style.append(("FONTNAME", (3, index), (3, index), BOLD))
    table.setStyle(TableStyle(style))
    return table


def build_lab_order_pdf(order: LabOrder) -> bytes:
    """The sheet's PDF bytes."""
    register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, invariant=1, initialFontName=REGULAR, leftMargin=MARGIN,
        rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN + 12 * mm,
        title=f"{TITLE_TEXT} {order.document_id}", author="NK Screen",
        creator=f"NK Screen {order.app_version}")
    story: list[Any] = [Paragraph(TITLE_TEXT, TITLE),
                        _field("Patient", order.patient), _field("MRN", order.mrn),
                        _field("Date of birth", order.birth_date),
                        _field("Trial", order.trial), _field("Stage", order.stage)]
    story += [_field("Planned", line) for line in order.events]
    story.append(_field("Due", order.due))
    if order.warnings:
        story.append(Paragraph("Planned dates against the protocol's schedule", HEAD))
        story += [Paragraph(f"⚠ {_escape(text)}", SMALL) for text in order.warnings]
    story += [Spacer(1, 4 * mm), _table(order, doc.width - 12)]
    if order.reused:
        story.append(Paragraph("Not to draw: these results already count", HEAD))
        story += [Paragraph(_escape(text), SMALL) for text in order.reused]
    doc.build(story, canvasmaker=partial(_OrderCanvas, order=order))
    return out.getvalue()
