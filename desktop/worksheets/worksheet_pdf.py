"""The eligibility worksheet as a PDF: ``build_worksheet(data) -> Built``.

ReportLab platypus over the shipped, embedded DejaVu fonts only (the canvas starts in
them, so no base-14 font is ever named). The criteria table repeats its header on each
page and splits a criterion longer than a page; each page carries the state banner, the
identifying footer and a QR code (``page_marks.py``); the signer boxes' places come back
with the bytes (``signer_boxes.py``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from desktop.worksheets.fonts import BOLD, REGULAR, register_fonts
from desktop.worksheets.page_marks import (
    BANNER_HEIGHT,
    FOOTER_HEIGHT,
    MARGIN,
    WorksheetCanvas,
    draw_page_marks,
    qr_payload,
)
from desktop.worksheets.signer_boxes import BoxPlace, SignerBoxFlowable
from desktop.worksheets.worksheet_data import WorksheetData
from desktop.worksheets.wrapping import leading, wrap

PAPER = {"A4": A4, "Letter": LETTER}
FRAME_PADDING = 6  # SimpleDocTemplate's frame pads each side by 6 pt

BODY = ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=11.5)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8.5, leading=leading(8.5))
HEAD = ParagraphStyle("head", parent=CELL, fontName=BOLD)
TITLE = ParagraphStyle("title", parent=BODY, fontName=BOLD, fontSize=14, leading=17,
                       spaceAfter=2 * mm)
SECTION = ParagraphStyle("section", parent=BODY, fontName=BOLD, fontSize=11, leading=14,
                         spaceBefore=4 * mm, spaceAfter=1.5 * mm)

#: Criteria table columns as fractions of the frame: number, kind, text, response, outcome.
COLUMNS = (0.07, 0.12, 0.40, 0.27, 0.14)


@dataclass(frozen=True)
class Built:
    pdf: bytes
    signer_boxes: tuple[BoxPlace, ...]
    pages: int


def _p(text: str, style: ParagraphStyle = CELL) -> Paragraph:
    """A wrapping cell; the text is escaped (a criterion may say "< 2 ×ULN")."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _facts(data: WorksheetData, width: float) -> Table:
    trial, patient, stage = data.trial, data.patient, data.stage
    planned = "; ".join(e.text() for e in stage.planned) or "none"
    rows = [
        ("Site", data.site_name, "Trial", f"{trial.nct_id} — {trial.short_title}"),
        ("Patient", patient.name, "Trial file version", trial.file_version),
        ("MRN", patient.mrn, "Stage", stage.name),
        ("Date of birth", patient.birth_date.isoformat(), "Visit date",
         stage.visit_date.isoformat()),
        ("Sex", patient.sex, "Age at visit", f"{patient.age_at_visit} y"),
    ]
    cells = [[_p(a, HEAD), _p(b), _p(c, HEAD), _p(d)] for a, b, c, d in rows]
    cells.append([_p("Planned events", HEAD), _p(planned), "", ""])
    cells.append([_p("Trial file SHA-256", HEAD), _p(trial.file_sha256), "", ""])
    cells.append([_p("Decision", HEAD), _p(data.decision, HEAD), "", ""])
    table = Table(cells, colWidths=[w * width for w in (0.17, 0.33, 0.17, 0.33)])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("SPAN", (1, -3), (3, -3)),
        ("SPAN", (1, -2), (3, -2)),
        ("SPAN", (1, -1), (3, -1)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, (0.6, 0.6, 0.6)),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


class _Continued(str):
    """A short cell that says what it belongs to on the part of a row split onto the next
    page ("17 (cont.)"), so a page never holds criterion text without its number."""

    continued: str

    def __new__(cls, text: str, continued: str) -> _Continued:
        cell = super().__new__(cls, text)
        cell.continued = continued
        return cell


class CriteriaTable(Table):  # type: ignore[misc]  # ReportLab has no type hints
    """The criteria table: a row never loses its number, and a header only heads a page.

    ReportLab splits a table between rows first and then offers the rest to the same
    page, where it would split again inside a row under a second, repeated header. Here
    the rest refuses any height short of a whole frame, so it starts the next page with
    its header; only a row taller than a whole page is split inside (``splitInRow``),
    cell by cell through ``Table._splitCell`` (ReportLab 4.x), and its number and outcome
    carry over ("17 (cont.)"). tests/worksheets checks both, so a ReportLab change that
    breaks either is caught.
    """

    #: The height of a whole frame (set per document by ``_criteria``).
    frame_height: float = 0.0
    _continuation: bool = False

    def split(self, avail_width: float, avail_height: float) -> list[Any]:
        if self._continuation and avail_height < self.frame_height - 1:
            return []
        parts = super().split(avail_width, avail_height)
        if len(parts) == 2 and isinstance(parts[1], CriteriaTable):
            parts[1]._continuation = True
        return list(parts)

    def _splitCell(self, value: Any, style: Any, old_height: float, new_height: float,
                   width: float) -> Any:
        if isinstance(value, _Continued):
            # The part after carries the continued words too, for a third page.
            return (value, _Continued(value.continued, value.continued))
        return super()._splitCell(value, style, old_height, new_height, width)


