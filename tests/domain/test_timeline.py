"""The screening timeline: spans at exact boundaries, repeats, missing dates, the range."""

from __future__ import annotations

from datetime import datetime

import pytest

from desktop.domain.timeline import build_timeline, lane_title
from desktop.domain.trial import Trial
from desktop.domain.visits import StageState
from desktop.library import find_trial

LD = datetime(2026, 11, 3, 8, 0)
INF = datetime(2026, 11, 8, 10, 0)
VEN = datetime(2026, 11, 20)
TODAY = datetime(2026, 11, 1, 9, 30)
EVENTS = {"lymphodepletion": LD, "infusion": INF, "venetoclax_start": VEN}


def _criterion(cid: str, window: dict[str, object], of: str = "ast") -> dict[str, object]:
    return {"id": cid, "kind": "inclusion", "text": "t", "window": window,
            "rule": {"type": "compare", "of": of, "op": "<=", "uln": 3}}


def _trial(*stages: dict[str, object]) -> Trial:
    return Trial.model_validate({"id": "NCT00000001", "title": "T", "sponsor": "S",
                                 "protocol_version": "1", "source": "test",
                                 "stages": list(stages)})


def _one_window(window: dict[str, object]) -> Trial:
    return _trial({"id": "pre", "title": "Pre", "criteria": [_criterion("c", window)]})


@pytest.mark.parametrize(("window", "start", "end", "exclusive"), [
    # Hours are exact, back from the event's time.
    ({"event": "infusion", "within": "24h"}, datetime(2026, 11, 7, 10), INF, False),
    # Days count calendar days: from 00:00 of the event's date minus 3.
    ({"event": "infusion", "within": "3d"}, datetime(2026, 11, 5), INF, False),
    ({"event": "infusion", "within": "2w"}, datetime(2026, 10, 25), INF, False),
    ({"event": "infusion", "within": "1mo"}, datetime(2026, 10, 8), INF, False),
    # The event's calendar day, up to (not including) the next midnight.
    ({"event": "infusion", "on_day": True}, datetime(2026, 11, 8), datetime(2026, 11, 9), True),
])
def test_a_window_becomes_the_exact_span_the_engine_admits(
        window: dict[str, object], start: datetime, end: datetime, exclusive: bool) -> None:
    (lane,) = build_timeline(_one_window(window), {}, {}, TODAY, fallback=EVENTS).lanes
    (span,) = lane.spans
    assert (span.start, span.end, span.end_exclusive) == (start, end, exclusive)
    assert span.event == "infusion"


def test_span_edges_admit_exactly_what_the_window_says() -> None:
    (lane,) = build_timeline(_one_window({"event": "infusion", "within": "3d"}), {}, {},
                             TODAY, fallback=EVENTS).lanes
    span = lane.spans[0]
    assert span.admits(datetime(2026, 11, 5, 0, 0))
    assert not span.admits(datetime(2026, 11, 4, 23, 59))
    assert span.admits(INF)
    assert not span.admits(datetime(2026, 11, 8, 10, 1))

    (day,) = build_timeline(_one_window({"event": "infusion", "on_day": True}), {}, {},
                            TODAY, fallback=EVENTS).lanes
    assert day.spans[0].admits(datetime(2026, 11, 8, 23, 59))
    assert not day.spans[0].admits(datetime(2026, 11, 9, 0, 0))


