"""Guards the rest of the suite let through: each test here fails under one deliberate
one-line change to the engine (a mutation) that every other test passed.

Expectations are written by hand from the screening contract
(``shared/spec/evaluate-cli.md``), never recomputed with the code under test. The
mutation each test guards against is named in its docstring.
"""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Any

import pytest

from desktop.domain.engine import Verdict, evaluate, inputs
from desktop.domain.record import parse_record
from desktop.domain.timewindow import minus_months
from desktop.domain.trial import Trial

NOW = datetime(2026, 11, 2, 9, 0)
MALE_1958 = {"birth_date": "1958-04-12", "sex": "male"}  # 68 y on 2026-11-02


def _trial(*criteria: dict[str, Any]) -> Trial:
    return Trial.model_validate({
        "id": "NCT00000002", "title": "Synthetic guards", "sponsor": "Test",
        "protocol_version": "1", "source": "test",
        "stages": [{"id": "screening-1", "title": "Screening", "criteria": list(criteria)}],
    })


def _evaluate(trial: Trial, site_uln: dict[str, Fraction] | None = None,
              **record: Any) -> Verdict:
    data = {"patient": MALE_1958, "as_of": "2026-11-02T09:00"} | record
    return evaluate(trial, "screening-1", parse_record(data, NOW), site_uln)


def _obs(code: str, value: float, unit: str, at: str,
         uln: float | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"code": code, "value": value, "unit": unit, "at": at}
    if uln is not None:
        item["uln"] = uln
    return item


def _only(verdict: Verdict) -> tuple[str, str]:
    [result] = verdict.results
    return result.outcome, result.reason


CRCL = {"id": "crcl", "kind": "inclusion",
        "text": "Creatinine clearance ≥ 45 mL/min calculated by the Cockcroft Gault formula",
        "rule": {"type": "compare", "of": "crcl_cockcroft_gault", "op": ">=", "value": 45}}

# Male, 68 y, 72 kg, creatinine 1.0 mg/dL: (140 - 68) x 72 / (72 x 1.0) = 72 mL/min.
WEIGHT_72 = _obs("weight", 72, "kg", "2026-11-01")
CREAT_1 = _obs("creatinine", 1.0, "mg/dL", "2026-11-01T07:30")


# -------------------------------------------------- Cockcroft-Gault needs every input


def test_crcl_is_unknown_without_a_date_of_birth() -> None:
    """Mutation: the no-date-of-birth guard returns a pass (``Truth(True, ...)``)."""
    verdict = _evaluate(_trial(CRCL), patient={"sex": "male"},
                        observations=[WEIGHT_72, CREAT_1])
    outcome, reason = _only(verdict)
    assert outcome == "unknown"
    assert "date of birth" in reason
    assert verdict.decision == "incomplete"


def test_crcl_is_unknown_without_the_sex() -> None:
    """Mutation: the no-sex guard returns a pass (the 0.85 factor cannot be chosen)."""
    verdict = _evaluate(_trial(CRCL), patient={"birth_date": "1958-04-12"},
                        observations=[WEIGHT_72, CREAT_1])
    outcome, reason = _only(verdict)
    assert outcome == "unknown"
    assert "sex" in reason


def test_crcl_inputs_complete_gives_a_computed_pass() -> None:
    """The control for the two above: with both, 72 mL/min >= 45 passes."""
    outcome, reason = _only(_evaluate(_trial(CRCL), observations=[WEIGHT_72, CREAT_1]))
    assert outcome == "pass"
    assert reason.startswith("CrCl 72.0 mL/min (Cockcroft-Gault: age 68 y, 72 kg")


@pytest.mark.parametrize(("value", "unit"), [(0, "mg/dL"), (0, "umol/L"), (0.0, "mg/dL")])
def test_a_creatinine_of_zero_is_unknown_not_an_error(value: float, unit: str) -> None:
    """Mutation: ``creat_mg <= 0`` weakened to ``creat_mg < 0``: ``evaluate`` then raises
    (division by zero in the formula) instead of asking for the value to be checked."""
    verdict = _evaluate(_trial(CRCL), observations=[
        WEIGHT_72, _obs("creatinine", value, unit, "2026-11-01T07:30")])
    outcome, reason = _only(verdict)
    assert outcome == "unknown"
    assert "Creatinine of 0" in reason
    assert "check the value" in reason
    assert [o.code for o in verdict.results[0].used] == ["creatinine"]


