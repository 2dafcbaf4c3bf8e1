"""The date-times a coordinator types into the visit form (``desktop.domain.typed_time``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from desktop.domain.record import RecordError
from desktop.domain.typed_time import FORMATS, parse_typed_time, site_today

TODAY = date(2026, 12, 3)


def parse(text: str, timed: bool = True) -> datetime | None:
    return parse_typed_time(text, today=TODAY, timed=timed, zone=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize("typed", ["2026-11-30 08:05", "2026-11-30 8:05", "2026-11-30T08:05",
                                   "  2026-11-30   08:05 ", "2026-11-30 08:05:00"])
def test_a_date_and_time_in_the_forms_people_type(typed: str) -> None:
    assert parse(typed) == datetime(2026, 11, 30, 8, 5)


@pytest.mark.parametrize("typed", ["8:05", "08:05"])
def test_a_time_alone_is_today(typed: str) -> None:
    assert parse(typed) == datetime(2026, 12, 3, 8, 5)


def test_midnight_and_the_last_minute_of_a_day() -> None:
    assert parse("0:00") == datetime(2026, 12, 3, 0, 0)
    assert parse("2026-12-31 23:59") == datetime(2026, 12, 31, 23, 59)


def test_blank_is_nothing_typed() -> None:
    assert parse("") is None
    assert parse("   ") is None


def test_a_date_alone_is_refused_for_a_timed_result_with_the_formats() -> None:
    with pytest.raises(RecordError) as refused:
        parse("2026-11-30")
    assert refused.value.field == "at"
    assert refused.value.message == (f"Enter the time too, as {FORMATS}: '2026-11-30' is a "
                                     f"date without a time")


def test_a_date_alone_is_the_start_of_the_day_where_a_date_is_enough() -> None:
    assert parse("2026-11-30", timed=False) == datetime(2026, 11, 30, 0, 0)


@pytest.mark.parametrize("typed", ["30.11.2026 08:05", "2026-11-30 0805", "8", "8:5",
                                   "tomorrow", "2026-11-30 08:05 pm", "2026/11/30 08:05"])
def test_anything_else_names_the_formats(typed: str) -> None:
    with pytest.raises(RecordError) as refused:
        parse(typed)
    assert refused.value.message == (f"Enter the date and time as {FORMATS} "
                                     f"({' '.join(typed.split())!r} is not one)")


@pytest.mark.parametrize(("typed", "why"), [
    ("24:00", "is not a time of day (00:00 to 23:59)"),
    ("2026-11-30 08:60", "is not a time of day (00:00 to 23:59)"),
    ("2026-02-30 08:00", "is not a date in the calendar"),
    ("2026-13-01 08:00", "is not a date in the calendar"),
    ("2101-01-01 00:00", "is outside 1900-01-01 to 2100-12-31"),
    ("1899-12-31 23:59", "is outside 1900-01-01 to 2100-12-31"),
])
def test_impossible_moments_say_what_is_wrong(typed: str, why: str) -> None:
    with pytest.raises(RecordError) as refused:
        parse(typed)
    assert refused.value.message == f"{typed!r} {why}"


def test_an_offset_is_made_local_to_the_site() -> None:
    # 07:05 UTC is 08:05 in Berlin (CET, UTC+1, in winter).
    assert parse("2026-11-30T07:05+00:00") == datetime(2026, 11, 30, 8, 5)
    assert parse("2026-11-30T07:05Z") == datetime(2026, 11, 30, 8, 5)


def test_today_is_the_sites_date() -> None:
    zone = ZoneInfo("America/New_York")
    # 02:30 UTC on 3 December is still 2 December (21:30) in New York.
    now = datetime(2026, 12, 3, 2, 30, tzinfo=UTC)
    assert site_today(now, zone) == date(2026, 12, 2)
    assert site_today(now + timedelta(hours=2), zone) == date(2026, 12, 2)  # 23:30
    assert site_today(now + timedelta(hours=3), zone) == date(2026, 12, 3)  # 00:30