def test_nct06152809_lanes_windows_and_markers() -> None:
    trial = find_trial("NCT06152809")
    timeline = build_timeline(trial, {}, {("screening-1", 1): StageState.ELIGIBLE,
                                          ("screening-2", 1): StageState.IN_PROGRESS},
                              TODAY, fallback=EVENTS)
    assert [lane.stage_id for lane in timeline.lanes] == trial.stage_ids
    assert [lane.state for lane in timeline.lanes] == [
        StageState.ELIGIBLE, StageState.IN_PROGRESS] + [StageState.NOT_STARTED] * 3
    assert [lane.is_next for lane in timeline.lanes] == [False, True, False, False, False]
    screening_1, _, pre_ld, pre_inf, pre_ven = timeline.lanes
    assert screening_1.spans == ()
    assert screening_1.note == "No time window"

    (ld,) = pre_ld.spans
    assert (ld.start, ld.end) == (datetime(2026, 11, 2, 8), LD)
    assert ld.text == "within 24 hours before lymphodepletion"
    assert ld.codes == ("bilirubin_direct", "ast", "alt")
    assert ld.criteria == ("direct-bilirubin", "ast-alt")
    assert ld.labels[0] == "Direct bilirubin"
    assert pre_ld.due.text.endswith("due from 2026-11-02 08:00 (by 2026-11-03 08:00)")

    # Two windows on the infusion: the 24 hours before it and its calendar day.
    assert [(s.text, s.start) for s in pre_inf.spans] == [
        ("within 24 hours before NK cell infusion", datetime(2026, 11, 7, 10)),
        ("on the day of NK cell infusion", datetime(2026, 11, 8))]
    assert pre_inf.spans[1].codes == ("prednisone_equivalent",)
    assert [(m.event, m.at) for m in pre_inf.markers] == [("infusion", INF)]
    assert pre_inf.markers[0].label == "NK cell infusion"
    # A date without a time: the 24 hours before midnight.
    assert (pre_ven.spans[0].start, pre_ven.spans[0].end) == (datetime(2026, 11, 19), VEN)

    assert [m.event for m in timeline.markers] == [
        "lymphodepletion", "infusion", "venetoclax_start"]
    # Whole days, a day's margin either side; today (two days before) pulled in.
    assert (timeline.start, timeline.end) == (datetime(2026, 10, 31), datetime(2026, 11, 21))
    assert timeline.today_shown
    assert timeline.message == ""


def test_each_slot_uses_its_own_visit_events_and_the_rest_the_latest() -> None:
    trial = find_trial("NCT06152809")
    moved = datetime(2026, 11, 9, 10, 0)  # infusion delayed 24 h at the pre-infusion visit
    timeline = build_timeline(
        trial, {("pre-lymphodepletion", 1): EVENTS,
                ("pre-infusion", 1): {**EVENTS, "infusion": moved}},
        {}, TODAY, fallback={**EVENTS, "infusion": moved})
    pre_ld, pre_inf = timeline.lanes[2], timeline.lanes[3]
    assert pre_inf.spans[0].start == datetime(2026, 11, 8, 10)
    assert pre_inf.markers[0].at == moved
    # The lymphodepletion visit's own events are not overwritten by the later ones.
    assert pre_ld.spans[0].end == LD
    assert moved in [m.at for m in timeline.markers]


def test_a_missing_event_date_asks_for_it_in_the_lane() -> None:
    trial = find_trial("NCT06152809")
    timeline = build_timeline(trial, {}, {}, TODAY, fallback={"lymphodepletion": LD})
    pre_ld, pre_inf, pre_ven = timeline.lanes[2:]
    assert len(pre_ld.spans) == 1
    assert pre_ld.missing == ()
    assert pre_ld.note == ""
    assert pre_inf.spans == ()
    assert pre_inf.missing == ("infusion",)
    assert pre_inf.note == "Enter the planned NK cell infusion date"
    assert pre_ven.note == "Enter the planned venetoclax initiation date"
    assert timeline.message == ""  # something to draw


def test_no_event_dates_at_all_says_which_to_enter() -> None:
    timeline = build_timeline(find_trial("NCT06152809"), {}, {}, TODAY)
    assert timeline.start is None
    assert timeline.end is None
    assert not timeline.today_shown
    assert timeline.message == ("Enter the planned lymphodepletion, NK cell infusion and "
                                "venetoclax initiation dates to see the windows")
    only_ld = _one_window({"event": "lymphodepletion", "within": "24h"})
    assert build_timeline(only_ld, {}, {}, TODAY).message == \
        "Enter the planned lymphodepletion date to see the windows"


