"""One fixed-size box per expected signer, whose place on the page is recorded.

A box never splits and never changes size, so the digital signature field of a later
step can be put exactly over it: ``BoxPlace`` is its page and rectangle in PDF points
(origin bottom left), taken from the canvas while the box is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from desktop.worksheets.fonts import BOLD, REGULAR
from desktop.worksheets.worksheet_data import SignerBox

BOX_HEIGHT = 30 * mm
BLANKS = ("Printed name", "Role", "Meaning", "Date-time (workstation clock)")


@dataclass(frozen=True)
class BoxPlace:
    role: str
    page_index: int  # 0-based
    x: float
    y: float
    width: float
    height: float
    name: str  # the box's name, e.g. "signer-1", for the signature field to come


class SignerBoxFlowable(Flowable):  # type: ignore[misc]  # ReportLab has no type hints
    def __init__(self, box: SignerBox, name: str, width: float, sink: list[BoxPlace]) -> None:
        super().__init__()
        self.box = box
        self.name = name
        self.box_width = width
        self.sink = sink

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.box_width, BOX_HEIGHT

    def split(self, avail_width: float, avail_height: float) -> list[Any]:
        return []  # a box moves to the next page whole

    def draw(self) -> None:
        canv = self.canv
        x, y = canv.absolutePosition(0, 0)
        self.sink.append(BoxPlace(self.box.role_label, canv.getPageNumber() - 1,
                                  x, y, self.box_width, BOX_HEIGHT, self.name))
        canv.saveState()
        expected = self.box.expected
        signature = self.box.signature
        draw_signer_box(
            canv, self.box_width, BOX_HEIGHT, self.box.role_label, "Expected: " + (
                expected.value if expected is not None
                else "its meaning follows the decision at completion"),
            None if signature is None else (
                signature.printed_name, signature.role, signature.meaning.value,
                signature.when()))
        canv.restoreState()


def draw_signer_box(canv: Any, width: float, height: float, role_label: str, note: str,
                    values: tuple[str, str, str, str] | None, note_size: float = 8) -> None:
    """A signer's box at the canvas origin: the role, a note on the right, then the four
    manifestation lines (printed name, role, meaning, date-time), blank while
    ``values`` is None. The page's box and a digital signature's appearance both."""
    canv.setStrokeGray(0)
    canv.setLineWidth(0.8)
    canv.rect(0, 0, width, height)
    top = height - 5 * mm
    canv.setFont(BOLD, 9)
    canv.drawString(3 * mm, top, role_label)
    canv.setFont(REGULAR, note_size)
    canv.drawRightString(width - 3 * mm, top, note)
    label_width = max(stringWidth(f"{b}:", REGULAR, 9) for b in BLANKS) + 2 * mm
    step = 5.2 * mm
    canv.setStrokeGray(0.4)
    canv.setLineWidth(0.5)
    for row, label in enumerate(BLANKS, start=1):
        line_y = top - row * step
        canv.setFont(REGULAR, 9)
        canv.drawString(3 * mm, line_y, f"{label}:")
        if values is None:
            canv.line(3 * mm + label_width, line_y - 1, width - 3 * mm, line_y - 1)
        else:
            canv.setFont(BOLD, 9)
            canv.drawString(3 * mm + label_width, line_y,
                            _fit(values[row - 1], width - 6 * mm - label_width))


def _fit(text: str, width: float) -> str:
    if stringWidth(text, BOLD, 9) <= width:
        return text
    while text and stringWidth(text + "…", BOLD, 9) > width:
        text = text[:-1]
    return text + "…"