# -------------------------------------------------- the observation's own ULN comes first

AST_3ULN = {"id": "ast", "kind": "inclusion", "text": "AST ≤ 3 x ULN",
            "rule": {"type": "compare", "of": "ast", "op": "<=", "uln": 3}}


def test_the_observations_own_uln_wins_over_the_sites() -> None:
    """Mutation: the site ULN preferred over the observation's own ULN.

    AST 150 U/L with its own ULN 40: 3 x 40 = 120, so it fails. The site's ULN of 100
    (3 x 100 = 300) would let it pass.
    """
    verdict = _evaluate(_trial(AST_3ULN), {"ast": Fraction(100)},
                        observations=[_obs("ast", 150, "U/L", "2026-11-01", uln=40)])
    outcome, reason = _only(verdict)
    assert outcome == "fail"
    assert reason.startswith("AST 150 U/L = 3.75 x ULN (40 U/L)")
    assert "site ULN" not in reason
    assert "100 U/L" not in reason


def test_the_site_uln_fills_in_only_where_the_observation_has_none() -> None:
    """The control: the same AST without its own ULN is read against the site's 100."""
    verdict = _evaluate(_trial(AST_3ULN), {"ast": Fraction(100)},
                        observations=[_obs("ast", 150, "U/L", "2026-11-01")])
    outcome, reason = _only(verdict)
    assert outcome == "pass"
    assert "site ULN (100 U/L)" in reason


# -------------------------------------------------- failing lists failures only

CONSENT = {"id": "consent", "kind": "inclusion", "text": "Signed consent", "attested": True}
HIV = {"id": "hiv", "kind": "exclusion", "text": "HIV infection", "attested": True}
PREGNANT = {"id": "pregnant", "kind": "exclusion", "text": "Pregnant", "attested": True}
ECOG = {"id": "ecog", "kind": "inclusion", "text": "ECOG ≤ 2",
        "rule": {"type": "compare", "of": "ecog", "op": "<=", "value": 2}}


def test_failing_lists_only_the_failed_criteria_and_missing_only_the_unknown() -> None:
    """Mutation: ``Verdict.failing`` also lists unknown criteria (``!= "pass"``): the
    screen-failure reasons and the banner's "N criteria fail" count go wrong."""
    verdict = _evaluate(_trial(CONSENT, HIV, PREGNANT, ECOG),
                        answers={"consent": True, "hiv": True},
                        observations=[_obs("ecog", 3, "score", "2026-11-01")])
    assert [r.outcome for r in verdict.results] == ["pass", "fail", "unknown", "fail"]
    assert [r.id for r in verdict.failing] == ["hiv", "ecog"]
    assert [r.id for r in verdict.missing] == ["pregnant"]
    assert verdict.decision == "not_eligible"


def test_an_incomplete_verdict_has_nothing_failing() -> None:
    """Same mutation, the other side: nothing failed, so no screen-failure reasons."""
    verdict = _evaluate(_trial(CONSENT, HIV), answers={"consent": True})
    assert verdict.decision == "incomplete"
    assert verdict.failing == []
    assert [r.id for r in verdict.missing] == ["hiv"]


# -------------------------------------------------- body measures are not held to windows

CRCL_3D = {**CRCL, "window": {"event": "treatment_start", "within": "3d"}}
START = {"treatment_start": "2026-11-03T08:00"}


def test_a_weight_taken_long_before_a_windowed_creatinine_still_counts_for_crcl() -> None:
    """Mutation: CrCl's weight picked inside the creatinine's window.

    The creatinine must be within 3 days before treatment; the weight, taken two months
    earlier, is the latest body weight and still counts (the contract: "the most recent
    weight at or before as_of").
    """
    verdict = _evaluate(_trial(CRCL_3D), events=START, observations=[
        _obs("weight", 72, "kg", "2026-09-01"), _obs("creatinine", 1.0, "mg/dL", "2026-11-01")])
    outcome, reason = _only(verdict)
    assert outcome == "pass", reason
    assert "72 kg" in reason
    # The creatinine itself is held to the window: one from 2026-10-30 is stale.
    verdict = _evaluate(_trial(CRCL_3D), events=START, observations=[
        _obs("weight", 72, "kg", "2026-09-01"), _obs("creatinine", 1.0, "mg/dL", "2026-10-30")])
    outcome, reason = _only(verdict)
    assert outcome == "unknown"
    assert "stale" in reason


