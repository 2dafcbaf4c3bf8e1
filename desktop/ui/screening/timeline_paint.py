"""Painting a laid-out timeline: the day axis, event and today lines, badges and bars.

:func:`paint_timeline` draws a :class:`desktop.ui.screening.timeline_layout.TimelineLayout`
with a painter, in the widget's font and palette. Readable in greyscale and print: every
state is a word in its badge, events are dashed and today is solid, bars are outlined.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen

from desktop.domain.timeline import Timeline
from desktop.domain.visits import StageState
from desktop.ui.screening.timeline_layout import RowBox, TimelineLayout, small_font, x_at
from desktop.ui.screening.timeline_text import badge_text, when_short

#: Badge outline colours; the state's word is always written in the badge too.
STATE_COLOURS: Final = {
    StageState.NOT_STARTED: "#8a8a8a",
    StageState.IN_PROGRESS: "#e08a00",
    StageState.ELIGIBLE: "#2e7d32",
    StageState.AWAITING_SIGNATURE: "#c77700",
    StageState.NOT_ELIGIBLE: "#c62828",
    StageState.OVERRIDDEN: "#7b1fa2",
    StageState.SIGNED: "#1565c0",
}
BAR_COLOUR: Final = "#1e88e5"
TODAY_COLOUR: Final = "#d81b60"


def paint_timeline(painter: QPainter, timeline: Timeline, layout: TimelineLayout,
                   font: QFont, palette: QPalette) -> None:
    """Draw ``timeline`` as ``layout`` places it, in ``font`` and ``palette``."""
    text = palette.color(QPalette.ColorRole.Text)
    muted = palette.color(QPalette.ColorRole.PlaceholderText)
    rule = palette.color(QPalette.ColorRole.Mid)
    small = small_font(font)
    drawn = timeline.start is not None

    if layout.message_rect is not None:
        painter.setPen(text)
        painter.drawText(layout.message_rect, Qt.TextFlag.TextWordWrap, timeline.message)
    if drawn:
        _paint_axis(painter, timeline, layout, font, small, text, rule)
        # Lines first: titles, bars and words are painted over them.
        _paint_marker_lines(painter, layout, text)
        _paint_today(painter, timeline, layout, small, text, line=True)
    base = palette.color(QPalette.ColorRole.Base)

    for row in layout.rows:
        painter.setPen(QPen(rule, 0))
        painter.drawLine(QPointF(0, row.rect.bottom()), QPointF(row.rect.right(),
                                                                 row.rect.bottom()))
        painter.setPen(text)
        painter.setFont(font)
        painter.drawText(row.title_rect, Qt.TextFlag.TextWordWrap, row.lane.title)
        _paint_badge(painter, row, small, text)
        painter.setFont(small)
        for bar in row.bars:
            colour = QColor(BAR_COLOUR)
            fill = QColor(colour)
            fill.setAlpha(60)
            painter.setPen(QPen(colour, 1.2))
            painter.setBrush(fill)
            painter.drawRoundedRect(bar.rect, 3, 3)
            if not bar.rect.contains(bar.text_rect):
                _patch(painter, bar.text_rect, bar.text, small, base)
            painter.setPen(text)
            painter.drawText(bar.text_rect, Qt.AlignmentFlag.AlignVCenter, bar.text)
        if row.note_rect is not None:
            italic = QFont(small)
            italic.setItalic(True)
            painter.setFont(italic)
            _patch(painter, row.note_rect, row.lane.note, italic, base)
            painter.setPen(muted)
            painter.drawText(row.note_rect, Qt.AlignmentFlag.AlignVCenter, row.lane.note)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    if drawn:
        _paint_weekends(painter, timeline, layout, small, text)
        _paint_marker_labels(painter, layout, font, small, text)
        _paint_today(painter, timeline, layout, small, text, line=False)


def _patch(painter: QPainter, rect: QRectF, words: str, font: QFont, base: QColor) -> None:
    """A patch of background behind ``words``, so event and today lines never strike
    them."""
    box = QFontMetrics(font).boundingRect(words)
    painter.fillRect(QRectF(rect.left() - 2, rect.center().y() - box.height() / 2,
                            box.width() + 6, box.height()), base)


def _paint_axis(painter: QPainter, timeline: Timeline, layout: TimelineLayout, font: QFont,
                small: QFont, text: QColor, rule: QColor) -> None:
    assert timeline.start is not None
    assert timeline.end is not None
    plot, axis = layout.plot, layout.axis_rect
    fm = QFontMetrics(small)
    days = (timeline.end - timeline.start).days
    per_day = plot.width() / max(days, 1)
    step = next((s for s in (1, 2, 7, 14) if per_day * s >= fm.horizontalAdvance("30") + 6),
                28)
    painter.setFont(small)
    line_h = fm.height()
    for n in range(days):
        day = timeline.start + timedelta(days=n)
        x = plot.left() + n * per_day
        painter.setPen(QPen(rule, 0))
        painter.drawLine(QPointF(x, axis.bottom() - line_h / 3), QPointF(x, axis.bottom()))
        if n % step == 0:
            painter.setPen(text)
            label = f"{day.day}" if per_day < fm.horizontalAdvance("Wed 30") + 6 else \
                f"{day:%a} {day.day}"
            painter.drawText(QRectF(x, axis.top(), per_day, line_h),
                             Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextDontClip, label)
    painter.setFont(small_font(font, bold=True))
    painter.setPen(text)
    for x, month in _month_labels(timeline, font, plot, per_day, days):
        painter.drawText(QPointF(x, axis.top() + line_h + fm.ascent()), month)
    painter.setFont(small)
    painter.setPen(QPen(rule, 0))
    painter.drawLine(QPointF(plot.left(), axis.bottom()), QPointF(plot.right(),
                                                                   axis.bottom()))


def _paint_weekends(painter: QPainter, timeline: Timeline, layout: TimelineLayout,
                    small: QFont, text: QColor) -> None:
    """A faint veil over Saturdays and Sundays, painted last so it lies evenly over
    lines and words; only where days are wide enough to tell apart."""
    assert timeline.start is not None
    assert timeline.end is not None
    plot, axis = layout.plot, layout.axis_rect
    days = (timeline.end - timeline.start).days
    per_day = plot.width() / max(days, 1)
    if per_day < QFontMetrics(small).horizontalAdvance("30") + 6:
        return
    veil = QColor(text)
    veil.setAlpha(14)
    for n in range(days):
        if (timeline.start + timedelta(days=n)).weekday() >= 5:
            painter.fillRect(QRectF(plot.left() + n * per_day, axis.bottom(), per_day,
                                    plot.bottom() - axis.bottom()), veil)


def _month_labels(timeline: Timeline, font: QFont, plot: QRectF, per_day: float,
                  days: int) -> list[tuple[float, str]]:
    """Where each month's name goes: at its first day, and at the range's start
    unless the next month's name would run into it."""
    assert timeline.start is not None
    bold = QFontMetrics(small_font(font, bold=True))
    found: list[tuple[float, str]] = []
    for n in range(days):
        day = timeline.start + timedelta(days=n)
        if n and day.day != 1:
            continue
        text = f"{day:%B %Y}"
        x = min(plot.left() + n * per_day + 2, plot.right() - bold.horizontalAdvance(text))
        if found and found[-1][0] + bold.horizontalAdvance(found[-1][1]) + 8 > x:
            found.pop()  # the start's month gives way to the month that begins
        found.append((x, text))
    return found


