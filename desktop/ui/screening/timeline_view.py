"""The patient's screening timeline: the trial's stages against the planned event dates.

``TimelineView`` paints a :class:`desktop.domain.timeline.Timeline` (every date, span
and word comes from the domain; this module only places and draws them): a day axis,
a dashed line per planned event labelled above it, one row per visit slot with the
stage's title and a state badge on the left and each time window as a bar, and a solid
"today" line. Hovering a bar shows the window, its exact start and end and what it
applies to. Without event dates it shows the domain's sentence of which dates to enter.

Readable in greyscale and print: every state is a word in its badge, events are dashed
and today is solid, bars are outlined; text uses the palette; sizes come from the font.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop.domain.timeline import Lane, SlotKey, Span, Timeline, build_timeline
from desktop.domain.trial import EVENTS, Trial
from desktop.domain.visits import StageState

#: Badge outline colours; the state's word is always written in the badge too.
STATE_COLOURS: Final = {
    StageState.NOT_STARTED: "#8a8a8a",
    StageState.IN_PROGRESS: "#e08a00",
    StageState.ELIGIBLE: "#2e7d32",
    StageState.NOT_ELIGIBLE: "#c62828",
    StageState.OVERRIDDEN: "#7b1fa2",
    StageState.SIGNED: "#1565c0",
}
BAR_COLOUR: Final = "#1e88e5"
TODAY_COLOUR: Final = "#d81b60"
TIME: Final = "%Y-%m-%d %H:%M"


def when_short(at: datetime) -> str:
    """``Tue 3 Nov 08:00``, or without the time at midnight."""
    day = f"{at:%a} {at.day} {at:%b}"
    return day if at.hour == at.minute == 0 else f"{day} {at:%H:%M}"


def span_tooltip(span: Span) -> str:
    """What a bar's tooltip says: the window, its exact edges and what it applies to."""
    until = "up to, not including," if span.end_exclusive else "to"
    return "\n".join([
        span.text[0].upper() + span.text[1:],
        f"From {span.start:{TIME}} {until} {span.end:{TIME}}",
        f"Applies to: {', '.join(span.labels)}",
        f"Criteria: {', '.join(span.criteria)}",
    ])


def badge_text(lane: Lane) -> str:
    return f"{lane.state.value} · next" if lane.is_next else lane.state.value


@dataclass
class _Bar:
    rect: QRectF
    span: Span
    #: Where the window's text goes: inside the bar, or beside it when it is narrow.
    text_rect: QRectF
    text: str


@dataclass
class _Row:
    lane: Lane
    rect: QRectF
    title_rect: QRectF
    badge_rect: QRectF
    bars: list[_Bar] = field(default_factory=list)
    note_rect: QRectF | None = None


@dataclass
class _MarkerLabel:
    x: float
    rect: QRectF
    lines: tuple[str, str]
    tooltip: str


@dataclass
class _Layout:
    height: float
    message_rect: QRectF | None
    plot: QRectF  # the axis and lanes, left to right over the date range
    axis_rect: QRectF
    rows: list[_Row]
    markers: list[_MarkerLabel]
    footer_rect: QRectF


