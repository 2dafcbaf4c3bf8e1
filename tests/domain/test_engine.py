"""Engine semantics on a synthetic protocol: windows, joins, exceptions, answers.

The seed trials are tested criterion by criterion in tests/trials; here each rule
form is pinned down once, at its edges.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

import pytest

from desktop.domain.engine import UnknownStage, evaluate, inputs
from desktop.domain.record import RecordError, parse_record
from desktop.domain.trial import Trial

NOW = datetime(2026, 11, 2, 9, 0)


def _trial(*criteria: dict[str, Any]) -> Trial:
    return Trial.model_validate({
        "id": "NCT00000001", "title": "Synthetic", "sponsor": "Test",
        "protocol_version": "1", "source": "test",
        "stages": [{"id": "screening-1", "title": "Screening", "criteria": list(criteria)}],
    })


def _run(trial: Trial, site_uln: dict[str, Fraction] | None = None, **record: Any):  # type: ignore[no-untyped-def]
    data = {"patient": {"birth_date": "1958-04-12", "sex": "female"},
            "as_of": "2026-11-02T09:00"} | record
    return evaluate(trial, "screening-1", parse_record(data, NOW), site_uln)


def _obs(code: str, value: float, unit: str, at: str, uln: float | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"code": code, "value": value, "unit": unit, "at": at}
    if uln is not None:
        item["uln"] = uln
    return item


AST_24H = {"id": "ast", "kind": "inclusion", "text": "AST ≤3 x ULN",
           "rule": {"type": "compare", "of": "ast", "op": "<=", "uln": 3},
           "window": {"event": "lymphodepletion", "within": "24h"}}
LD = {"lymphodepletion": "2026-11-03T08:00"}


@pytest.mark.parametrize(
    ("at", "outcome"),
    [
        ("2026-11-02T08:00", "pass"),  # exactly 24 h before: admitted
        ("2026-11-02T07:59", "unknown"),  # one minute earlier: stale
        ("2026-11-02T09:00", "pass"),  # at as_of
        ("2026-11-02T09:01", "unknown"),  # after as_of: ignored
    ],
)
def test_hour_window_edges(at: str, outcome: str) -> None:
    verdict = _run(_trial(AST_24H), events=LD, observations=[_obs("ast", 40, "U/L", at, 40)])
    assert verdict.results[0].outcome == outcome


def test_stale_value_says_so_and_when_a_new_one_is_due() -> None:
    verdict = _run(_trial(AST_24H), events=LD,
                   observations=[_obs("ast", 40, "U/L", "2026-10-30T07:00", 40)])
    reason = verdict.results[0].reason
    assert "stale" in reason
    assert "due from 2026-11-02 08:00" in reason


def test_observation_after_the_event_does_not_count() -> None:
    trial = _trial(AST_24H)
    data = {"patient": {}, "as_of": "2026-11-04T09:00", "events": LD,
            "observations": [_obs("ast", 40, "U/L", "2026-11-03T09:00", 40)]}
    verdict = evaluate(trial, "screening-1", parse_record(data, NOW))
    assert verdict.results[0].outcome == "unknown"


def test_missing_event_asks_for_its_date() -> None:
    verdict = _run(_trial(AST_24H), observations=[_obs("ast", 40, "U/L", "2026-11-02", 40)])
    assert verdict.results[0].outcome == "unknown"
    assert "lymphodepletion date" in verdict.results[0].reason


@pytest.mark.parametrize(
    ("at", "outcome"),
    [("2026-10-31T00:00", "pass"), ("2026-10-30T23:59", "unknown"), ("2026-11-02T23:00", "pass")],
)
def test_day_window_counts_calendar_days(at: str, outcome: str) -> None:
    crit = {"id": "anc", "kind": "inclusion", "text": "ANC",
            "rule": {"type": "compare", "of": "anc", "op": ">=", "value": 1, "unit": "10^9/L"},
            "window": {"event": "treatment_start", "within": "3d"}}
    data = {"as_of": "2026-11-03T10:00", "events": {"treatment_start": "2026-11-03T10:00"},
            "observations": [_obs("anc", 1.0, "10^9/L", at)]}
    verdict = evaluate(_trial(crit), "screening-1", parse_record(data, NOW))
    assert verdict.results[0].outcome == outcome


@pytest.mark.parametrize(
    ("at", "outcome"),
    [("2026-11-08T00:00", "fail"), ("2026-11-08T23:59", "fail"), ("2026-11-07T23:59", "unknown")],
)
def test_on_day_window(at: str, outcome: str) -> None:
    crit = {"id": "steroid", "kind": "exclusion", "text": "steroid > 10 mg on the day",
            "rule": {"type": "compare", "of": "prednisone_equivalent", "op": ">", "value": 10},
            "window": {"event": "infusion", "on_day": True}}
    data = {"as_of": "2026-11-09", "events": {"infusion": "2026-11-08T10:00"},
            "observations": [_obs("prednisone_equivalent", 20, "mg", at)]}
    verdict = evaluate(_trial(crit), "screening-1", parse_record(data, NOW))
    assert verdict.results[0].outcome == outcome


def test_most_recent_qualifying_observation_is_used() -> None:
    crit = {"id": "ecog", "kind": "inclusion", "text": "ECOG ≤2",
            "rule": {"type": "compare", "of": "ecog", "op": "<=", "value": 2}}
    verdict = _run(_trial(crit), observations=[
        _obs("ecog", 3, "score", "2026-10-01"), _obs("ecog", 1, "score", "2026-11-01"),
        _obs("ecog", 4, "score", "2026-11-03")])  # after as_of: ignored
    assert verdict.results[0].outcome == "pass"
    assert "ECOG 1 on 2026-11-01" in verdict.results[0].reason


def test_select_max_uses_the_highest_in_the_window() -> None:
    crit = {"id": "cmv", "kind": "exclusion", "text": "CMV",
            "rule": {"type": "compare", "of": "cmv_dna", "op": ">=", "value": 500,
                     "select": "max"}}
    verdict = _run(_trial(crit), observations=[
        _obs("cmv_dna", 800, "copies/mL", "2026-10-20"),
        _obs("cmv_dna", 100, "copies/mL", "2026-11-01")])
    assert verdict.results[0].outcome == "fail"


PERF = {"id": "perf", "kind": "inclusion", "text": "ECOG ≤ 2 (Karnofsky ≥ 60%)",
        "rule": {"type": "any", "of": [
            {"type": "compare", "of": "ecog", "op": "<=", "value": 2},
            {"type": "compare", "of": "karnofsky", "op": ">=", "value": 60}]}}


@pytest.mark.parametrize(
    ("obs", "outcome"),
    [
        ([("ecog", 2)], "pass"),
        ([("karnofsky", 60)], "pass"),
        ([("ecog", 3)], "unknown"),  # Karnofsky might still pass
        ([("ecog", 3), ("karnofsky", 50)], "fail"),
        ([("ecog", 3), ("karnofsky", 60)], "pass"),
        ([], "unknown"),
    ],
)
def test_any_of(obs: list[tuple[str, int]], outcome: str) -> None:
    units = {"ecog": "score", "karnofsky": "%"}
    observations = [_obs(c, v, units[c], "2026-11-01") for c, v in obs]
    assert _run(_trial(PERF), observations=observations).results[0].outcome == outcome


LIVER = {"id": "liver", "kind": "inclusion", "text": "AST/ALT ≤3 x ULN",
         "rule": {"type": "all", "of": [
             {"type": "compare", "of": "ast", "op": "<=", "uln": 3},
             {"type": "compare", "of": "alt", "op": "<=", "uln": 3}]}}


@pytest.mark.parametrize(
    ("ast", "alt", "outcome"),
    [(120, 120, "pass"), (121, 10, "fail"), (10, None, "unknown"), (121, None, "fail")],
)
def test_all_of(ast: int, alt: int | None, outcome: str) -> None:
    observations = [_obs("ast", ast, "U/L", "2026-11-01", 40)]
    if alt is not None:
        observations.append(_obs("alt", alt, "U/L", "2026-11-01", 40))
    assert _run(_trial(LIVER), observations=observations).results[0].outcome == outcome


def test_site_uln_used_when_the_observation_carries_none() -> None:
    observations = [_obs("ast", 120, "U/L", "2026-11-01"), _obs("alt", 121, "U/L", "2026-11-01")]
    assert _run(_trial(LIVER), observations=observations).results[0].outcome == "unknown"
    verdict = _run(_trial(LIVER), {"ast": Fraction(40), "alt": Fraction(40)},
                   observations=observations)
    assert verdict.results[0].outcome == "fail"
    assert "site ULN" in verdict.results[0].reason


def test_site_uln_is_converted_into_the_observation_unit() -> None:
    crit = {"id": "bili", "kind": "inclusion", "text": "bili",
            "rule": {"type": "compare", "of": "bilirubin_total", "op": "<=", "uln": "1.5"}}
    # site ULN 1.0 mg/dL = 17.1 umol/L; 25.65 umol/L is exactly 1.5 x ULN
    verdict = _run(_trial(crit), {"bilirubin_total": Fraction(1)},
                   observations=[_obs("bilirubin_total", 25.65, "umol/L", "2026-11-01")])
    assert verdict.results[0].outcome == "pass"


BILI = {"id": "bili", "kind": "inclusion", "text": "Direct bilirubin",
        "rule": {"type": "exception", "facts": ["gilbert_syndrome", "disease_related_hemolysis"],
                 "base": {"type": "compare", "of": "bilirubin_direct", "op": "<=", "uln": "1.5"},
                 "relaxed": {"type": "compare", "of": "bilirubin_direct", "op": "<", "uln": 3}}}


@pytest.mark.parametrize(
    ("value", "facts", "outcome"),
    [
        (1.5, {}, "pass"),  # base holds: no need to ask
        (1.6, {"gilbert_syndrome": False, "disease_related_hemolysis": False}, "fail"),
        (1.6, {"gilbert_syndrome": True}, "pass"),
        (1.6, {"disease_related_hemolysis": True}, "pass"),
        (1.6, {}, "unknown"),  # depends on the exception: ask
        (1.6, {"gilbert_syndrome": False}, "unknown"),  # hemolysis still unanswered
        (3.0, {"gilbert_syndrome": True}, "fail"),  # relaxed limit is strict: < 3
        (2.99, {"gilbert_syndrome": True}, "pass"),
        (3.0, {}, "fail"),  # fails even with the exception
    ],
)
def test_gilbert_exception(value: float, facts: dict[str, bool], outcome: str) -> None:
    verdict = _run(_trial(BILI), facts=facts,
                   observations=[_obs("bilirubin_direct", value, "mg/dL", "2026-11-01", 1.0)])
    assert verdict.results[0].outcome == outcome


def test_exclusion_condition_present_fails_and_absent_passes() -> None:
    crit = {"id": "cmv", "kind": "exclusion", "text": "CMV-DNA ≥500 copies/mL",
            "rule": {"type": "compare", "of": "cmv_dna", "op": ">=", "value": 500}}
    for value, outcome in ((500, "fail"), (499, "pass")):
        verdict = _run(_trial(crit), observations=[_obs("cmv_dna", value, "copies/mL",
                                                        "2026-11-01")])
        assert verdict.results[0].outcome == outcome


ATTESTED_IN = {"id": "consent", "kind": "inclusion", "text": "Consent", "attested": True}
ATTESTED_EX = {"id": "hiv", "kind": "exclusion", "text": "HIV", "attested": True}


@pytest.mark.parametrize(
    ("answers", "consent", "hiv", "decision"),
    [
        ({"consent": True, "hiv": False}, "pass", "pass", "eligible"),
        ({"consent": True, "hiv": True}, "pass", "fail", "not_eligible"),
        ({"consent": False, "hiv": False}, "fail", "pass", "not_eligible"),
        ({"consent": "n/a", "hiv": "n/a"}, "pass", "pass", "eligible"),
        ({"consent": True}, "pass", "unknown", "incomplete"),
        ({"hiv": True}, "unknown", "fail", "not_eligible"),  # a failure outranks a gap
    ],
)
def test_answers_and_decision(answers: dict[str, Any], consent: str, hiv: str,
                              decision: str) -> None:
    verdict = _run(_trial(ATTESTED_IN, ATTESTED_EX), answers=answers)
    assert [r.outcome for r in verdict.results] == [consent, hiv]
    assert verdict.decision == decision


def test_answer_for_unknown_or_computed_criterion_is_bad_input() -> None:
    trial = _trial(ATTESTED_IN, PERF)
    with pytest.raises(RecordError) as unknown:
        _run(trial, answers={"nope": True})
    assert unknown.value.field == "answers.nope"
    with pytest.raises(RecordError) as computed:
        _run(trial, answers={"perf": True})
    assert computed.value.field == "answers.perf"


def test_unknown_stage_lists_the_stages() -> None:
    with pytest.raises(UnknownStage, match="its stages: screening-1"):
        evaluate(_trial(ATTESTED_IN), "pre-infusion", parse_record({}, NOW))


def test_criteria_fail_refers_back() -> None:
    age = {"id": "age", "kind": "inclusion", "text": "Age 18-70",
           "rule": {"type": "all", "of": [
               {"type": "compare", "of": "age", "op": ">=", "value": 18},
               {"type": "compare", "of": "age", "op": "<=", "value": 70}]}}
    ref = {"id": "not-meeting", "kind": "exclusion", "text": "Persons who do not meet",
           "rule": {"type": "criteria_fail", "criteria": ["age"]}}
    trial = _trial(age, ref)
    old = _run(trial, patient={"birth_date": "1950-01-01"})
    assert [r.outcome for r in old.results] == ["fail", "fail"]
    young = _run(trial, patient={"birth_date": "1990-01-01"})
    assert [r.outcome for r in young.results] == ["pass", "pass"]
    unknown = _run(trial, patient={})
    assert [r.outcome for r in unknown.results] == ["unknown", "unknown"]


CRCL = {"id": "crcl", "kind": "inclusion", "text": "CrCl ≥ 45 mL/min Cockcroft Gault",
        "rule": {"type": "compare", "of": "crcl_cockcroft_gault", "op": ">=", "value": 45}}


def test_crcl_reason_shows_its_inputs() -> None:
    verdict = _run(_trial(CRCL), observations=[
        _obs("weight", 70, "kg", "2026-11-01"),
        _obs("creatinine", 97, "umol/L", "2026-11-01T07:30")])
    result = verdict.results[0]
    assert result.outcome == "pass"
    assert result.reason.startswith("CrCl 54.2 mL/min (Cockcroft-Gault: age 68 y, 70 kg, "
                                    "creatinine 97 umol/L = 1.10 mg/dL")
    assert "female" in result.reason


def test_crcl_measured_clearance_does_not_stand_in_for_cockcroft_gault() -> None:
    verdict = _run(_trial(CRCL), observations=[
        _obs("creatinine_clearance", 120, "mL/min", "2026-11-01")])
    assert verdict.results[0].outcome == "unknown"


def test_crcl_never_rounds_a_failure_into_the_limit() -> None:
    # male, age 68 (born 1958-04-12), weight w, creatinine 1.0: CrCl = 72 w / 72 = w
    verdict = _run(_trial(CRCL), patient={"birth_date": "1958-04-12", "sex": "male"},
                   observations=[_obs("weight", 44.96, "kg", "2026-11-01"),
                                 _obs("creatinine", 1.0, "mg/dL", "2026-11-01")])
    result = verdict.results[0]
    assert result.outcome == "fail"
    assert "CrCl 44.96 mL/min" in result.reason  # not "45.0 ... not >= 45"


@pytest.mark.parametrize(("weight", "unit", "outcome"), [
    (45, "kg", "pass"), (44.99, "kg", "fail"),
    (99.208, "lb", "fail"),  # 45.0000... kg? 99.208 lb = 44.99998 kg
    (99.21, "lb", "pass"),  # 45.0008 kg
])
def test_crcl_weight_in_pounds(weight: float, unit: str, outcome: str) -> None:
    verdict = _run(_trial(CRCL), patient={"birth_date": "1958-04-12", "sex": "male"},
                   observations=[_obs("weight", weight, unit, "2026-11-01"),
                                 _obs("creatinine", 88.4, "umol/L", "2026-11-01")])
    assert verdict.results[0].outcome == outcome


def test_corrected_calcium_against_uln() -> None:
    crit = {"id": "ca", "kind": "exclusion", "text": "corrected calcium greater than ULN",
            "rule": {"type": "compare", "of": "corrected_calcium", "op": ">", "uln": 1}}
    # 9.0 + 0.8 x (4.0 - 2.5) = 10.2 mg/dL against ULN 10.2 mg/dL: not greater
    at = "2026-11-01"
    verdict = _run(_trial(crit), observations=[_obs("calcium", 9.0, "mg/dL", at, 10.2),
                                               _obs("albumin", 25, "g/L", at)])
    assert verdict.results[0].outcome == "pass"
    verdict = _run(_trial(crit), observations=[_obs("calcium", 9.01, "mg/dL", at, 10.2),
                                               _obs("albumin", 25, "g/L", at)])
    assert verdict.results[0].outcome == "fail"


def test_inputs_list_what_a_criterion_reads() -> None:
    trial = _trial(CRCL, BILI, AST_24H)
    stage = trial.stages[0]
    assert inputs(stage.criteria[0], stage) == ["creatinine", "weight", "birth_date", "sex"]
    assert inputs(stage.criteria[1], stage) == [
        "bilirubin_direct", "gilbert_syndrome", "disease_related_hemolysis"]
    assert inputs(stage.criteria[2], stage) == ["ast", "lymphodepletion"]


def test_crcl_reason_shows_pounds_and_kilograms() -> None:
    verdict = _run(_trial(CRCL), patient={"birth_date": "1958-04-12", "sex": "male"},
                   observations=[_obs("weight", 154, "lb", "2026-11-01"),
                                 _obs("creatinine", 1.0, "mg/dL", "2026-11-01")])
    assert "154 lb = 69.85 kg" in verdict.results[0].reason


def test_exception_on_another_code_that_is_missing_asks_for_it() -> None:
    crit = {"id": "bili", "kind": "inclusion", "text": "bilirubin",
            "rule": {"type": "exception", "facts": ["gilbert_syndrome"],
                     "base": {"type": "compare", "of": "bilirubin_total", "op": "<=", "uln": 2},
                     "relaxed": {"type": "compare", "of": "bilirubin_direct", "op": "<=",
                                 "uln": "1.5"}}}
    verdict = _run(_trial(crit), observations=[
        _obs("bilirubin_total", 3, "mg/dL", "2026-11-01", 1)])
    result = verdict.results[0]
    assert result.outcome == "unknown"
    assert "No Direct bilirubin result" in result.reason
    assert "but within the limit" not in result.reason


def test_crcl_reason_shows_creatinine_in_its_entered_unit() -> None:
    verdict = _run(_trial(CRCL), patient={"birth_date": "1958-04-12", "sex": "male"},
                   observations=[_obs("weight", 70, "kg", "2026-11-01"),
                                 _obs("creatinine", 177, "umol/L", "2026-11-01")])
    assert "creatinine 177 umol/L = 2.00 mg/dL" in verdict.results[0].reason


def test_a_value_a_hair_below_the_limit_is_never_shown_as_the_limit() -> None:
    # male, 68 y, 45 kg, creatinine 1.000000001 mg/dL: CrCl 44.99999995
    verdict = _run(_trial(CRCL), patient={"birth_date": "1958-04-12", "sex": "male"},
                   observations=[_obs("weight", 45, "kg", "2026-11-01"),
                                 _obs("creatinine", 1.000000001, "mg/dL", "2026-11-01")])
    reason = verdict.results[0].reason
    assert verdict.results[0].outcome == "fail"
    assert "CrCl 44.9999999" in reason
    assert "45.0 " not in reason


MARROW_MRD = {"id": "marrow-cr-mrd", "kind": "inclusion", "text": "CR with MRD+ OR",
              "attested": True, "alternatives": ["marrow-blasts"]}
MARROW_BLASTS = {"id": "marrow-blasts", "kind": "inclusion", "text": "5-19% blasts",
                 "alternatives": ["marrow-cr-mrd"],
                 "rule": {"type": "all", "of": [
                     {"type": "compare", "of": "bone_marrow_blasts", "op": ">=", "value": 5},
                     {"type": "compare", "of": "bone_marrow_blasts", "op": "<=", "value": 19}]}}


@pytest.mark.parametrize(
    ("answer", "blasts", "outcomes"),
    [
        (True, 2, ["pass", "pass"]),  # CR MRD+: the blast route need not hold
        (False, 10, ["pass", "pass"]),  # 10% blasts: the MRD route need not hold
        (None, 10, ["pass", "pass"]),  # unanswered, but the alternative is met
        (False, 25, ["fail", "fail"]),  # neither route
        (False, None, ["unknown", "unknown"]),  # the blast result is still missing
        (None, 25, ["unknown", "unknown"]),  # the MRD answer is still missing
    ],
)
def test_alternatives_across_criteria(answer: bool | None, blasts: int | None,
                                      outcomes: list[str]) -> None:
    answers = {} if answer is None else {"marrow-cr-mrd": answer}
    observations = [] if blasts is None else [_obs("bone_marrow_blasts", blasts, "%",
                                                   "2026-11-01")]
    verdict = _run(_trial(MARROW_MRD, MARROW_BLASTS), answers=answers,
                   observations=observations)
    assert [r.outcome for r in verdict.results] == outcomes


def test_alternative_must_be_in_the_stage() -> None:
    with pytest.raises(ValueError, match="alternative 'nope'"):
        _trial({**MARROW_MRD, "alternatives": ["nope"]})


@pytest.mark.parametrize(("blasts", "outcomes"), [
    (2, ["fail", "fail"]),  # N/A on the MRD route and no blast route: nothing is met
    (10, ["pass", "pass"]),  # the blast route is met
    (None, ["unknown", "unknown"]),
])
def test_na_on_one_route_of_an_or_does_not_count_as_met(blasts: int | None,
                                                        outcomes: list[str]) -> None:
    observations = [] if blasts is None else [_obs("bone_marrow_blasts", blasts, "%",
                                                   "2026-11-01")]
    verdict = _run(_trial(MARROW_MRD, MARROW_BLASTS), answers={"marrow-cr-mrd": "n/a"},
                   observations=observations)
    assert [r.outcome for r in verdict.results] == outcomes


def test_unknown_with_a_failed_alternative_names_the_alternative() -> None:
    verdict = _run(_trial(MARROW_MRD, MARROW_BLASTS),
                   observations=[_obs("bone_marrow_blasts", 25, "%", "2026-11-01")])
    mrd = verdict.results[0]
    assert mrd.outcome == "unknown"
    assert mrd.reason == "Not yet answered; the alternative marrow-blasts is not met"


def test_a_missing_result_is_named_once_in_a_join() -> None:
    verdict = _run(_trial({**MARROW_BLASTS, "alternatives": []}))
    assert verdict.results[0].reason.count("No Bone marrow blasts result") == 1


TOTAL_OR_GILBERT_DIRECT = {
    "id": "bili", "kind": "inclusion", "text": "total bilirubin",
    "rule": {"type": "exception", "facts": ["gilbert_syndrome"],
             "base": {"type": "compare", "of": "bilirubin_total", "op": "<=", "uln": 2},
             "relaxed": {"type": "compare", "of": "bilirubin_direct", "op": "<=",
                         "uln": "1.5"}}}


def test_an_exception_never_takes_away_a_pass_on_the_base_limit() -> None:
    # Gilbert's, total 1.0 x ULN, no direct result: passes on the total alone.
    verdict = _run(_trial(TOTAL_OR_GILBERT_DIRECT), facts={"gilbert_syndrome": True},
                   observations=[_obs("bilirubin_total", 1.0, "mg/dL", "2026-11-01", 1.0)])
    assert verdict.results[0].outcome == "pass"
    assert verdict.results[0].reason == (
        "Total bilirubin 1 mg/dL = 1.00 x ULN (1 mg/dL) on 2026-11-01 <= 2 x ULN")
    # Gilbert's, total 1.5 x ULN, direct 2 x ULN: the direct route fails, the total passes.
    verdict = _run(_trial(TOTAL_OR_GILBERT_DIRECT), facts={"gilbert_syndrome": True},
                   observations=[_obs("bilirubin_total", 1.5, "mg/dL", "2026-11-01", 1.0),
                                 _obs("bilirubin_direct", 2.0, "mg/dL", "2026-11-01", 1.0)])
    assert verdict.results[0].outcome == "pass"
    assert verdict.results[0].reason.startswith("Total bilirubin 1.5 mg/dL = 1.50 x ULN")


def test_the_relaxed_route_names_itself_when_it_is_the_one_that_passes() -> None:
    # total 2.1 x ULN fails the base; Gilbert's with direct exactly 1.5 x ULN passes.
    verdict = _run(_trial(TOTAL_OR_GILBERT_DIRECT), facts={"gilbert_syndrome": True},
                   observations=[_obs("bilirubin_total", 2.1, "mg/dL", "2026-11-01", 1.0),
                                 _obs("bilirubin_direct", 1.5, "mg/dL", "2026-11-01", 1.0)])
    result = verdict.results[0]
    assert result.outcome == "pass"
    assert result.reason.startswith("Direct bilirubin 1.5 mg/dL = 1.50 x ULN (1 mg/dL)")
    assert "the limit for Gilbert" in result.reason
    # The same without Gilbert's fails on the total.
    verdict = _run(_trial(TOTAL_OR_GILBERT_DIRECT), facts={"gilbert_syndrome": False},
                   observations=[_obs("bilirubin_total", 2.1, "mg/dL", "2026-11-01", 1.0),
                                 _obs("bilirubin_direct", 1.5, "mg/dL", "2026-11-01", 1.0)])
    assert verdict.results[0].outcome == "fail"
    # Both routes failing with Gilbert's fails and says so for each route.
    verdict = _run(_trial(TOTAL_OR_GILBERT_DIRECT), facts={"gilbert_syndrome": True},
                   observations=[_obs("bilirubin_total", 2.1, "mg/dL", "2026-11-01", 1.0),
                                 _obs("bilirubin_direct", 1.6, "mg/dL", "2026-11-01", 1.0)])
    result = verdict.results[0]
    assert result.outcome == "fail"
    assert "Total bilirubin 2.1 mg/dL" in result.reason
    assert "Direct bilirubin 1.6 mg/dL" in result.reason


def test_an_exception_in_an_exclusion_is_refused_by_the_trial_model() -> None:
    crit = dict(TOTAL_OR_GILBERT_DIRECT, kind="exclusion")
    with pytest.raises(ValueError, match="belongs to an inclusion"):
        _trial(crit)
