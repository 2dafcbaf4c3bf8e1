"""Planned dates against the protocol's schedule (issue 18): the NK cell infusion of
NCT06152809 is Day 0, five calendar days after lymphodepletion on Day -5, and may be
delayed up to 24 hours; NCT06138587's is Day 7 after the stem cell infusion (Day 0).
Calendar days are the site's; the delay is elapsed time (America/New_York: clocks go
back on 1 November 2026 and forward on 8 March 2026)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from desktop.domain.schedule import schedule_warnings
from desktop.domain.trial import Trial
from desktop.domain.trial_schedule import Schedule
from desktop.library import find_trial

NY = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="module")
def venetoclax() -> Trial:
    return find_trial("NCT06152809")


@pytest.fixture(scope="module")
def transplant() -> Trial:
    return find_trial("NCT06138587")


def test_an_infusion_15_hours_after_day_minus_5_names_the_rule(venetoclax: Trial) -> None:
    events = {"lymphodepletion": datetime(2026, 12, 1, 17, 0),
              "infusion": datetime(2026, 12, 2, 8, 0)}
    [warning] = schedule_warnings(venetoclax.schedule, events, NY)
    assert warning.text == (
        "NK cell infusion is Day 0, 5 days after lymphodepletion (Day -5), and may be "
        "delayed up to 24 hours; planned 15 hours after it (on Day -4)")
    assert (warning.event, warning.other) == ("infusion", "lymphodepletion")
    assert warning.earliest == datetime(2026, 12, 6, 0, 0)
    assert warning.latest == datetime(2026, 12, 8, 0, 0)


@pytest.mark.parametrize(
    ("infusion", "warns"),
    [
        (datetime(2026, 12, 5, 23, 59), True),  # Day -1
        (datetime(2026, 12, 6, 0, 0), False),  # the first moment of Day 0
        (datetime(2026, 12, 6, 10, 0), False),
        (datetime(2026, 12, 7, 23, 59), False),  # Day 0 23:59 delayed 24 hours
        (datetime(2026, 12, 8, 0, 0), True),  # past any 24-hour delay
    ],
)
def test_day_0_and_its_24_hour_delay_are_exact(venetoclax: Trial, infusion: datetime,
                                               warns: bool) -> None:
    events = {"lymphodepletion": datetime(2026, 12, 1, 8, 0), "infusion": infusion}
    assert bool(schedule_warnings(venetoclax.schedule, events, NY)) is warns


def test_the_delay_is_elapsed_time_across_a_clock_change(venetoclax: Trial) -> None:
    # Day 0 is 31 October; the 24 hours after the end of Day 0 run until 1 November
    # 23:00 (clocks go back at 02:00), not midnight.
    events = {"lymphodepletion": datetime(2026, 10, 26, 8, 0)}
    ok = {**events, "infusion": datetime(2026, 11, 1, 22, 59)}
    late = {**events, "infusion": datetime(2026, 11, 1, 23, 0)}
    assert schedule_warnings(venetoclax.schedule, ok, NY) == []
    [warning] = schedule_warnings(venetoclax.schedule, late, NY)
    assert warning.latest == datetime(2026, 11, 1, 23, 0)
    # Without a zone, wall-clock arithmetic: 1 November 23:00 is still inside.
    assert schedule_warnings(venetoclax.schedule, late, None) == []
    # Clocks going forward (8 March): the 24 hours end at 01:00 on 9 March.
    spring = {"lymphodepletion": datetime(2026, 3, 2, 8, 0)}
    [warning] = schedule_warnings(venetoclax.schedule,
                                  {**spring, "infusion": datetime(2026, 3, 9, 1, 0)}, NY)
    assert warning.latest == datetime(2026, 3, 9, 1, 0)
    assert schedule_warnings(venetoclax.schedule,
                             {**spring, "infusion": datetime(2026, 3, 9, 0, 59)}, NY) == []


def test_calendar_days_not_24_hour_blocks(venetoclax: Trial) -> None:
    # Lymphodepletion late in the evening: Day 0 starts 4 days and 1 hour later.
    events = {"lymphodepletion": datetime(2026, 12, 1, 23, 0),
              "infusion": datetime(2026, 12, 6, 0, 0)}
    assert schedule_warnings(venetoclax.schedule, events, NY) == []


def test_an_infusion_before_lymphodepletion_says_before(venetoclax: Trial) -> None:
    events = {"lymphodepletion": datetime(2026, 12, 10, 8, 0),
              "infusion": datetime(2026, 12, 6, 8, 0)}
    [warning] = schedule_warnings(venetoclax.schedule, events, NY)
    assert warning.text.endswith("planned 4 days before it (on Day -9)")


def test_day_7_after_the_stem_cell_infusion_has_no_delay(transplant: Trial) -> None:
    sct = datetime(2026, 12, 1, 14, 0)
    on_time = {"transplant": sct, "infusion": datetime(2026, 12, 8, 23, 59)}
    assert schedule_warnings(transplant.schedule, on_time, NY) == []
    late = {"transplant": sct, "infusion": datetime(2026, 12, 8, 23, 59) + MINUTE}
    [warning] = schedule_warnings(transplant.schedule, late, NY)
    assert warning.text == ("NK cell infusion is Day 7, 7 days after stem cell infusion "
                            "(Day 0); planned 7 days after it (on Day 8)")


def test_one_planned_event_or_no_schedule_gives_nothing(venetoclax: Trial) -> None:
    only = {"infusion": datetime(2026, 12, 2, 8, 0)}
    assert schedule_warnings(venetoclax.schedule, only, NY) == []
    assert schedule_warnings(None, {"infusion": datetime(2026, 12, 2, 8, 0),
                                    "lymphodepletion": datetime(2026, 12, 2, 7, 0)}) == []
    assert find_trial("NCT05744440").schedule is None


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ([{"event": "infusion", "day": 0, "text": "x"},
          {"event": "infusion", "day": 5, "text": "y"}], "given a day twice"),
        ([{"event": "infusion", "day": 0, "text": "x",
           "delay": {"up_to": "1d", "text": "z"}},
          {"event": "lymphodepletion", "day": -5, "text": "y"}], "in hours"),
        ([{"event": "infusion", "day": 0, "text": "x"}], "at least 2"),
    ],
)
def test_a_malformed_schedule_is_refused_naming_the_problem(days: list[dict[str, object]],
                                                            message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Schedule.model_validate({"days": days})


def test_a_schedule_naming_an_unknown_event_is_refused(venetoclax: Trial) -> None:
    data = json.loads(venetoclax.model_dump_json())
    data["schedule"]["days"][0]["event"] = "apheresis"
    with pytest.raises(ValidationError, match="unknown event 'apheresis'"):
        Trial.model_validate(data)