def _paint_badge(painter: QPainter, row: RowBox, small: QFont, text: QColor) -> None:
    colour = QColor(STATE_COLOURS[row.lane.state])
    fill = QColor(colour)
    fill.setAlpha(40)
    pen = QPen(colour, 1.5 if row.lane.is_next else 1)
    if row.lane.state is StageState.NOT_STARTED:
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.setBrush(fill)
    radius = row.badge_rect.height() / 2
    painter.drawRoundedRect(row.badge_rect, radius, radius)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    font = QFont(small)
    font.setBold(row.lane.is_next)
    painter.setFont(font)
    painter.setPen(text)
    painter.drawText(row.badge_rect, Qt.AlignmentFlag.AlignCenter, badge_text(row.lane))


def _paint_marker_lines(painter: QPainter, layout: TimelineLayout, text: QColor) -> None:
    axis = layout.axis_rect
    painter.setPen(QPen(text, 1.2, Qt.PenStyle.DashLine))
    for marker in layout.markers:
        painter.drawLine(QPointF(marker.x, marker.rect.bottom()),
                         QPointF(marker.x, axis.top()))
        painter.drawLine(QPointF(marker.x, axis.bottom() - axis.height() / 6),
                         QPointF(marker.x, layout.plot.bottom()))


def _paint_marker_labels(painter: QPainter, layout: TimelineLayout, font: QFont,
                         small: QFont, text: QColor) -> None:
    fm = QFontMetrics(small)
    bold = small_font(font, bold=True)
    painter.setPen(text)
    for marker in layout.markers:
        rect = marker.rect
        painter.setFont(bold)
        painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), fm.height()),
                         Qt.AlignmentFlag.AlignHCenter, marker.lines[0])
        painter.setFont(small)
        painter.drawText(QRectF(rect.left(), rect.top() + fm.height(), rect.width(),
                                fm.height()), Qt.AlignmentFlag.AlignHCenter, marker.lines[1])


def _paint_today(painter: QPainter, timeline: Timeline, layout: TimelineLayout,
                 small: QFont, text: QColor, line: bool) -> None:
    """The today line (``line``), or its label under the lanes."""
    plot, footer = layout.plot, layout.footer_rect
    painter.setFont(small)
    label = f"Today {when_short(timeline.today)}"
    x = x_at(timeline.today, timeline, plot.left(), plot.right())
    if line:
        if timeline.today_shown:
            painter.setPen(QPen(QColor(TODAY_COLOUR), 2))
            painter.drawLine(QPointF(x, layout.axis_rect.bottom()),
                             QPointF(x, footer.top()))
        return
    if not timeline.today_shown:
        assert timeline.start is not None
        side = "before" if timeline.today < timeline.start else "after"
        painter.setPen(text)
        painter.drawText(footer, Qt.AlignmentFlag.AlignLeft,
                         f"{label} ({side} the dates shown)")
        return
    width = QFontMetrics(small).horizontalAdvance(label) + 4
    left = min(max(x - width / 2, plot.left()), plot.right() - width)
    painter.setPen(text)
    painter.drawText(QRectF(left, footer.top(), width, footer.height()),
                     Qt.AlignmentFlag.AlignCenter, label)
