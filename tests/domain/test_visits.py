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


# -- slots: the visit places of a trial, strictly in order ------------------------------

from desktop.domain.visits import Slot, next_slot, slots  # noqa: E402


def _trial_stages(*repeats: int) -> list[Stage]:
    return [Stage.model_validate({
        "id": f"s{i}", "title": f"Stage {i}", "repeat": r,
        "criteria": [{"id": "c", "kind": "inclusion", "text": "t", "attested": True}]})
        for i, r in enumerate(repeats, start=1)]


def _shape(found: list[Slot]) -> list[tuple[str, int, str, bool]]:
    return [(s.stage.id, s.repeat, s.state.value, s.may_start) for s in found]


def test_only_the_first_slot_may_start_a_fresh_screening() -> None:
    assert _shape(slots(_trial_stages(1, 1), {})) == [
        ("s1", 1, "not started", True), ("s2", 1, "not started", False)]


def test_a_repeated_stage_has_one_slot_per_repeat_each_waiting_for_the_one_before() -> None:
    found = slots(_trial_stages(1, 3), {("s1", 1): S.ELIGIBLE, ("s2", 1): S.SIGNED})
    assert _shape(found) == [
        ("s1", 1, "eligible", False), ("s2", 1, "signed", False),
        ("s2", 2, "not started", True), ("s2", 3, "not started", False)]
    assert found[2].title == "Stage 2 (2 of 3)"
    assert found[0].title == "Stage 1"


@pytest.mark.parametrize(("first", "second_may_start"), [
    (S.NOT_STARTED, False), (S.IN_PROGRESS, False), (S.NOT_ELIGIBLE, False),
    (S.ELIGIBLE, True), (S.OVERRIDDEN, True), (S.SIGNED, True)])
def test_the_next_slot_opens_only_after_a_favourable_completion(
        first: StageState, second_may_start: bool) -> None:
    states = {} if first is S.NOT_STARTED else {("s1", 1): first}
    assert slots(_trial_stages(1, 1), states)[1].may_start is second_may_start


def test_a_not_eligible_stage_closes_every_later_slot() -> None:
    found = slots(_trial_stages(1, 1, 1), {("s1", 1): S.NOT_ELIGIBLE})
    assert [s.may_start for s in found] == [False, False, False]
    assert next_slot(found) is None


def test_next_slot_is_the_draft_or_the_first_that_may_start() -> None:
    stages = _trial_stages(1, 1, 1)
    assert next_slot(slots(stages, {})) == slots(stages, {})[0]
    in_progress = slots(stages, {("s1", 1): S.ELIGIBLE, ("s2", 1): S.IN_PROGRESS})
    assert next_slot(in_progress) == in_progress[1]
    done = slots(stages, {(f"s{i}", 1): S.ELIGIBLE for i in (1, 2, 3)})
    assert next_slot(done) is None