@pytest.mark.parametrize(("code", "value", "unit", "op", "limit"), [
    ("weight", 72, "kg", ">=", 40),
    ("height", 170, "cm", ">=", 100),
])
def test_a_body_measure_in_a_windowed_criterion_is_the_latest_one(
        code: str, value: int, unit: str, op: str, limit: int) -> None:
    """Mutation: weight (or height) dropped from the body measures (``_BODY_CODES``)
    exempt from windows; the measure from two months back would then be stale."""
    crit = {"id": f"{code}-min", "kind": "inclusion", "text": f"{code} {op} {limit} {unit}",
            "rule": {"type": "compare", "of": code, "op": op, "value": limit, "unit": unit},
            "window": {"event": "treatment_start", "within": "3d"}}
    verdict = _evaluate(_trial(crit), events=START,
                        observations=[_obs(code, value, unit, "2026-09-01")])
    outcome, reason = _only(verdict)
    assert outcome == "pass", reason
    assert "on 2026-09-01" in reason


# -------------------------------------------------- month windows at the month's end


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 3, 31), 1, date(2026, 2, 28)),  # no 31 February: the month's last day
    (date(2028, 3, 31), 1, date(2028, 2, 29)),  # leap year
    (date(2026, 5, 31), 1, date(2026, 4, 30)),
    (date(2026, 1, 31), 2, date(2025, 11, 30)),  # across the new year
    (date(2026, 3, 15), 1, date(2026, 2, 15)),  # mid-month: the same day
    (date(2026, 1, 15), 12, date(2025, 1, 15)),
])
def test_minus_months_clamps_to_the_months_last_day(day: date, months: int,
                                                    expected: date) -> None:
    """Mutation: the clamp removed (``date(year, month + 1, day.day)``) raises."""
    assert minus_months(day, months) == expected


@pytest.mark.parametrize(("at", "outcome"), [
    ("2026-02-28T00:00", "pass"),  # the first day of "within 1 month" before 31 March
    ("2026-02-27T23:59", "unknown"),  # the day before: stale
    ("2026-03-31T09:00", "pass"),
])
def test_within_one_month_of_the_31st(at: str, outcome: str) -> None:
    """Same mutation, through ``evaluate``: an infusion on 31 March must not raise."""
    crit = {"id": "lvef", "kind": "inclusion", "text": "LVEF ≥ 45% within 1 month",
            "rule": {"type": "compare", "of": "lvef", "op": ">=", "value": 45},
            "window": {"event": "infusion", "within": "1mo"}}
    verdict = _evaluate(_trial(crit), as_of="2026-03-31T09:00",
                        events={"infusion": "2026-03-31T10:00"},
                        observations=[_obs("lvef", 55, "%", at)])
    got, reason = _only(verdict)
    assert got == outcome, reason
    if outcome == "unknown":
        assert "due from 2026-02-28" in reason


# -------------------------------------------------- survivors of a mutmut run over the engine

BILI_24H = {
    "id": "bili", "kind": "inclusion",
    "text": "Total bilirubin ≤ 1.5 x ULN (Gilbert's: direct bilirubin ≤ 1.5 x ULN)",
    "rule": {"type": "exception", "facts": ["gilbert_syndrome"],
             "base": {"type": "compare", "of": "bilirubin_total", "op": "<=", "uln": "1.5"},
             "relaxed": {"type": "compare", "of": "bilirubin_direct", "op": "<=",
                         "uln": "1.5"}},
    "window": {"event": "lymphodepletion", "within": "24h"}}
LD = {"lymphodepletion": "2026-11-03T08:00"}
TOTAL_HIGH = _obs("bilirubin_total", 2.0, "mg/dL", "2026-11-02T08:30", uln=1.0)  # fresh, 2 x ULN