class TimelineView(QWidget):
    """Paints one screening's timeline; ``set_timeline`` hands it the domain's picture."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self._timeline: Timeline | None = None
        self._cache: tuple[int, _Layout] | None = None
        self.setMouseTracking(True)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    # -- public ------------------------------------------------------------------

    def set_timeline(self, timeline: Timeline | None) -> None:
        self._timeline = timeline
        self._cache = None
        self.setAccessibleDescription(self.summary())
        self.updateGeometry()
        self.update()

    def set_data(self, trial: Trial, events: Mapping[SlotKey, Mapping[str, datetime]],
                 states: Mapping[SlotKey, StageState], today: datetime,
                 fallback: Mapping[str, datetime] | None = None) -> None:
        """Build the timeline (:func:`desktop.domain.timeline.build_timeline`) and show it."""
        self.set_timeline(build_timeline(trial, events, states, today, fallback=fallback))

    def clear_timeline(self) -> None:
        self.set_timeline(None)

    def timeline(self) -> Timeline | None:
        return self._timeline

    def summary(self) -> str:
        """The picture in words, one line per lane (for screen readers)."""
        timeline = self._timeline
        if timeline is None:
            return ""
        lines = [timeline.message] if timeline.message else []
        for lane in timeline.lanes:
            due = lane.due.text if lane.spans else lane.note
            lines.append(f"{lane.title} ({badge_text(lane)}): {due}")
        return "\n".join(lines)

    def bar_rect(self, lane: int, span: int) -> QRect:
        """Where the bar of ``span`` of ``lane`` is drawn (empty if it is not)."""
        rows = self._layout().rows
        if lane >= len(rows) or span >= len(rows[lane].bars):
            return QRect()
        return rows[lane].bars[span].rect.toAlignedRect()

    def x_of(self, at: datetime) -> float:
        """Where ``at`` falls on the date axis (the drawn range must be known)."""
        timeline = self._timeline
        assert timeline is not None
        plot = self._layout().plot
        return self._x(at, timeline, plot.left(), plot.right())

    def badge_rect(self, lane: int) -> QRect:
        rows = self._layout().rows
        return rows[lane].badge_rect.toAlignedRect() if lane < len(rows) else QRect()

    def tooltip_at(self, pos: QPoint) -> str:
        point = QPointF(pos)
        layout = self._layout()
        for row in layout.rows:
            for bar in row.bars:
                if bar.rect.adjusted(-2, -2, 2, 2).contains(point):
                    return span_tooltip(bar.span)
            if row.badge_rect.contains(point) or row.title_rect.contains(point):
                return f"{row.lane.title}: {badge_text(row.lane)}\n{row.lane.due.text}"
        for marker in layout.markers:
            if marker.rect.contains(point):
                return marker.tooltip
        return ""

    # -- Qt ----------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        width = self._em() * 76
        return QSize(width, int(self._compute(width).height))

    def minimumSizeHint(self) -> QSize:
        width = self._em() * 36
        return QSize(width, int(self._compute(max(self.width(), width)).height))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return int(self._compute(width).height)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.PaletteChange,
                            QEvent.Type.StyleChange):
            self._cache = None
            self.updateGeometry()
        return super().event(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._cache = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        timeline = self._timeline
        if timeline is None:
            return
        layout = self._layout()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            self._paint(painter, timeline, layout)
        finally:
            painter.end()

    # -- layout ------------------------------------------------------------------

    def _em(self) -> int:
        return max(self.fontMetrics().horizontalAdvance("M"), 1)

    def _small_font(self, bold: bool = False) -> QFont:
        font = QFont(self.font())
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * 0.9)
        font.setBold(bold)
        return font

    def _layout(self) -> _Layout:
        width = self.width() if self.width() > 1 else self.sizeHint().width()
        if self._cache is None or self._cache[0] != width:
            self._cache = (width, self._compute(width))
        return self._cache[1]

    def _compute(self, width: int) -> _Layout:
        fm = self.fontMetrics()
        small = QFontMetrics(self._small_font())
        em, line = float(self._em()), float(fm.height())
        margin = em
        timeline = self._timeline
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
        markers: list[_MarkerLabel] = []
        if drawn and timeline is not None:
            markers = self._marker_labels(timeline, small, plot_left, plot_right, width,
                                          margin, y)
            bottom = max((m.rect.bottom() for m in markers), default=y)
            y = bottom + line / 4
        axis_rect = QRectF(plot_left, y, plot_right - plot_left,
                           2 * small.height() + line / 2 if drawn else 0)
        y = axis_rect.bottom()

        rows: list[_Row] = []
        bar_h = line + 6
        for lane in lanes:
            title_h = fm.boundingRect(QRect(0, 0, int(title_w), 1000),
                                      Qt.TextFlag.TextWordWrap, lane.title).height()
            badge_fm = QFontMetrics(self._small_font(bold=lane.is_next))
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
            row = _Row(lane, rect, title_rect, badge_rect)
            bar_y = y + pad
            if drawn and timeline is not None:
                for span in lane.spans:
                    row.bars.append(self._bar(span, timeline, bar_y, bar_h, plot_left,
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
        return _Layout(height, message_rect, plot, axis_rect, rows, markers, footer_rect)

    @staticmethod
    def _x(at: datetime, timeline: Timeline, left: float, right: float) -> float:
        assert timeline.start is not None
        assert timeline.end is not None
        total = (timeline.end - timeline.start).total_seconds()
        return left + (at - timeline.start).total_seconds() / total * (right - left)

    def _bar(self, span: Span, timeline: Timeline, y: float, height: float, left: float,
             right: float, small: QFontMetrics, limit: float) -> _Bar:
        x0 = self._x(span.start, timeline, left, right)
        x1 = self._x(span.end, timeline, left, right)
        rect = QRectF(x0, y, max(x1 - x0, 2), height)
        full = small.horizontalAdvance(span.text) + 8
        if full <= rect.width():
            return _Bar(rect, span, rect.adjusted(4, 0, -4, 0), span.text)
        gap = 4
        right_room = limit - rect.right() - gap
        left_room = rect.left() - left - gap
        if right_room >= full or right_room >= left_room:
            text = small.elidedText(span.text, Qt.TextElideMode.ElideRight, int(right_room))
            box = QRectF(rect.right() + gap, y, right_room, height)
        else:
            text = small.elidedText(span.text, Qt.TextElideMode.ElideRight, int(left_room))
            text_w = small.horizontalAdvance(text) + 2
            box = QRectF(rect.left() - gap - text_w, y, text_w, height)
        return _Bar(rect, span, box, text)

    def _marker_labels(self, timeline: Timeline, small: QFontMetrics, left: float,
                       right: float, width: float, margin: float,
                       top: float) -> list[_MarkerLabel]:
        labels: list[_MarkerLabel] = []
        row_ends: list[float] = []
        bold = QFontMetrics(self._small_font(bold=True))
        height = 2 * small.height()
        for marker in timeline.markers:
            x = self._x(marker.at, timeline, left, right)
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
            labels.append(_MarkerLabel(x, rect, lines, f"{lines[0]}: {marker.at:{TIME}}"))
        return labels

    # -- painting ----------------------------------------------------------------

    def _paint(self, painter: QPainter, timeline: Timeline, layout: _Layout) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        rule = palette.color(QPalette.ColorRole.Mid)
        small = self._small_font()
        drawn = timeline.start is not None

        if layout.message_rect is not None:
            painter.setPen(text)
            painter.drawText(layout.message_rect, Qt.TextFlag.TextWordWrap, timeline.message)
        if drawn:
            self._paint_axis(painter, timeline, layout, small, text, rule)
            # Lines first: titles, bars and words are painted over them.
            self._paint_marker_lines(painter, layout, text)
            self._paint_today(painter, timeline, layout, small, text, line=True)
        base = palette.color(QPalette.ColorRole.Base)

        for row in layout.rows:
            painter.setPen(QPen(rule, 0))
            painter.drawLine(QPointF(0, row.rect.bottom()), QPointF(row.rect.right(),
                                                                     row.rect.bottom()))
            painter.setPen(text)
            painter.setFont(self.font())
            painter.drawText(row.title_rect, Qt.TextFlag.TextWordWrap, row.lane.title)
            self._paint_badge(painter, row, small, text)
            painter.setFont(small)
            for bar in row.bars:
                colour = QColor(BAR_COLOUR)
                fill = QColor(colour)
                fill.setAlpha(60)
                painter.setPen(QPen(colour, 1.2))
                painter.setBrush(fill)
                painter.drawRoundedRect(bar.rect, 3, 3)
                if not bar.rect.contains(bar.text_rect):
                    self._patch(painter, bar.text_rect, bar.text, small, base)
                painter.setPen(text)
                painter.drawText(bar.text_rect, Qt.AlignmentFlag.AlignVCenter, bar.text)
            if row.note_rect is not None:
                italic = QFont(small)
                italic.setItalic(True)
                painter.setFont(italic)
                self._patch(painter, row.note_rect, row.lane.note, italic, base)
                painter.setPen(muted)
                painter.drawText(row.note_rect, Qt.AlignmentFlag.AlignVCenter, row.lane.note)
            painter.setBrush(Qt.BrushStyle.NoBrush)

        if drawn:
            self._paint_weekends(painter, timeline, layout, small, text)
            self._paint_marker_labels(painter, layout, small, text)
            self._paint_today(painter, timeline, layout, small, text, line=False)

    @staticmethod
    def _patch(painter: QPainter, rect: QRectF, words: str, font: QFont, base: QColor) -> None:
        """A patch of background behind ``words``, so event and today lines never strike
        them."""
        box = QFontMetrics(font).boundingRect(words)
        painter.fillRect(QRectF(rect.left() - 2, rect.center().y() - box.height() / 2,
                                box.width() + 6, box.height()), base)

    def _paint_axis(self, painter: QPainter, timeline: Timeline, layout: _Layout,
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
        painter.setFont(self._small_font(bold=True))
        painter.setPen(text)
        for x, month in self._month_labels(timeline, plot, per_day, days):
            painter.drawText(QPointF(x, axis.top() + line_h + fm.ascent()), month)
        painter.setFont(small)
        painter.setPen(QPen(rule, 0))
        painter.drawLine(QPointF(plot.left(), axis.bottom()), QPointF(plot.right(),
                                                                       axis.bottom()))

    @staticmethod
    def _paint_weekends(painter: QPainter, timeline: Timeline, layout: _Layout, small: QFont,
                        text: QColor) -> None:
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

    def _month_labels(self, timeline: Timeline, plot: QRectF, per_day: float,
                      days: int) -> list[tuple[float, str]]:
        """Where each month's name goes: at its first day, and at the range's start
        unless the next month's name would run into it."""
        assert timeline.start is not None
        bold = QFontMetrics(self._small_font(bold=True))
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

    def _paint_badge(self, painter: QPainter, row: _Row, small: QFont, text: QColor) -> None:
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

    @staticmethod
    def _paint_marker_lines(painter: QPainter, layout: _Layout, text: QColor) -> None:
        axis = layout.axis_rect
        painter.setPen(QPen(text, 1.2, Qt.PenStyle.DashLine))
        for marker in layout.markers:
            painter.drawLine(QPointF(marker.x, marker.rect.bottom()),
                             QPointF(marker.x, axis.top()))
            painter.drawLine(QPointF(marker.x, axis.bottom() - axis.height() / 6),
                             QPointF(marker.x, layout.plot.bottom()))

    def _paint_marker_labels(self, painter: QPainter, layout: _Layout, small: QFont,
                             text: QColor) -> None:
        fm = QFontMetrics(small)
        bold = self._small_font(bold=True)
        painter.setPen(text)
        for marker in layout.markers:
            rect = marker.rect
            painter.setFont(bold)
            painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), fm.height()),
                             Qt.AlignmentFlag.AlignHCenter, marker.lines[0])
            painter.setFont(small)
            painter.drawText(QRectF(rect.left(), rect.top() + fm.height(), rect.width(),
                                    fm.height()), Qt.AlignmentFlag.AlignHCenter, marker.lines[1])

    def _paint_today(self, painter: QPainter, timeline: Timeline, layout: _Layout,
                     small: QFont, text: QColor, line: bool) -> None:
        """The today line (``line``), or its label under the lanes."""
        plot, footer = layout.plot, layout.footer_rect
        painter.setFont(small)
        label = f"Today {when_short(timeline.today)}"
        x = self._x(timeline.today, timeline, plot.left(), plot.right())
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


def demo_timeline(today: datetime | None = None) -> Timeline:
    """NCT06152809 with realistic dates and states: for screenshots and a quick look."""
    from desktop.library import find_trial

    events = {"lymphodepletion": datetime(2026, 11, 3, 8, 0),
              "infusion": datetime(2026, 11, 8, 10, 0),
              "venetoclax_start": datetime(2026, 11, 20)}
    states = {("screening-1", 1): StageState.ELIGIBLE,
              ("screening-2", 1): StageState.SIGNED,
              ("pre-lymphodepletion", 1): StageState.IN_PROGRESS}
    return build_timeline(find_trial("NCT06152809"),
                          {("pre-lymphodepletion", 1): events}, states,
                          today or datetime(2026, 11, 2, 9, 15), fallback=events)
