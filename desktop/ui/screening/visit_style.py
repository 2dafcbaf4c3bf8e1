"""How an outcome looks, once for the visit form: icon, word and colours together.

An outcome is never shown by colour alone: every place pairs the colour with a word
("Pass", "Fail", "Unknown") and an icon with its own shape (tick, cross, question mark),
so it reads the same in greyscale, on a worksheet photocopy and to a screen reader.
The icons are painted here rather than taken from the platform theme, which may have
none (offscreen, minimal desktops).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap


@dataclass(frozen=True)
class Look:
    """Word, glyph, strong colour (icon, border) and pale background of one state."""

    word: str
    glyph: str
    strong: str
    pale: str
    text: str


LOOKS: Final = {
    "pass": Look("Pass", "tick", "#1b7f3b", "#e3f4e8", "#0f4d22"),
    "fail": Look("Fail", "cross", "#b3261e", "#fbe4e2", "#7a1711"),
    "unknown": Look("Unknown", "question", "#9a6700", "#fff4d6", "#5c3d00"),
}
#: The decision banner reuses the outcome looks.
DECISION_LOOKS: Final = {
    "eligible": LOOKS["pass"],
    "not_eligible": LOOKS["fail"],
    "incomplete": LOOKS["unknown"],
}
ERROR_COLOUR: Final = "#b00020"
HINT_COLOUR: Final = "#5f6368"
SECTION_STYLE: Final = "font-weight:600; font-size:11pt; color:#263238;"


def _draw_glyph(painter: QPainter, glyph: str, size: float) -> None:
    pen = QPen(QColor("white"), size * 0.13, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
               Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    s = size
    if glyph == "tick":
        path = QPainterPath(QPointF(s * 0.28, s * 0.52))
        path.lineTo(s * 0.44, s * 0.68)
        path.lineTo(s * 0.73, s * 0.35)
        painter.drawPath(path)
    elif glyph == "cross":
        painter.drawLine(QPointF(s * 0.32, s * 0.32), QPointF(s * 0.68, s * 0.68))
        painter.drawLine(QPointF(s * 0.68, s * 0.32), QPointF(s * 0.32, s * 0.68))
    else:
        path = QPainterPath(QPointF(s * 0.36, s * 0.38))
        path.cubicTo(s * 0.36, s * 0.18, s * 0.66, s * 0.18, s * 0.64, s * 0.38)
        path.cubicTo(s * 0.62, s * 0.5, s * 0.5, s * 0.5, s * 0.5, s * 0.6)
        painter.drawPath(path)
        painter.setBrush(QColor("white"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(QPointF(s * 0.5, s * 0.75), s * 0.07, s * 0.07)


@cache
def status_pixmap(state: str, size: int = 16) -> QPixmap:
    """A filled circle in the state's colour with its glyph in white."""
    look = LOOKS[state]
    ratio = 2.0  # drawn at twice the size: crisp on high-DPI screens
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    full = size * ratio
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(look.strong))
    painter.drawEllipse(QRectF(0.5, 0.5, full - 1, full - 1))
    _draw_glyph(painter, look.glyph, full)
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


@cache
def status_icon(state: str) -> QIcon:
    return QIcon(status_pixmap(state))