def test_the_relaxed_route_of_an_exception_is_held_to_the_criterions_window() -> None:
    """Mutation: the relaxed rule evaluated without the window (``self.rule(rule.relaxed,
    None)``): a direct bilirubin from a week before would pass a Gilbert's patient."""
    stale_direct = _obs("bilirubin_direct", 0.5, "mg/dL", "2026-10-27T07:00", uln=1.0)
    verdict = _evaluate(_trial(BILI_24H), events=LD, facts={"gilbert_syndrome": True},
                        observations=[TOTAL_HIGH, stale_direct])
    outcome, reason = _only(verdict)
    assert outcome == "unknown"
    assert "stale" in reason
    # The same direct result taken inside the window passes on the Gilbert's route.
    fresh_direct = _obs("bilirubin_direct", 0.5, "mg/dL", "2026-11-02T08:30", uln=1.0)
    verdict = _evaluate(_trial(BILI_24H), events=LD, facts={"gilbert_syndrome": True},
                        observations=[TOTAL_HIGH, fresh_direct])
    assert _only(verdict)[0] == "pass"


@pytest.mark.parametrize(("direct", "facts", "outcome"), [
    (0.5, {"gilbert_syndrome": True}, "pass"),  # passes on the relaxed route
    (2.0, {"gilbert_syndrome": True}, "fail"),  # both routes fail
    (2.0, {}, "fail"),  # fails even with Gilbert's
    (0.5, {}, "unknown"),  # only Gilbert's would admit it: ask
])
def test_an_exception_records_both_results_it_rests_on(direct: float, facts: dict[str, bool],
                                                       outcome: str) -> None:
    """Mutation: an exception's ``used`` dropped or emptied. The registry refuses to complete
    a stage whose decision rests on an unconfirmed unusual value, found through ``used``."""
    verdict = _evaluate(_trial(BILI_24H), events=LD, facts=facts, observations=[
        TOTAL_HIGH, _obs("bilirubin_direct", direct, "mg/dL", "2026-11-02T08:30", uln=1.0)])
    [result] = verdict.results
    assert result.outcome == outcome, result.reason
    assert sorted(o.code for o in result.used) == ["bilirubin_direct", "bilirubin_total"]


def test_criteria_that_refer_to_each_other_are_unknown_not_a_crash() -> None:
    """Mutation: ``crit is None or ref in self.pending`` made ``and``: two criteria_fail
    criteria naming each other then recurse without end."""
    first = {"id": "first", "kind": "exclusion", "text": "Does not meet the second",
             "rule": {"type": "criteria_fail", "criteria": ["second"]}}
    second = {"id": "second", "kind": "exclusion", "text": "Does not meet the first",
              "rule": {"type": "criteria_fail", "criteria": ["first"]}}
    verdict = _evaluate(_trial(first, second))
    assert [r.outcome for r in verdict.results] == ["unknown", "unknown"]
    assert "criterion #1 cannot be evaluated here" in verdict.results[1].reason


def test_inputs_of_a_criterion_that_refers_back_include_what_the_others_read() -> None:
    """Mutations in ``inputs`` (the ``criteria`` command's and the Trials view's "reads"):
    a criteria_fail criterion reads what the criteria it names read; age in a window adds
    no event."""
    age = {"id": "age", "kind": "inclusion", "text": "Age ≥ 18",
           "rule": {"type": "compare", "of": "age", "op": ">=", "value": 18},
           "window": {"event": "infusion", "within": "24h"}}
    ref = {"id": "not-meeting", "kind": "exclusion", "text": "Persons who do not meet",
           "rule": {"type": "criteria_fail", "criteria": ["age", "ast"]}}
    ast = {**AST_3ULN, "window": {"event": "lymphodepletion", "within": "24h"}}
    again = {"id": "not-meeting-either", "kind": "exclusion", "text": "Nor that",
             "rule": {"type": "criteria_fail", "criteria": ["not-meeting"]}}
    stage = _trial(age, ast, ref, again).stages[0]
    assert inputs(stage.criteria[0], stage) == ["birth_date"]
    assert inputs(stage.criteria[2], stage) == ["birth_date", "ast", "lymphodepletion"]
    assert inputs(stage.criteria[3], stage) == ["birth_date", "ast", "lymphodepletion"]
    assert inputs(stage.criteria[2]) == []


CA_3D = {"id": "calcium", "kind": "inclusion", "text": "Corrected calcium ≤ 12 mg/dL",
         "rule": {"type": "compare", "of": "corrected_calcium", "op": "<=", "value": 12,
                  "unit": "mg/dL"},
         "window": {"event": "treatment_start", "within": "3d"}}