def _criteria(data: WorksheetData, width: float, frame_height: float) -> Table:
    header = [_p(h, HEAD) for h in ("No.", "Kind", "Criterion", "Response", "Outcome")]
    # Number, kind and outcome are short, fixed words: plain cells (no wrapping to compute).
    # The long cells too, wrapped once into lines: a fifth of a Paragraph's cost.
    text_width, response_width = (COLUMNS[2] * width - 12, COLUMNS[3] * width - 12)
    rows = [[_Continued(c.number, f"{c.number}\n(cont.)"), c.kind,
             wrap(c.text, text_width, REGULAR, CELL.fontSize),
             wrap(c.response, response_width, REGULAR, CELL.fontSize),
             _Continued(f"{c.mark} {c.outcome}", f"{c.mark} {c.outcome}")]
            for c in data.criteria]
    table_class = type("CriteriaTable", (CriteriaTable,), {"frame_height": frame_height})
    table = table_class([header, *rows], colWidths=[f * width for f in COLUMNS],
                        repeatRows=1, splitInRow=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("FONTSIZE", (0, 0), (-1, -1), CELL.fontSize),
        ("LEADING", (0, 0), (-1, -1), CELL.leading),
        ("FONTNAME", (-1, 1), (-1, -1), BOLD),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), (0.85, 0.85, 0.85)),
        ("GRID", (0, 0), (-1, -1), 0.4, (0.3, 0.3, 0.3)),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _story(data: WorksheetData, width: float, height: float,
           sink: list[BoxPlace]) -> list[Flowable]:
    story: list[Flowable] = [
        _p(f"Eligibility worksheet — {data.trial.nct_id}", TITLE),
        _facts(data, width),
    ]
    if data.correction is not None:
        fix = data.correction
        story += [
            _p("Correction", SECTION),
            _p(f"This version replaces version {fix.replaces_version} "
               f"(content SHA-256 {fix.replaced_hash}).", BODY),
            _p(f"Reason: {fix.reason}", BODY),
        ]
    story += [_p(f"Criteria — {data.stage.name}", SECTION), _criteria(data, width, height)]
    if data.computed:
        story.append(_p("Computed values", SECTION))
        story += [_p(value.line(), BODY) for value in data.computed]
    if data.notes:
        story.append(_p("Reading notes", SECTION))
        story += [_p(note, BODY) for note in data.notes]
    story += [_p("Decision", SECTION), _p(data.decision, BODY)]
    if data.override is not None:
        story += [
            _p("Override", SECTION),
            _p(f"Rationale: {data.override.rationale}", BODY),
            _p("Agreed by: " + ("; ".join(data.override.parties) or "none named"), BODY),
        ]
    boxes: list[Flowable] = [
        SignerBoxFlowable(box, f"signer-{n}", width, sink)
        for n, box in enumerate(data.signers, start=1)
    ]
    if boxes:
        spaced: list[Flowable] = [_p("Signatures", SECTION), boxes[0]]
        for box in boxes[1:]:
            spaced += [Spacer(1, 3 * mm), box]
        story.append(KeepTogether(spaced))  # the signatures on one page where they fit
    return story


def build_worksheet(data: WorksheetData) -> Built:
    """The worksheet's bytes and where each signer box landed (deterministic: the same data
    gives the same bytes, no creation date or random id is written)."""
    register_fonts()
    pagesize = PAPER[data.paper]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=pagesize, invariant=1, initialFontName=REGULAR,
        leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + BANNER_HEIGHT,
        bottomMargin=MARGIN + FOOTER_HEIGHT - 4 * mm,
        title=f"Eligibility worksheet {data.trial.nct_id} {data.document_id}",
        author="NK Screen", creator=f"NK Screen {data.app_version}",
        keywords=qr_payload(data),  # the QR code's text, for a verifier reading the file
    )
    sink: list[BoxPlace] = []

    def marks(canv: WorksheetCanvas, _doc: SimpleDocTemplate) -> None:
        draw_page_marks(canv, data)

    width = doc.width - 2 * FRAME_PADDING  # what a flowable gets inside the frame
    story = _story(data, width, doc.height - 2 * FRAME_PADDING, sink)
    doc.build(story, onFirstPage=marks, onLaterPages=marks,
              canvasmaker=partial(WorksheetCanvas, data=data))
    return Built(out.getvalue(), tuple(sink), doc.page)
