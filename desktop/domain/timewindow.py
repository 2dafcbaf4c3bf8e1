"""When an observation is fresh enough for a criterion.

Spans in hours are exact; spans in days, weeks or months count calendar days from
the event's date ("within 3 days prior" admits anything dated on or after the event's
date minus 3 days). An observation must also not be after the event. "On the day of"
is the event's calendar date.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from desktop.domain.trial import Window


@dataclass(frozen=True)
class Bounds:
    """``start <= at <= end`` (or ``< end`` when ``end_exclusive``)."""

    start: datetime
    end: datetime
    end_exclusive: bool = False

    def admits(self, at: datetime) -> bool:
        if at < self.start:
            return False
        return at < self.end if self.end_exclusive else at <= self.end


def minus_months(day: date, months: int) -> date:
    """Same day of month ``months`` earlier, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def bounds(window: Window, event_at: datetime) -> Bounds:
    if window.on_day:
        start = datetime.combine(event_at.date(), time())
        return Bounds(start, start + timedelta(days=1), end_exclusive=True)
    span = window.span
    assert span is not None
    amount, unit = span
    if unit == "h":
        return Bounds(event_at - timedelta(hours=amount), event_at)
    if unit == "mo":
        first_day = minus_months(event_at.date(), amount)
    else:
        days = amount * 7 if unit == "w" else amount
        first_day = event_at.date() - timedelta(days=days)
    return Bounds(datetime.combine(first_day, time()), event_at)