@pytest.mark.parametrize(("calcium_at", "albumin_at", "outcome", "words"), [
    ("2026-11-01", "2026-11-01", "pass", "Corrected calcium 10.00 mg/dL"),
    ("2026-10-20", "2026-11-01", "unknown", "Total calcium of 2026-10-20 is stale"),
    ("2026-11-01", "2026-10-20", "unknown", "needs albumin: Albumin of 2026-10-20 is stale"),
])
def test_corrected_calcium_holds_both_results_to_the_window(
        calcium_at: str, albumin_at: str, outcome: str, words: str) -> None:
    """Mutations: calcium or albumin picked without the window (or the window not passed
    on to corrected calcium at all): a stale value would count.

    9.2 + 0.8 x (4.0 - 3.0) = 10.0 mg/dL.
    """
    verdict = _evaluate(_trial(CA_3D), events=START, observations=[
        _obs("calcium", 9.2, "mg/dL", calcium_at), _obs("albumin", 3.0, "g/dL", albumin_at)])
    got, reason = _only(verdict)
    assert got == outcome, reason
    assert words in reason


def test_the_highest_in_the_window_is_the_highest_inside_it() -> None:
    """Mutation: ``select`` dropped once a window applies (``_choose(fresh, None)``): the
    latest CMV load (100) would stand in for the highest one in the window (800)."""
    crit = {"id": "cmv", "kind": "exclusion", "text": "CMV-DNA ≥ 500 copies/mL",
            "rule": {"type": "compare", "of": "cmv_dna", "op": ">=", "value": 500,
                     "select": "max"},
            "window": {"event": "infusion", "within": "2w"}}
    events = {"infusion": "2026-11-03T10:00"}
    verdict = _evaluate(_trial(crit), events=events, observations=[
        _obs("cmv_dna", 5000, "copies/mL", "2026-09-01"),  # outside the window: ignored
        _obs("cmv_dna", 800, "copies/mL", "2026-10-25"),
        _obs("cmv_dna", 100, "copies/mL", "2026-11-01")])
    outcome, reason = _only(verdict)
    assert outcome == "fail"
    assert reason.startswith("CMV DNA 800 copies/mL on 2026-10-25")


def test_several_stale_results_name_the_latest() -> None:
    """Mutations in picking the latest stale result (``max`` without its key raises on two
    observations; a constant key names the wrong one) and in recording it as used."""
    crit = {**AST_3ULN, "window": {"event": "lymphodepletion", "within": "24h"}}
    older = _obs("ast", 30, "U/L", "2026-10-20T07:00", uln=40)
    newer = _obs("ast", 35, "U/L", "2026-10-28T07:00", uln=40)
    for observations in ([older, newer], [newer, older]):
        verdict = _evaluate(_trial(crit), events=LD, observations=observations)
        outcome, reason = _only(verdict)
        assert outcome == "unknown"
        assert reason.startswith("AST of 2026-10-28 07:00 is stale")
        assert [o.at for o in verdict.results[0].used] == [datetime(2026, 10, 28, 7, 0)]


ALT_3ULN = {"id": "alt", "kind": "inclusion", "text": "ALT ≤ 3 x ULN",
            "rule": {"type": "compare", "of": "alt", "op": "<=", "uln": 3}}
AST_ALT = {"id": "ast-alt", "kind": "inclusion", "text": "AST/ALT ≤ 3 x ULN",
           "rule": {"type": "all", "of": [AST_3ULN["rule"], ALT_3ULN["rule"]]}}
AST_OR_ALT = {"id": "ast-or-alt", "kind": "inclusion", "text": "AST or ALT ≤ 3 x ULN",
              "rule": {"type": "any", "of": [AST_3ULN["rule"], ALT_3ULN["rule"]]}}
CA_PLAIN = {**CA_3D, "window": None}


