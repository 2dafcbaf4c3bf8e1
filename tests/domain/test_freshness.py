"""Freshness of a saved result for a stage: boundaries exact, and always the engine's.

Every boundary case is also run through the engine, so "reused: inside window" in the
visit form can never disagree with the outcome beside it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from desktop.domain.engine import evaluate
from desktop.domain.freshness import (
    code_windows,
    freshness,
    stage_codes,
    stage_facts,
    uln_codes,
)
from desktop.domain.record import Observation, Record
from desktop.domain.trial import Stage, Trial, Window
from desktop.library import load_library

INFUSION = datetime(2026, 11, 8, 10, 0)


def _trial(*criteria: dict[str, Any]) -> Trial:
    return Trial.model_validate({
        "id": "NCT00000001", "title": "t", "sponsor": "s", "protocol_version": "1",
        "source": "test",
        "stages": [{"id": "pre-infusion", "title": "Pre-infusion", "criteria": list(criteria)}],
    })


def _creatinine(window: dict[str, Any] | None) -> Trial:
    return _trial({"id": "creat", "kind": "inclusion", "text": "Creatinine <= 2 mg/dL",
                   "window": window,
                   "rule": {"type": "compare", "of": "creatinine", "op": "<=", "value": 2,
                            "unit": "mg/dL"}})


def _engine_counts(trial: Trial, code: str, at: datetime, value: str = "1",
                   unit: str = "mg/dL", extra: tuple[Observation, ...] = ()) -> bool:
    from fractions import Fraction

    record = Record(as_of=datetime(2026, 11, 9, 12, 0), birth_date=date(1960, 1, 1),
                    sex="female", events={"infusion": INFUSION},
                    observations=(Observation(code, Fraction(value), unit, at), *extra))
    return evaluate(trial, "pre-infusion", record).results[0].outcome == "pass"


@pytest.mark.parametrize(("within", "at", "counts"), [
    ({"within": "24h"}, datetime(2026, 11, 7, 10, 0), True),    # exactly 24 h before
    ({"within": "24h"}, datetime(2026, 11, 7, 9, 59), False),   # a minute too early
    ({"within": "24h"}, datetime(2026, 11, 8, 10, 0), True),    # at the event
    ({"within": "24h"}, datetime(2026, 11, 8, 10, 1), False),   # after the event
    ({"within": "3d"}, datetime(2026, 11, 5, 0, 0), True),      # calendar days
    ({"within": "3d"}, datetime(2026, 11, 4, 23, 59), False),
    ({"within": "2w"}, datetime(2026, 10, 25, 0, 0), True),
    ({"within": "2w"}, datetime(2026, 10, 24, 23, 59), False),
    ({"within": "1mo"}, datetime(2026, 10, 8, 0, 0), True),
    ({"within": "1mo"}, datetime(2026, 10, 7, 23, 59), False),
    ({"on_day": True}, datetime(2026, 11, 8, 0, 0), True),
    ({"on_day": True}, datetime(2026, 11, 8, 23, 59), True),
    ({"on_day": True}, datetime(2026, 11, 7, 23, 59), False),
    ({"on_day": True}, datetime(2026, 11, 9, 0, 0), False),
])
def test_window_boundaries_match_the_engine(within: dict[str, Any], at: datetime,
                                            counts: bool) -> None:
    trial = _creatinine({"event": "infusion", **within})
    stage = trial.stages[0]
    found = freshness(stage, "creatinine", {"infusion": INFUSION}, at)
    assert found.counts is counts
    assert found.status == ("fresh" if counts else "stale")
    assert _engine_counts(trial, "creatinine", at) is counts


def test_stale_sentence_names_the_window_and_when_it_starts() -> None:
    stage = _creatinine({"event": "infusion", "within": "2w"}).stages[0]
    found = freshness(stage, "creatinine", {"infusion": INFUSION}, datetime(2026, 10, 20, 7, 30))
    assert found.text == ("taken 2026-10-20 07:30 — stale: the window 'within 2 weeks before "
                          "NK cell infusion' starts 2026-10-25 00:00")


def test_after_the_event_is_stale_and_says_so() -> None:
    stage = _creatinine({"event": "infusion", "within": "24h"}).stages[0]
    found = freshness(stage, "creatinine", {"infusion": INFUSION}, datetime(2026, 11, 8, 11, 0))
    assert found.status == "stale"
    assert "after the NK cell infusion (2026-11-08 10:00)" in found.text


def test_on_day_stale_names_the_day() -> None:
    stage = _creatinine({"event": "infusion", "on_day": True}).stages[0]
    found = freshness(stage, "creatinine", {"infusion": INFUSION}, datetime(2026, 11, 7, 8, 0))
    assert found.text.endswith("the window 'on the day of NK cell infusion' is 2026-11-08 only")


def test_inside_the_window() -> None:
    stage = _creatinine({"event": "infusion", "within": "24h"}).stages[0]
    found = freshness(stage, "creatinine", {"infusion": INFUSION}, datetime(2026, 11, 8, 7, 30))
    assert found.status == "fresh"
    assert found.text == ("taken 2026-11-08 07:30 — inside the window (within 24 hours before "
                          "NK cell infusion)")


def test_missing_event_asks_for_its_date() -> None:
    stage = _creatinine({"event": "infusion", "within": "24h"}).stages[0]
    found = freshness(stage, "creatinine", {}, datetime(2026, 11, 8, 7, 30))
    assert found.status == "needs_event"
    assert not found.counts
    assert found.text.endswith("enter the planned NK cell infusion date to check")


def test_no_window_counts_the_latest() -> None:
    stage = _creatinine(None).stages[0]
    found = freshness(stage, "creatinine", {}, datetime(2020, 1, 1))
    assert found.status == "no_window"
    assert found.counts


def test_after_the_assessment_time_is_not_counted() -> None:
    stage = _creatinine(None).stages[0]
    found = freshness(stage, "creatinine", {}, datetime(2026, 11, 2, 10, 0),
                      as_of=datetime(2026, 11, 2, 9, 0))
    assert found.status == "after_as_of"
    assert not found.counts


def _crcl_stage() -> Trial:
    return _trial({"id": "crcl", "kind": "inclusion", "text": "CrCl >= 45",
                   "window": {"event": "infusion", "within": "24h"},
                   "rule": {"type": "compare", "of": "crcl_cockcroft_gault", "op": ">=",
                            "value": 45}})


def test_weight_is_exempt_from_the_criterion_window_like_the_engine() -> None:
    trial = _crcl_stage()
    stage = trial.stages[0]
    old = datetime(2026, 9, 1)
    assert code_windows(stage, "weight") == [None]
    assert freshness(stage, "weight", {"infusion": INFUSION}, old).counts
    assert code_windows(stage, "creatinine") == [Window(event="infusion", within="24h")]
    assert not freshness(stage, "creatinine", {"infusion": INFUSION}, old).counts
    from fractions import Fraction

    weight = Observation("weight", Fraction(70), "kg", old)
    assert _engine_counts(trial, "creatinine", datetime(2026, 11, 8, 7, 0), extra=(weight,))
    assert not _engine_counts(trial, "creatinine", old, extra=(weight,))


def test_stale_in_one_window_is_stale_even_if_another_admits_it() -> None:
    trial = _trial(
        {"id": "a", "kind": "inclusion", "text": "a", "window": {"event": "infusion",
                                                                    "within": "2w"},
         "rule": {"type": "compare", "of": "ast", "op": "<=", "uln": 3}},
        {"id": "b", "kind": "inclusion", "text": "b", "window": {"event": "infusion",
                                                                    "within": "24h"},
         "rule": {"type": "compare", "of": "ast", "op": "<=", "uln": 3}},
    )
    stage = trial.stages[0]
    found = freshness(stage, "ast", {"infusion": INFUSION}, datetime(2026, 11, 1))
    assert found.status == "stale"
    assert "within 24 hours" in found.text


def test_a_comparisons_own_window_beats_the_criterions() -> None:
    trial = _trial({"id": "a", "kind": "inclusion", "text": "a",
                    "window": {"event": "infusion", "within": "2w"},
                    "rule": {"type": "compare", "of": "lvef", "op": ">", "value": 40,
                             "window": {"event": "transplant", "within": "6w"}}})
    assert code_windows(trial.stages[0], "lvef") == [Window(event="transplant", within="6w")]


def _stage(trial_id: str, stage_id: str) -> Stage:
    trial = next(t for t in load_library() if t.id == trial_id)
    stage = trial.stage(stage_id)
    assert stage is not None
    return stage


def test_what_a_real_stage_reads() -> None:
    stage = _stage("NCT06152809", "screening-1")
    assert stage_codes(stage) == ["ecog", "bilirubin_direct", "ast", "alt", "creatinine",
                                  "weight", "spo2", "lvef"]
    assert uln_codes(stage) == {"bilirubin_direct", "ast", "alt"}
    assert stage_facts(stage) == ["gilbert_syndrome", "disease_related_hemolysis"]


def test_corrected_calcium_against_uln_reads_the_calcium_uln() -> None:
    stage = _stage("NCT07011004", "screening-1")
    assert {"calcium", "albumin", "calcium_ionized"} <= set(stage_codes(stage))
    assert "calcium" in uln_codes(stage)
