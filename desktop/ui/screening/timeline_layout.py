"""Where the timeline's parts go: the geometry of one timeline at one width.

:func:`compute_layout` places the message, the event labels, the day axis, one row per
lane (title, badge, a bar per time window, the lane's note) and the today footer, in
the widget's font; :func:`x_at` puts a date on the axis. Nothing is painted here (see
:mod:`desktop.ui.screening.timeline_paint`) and nothing is decided: the dates and spans
are the domain's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetrics

from desktop.domain.timeline import Lane, Span, Timeline
from desktop.domain.trial import EVENTS
from desktop.ui.screening.timeline_text import TIME, badge_text, when_short


@dataclass
class BarBox:
    rect: QRectF
    span: Span
    #: Where the window's text goes: inside the bar, or beside it when it is narrow.
    text_rect: QRectF
    text: str


@dataclass
class RowBox:
    lane: Lane
    rect: QRectF
    title_rect: QRectF
    badge_rect: QRectF
    bars: list[BarBox] = field(default_factory=list)
    note_rect: QRectF | None = None


@dataclass
class MarkerLabel:
    x: float
    rect: QRectF
    lines: tuple[str, str]
    tooltip: str


@dataclass
class TimelineLayout:
    height: float
    message_rect: QRectF | None
    plot: QRectF  # the axis and lanes, left to right over the date range
    axis_rect: QRectF
    rows: list[RowBox]
    markers: list[MarkerLabel]
    footer_rect: QRectF


def em_width(font: QFont) -> int:
    return max(QFontMetrics(font).horizontalAdvance("M"), 1)


def small_font(font: QFont, bold: bool = False) -> QFont:
    small = QFont(font)
    if small.pointSizeF() > 0:
        small.setPointSizeF(small.pointSizeF() * 0.9)
    small.setBold(bold)
    return small


def x_at(at: datetime, timeline: Timeline, left: float, right: float) -> float:
    """Where ``at`` falls between ``left`` and ``right`` over the timeline's range."""
    assert timeline.start is not None
    assert timeline.end is not None
    total = (timeline.end - timeline.start).total_seconds()
    return left + (at - timeline.start).total_seconds() / total * (right - left)


def compute_layout(timeline: Timeline | None, font: QFont, width: int) -> TimelineLayout:
    """The timeline laid out ``width`` wide in ``font`` (the widget's font)."""
    fm = QFontMetrics(font)
    small = QFontMetrics(small_font(font))
    em, line = float(em_width(font)), float(fm.height())
    margin = em
    lanes = timeline.lanes if timeline is not None else ()
    title_w = min(max([fm.horizontalAdvance(lane.title) + 2.0 for lane in lanes] + [8 * em]),
                  max(13 * em, 0.22 * width))
    plot_left = margin + title_w + em
    plot_right = max(width - margin, plot_left + 8 * em)
    y: float = margin / 2

    message_rect = None
    if timeline is not None and timeline.message:
        message_h = fm.boundingRect(QRect(0, 0, int(width - 2 * margin), 1000),
                                    Qt.TextFlag.TextWordWrap, timeline.message).height()
        message_rect = QRectF(margin, y, width - 2 * margin, message_h)
        y += message_h + line / 2

    drawn = timeline is not None and timeline.start is not None
    markers: list[MarkerLabel] = []
    if drawn and timeline is not None:
        markers = _marker_labels(timeline, font, small, plot_left, plot_right, width,
                                 margin, y)
        bottom = max((m.rect.bottom() for m in markers), default=y)
        y = bottom + line / 4
    axis_rect = QRectF(plot_left, y, plot_right - plot_left,
                       2 * small.height() + line / 2 if drawn else 0)
    y = axis_rect.bottom()

    rows: list[RowBox] = []
    bar_h = line + 6
    for lane in lanes:
        title_h = fm.boundingRect(QRect(0, 0, int(title_w), 1000),
                                  Qt.TextFlag.TextWordWrap, lane.title).height()
        badge_fm = QFontMetrics(small_font(font, bold=lane.is_next))
        badge_w = badge_fm.horizontalAdvance(badge_text(lane)) + em
        badge_h = small.height() + 4
        pad = line / 3
        left_h = title_h + 3 + badge_h
        bars_h = len(lane.spans) * (bar_h + 4) - 4 if drawn and lane.spans else 0
        note_h = line if lane.note else 0
        row_h = max(left_h, bars_h + (note_h + 4 if bars_h and note_h else note_h)) + 2 * pad
        rect = QRectF(0, y, width, row_h)
        title_rect = QRectF(margin, y + pad, title_w, title_h)
        badge_rect = QRectF(margin, title_rect.bottom() + 3, badge_w, badge_h)
        row = RowBox(lane, rect, title_rect, badge_rect)
        bar_y = y + pad
        if drawn and timeline is not None:
            for span in lane.spans:
                row.bars.append(_bar(span, timeline, bar_y, bar_h, plot_left,
                                     plot_right, small, width - margin))
                bar_y += bar_h + 4
        if lane.note:
            row.note_rect = QRectF(plot_left if drawn else margin + title_w + em,
                                   bar_y if bars_h else y + pad,
                                   plot_right - plot_left, line)
        rows.append(row)
        y += row_h
    footer_rect = QRectF(plot_left, y + 2, plot_right - plot_left,
                         small.height() + 4 if drawn else 0)
    height = footer_rect.bottom() + margin / 2
    plot = QRectF(plot_left, axis_rect.top(), plot_right - plot_left,
                  y - axis_rect.top())
    return TimelineLayout(height, message_rect, plot, axis_rect, rows, markers, footer_rect)


