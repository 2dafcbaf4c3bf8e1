"""The patient's screening timeline: the trial's stages against the planned event dates.

``TimelineView`` paints a :class:`desktop.domain.timeline.Timeline` (every date, span
and word comes from the domain; this module only places and draws them): a day axis,
a dashed line per planned event labelled above it, one row per visit slot with the
stage's title and a state badge on the left and each time window as a bar, and a solid
"today" line. Hovering a bar shows the window, its exact start and end and what it
applies to. Without event dates it shows the domain's sentence of which dates to enter.

Readable in greyscale and print: every state is a word in its badge, events are dashed
and today is solid, bars are outlined; text uses the palette; sizes come from the font.

This module holds the widget (its public methods and Qt events) and ``demo_timeline``;
the geometry is :mod:`.timeline_layout`, the drawing :mod:`.timeline_paint`, the words
:mod:`.timeline_text`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QSize
from PySide6.QtGui import QHelpEvent, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop.domain.timeline import Lane, SlotKey, Timeline, build_timeline
from desktop.domain.trial import Trial
from desktop.domain.visits import StageState
from desktop.ui.screening.timeline_layout import (
    TimelineLayout,
    compute_layout,
    em_width,
    x_at,
)
from desktop.ui.screening.timeline_paint import TODAY_COLOUR, paint_timeline
from desktop.ui.screening.timeline_text import badge_text, span_tooltip

__all__ = ["TODAY_COLOUR", "TimelineView", "demo_timeline"]


class TimelineView(QWidget):
    """Paints one screening's timeline; ``set_timeline`` hands it the domain's picture."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self._timeline: Timeline | None = None
        #: What a stage's signatures no longer cover, by slot ("data changed since
        #: signing"), said with the lane in its tooltip and in the summary.
        self._flags: dict[SlotKey, str] = {}
        self._cache: tuple[int, TimelineLayout] | None = None
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
                 fallback: Mapping[str, datetime] | None = None,
                 flags: Mapping[SlotKey, str] | None = None) -> None:
        """Build the timeline (:func:`desktop.domain.timeline.build_timeline`) and show it;
        ``flags``: words said with a lane (what its signatures no longer cover)."""
        self._flags = dict(flags or {})
        self.set_timeline(build_timeline(trial, events, states, today, fallback=fallback))

    def _flag(self, lane: Lane) -> str:
        flag = self._flags.get((lane.stage_id, lane.repeat))
        return f" · {flag}" if flag else ""

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
            lines.append(f"{lane.title} ({badge_text(lane)}{self._flag(lane)}): {due}")
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
        return x_at(at, timeline, plot.left(), plot.right())

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
                return (f"{row.lane.title}: {badge_text(row.lane)}{self._flag(row.lane)}\n"
                        f"{row.lane.due.text}")
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
            paint_timeline(painter, timeline, layout, self.font(), self.palette())
        finally:
            painter.end()

    # -- layout ------------------------------------------------------------------

    def _em(self) -> int:
        return em_width(self.font())

    def _layout(self) -> TimelineLayout:
        width = self.width() if self.width() > 1 else self.sizeHint().width()
        if self._cache is None or self._cache[0] != width:
            self._cache = (width, self._compute(width))
        return self._cache[1]

    def _compute(self, width: int) -> TimelineLayout:
        return compute_layout(self._timeline, self.font(), width)


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
