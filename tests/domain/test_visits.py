"""Stage gating and the due-next line."""

from __future__ import annotations

from datetime import datetime

import pytest

from desktop.domain.trial import Stage
from desktop.domain.visits import StageState, can_complete, due_next, events_of, open_stages

S = StageState


@pytest.mark.parametrize(("decision", "ok"), [
    ("eligible", True), ("not_eligible", True), ("incomplete", False)])
def test_only_a_decided_stage_can_be_completed(decision: str, ok: bool) -> None:
    assert can_complete(decision) is ok


@pytest.mark.parametrize(("states", "expected"), [
    ([S.NOT_STARTED, S.NOT_STARTED, S.NOT_STARTED], [True, False, False]),
    ([S.IN_PROGRESS, S.NOT_STARTED], [True, False]),
    ([S.ELIGIBLE, S.NOT_STARTED, S.NOT_STARTED], [True, True, False]),
    ([S.NOT_ELIGIBLE, S.NOT_STARTED], [True, False]),
    ([S.OVERRIDDEN, S.IN_PROGRESS], [True, True]),
    ([S.SIGNED, S.ELIGIBLE, S.NOT_STARTED], [True, True, True]),
    ([S.ELIGIBLE, S.NOT_ELIGIBLE, S.NOT_STARTED], [True, True, False]),
])
def test_next_stage_opens_only_after_an_eligible_or_overridden_one(
        states: list[StageState], expected: list[bool]) -> None:
    assert open_stages(states) == expected


def _stage(*windows: dict[str, object]) -> Stage:
    criteria = [
        {"id": f"c{i}", "kind": "inclusion", "text": "t", "window": w,
         "rule": {"type": "compare", "of": "ast", "op": "<=", "uln": 3}}
        for i, w in enumerate(windows)
    ]
    return Stage.model_validate({"id": "pre-lymphodepletion", "title": "Pre-lymphodepletion",
                                 "criteria": criteria})


def test_due_next_from_the_window() -> None:
    stage = _stage({"event": "lymphodepletion", "within": "24h"})
    due = due_next(stage, {"lymphodepletion": datetime(2026, 11, 3, 8, 0)})
    assert due.start == datetime(2026, 11, 2, 8, 0)
    assert due.text == "Pre-lymphodepletion labs due from 2026-11-02 08:00 (by 2026-11-03 08:00)"


def test_due_next_asks_for_a_missing_event() -> None:
    stage = _stage({"event": "infusion", "within": "2w"})
    assert events_of(stage) == ["infusion"]
    assert "enter the planned NK cell infusion date" in due_next(stage, {}).text


def test_due_next_takes_the_tightest_of_several_windows() -> None:
    stage = _stage({"event": "infusion", "within": "2w"}, {"event": "infusion", "within": "24h"})
    due = due_next(stage, {"infusion": datetime(2026, 11, 8, 10, 0)})
    assert (due.start, due.end) == (datetime(2026, 11, 7, 10, 0), datetime(2026, 11, 8, 10, 0))
