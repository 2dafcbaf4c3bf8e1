"""Spans in hours are elapsed time in the site's zone (contract, "Dates").

America/New_York in 2026: clocks go forward on 8 March (02:00 -> 03:00) and back on
1 November (02:00 -> 01:00). 24 hours before 08:00 on those days is 07:00 and 09:00 the
day before; spans in days stay calendar days.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from desktop.domain.engine import evaluate
from desktop.domain.record import parse_record
from desktop.domain.timewindow import bounds, hours_before
from desktop.domain.trial import Trial, Window

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 12, 0)


@pytest.mark.parametrize(
    ("event", "start"),
    [
        (datetime(2026, 11, 1, 8, 0), datetime(2026, 10, 31, 9, 0)),  # clocks go back
        (datetime(2026, 3, 8, 8, 0), datetime(2026, 3, 7, 7, 0)),  # clocks go forward
        (datetime(2026, 6, 15, 8, 0), datetime(2026, 6, 14, 8, 0)),  # an ordinary day
        (datetime(2026, 11, 2, 8, 0), datetime(2026, 11, 1, 8, 0)),  # the day after
    ],
)
def test_24_hours_before_is_elapsed_time(event: datetime, start: datetime) -> None:
    assert hours_before(event, 24, NY) == start
    window = Window.model_validate({"event": "lymphodepletion", "within": "24h"})
    assert bounds(window, event, NY).start == start


def test_without_a_zone_hours_are_wall_clock() -> None:
    assert hours_before(datetime(2026, 11, 1, 8, 0), 24, None) == datetime(2026, 10, 31, 8, 0)


def test_day_spans_stay_calendar_days_across_a_clock_change() -> None:
    window = Window.model_validate({"event": "lymphodepletion", "within": "3d"})
    assert bounds(window, datetime(2026, 11, 1, 8, 0), NY).start == datetime(2026, 10, 29)


TRIAL = Trial.model_validate({
    "id": "NCT00000001", "title": "Synthetic", "sponsor": "Test", "protocol_version": "1",
    "source": "test",
    "stages": [{"id": "screening-1", "title": "Screening", "criteria": [
        {"id": "ast", "kind": "inclusion", "text": "AST ≤3 x ULN",
         "rule": {"type": "compare", "of": "ast", "op": "<=", "uln": 3},
         "window": {"event": "lymphodepletion", "within": "24h"}}]}],
})


@pytest.mark.parametrize(
    ("event", "taken", "outcome"),
    [
        ("2026-11-01T08:00", "2026-10-31T09:00", "pass"),  # exactly 24 h of elapsed time
        ("2026-11-01T08:00", "2026-10-31T08:59", "unknown"),  # 24 h 1 min: stale
        ("2026-11-01T08:00", "2026-10-31T08:00", "unknown"),  # 25 h: wall clock would admit
        ("2026-03-08T08:00", "2026-03-07T07:00", "pass"),  # exactly 24 h
        ("2026-03-08T08:00", "2026-03-07T06:59", "unknown"),
        ("2026-03-08T08:00", "2026-03-07T07:30", "pass"),  # 23.5 h: wall clock says 24.5
    ],
)
def test_the_engine_holds_lab_windows_to_elapsed_hours(event: str, taken: str,
                                                       outcome: str) -> None:
    record = parse_record({
        "as_of": event, "events": {"lymphodepletion": event},
        "observations": [{"code": "ast", "value": 30, "unit": "U/L", "uln": 40, "at": taken}],
    }, NOW, zone=NY)
    result = evaluate(TRIAL, "screening-1", record).results[0]
    assert result.outcome == outcome, result.reason


def test_an_offset_converts_into_the_site_zone() -> None:
    record = parse_record({"as_of": "2026-11-01T13:00+00:00"}, NOW, zone=NY)
    assert record.as_of == datetime(2026, 11, 1, 8, 0)  # EST, after the change
    record = parse_record({"as_of": "2026-10-31T13:00+00:00"}, NOW, zone=NY)
    assert record.as_of == datetime(2026, 10, 31, 9, 0)  # EDT, before it