def _bar(span: Span, timeline: Timeline, y: float, height: float, left: float,
         right: float, small: QFontMetrics, limit: float) -> BarBox:
    x0 = x_at(span.start, timeline, left, right)
    x1 = x_at(span.end, timeline, left, right)
    rect = QRectF(x0, y, max(x1 - x0, 2), height)
    full = small.horizontalAdvance(span.text) + 8
    if full <= rect.width():
        return BarBox(rect, span, rect.adjusted(4, 0, -4, 0), span.text)
    gap = 4
    right_room = limit - rect.right() - gap
    left_room = rect.left() - left - gap
    # Beside the bar where the whole text fits, the right first; else on the roomier side,
    # cut between words (the bar's tooltip says it whole).
    if right_room >= full or (left_room < full and right_room >= left_room):
        text = _words_that_fit(span.text, small, right_room)
        box = QRectF(rect.right() + gap, y, right_room, height)
    else:
        text = _words_that_fit(span.text, small, left_room)
        text_w = small.horizontalAdvance(text) + 2
        box = QRectF(rect.left() - gap - text_w, y, text_w, height)
    return BarBox(rect, span, box, text)


def _words_that_fit(text: str, metrics: QFontMetrics, room: float) -> str:
    """``text`` whole if it fits in ``room``, else as many whole words as fit, then "…"
    (never a word cut in two: "Planned venetoclax initiatio…" hid what it was)."""
    if metrics.horizontalAdvance(text) + 2 <= room:
        return text
    words = text.split(" ")
    while len(words) > 1:
        words.pop()
        shown = " ".join(words).rstrip(" ,:;-(") + "…"
        if metrics.horizontalAdvance(shown) + 2 <= room:
            return shown
    return "…" if metrics.horizontalAdvance("…") + 2 <= room else ""


def _marker_labels(timeline: Timeline, font: QFont, small: QFontMetrics, left: float,
                   right: float, width: float, margin: float,
                   top: float) -> list[MarkerLabel]:
    labels: list[MarkerLabel] = []
    row_ends: list[float] = []
    bold = QFontMetrics(small_font(font, bold=True))
    height = 2 * small.height()
    for marker in timeline.markers:
        x = x_at(marker.at, timeline, left, right)
        name = EVENTS[marker.event]
        lines = (name[0].upper() + name[1:], when_short(marker.at))
        w = max(bold.horizontalAdvance(lines[0]), small.horizontalAdvance(lines[1])) + 6
        x0 = min(max(x - w / 2, margin), width - margin - w)
        row = next((i for i, end in enumerate(row_ends) if x0 > end + margin / 2),
                   len(row_ends))
        if row == len(row_ends):
            row_ends.append(0.0)
        row_ends[row] = x0 + w
        rect = QRectF(x0, top + row * (height + 2), w, height)
        labels.append(MarkerLabel(x, rect, lines, f"{lines[0]}: {marker.at:{TIME}}"))
    return labels
