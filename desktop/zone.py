"""The site's time zone: local wall-clock times in records are in it.

For the command line and the app alike it is the process's ``TZ`` (an IANA name such as
``America/New_York``), else the machine's zone. A zone with clock changes matters: spans
in hours are elapsed time, so on the day the clocks go back, 24 hours before 08:00 is
09:00 the day before.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class _SystemZone(tzinfo):
    """The C library's idea of local time (``time.localtime``): the fallback everywhere."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return timedelta(seconds=-time.timezone)
        stamp = self._stamp(dt)
        return timedelta(seconds=time.localtime(stamp).tm_gmtoff)

    def dst(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return timedelta(0)
        local = time.localtime(self._stamp(dt))
        return timedelta(seconds=local.tm_gmtoff + time.timezone) if local.tm_isdst > 0 \
            else timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return time.tzname[0] if dt is None else time.localtime(self._stamp(dt)).tm_zone

    def fromutc(self, dt: datetime) -> datetime:
        stamp = (dt.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds()
        offset = time.localtime(stamp).tm_gmtoff
        return (dt + timedelta(seconds=offset)).replace(tzinfo=self)

    @staticmethod
    def _stamp(dt: datetime) -> float:
        fields = (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, 0, 0, -1)
        try:
            return time.mktime(fields)
        except (OverflowError, ValueError):
            return (dt.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds()


def site_zone() -> tzinfo:
    """The process's ``TZ`` as an IANA zone, else the machine's zone file, else libc's."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    else:
        localtime = Path("/etc/localtime")
        try:
            with localtime.open("rb") as handle:
                return ZoneInfo.from_file(handle, key="localtime")
        except (OSError, ValueError):
            pass
    return _SystemZone()


__all__ = ["UTC", "site_zone"]


def use_site_zone(name: str) -> bool:
    """Make the site's configured zone (an IANA name, from the registry's settings) this
    process's local time, unless ``TZ`` is set already (which stays the override).
    Whether it was applied."""
    if os.environ.get("TZ") or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    os.environ["TZ"] = name
    tzset = getattr(time, "tzset", None)
    if tzset is not None:  # POSIX: datetime.astimezone() follows it too
        tzset()
    return True