@pytest.mark.parametrize(("crit", "used"), [
    (AST_3ULN, ["ast"]),
    (AST_ALT, ["ast", "alt"]),
    (AST_OR_ALT, ["ast", "alt"]),
    (CRCL, ["creatinine", "weight"]),
    (CA_PLAIN, ["calcium", "albumin"]),
])
def test_every_computed_outcome_records_the_results_it_rests_on(
        crit: dict[str, Any], used: list[str]) -> None:
    """Mutations that drop ``used`` (compare, all/any joins, CrCl, corrected calcium). The
    registry refuses to complete a stage whose decision rests on an unconfirmed unusual
    value, and finds those values through ``used``."""
    verdict = _evaluate(_trial(crit), observations=[
        _obs("ast", 50, "U/L", "2026-11-01", uln=40), _obs("alt", 200, "U/L", "2026-11-01", uln=40),
        WEIGHT_72, CREAT_1,
        _obs("calcium", 9.2, "mg/dL", "2026-11-01"), _obs("albumin", 3.0, "g/dL", "2026-11-01")])
    [result] = verdict.results
    assert result.outcome in ("pass", "fail")
    assert [o.code for o in result.used] == used


MRD = {"id": "marrow-cr-mrd", "kind": "inclusion", "text": "CR with MRD+ OR",
       "attested": True, "alternatives": ["marrow-blasts"]}
BLASTS = {"id": "marrow-blasts", "kind": "inclusion", "text": "5-19% residual myeloblasts",
          "alternatives": ["marrow-cr-mrd"],
          "rule": {"type": "compare", "of": "bone_marrow_blasts", "op": ">=", "value": 5}}


@pytest.mark.parametrize(("answers", "outcome"), [
    ({"marrow-cr-mrd": True}, "pass"),  # met through the alternative
    ({"marrow-cr-mrd": False}, "fail"),  # neither route
    ({}, "unknown"),  # the alternative not yet answered
])
def test_a_criterion_met_or_failed_with_its_alternative_keeps_its_own_results(
        answers: dict[str, Any], outcome: str) -> None:
    """Mutations that drop ``own.used`` when an alternative decides the outcome."""
    verdict = _evaluate(_trial(MRD, BLASTS), answers=answers,
                        observations=[_obs("bone_marrow_blasts", 2, "%", "2026-11-01")])
    blasts = verdict.results[1]
    assert blasts.outcome == outcome, blasts.reason
    assert [o.code for o in blasts.used] == ["bone_marrow_blasts"]


# -------------------------------------------------- the record reader (survivors in record.py)


def test_an_unrecorded_fact_does_not_hide_the_facts_after_it() -> None:
    """Mutation: ``continue`` made ``break`` in the facts loop: a fact left null would drop
    every fact after it, and a hemolysis patient's relaxed bilirubin limit with it."""
    record = parse_record({"as_of": "2026-11-02T09:00",
                           "facts": {"gilbert_syndrome": None,
                                     "disease_related_hemolysis": True,
                                     "childbearing_potential": False}}, NOW)
    assert dict(record.facts) == {"disease_related_hemolysis": True,
                                  "childbearing_potential": False}


@pytest.mark.parametrize("text", ["n/a", "N/A", "na", "NA", " n/a "])
def test_not_applicable_answers(text: str) -> None:
    """Mutation: the ``"na"`` spelling dropped from the answers read as not applicable."""
    record = parse_record({"as_of": "2026-11-02T09:00", "answers": {"consent": text}}, NOW)
    assert record.answers == {"consent": "n/a"}


def test_an_observations_source_is_kept() -> None:
    """Mutations that drop ``source`` (where a value came from, for reasons and audit)."""
    record = parse_record({"as_of": "2026-11-02T09:00", "observations": [
        {**_obs("ast", 30, "U/L", "2026-11-01"), "source": "lab report 2026-11-01"},
        _obs("alt", 30, "U/L", "2026-11-01")]}, NOW)
    assert [o.source for o in record.observations] == ["lab report 2026-11-01", None]


@pytest.mark.parametrize("birth_date", ["2026-11-02", "1900-01-01"])
def test_birth_dates_at_the_edges_are_accepted(birth_date: str) -> None:
    """Mutations: ``>`` made ``>=`` (born on the day of assessment refused) and ``<`` made
    ``<=`` (born on 1900-01-01, the contract's first date, refused)."""
    record = parse_record({"as_of": "2026-11-02T09:00",
                           "patient": {"birth_date": birth_date}}, NOW)
    assert record.birth_date == date.fromisoformat(birth_date)
