"""Until when a result stays valid for a stage, what is to draw by when, and when a due
time is overdue (issue 18). Every boundary is checked against the engine's own window
rule (``bounds(...).admits``): valid-until is the last planned event time it admits."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from desktop.domain.timewindow import bounds
from desktop.domain.trial import Stage, Trial, Window
from desktop.domain.validity import draws, valid_until, validity
from desktop.domain.visits import due_next
from desktop.library import find_trial

NY = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="module")
def trial() -> Trial:
    return find_trial("NCT06152809")


def _stage(trial: Trial, stage_id: str) -> Stage:
    stage = trial.stage(stage_id)
    assert stage is not None
    return stage


def _window(**kwargs: object) -> Window:
    return Window.model_validate({"event": "infusion", **kwargs})


@pytest.mark.parametrize(
    ("within", "taken", "until"),
    [
        ("24h", datetime(2026, 12, 11, 8, 0), datetime(2026, 12, 12, 8, 0)),
        # Clocks go back on 1 November: 24 elapsed hours end at 08:00 wall clock, 25 later.
        ("24h", datetime(2026, 10, 31, 9, 0), datetime(2026, 11, 1, 8, 0)),
        # Clocks go forward on 8 March: 24 elapsed hours are 25 on the wall clock.
        ("24h", datetime(2026, 3, 7, 7, 0), datetime(2026, 3, 8, 8, 0)),
    ],
)
def test_an_hour_window_is_valid_until_exactly_that_many_elapsed_hours(
        within: str, taken: datetime, until: datetime) -> None:
    window = _window(within=within)
    found = valid_until(window, taken, NY)
    assert (found.at, found.exclusive) == (until, False)
    assert bounds(window, until, NY).admits(taken)  # the last moment: inclusive
    assert not bounds(window, until + MINUTE, NY).admits(taken)
    assert found.words() == f"{until:%Y-%m-%d %H:%M}"


def test_a_day_window_is_valid_to_the_end_of_the_last_calendar_day() -> None:
    window = _window(within="2w")
    taken = datetime(2026, 12, 1, 8, 0)
    found = valid_until(window, taken, NY)
    assert (found.at, found.exclusive) == (datetime(2026, 12, 16, 0, 0), True)
    assert bounds(window, datetime(2026, 12, 15, 23, 59), NY).admits(taken)
    assert not bounds(window, datetime(2026, 12, 16, 0, 0), NY).admits(taken)
    assert found.words() == "the end of 2026-12-15"


def test_a_month_window_follows_the_engines_month_end_clamp() -> None:
    window = _window(within="1mo")
    taken = datetime(2026, 1, 31, 10, 0)
    found = valid_until(window, taken)
    # An event on 28 February reaches back to 28 January; 1 March only to 1 February.
    assert found.at == datetime(2026, 3, 1, 0, 0)
    assert bounds(window, datetime(2026, 2, 28, 23, 0)).admits(taken)
    assert not bounds(window, datetime(2026, 3, 1, 0, 0)).admits(taken)


def test_on_the_day_of_is_valid_to_the_end_of_the_results_day() -> None:
    window = _window(on_day=True)
    taken = datetime(2026, 12, 12, 6, 0)
    found = valid_until(window, taken)
    assert (found.at, found.exclusive) == (datetime(2026, 12, 13, 0, 0), True)
    assert bounds(window, datetime(2026, 12, 12, 23, 59)).admits(taken)
    assert not bounds(window, datetime(2026, 12, 13, 0, 0)).admits(taken)


def test_a_reused_creatinine_says_until_when_it_counts(trial: Trial) -> None:
    stage = _stage(trial, "pre-infusion")
    events = {"infusion": datetime(2026, 12, 11, 14, 0)}
    found = validity(stage, "creatinine", events, datetime(2026, 12, 11, 8, 0), NY)
    assert found is not None
    assert found.text == ("Serum creatinine valid for Before CIML NK cell infusion until "
                          "2026-12-12 08:00 (while the NK cell infusion is by then)")


def test_a_result_that_does_not_count_now_has_no_valid_until(trial: Trial) -> None:
    stage = _stage(trial, "pre-infusion")
    taken = datetime(2026, 12, 10, 8, 0)
    assert validity(stage, "ast", {"infusion": datetime(2026, 12, 11, 8, 1)}, taken) is None
    assert validity(stage, "ast", {}, taken) is None  # no planned infusion
    # Weight is read at any time (Cockcroft-Gault): no window limits it.
    assert validity(stage, "weight", {"infusion": datetime(2026, 12, 11, 8, 0)}, taken) is None


def test_the_draw_list_reuses_what_counts_and_times_the_rest(trial: Trial) -> None:
    stage = _stage(trial, "pre-infusion")
    events = {"infusion": datetime(2026, 12, 12, 8, 0)}
    results = {"creatinine": [datetime(2026, 12, 11, 8, 0), datetime(2026, 12, 1, 8, 0)],
               "ast": [datetime(2026, 12, 10, 8, 0)]}
    found = {d.code: d for d in draws(stage, events, results, NY)}
    assert list(found) == ["bilirubin_direct", "ast", "alt", "creatinine"]
    assert found["creatinine"].status == "reuse"
    assert found["creatinine"].reused == datetime(2026, 12, 11, 8, 0)
    ast = found["ast"]
    assert ast.status == "draw"  # its result is older than 24 hours
    assert (ast.start, ast.end) == (datetime(2026, 12, 11, 8, 0), datetime(2026, 12, 12, 8, 0))
    assert ast.text == "AST: draw from 2026-12-11 08:00, by 2026-12-12 08:00"
    assert not ast.overdue(datetime(2026, 12, 12, 8, 0))
    assert ast.overdue(datetime(2026, 12, 12, 8, 0) + MINUTE)
    assert not found["creatinine"].overdue(datetime(2026, 12, 13, 0, 0))  # nothing to draw
    unplanned = draws(stage, {}, results, NY)
    assert {d.status for d in unplanned} == {"needs_event"}
    assert unplanned[0].text == ("Direct bilirubin: enter the planned NK cell infusion date "
                                 "to know when")


def test_labs_due_by_08_00_are_overdue_from_the_next_moment(trial: Trial) -> None:
    due = due_next(_stage(trial, "pre-lymphodepletion"),
                   {"lymphodepletion": datetime(2026, 12, 7, 8, 0)}, NY)
    assert due.end == datetime(2026, 12, 7, 8, 0)
    assert not due.overdue(datetime(2026, 12, 7, 8, 0))
    assert due.overdue(datetime(2026, 12, 7, 8, 0) + timedelta(seconds=1))
    assert due.text_at(datetime(2026, 12, 7, 21, 56)).endswith("(by 2026-12-07 08:00) — overdue")
    assert due.text_at(datetime(2026, 12, 7, 7, 0)) == due.text


def test_an_on_the_day_due_is_overdue_at_the_next_midnight() -> None:
    stage = Stage.model_validate({"id": "day-of", "title": "Day of", "criteria": [{
        "id": "steroids", "kind": "exclusion", "text": "No steroids on the day",
        "rule": {"type": "compare", "of": "prednisone_equivalent", "op": ">", "value": 10,
                 "unit": "mg"},
        "window": {"event": "infusion", "on_day": True}}]})
    due = due_next(stage, {"infusion": datetime(2026, 12, 12, 10, 0)})
    assert (due.end, due.end_exclusive) == (datetime(2026, 12, 13, 0, 0), True)
    assert not due.overdue(datetime(2026, 12, 12, 23, 59, 59))
    assert due.overdue(datetime(2026, 12, 13, 0, 0))
    assert not due_next(stage, {}).overdue(datetime(2030, 1, 1))  # no date: never overdue