def test_a_trial_without_windows_says_so() -> None:
    timeline = build_timeline(find_trial("NCT07011004"), {}, {}, TODAY, fallback=EVENTS)
    assert timeline.message == "This trial's criteria set no time windows."
    assert all(lane.note == "No time window" for lane in timeline.lanes)


def test_a_repeated_stage_has_one_lane_per_repeat() -> None:
    trial = find_trial("NCT06835140")
    states = {("screening-1", 1): StageState.ELIGIBLE, ("pre-infusion", 1): StageState.ELIGIBLE,
              ("pre-infusion", 2): StageState.SIGNED}
    timeline = build_timeline(trial, {}, states, TODAY)
    assert [(lane.stage_id, lane.repeat) for lane in timeline.lanes] == [
        ("screening-1", 1), ("pre-infusion", 1), ("pre-infusion", 2), ("pre-infusion", 3)]
    assert timeline.lanes[2].title.endswith("(infusion 2 of 3)")
    assert [lane.state for lane in timeline.lanes] == [
        StageState.ELIGIBLE, StageState.ELIGIBLE, StageState.SIGNED, StageState.NOT_STARTED]
    assert [lane.is_next for lane in timeline.lanes] == [False, False, False, True]


def test_repeats_hang_on_their_own_infusion_dates() -> None:
    trial = _trial({"id": "pre-infusion", "title": "Pre-infusion", "repeat": 2,
                    "criteria": [_criterion("c", {"event": "infusion", "within": "24h"})]})
    second = datetime(2026, 11, 15, 10, 0)
    timeline = build_timeline(trial, {("pre-infusion", 1): {"infusion": INF}},
                              {}, TODAY, fallback={"infusion": second})
    first_lane, second_lane = timeline.lanes
    assert lane_title(trial.stages[0], 2) == "Pre-infusion (infusion 2 of 2)"
    assert first_lane.spans[0].end == INF
    assert second_lane.spans[0].end == second
    assert [m.at for m in timeline.markers] == [INF, second]


def test_today_far_from_the_events_is_not_drawn_and_does_not_stretch_the_range() -> None:
    trial = _one_window({"event": "infusion", "within": "24h"})
    early = datetime(2026, 9, 1)
    timeline = build_timeline(trial, {}, {}, early, fallback=EVENTS)
    assert (timeline.start, timeline.end) == (datetime(2026, 11, 6), datetime(2026, 11, 10))
    assert not timeline.today_shown
    near = build_timeline(trial, {}, {}, datetime(2026, 11, 12, 15), fallback=EVENTS)
    assert (near.start, near.end) == (datetime(2026, 11, 6), datetime(2026, 11, 14))
    assert near.today_shown


def test_the_range_ends_on_a_whole_day_after_an_event_at_midnight() -> None:
    trial = _one_window({"event": "venetoclax_start", "within": "24h"})
    timeline = build_timeline(trial, {}, {}, datetime(2026, 11, 19, 12), fallback=EVENTS)
    assert (timeline.start, timeline.end) == (datetime(2026, 11, 18), datetime(2026, 11, 21))


def test_age_is_never_a_windowed_reading() -> None:
    trial = _trial({"id": "s", "title": "S", "criteria": [
        {"id": "age", "kind": "inclusion", "text": "t",
         "window": {"event": "infusion", "within": "2w"},
         "rule": {"type": "compare", "of": "age", "op": ">=", "value": 18}},
        _criterion("ast", {"event": "infusion", "within": "2w"})]})
    (lane,) = build_timeline(trial, {}, {}, TODAY, fallback=EVENTS).lanes
    assert lane.spans[0].codes == ("ast",)
    assert lane.spans[0].criteria == ("ast",)
