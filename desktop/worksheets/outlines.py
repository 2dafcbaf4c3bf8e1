"""Words drawn as their glyphs' outlines: a signature's appearance without a font.

A signature box's appearance is part of each later revision, and a verifier parses every
object of the file to prove that a later signature changed nothing else (pyHanko's
difference analysis, in pure Python). Drawn in an embedded font, each appearance would
bring its own two subsets (font, descriptor, widths, ``/ToUnicode`` map and font
program: some 3.5 ms of every ``verify``). Drawn as the outlines of the same DejaVu
glyphs, the box looks the same on screen and on paper and adds one content stream. What
it says stays machine-readable in the signature dictionary itself (``/Name``,
``/Reason``, ``/M``), which is what every PDF reader's signature panel shows.

The outlines are read from the TrueType ``glyf`` table of the face ReportLab has already
loaded (its ``loca`` offsets, ``cmap`` and advance widths), so the widths are exactly
those ``stringWidth`` measures. Simple and composite glyphs are decoded; a character the
font lacks is drawn as its ``.notdef`` glyph, as ReportLab's own text would be. No Qt.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from functools import cache
from typing import Any, Final

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics

Point = tuple[float, float]
#: One contour: its points and whether each is on the curve.
Contour = list[tuple[float, float, bool]]

_ON_CURVE: Final = 0x01
_X_SHORT: Final = 0x02
_Y_SHORT: Final = 0x04
_REPEAT: Final = 0x08
_X_SAME: Final = 0x10
_Y_SAME: Final = 0x20

_ARGS_ARE_WORDS: Final = 0x0001
_ARGS_ARE_XY: Final = 0x0002
_HAVE_SCALE: Final = 0x0008
_MORE_COMPONENTS: Final = 0x0020
_HAVE_XY_SCALE: Final = 0x0040
_HAVE_TWO_BY_TWO: Final = 0x0080
_SCALED_OFFSET: Final = 0x0800


class OutlineError(ValueError):
    """A glyph this module cannot decode (the shipped fonts have none)."""


def _face(font_name: str) -> Any:
    return pdfmetrics.getFont(font_name).face


def _glyph_contours(font_name: str, glyph: int) -> list[Contour]:
    """The contours of glyph number ``glyph`` in font units (y up)."""
    return _contours(_face(font_name), glyph, 0)


def _contours(face: Any, glyph: int, depth: int) -> list[Contour]:
    if depth > 8:
        raise OutlineError(f"glyph {glyph}: composite glyphs nested too deeply")
    start = face.get_table_pos("glyf")[0] + face.glyphPos[glyph]
    end = face.get_table_pos("glyf")[0] + face.glyphPos[glyph + 1]
    data = bytes(face._ttf_data[start:end])
    if not data:
        return []  # a blank glyph (the space)
    (count,) = struct.unpack_from(">h", data, 0)
    if count >= 0:
        return _simple(data, count)
    return _composite(face, data, depth)


def _simple(data: bytes, count: int) -> list[Contour]:
    pos = 10
    ends = struct.unpack_from(f">{count}H", data, pos)
    pos += 2 * count
    points = ends[-1] + 1 if count else 0
    (instructions,) = struct.unpack_from(">H", data, pos)
    pos += 2 + instructions
    flags: list[int] = []
    while len(flags) < points:
        flag = data[pos]
        pos += 1
        repeat = 0
        if flag & _REPEAT:
            repeat = data[pos]
            pos += 1
        flags.extend([flag] * (1 + repeat))
    xs, pos = _coordinates(data, pos, flags[:points], _X_SHORT, _X_SAME)
    ys, pos = _coordinates(data, pos, flags[:points], _Y_SHORT, _Y_SAME)
    contours: list[Contour] = []
    first = 0
    for last in ends:
        contours.append([(float(xs[i]), float(ys[i]), bool(flags[i] & _ON_CURVE))
                         for i in range(first, last + 1)])
        first = last + 1
    return contours


def _coordinates(data: bytes, pos: int, flags: list[int], short: int,
                 same: int) -> tuple[list[int], int]:
    values: list[int] = []
    value = 0
    for flag in flags:
        if flag & short:
            delta = data[pos]
            pos += 1
            value += delta if flag & same else -delta
        elif not flag & same:
            (delta,) = struct.unpack_from(">h", data, pos)
            pos += 2
            value += delta
        values.append(value)
    return values, pos


def _f2dot14(data: bytes, pos: int) -> float:
    (raw,) = struct.unpack_from(">h", data, pos)
    return float(raw) / 16384.0


def _composite(face: Any, data: bytes, depth: int) -> list[Contour]:
    contours: list[Contour] = []
    pos = 10
    flags = _MORE_COMPONENTS
    while flags & _MORE_COMPONENTS:
        flags, component = struct.unpack_from(">HH", data, pos)
        pos += 4
        if flags & _ARGS_ARE_WORDS:
            dx, dy = struct.unpack_from(">hh", data, pos)
            pos += 4
        else:
            dx, dy = struct.unpack_from(">bb", data, pos)
            pos += 2
        if not flags & _ARGS_ARE_XY:
            raise OutlineError(f"component {component}: placed by matching points")
        a, b, c, d = 1.0, 0.0, 0.0, 1.0
        if flags & _HAVE_SCALE:
            a = d = _f2dot14(data, pos)
            pos += 2
        elif flags & _HAVE_XY_SCALE:
            a, d = _f2dot14(data, pos), _f2dot14(data, pos + 2)
            pos += 4
        elif flags & _HAVE_TWO_BY_TWO:
            a, b = _f2dot14(data, pos), _f2dot14(data, pos + 2)
            c, d = _f2dot14(data, pos + 4), _f2dot14(data, pos + 6)
            pos += 8
        if flags & _SCALED_OFFSET:  # Apple's reading: the offset is transformed too
            dx, dy = a * dx + c * dy, b * dx + d * dy
        for contour in _contours(face, component, depth + 1):
            contours.append([(a * x + c * y + dx, b * x + d * y + dy, on)
                             for x, y, on in contour])
    return contours


def _segments(contour: Contour) -> Iterator[tuple[str, tuple[Point, ...]]]:
    """A closed quadratic contour as ("move", p), ("line", p) and ("quad", q, p) steps,
    the on-curve points between two off-curve ones made explicit."""
    count = len(contour)
    if count == 0:
        return
    starts = [i for i, (_x, _y, on) in enumerate(contour) if on]
    if starts:
        first = starts[0]
        ring = contour[first:] + contour[:first]
        start: Point = (ring[0][0], ring[0][1])
        rest = ring[1:]
    else:  # every point off the curve: start halfway between the first two
        (x0, y0, _), (x1, y1, _) = contour[0], contour[1 % count]
        start = ((x0 + x1) / 2, (y0 + y1) / 2)
        rest = contour[1:] + contour[:1]
    yield "move", (start,)
    pending: Point | None = None
    for x, y, on in [*rest, (start[0], start[1], True)]:
        if on:
            if pending is None:
                yield "line", ((x, y),)
            else:
                yield "quad", (pending, (x, y))
                pending = None
        elif pending is None:
            pending = (x, y)
        else:
            middle = ((pending[0] + x) / 2, (pending[1] + y) / 2)
            yield "quad", (pending, middle)
            pending = (x, y)


def _glyph(font_name: str, char: str) -> int:
    index: int = _face(font_name).charToGlyph.get(ord(char), 0)
    return index


def text_width(font_name: str, size: float, text: str) -> float:
    """The width ``text`` takes, in points (as ReportLab's ``stringWidth``)."""
    return float(pdfmetrics.stringWidth(text, font_name, size))


@cache
def glyph_path(font_name: str, glyph: int) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The glyph's outline as path steps ("m", "l", "c" with whole font-unit
    coordinates; "h" closes a contour): quadratic curves as the cubic curves PDF
    draws. A font unit is 1/2048 em: at 9 pt, 0.004 pt, far below what any printer
    resolves, so whole units lose nothing."""
    steps: list[tuple[str, tuple[int, ...]]] = []
    for contour in _glyph_contours(font_name, glyph):
        current: Point = (0.0, 0.0)
        for kind, points in _segments(contour):
            if kind == "quad":
                (qx, qy), end = points
                c1 = (current[0] + 2 * (qx - current[0]) / 3,
                      current[1] + 2 * (qy - current[1]) / 3)
                c2 = (end[0] + 2 * (qx - end[0]) / 3, end[1] + 2 * (qy - end[1]) / 3)
                steps.append(("c", tuple(round(v) for v in (*c1, *c2, *end))))
            else:
                end = points[0]
                steps.append(("m" if kind == "move" else "l",
                              (round(end[0]), round(end[1]))))
            current = end
        steps.append(("h", ()))
    return tuple(steps)


@cache
def glyph_operators(font_name: str, glyph: int) -> str:
    """The glyph's path as PDF path operators in font units ("" for a blank glyph),
    formatted once per glyph."""
    return " ".join(f"{' '.join(map(str, values))} {op}" if values else op
                    for op, values in glyph_path(font_name, glyph))


def draw_outlined(canv: Any, font_name: str, size: float, x: float, y: float,
                  text: str) -> None:
    """``text`` with its baseline's left end at (x, y), filled in the fill colour (nonzero
    winding, as TrueType outlines are drawn): each glyph's path in font units, placed
    and scaled by its own transformation."""
    scale = fp_str(size / _face(font_name).unitsPerEm)
    pen_x = x
    for char in text:
        operators = glyph_operators(font_name, _glyph(font_name, char))
        if operators:
            canv.addLiteral(f"q {scale} 0 0 {scale} {fp_str(pen_x, y)} cm {operators} f Q")
        pen_x += text_width(font_name, size, char)


class OutlinedCanvas:
    """A ReportLab canvas whose ``drawString`` and ``drawRightString`` draw outlines;
    everything else is the canvas's own."""

    def __init__(self, canv: Any) -> None:
        self._canv = canv
        self._font = canv._fontname
        self._size = canv._fontsize

    def __getattr__(self, name: str) -> Any:
        return getattr(self._canv, name)

    def setFont(self, name: str, size: float) -> None:
        self._font, self._size = name, size

    def drawString(self, x: float, y: float, text: str) -> None:
        draw_outlined(self._canv, self._font, self._size, x, y, text)

    def drawRightString(self, x: float, y: float, text: str) -> None:
        width = text_width(self._font, self._size, text)
        draw_outlined(self._canv, self._font, self._size, x - width, y, text)
