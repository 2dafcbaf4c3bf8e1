"""A date-time as a coordinator types it into the visit form.

Accepted: ``2026-11-30 08:05``, ``2026-11-30 8:05`` (one-digit hour), ``8:05`` or
``08:05`` (today, in the site's time zone), with optional seconds, a ``T`` instead of the
space, and an ISO 8601 offset (``2026-11-30T08:05+01:00``, made local as the record
does). A date alone (``2026-11-30``) is refused for a timed entry (a result's time
taken: the time windows count in hours, and nothing is guessed), and means 00:00 where
a date is enough. Wall-clock time, naive, in the site's zone, as the engine reads it.
No Qt: the form only passes the text and today's date.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo
from typing import Final

from desktop.domain.record import EARLIEST, LATEST, RecordError, parse_datetime

#: What the field says it takes (its placeholder and tooltip).
FORMATS: Final = "YYYY-MM-DD HH:MM, or HH:MM for today"
EXAMPLES: Final = "e.g. 2026-11-30 08:05, 2026-11-30 8:05 or 8:05"
#: The formats in a sentence, for a field's tooltip.
FORMATS_TIP: Final = (f"Date and time as {FORMATS} ({EXAMPLES}); a date alone is not "
                      f"enough for a result, whose time windows count in hours.")

_DATE: Final = r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
_TIME: Final = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
_DATE_TIME: Final = re.compile(rf"{_DATE}(?:(?:\s+|T){_TIME})?")
_TIME_ONLY: Final = re.compile(_TIME)
_OFFSET: Final = re.compile(r".*\d(?:Z|[+-]\d{2}(?::?\d{2})?)")


def site_today(now: datetime, zone: tzinfo) -> date:
    """Today's date in the site's zone (``now`` naive: the machine's local time)."""
    return now.astimezone(zone).date()


def parse_typed_time(text: str, *, today: date, timed: bool = True, field: str = "at",
                     zone: tzinfo | None = None) -> datetime | None:
    """The moment ``text`` names (None when blank); ``RecordError`` on ``field`` with a
    sentence naming the formats otherwise. ``today``: the date a time alone means (the
    site's, :func:`site_today`); ``timed``: a date without a time is refused; ``zone``:
    the site's, which a typed offset converts into."""
    typed = " ".join(text.split())
    if not typed:
        return None
    shown = f"{typed!r}"
    moment = _time_only(typed, today, field)
    if moment is None:
        found = _DATE_TIME.fullmatch(typed)
        if found is not None:
            if found["hour"] is None and timed:
                raise RecordError(field, f"Enter the time too, as {FORMATS}: {shown} is "
                                         f"a date without a time")
            moment = _build(found, field, shown)
        elif _OFFSET.fullmatch(typed) and ":" in typed:
            moment = parse_datetime(typed, field, zone)
        else:
            raise RecordError(field, f"Enter the date and time as {FORMATS} ({shown} is "
                                     f"not one)")
    if not EARLIEST <= moment <= LATEST:
        raise RecordError(field, f"{shown} is outside 1900-01-01 to 2100-12-31")
    return moment


def _time_only(typed: str, today: date, field: str) -> datetime | None:
    found = _TIME_ONLY.fullmatch(typed)
    if found is None:
        return None
    return datetime.combine(today, _clock(found, field, f"{typed!r}"))


def _build(found: re.Match[str], field: str, shown: str) -> datetime:
    try:
        day = date(int(found["year"]), int(found["month"]), int(found["day"]))
    except ValueError:
        raise RecordError(field, f"{shown} is not a date in the calendar") from None
    at = _clock(found, field, shown) if found["hour"] is not None else time(0, 0)
    return datetime.combine(day, at)


def _clock(found: re.Match[str], field: str, shown: str) -> time:
    hour, minute = int(found["hour"]), int(found["minute"])
    second = int(found["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise RecordError(field, f"{shown} is not a time of day (00:00 to 23:59)")
    return time(hour, minute, second)
