"""Planned dates against the protocol's schedule: a warning naming the rule broken.

The trial's ``schedule`` (:mod:`desktop.domain.trial_schedule`) puts planned events on
study days ("lymphodepletion Day -5", "NK cell infusion Day 0"). Two planned events
``a`` and ``b`` (``a``'s day not later than ``b``'s) keep the schedule when ``b`` falls on
the calendar day ``b.day - a.day`` days after ``a``'s calendar day, in the site's time
zone. A delay the protocol allows widens that by elapsed hours: ``b`` may be up to its
delay after the end of that day, and (``a`` being delayed) up to ``a``'s delay before its
start. So with lymphodepletion on 1 December (Day -5), the NK cell infusion keeps the
schedule from 6 December 00:00 until 7 December 00:00 plus 24 hours (exclusive).

Only neighbouring planned events (in study-day order) are compared: each pair says its
own rule. A warning, never a refusal: the protocol states no refusal.

Pure: the caller passes the planned events (local wall-clock times) and the zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from itertools import pairwise

from desktop.domain.timewindow import hours_before
from desktop.domain.trial import EVENTS
from desktop.domain.trial_schedule import Schedule, ScheduledEvent

__all__ = ["ScheduleWarning", "allowed", "event_name", "schedule_warnings"]


@dataclass(frozen=True)
class ScheduleWarning:
    """``event`` is planned outside ``[earliest, latest)`` that ``other`` sets for it."""

    event: str
    other: str
    earliest: datetime
    latest: datetime
    #: E.g. "NK cell infusion is Day 0, 5 days after lymphodepletion (Day -5); planned
    #: 15 hours after it (on Day -5)".
    text: str


def event_name(event: str) -> str:
    """The event's words without a day of its own ("stem cell infusion (day 0)" ->
    "stem cell infusion": the schedule says the day)."""
    return EVENTS[event].removesuffix(" (day 0)")


def _day(day: int) -> str:
    return f"Day {day}"


def _midnight(day: datetime, offset: int) -> datetime:
    return datetime.combine(day.date() + timedelta(days=offset), time())


def _elapsed(start: datetime, end: datetime, zone: tzinfo | None) -> timedelta:
    """Real time from ``start`` to ``end`` (local wall-clock times in ``zone``)."""
    if zone is None:
        return end - start
    return end.replace(tzinfo=zone) - start.replace(tzinfo=zone)


def allowed(first: ScheduledEvent, first_at: datetime, second: ScheduledEvent,
            zone: tzinfo | None = None) -> tuple[datetime, datetime]:
    """``[earliest, latest)`` for ``second`` given ``first`` planned at ``first_at``."""
    gap = second.day - first.day
    earliest = _midnight(first_at, gap)
    latest = _midnight(first_at, gap + 1)
    if first.delay is not None:
        earliest = hours_before(earliest, first.delay.hours, zone)
    if second.delay is not None:
        latest = hours_before(latest, -second.delay.hours, zone)
    return earliest, latest


def _amount(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes >= 48 * 60:
        days = minutes // (24 * 60)
        return f"{days} days"
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def _rule(first: ScheduledEvent, second: ScheduledEvent) -> str:
    gap = second.day - first.day
    apart = "the same day as" if gap == 0 else \
        f"{gap} day{'s' if gap != 1 else ''} after"
    rule = (f"{event_name(second.event)} is {_day(second.day)}, {apart} "
            f"{event_name(first.event)} ({_day(first.day)})")
    if second.delay is not None:
        rule += f", and may be delayed up to {second.delay.hours} hours"
    if first.delay is not None:
        rule += (f" ({event_name(first.event)} may be delayed up to "
                 f"{first.delay.hours} hours)")
    return rule


def _planned(first: ScheduledEvent, first_at: datetime, second_at: datetime,
             zone: tzinfo | None) -> str:
    delta = _elapsed(first_at, second_at, zone)
    side = "at the same time as it" if delta == timedelta(0) else \
        f"{_amount(delta)} {'after' if delta > timedelta(0) else 'before'} it"
    on_day = first.day + (second_at.date() - first_at.date()).days
    return f"planned {side} (on {_day(on_day)})"


def schedule_warnings(schedule: Schedule | None, events: Mapping[str, datetime],
                      zone: tzinfo | None = None) -> list[ScheduleWarning]:
    """Every neighbouring pair of planned events that breaks the schedule, in study-day
    order; empty without a schedule or with fewer than two of its events planned."""
    if schedule is None:
        return []
    planned = sorted((d for d in schedule.days if d.event in events),
                     key=lambda d: d.day)
    found: list[ScheduleWarning] = []
    for first, second in pairwise(planned):
        first_at, second_at = events[first.event], events[second.event]
        earliest, latest = allowed(first, first_at, second, zone)
        if earliest <= second_at < latest:
            continue
        found.append(ScheduleWarning(
            second.event, first.event, earliest, latest,
            f"{_rule(first, second)}; {_planned(first, first_at, second_at, zone)}"))
    return found
