"""When an observation is fresh enough for a criterion.

Spans in hours are exact elapsed time in the site's time zone (on the day the clocks
go back, 24 hours before 08:00 is 09:00 the day before); spans in days, weeks or
months count calendar days from the event's date ("within 3 days prior" admits
anything dated on or after the event's date minus 3 days). An observation must also
not be after the event. "On the day of" is the event's calendar date.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

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


def hours_before(moment: datetime, hours: int, zone: tzinfo | None) -> datetime:
    """The local wall-clock time ``hours`` of elapsed time before ``moment``.

    ``moment`` is local wall-clock time in ``zone``; without a zone, wall-clock
    arithmetic (no clock changes).
    """
    if zone is None:
        return moment - timedelta(hours=hours)
    aware = moment.replace(tzinfo=zone)
    earlier = aware.astimezone(UTC) - timedelta(hours=hours)
    return earlier.astimezone(zone).replace(tzinfo=None)


def bounds(window: Window, event_at: datetime, zone: tzinfo | None = None) -> Bounds:
    if window.on_day:
        start = datetime.combine(event_at.date(), time())
        return Bounds(start, start + timedelta(days=1), end_exclusive=True)
    span = window.span
    assert span is not None
    amount, unit = span
    if unit == "h":
        return Bounds(hours_before(event_at, amount, zone), event_at)
    if unit == "mo":
        first_day = minus_months(event_at.date(), amount)
    else:
        days = amount * 7 if unit == "w" else amount
        first_day = event_at.date() - timedelta(days=days)
    return Bounds(datetime.combine(first_day, time()), event_at)
