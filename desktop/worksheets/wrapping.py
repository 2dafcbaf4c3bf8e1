"""Text broken into lines that fit a column, for plain table cells.

A plain cell of pre-wrapped lines costs a fraction of a ``Paragraph`` to lay out and
draw, and ReportLab splits it across pages line by line (``splitInRow``), reckoning each
line ``1.2 × font size`` high: tables using it set their leading to exactly that.
"""

from __future__ import annotations

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth


def leading(size: float) -> float:
    """The line height ReportLab assumes when it splits a plain cell."""
    return 1.2 * size


def wrap(text: str, width: float, font: str, size: float) -> str:
    """``text`` in lines no wider than ``width``: broken at spaces, and inside a word (an
    id, a hash) only where the word alone is wider than the column. Line breaks in the
    text are kept."""
    lines: list[str] = []
    for part in text.split("\n"):
        for line in simpleSplit(part, font, size, width) or [""]:
            while stringWidth(line, font, size) > width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and stringWidth(line[:cut], font, size) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
            lines.append(line)
    return "\n".join(lines)
