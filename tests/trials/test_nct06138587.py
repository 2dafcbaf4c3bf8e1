"""NCT06138587 (preemptive CIML NK cells after allo-HSCT): trial file and boundaries.

Seed 001 (ClinicalTrials.gov record, last updated 2026-01-02). Two stages per the
screening contract: screening-1 and pre-infusion.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from desktop.domain.record import RecordError
from desktop.domain.trial import Criterion, Window
from tests.trials import support
from tests.trials.support import REPO, normalise, record, run, seed_text, trial

NCT = "NCT06138587"

# Hand-derived from seed 001, not from the trial file.
#
# screening-1, inclusion (Inclusion Criteria, first list):
#   diagnosis + high-risk list (alternatives, one attested criterion)        1 attested
#   organ function within 2 weeks: bilirubin, AST/ALT, creatinine, SpO2     4 computed
#   LVEF, two routes: an ECHO within the 2 weeks (computed); or the
#     pre-transplant ECHO within 6 weeks of day 0 (computed) with no clinical
#     evidence of a change since (attested)                                 2 + 1
#   adult (age >= 18, computed) + planned RIC allo-SCT (attested)            1 + 1
#   disease status, two routes: AML in CR/CRi (attested); or MDS or MDS/MPN
#     (attested) with marrow blasts < 10 % (computed)                       1 + 2
#   related donor, pregnancy test, contraception, no hemolysis              4 attested
#   ECOG <= 2 / Karnofsky >= 60                                             1 computed
#   -> 18 inclusion: 9 computed, 9 attested
# screening-1, exclusion (Exclusion Criteria, first list): 14 bullets, all attested.
# pre-infusion (24-hour block + day-of-infusion block):
#   inclusion: bilirubin, AST/ALT (computed); clinical status, no hemolysis
#              (attested); "must be off systemic steroid therapy" (computed)  -> 5 (3 computed)
#   exclusion: Grade >= 3 conditioning toxicity (listed among inclusions, read as an
#              exclusion; attested); steroids on infusion day (computed);
#              uncontrolled illness, investigational agents, DSAs (attested) -> 5 (1 computed)
EXPECTED = {
    ("screening-1", "inclusion"): 18,
    ("screening-1", "exclusion"): 14,
    ("pre-infusion", "inclusion"): 5,
    ("pre-infusion", "exclusion"): 5,
}
EXPECTED_COMPUTED = {
    ("screening-1", "inclusion"): 9,
    ("screening-1", "exclusion"): 0,
    ("pre-infusion", "inclusion"): 3,
    ("pre-infusion", "exclusion"): 1,
}

S1, PI = "screening-1", "pre-infusion"
INF = "2026-11-12T10:00"  # NK cell infusion (day +7)
TX = "2026-11-05T10:00"  # stem cell infusion (day 0)
S1_EVENTS = {"infusion": INF, "transplant": TX}
S1_AS_OF = "2026-11-02T09:00"
S1_AT = "2026-11-01T07:30"
PI_AS_OF = "2026-11-12T09:30"
PI_AT = "2026-11-12T06:00"
NO_FACTS = {"gilbert_syndrome": False, "disease_related_hemolysis": False}


def result(stage: str, data: dict[str, Any], cid: str) -> tuple[str, str]:
    verdict = run(NCT, stage, data)
    found = next(r for r in verdict.results if r.id == cid)
    return found.outcome, found.reason


def s1(obs: list[tuple[Any, ...]], **parts: Any) -> dict[str, Any]:
    parts.setdefault("events", S1_EVENTS)
    parts.setdefault("as_of", S1_AS_OF)
    return record(obs=obs, **parts)


def pi(obs: list[tuple[Any, ...]], **parts: Any) -> dict[str, Any]:
    parts.setdefault("events", {"infusion": INF})
    parts.setdefault("as_of", PI_AS_OF)
    return record(obs=obs, **parts)


# ------------------------------------------------------------------ the file itself


def test_stages_in_contract_order() -> None:
    assert trial(NCT).stage_ids == ["screening-1", "pre-infusion"]


def test_counts_per_stage_and_kind() -> None:
    counts: dict[tuple[str, str], int] = {}
    computed: dict[tuple[str, str], int] = {}
    for stage in trial(NCT).stages:
        for c in stage.criteria:
            counts[(stage.id, c.kind)] = counts.get((stage.id, c.kind), 0) + 1
            computed.setdefault((stage.id, c.kind), 0)
            computed[(stage.id, c.kind)] += 0 if c.attested else 1
    assert counts == EXPECTED
    assert computed == EXPECTED_COMPUTED


def test_every_text_and_group_is_verbatim_in_the_seed() -> None:
    seed = seed_text(NCT)
    for stage in trial(NCT).stages:
        for c in stage.criteria:
            assert normalise(c.text) in seed, f"{stage.id}/{c.id} text not in seed"
            if c.group:
                assert normalise(c.group) in seed, f"{stage.id}/{c.id} group not in seed"
        if stage.override:
            assert normalise(stage.override.text) in seed


def test_override_only_on_pre_infusion_with_pi_and_ind_holder() -> None:
    assert trial(NCT).stage(S1).override is None
    override = trial(NCT).stage(PI).override
    assert override is not None
    assert override.agreed_by == ["PI", "IND holder"]


def test_protocol_order_of_screening_1() -> None:
    ids = [c.id for c in trial(NCT).stage(S1).criteria]
    assert ids[:6] == ["diagnosis-high-risk", "total-bilirubin", "ast-alt", "creatinine",
                       "spo2", "lvef"]
    assert ids[5:8] == ["lvef", "lvef-pre-transplant", "lvef-no-cardiac-change"]
    assert ids[10:13] == ["remission-status", "diagnosis-mds", "marrow-blasts"]
    assert ids[-2:] == ["il2-allergy", "hemolytic-anemia"]
    pre = [c.id for c in trial(NCT).stage(PI).criteria]
    assert pre == ["total-bilirubin", "ast-alt", "conditioning-toxicity", "clinical-status",
                   "no-hemolysis", "steroids-infusion-day", "uncontrolled-illness",
                   "investigational-agents", "off-steroids", "donor-specific-antibodies"]


def test_readings_are_noted() -> None:
    s1_stage, pi_stage = trial(NCT).stage(S1), trial(NCT).stage(PI)
    for stage, cid in [(s1_stage, "diagnosis-high-risk"), (s1_stage, "lvef"),
                       (s1_stage, "lvef-pre-transplant"), (s1_stage, "lvef-no-cardiac-change"),
                       (s1_stage, "remission-status"), (s1_stage, "diagnosis-mds"),
                       (s1_stage, "marrow-blasts"), (s1_stage, "other-malignancy"),
                       (s1_stage, "il2-allergy"),
                       (pi_stage, "conditioning-toxicity"), (pi_stage, "off-steroids"),
                       (pi_stage, "donor-specific-antibodies")]:
        crit = stage.criterion(cid)
        assert crit is not None, cid
        assert crit.note, cid
    assert "Secondary AML" in (s1_stage.criterion("diagnosis-high-risk").note or "")


# ------------------------------------------------------------------ bilirubin (both stages)

BILI = [
    # value, unit, uln, facts, outcome, shown
    (1.8, "mg/dL", 1.2, NO_FACTS, "pass", "1.8 mg/dL"),           # exactly 1.5 x ULN
    (1.81, "mg/dL", 1.2, NO_FACTS, "fail", "1.81 mg/dL"),
    (30.78, "umol/L", 20.52, NO_FACTS, "pass", "30.78 umol/L"),   # 1.8 mg/dL, 1.5 x ULN
    (30.79, "umol/L", 20.52, NO_FACTS, "fail", "30.79 umol/L"),
    (3.59, "mg/dL", 1.2, {"gilbert_syndrome": True}, "pass", "3.59 mg/dL"),
    (3.6, "mg/dL", 1.2, {"gilbert_syndrome": True}, "fail", "3.6 mg/dL"),  # < 3 x is strict
    (61.55, "umol/L", 20.52, {"gilbert_syndrome": True}, "pass", "61.55 umol/L"),
    (61.56, "umol/L", 20.52, {"gilbert_syndrome": True}, "fail", "61.56 umol/L"),
    (3.59, "mg/dL", 1.2, {"disease_related_hemolysis": True}, "pass", "3.59 mg/dL"),
    (3.6, "mg/dL", 1.2, {"disease_related_hemolysis": True}, "fail", "3.6 mg/dL"),
    (2.4, "mg/dL", 1.2, NO_FACTS, "fail", "2.4 mg/dL"),
    (1.8, "mg/dL", 1.2, {}, "pass", "1.8 mg/dL"),
    (2.4, "mg/dL", 1.2, {}, "unknown", "2.4 mg/dL"),               # facts missing
    (2.4, "mg/dL", 1.2, {"gilbert_syndrome": False}, "unknown", "2.4 mg/dL"),
    (3.6, "mg/dL", 1.2, {}, "fail", "3.6 mg/dL"),
]


@pytest.mark.parametrize("stage", [S1, PI])
@pytest.mark.parametrize(("value", "unit", "uln", "facts", "expected", "shown"), BILI)
def test_total_bilirubin(stage: str, value: float, unit: str, uln: float,
                         facts: dict[str, bool], expected: str, shown: str) -> None:
    make, at = (s1, S1_AT) if stage == S1 else (pi, PI_AT)
    got, reason = result(stage, make([("bilirubin_total", value, unit, at, uln)],
                                     facts=facts), "total-bilirubin")
    assert got == expected, reason
    assert shown in reason
    if expected == "unknown":
        assert "Gilbert" in reason


# ------------------------------------------------------------------ AST / ALT (both stages)

AST_ALT = [
    (120, 120, "pass"),   # exactly 3 x ULN 40
    (121, 120, "fail"),
    (120, 121, "fail"),
    (120, None, "unknown"),
    (121, None, "fail"),
]


@pytest.mark.parametrize("stage", [S1, PI])
@pytest.mark.parametrize(("ast", "alt", "expected"), AST_ALT)
def test_ast_alt(stage: str, ast: int, alt: int | None, expected: str) -> None:
    make, at = (s1, S1_AT) if stage == S1 else (pi, PI_AT)
    obs: list[tuple[Any, ...]] = [("ast", ast, "U/L", at, 40)]
    if alt is not None:
        obs.append(("alt", alt, "U/L", at, 40))
    got, reason = result(stage, make(obs), "ast-alt")
    assert got == expected, reason
    assert f"AST {ast} U/L" in reason


# ------------------------------------------------------------------ screening-1 thresholds

S1_THRESHOLDS = [
    ("creatinine", "creatinine", 2.0, "mg/dL", "pass", "Serum creatinine 2 mg/dL"),
    ("creatinine", "creatinine", 176.8, "umol/L", "pass", "176.8 umol/L"),
    ("creatinine", "creatinine", 2.01, "mg/dL", "fail", "2.01 mg/dL"),
    ("creatinine", "creatinine", 177, "umol/L", "fail", "177 umol/L"),
    ("creatinine", "creatinine", 176.9, "umol/L", "fail", "176.9 umol/L"),
    ("spo2", "spo2", 90, "%", "pass", "90 %"),
    ("spo2", "spo2", 89.9, "%", "fail", "89.9 %"),
]


@pytest.mark.parametrize(("cid", "code", "value", "unit", "expected", "shown"), S1_THRESHOLDS)
def test_screening_1_thresholds(cid: str, code: str, value: float, unit: str, expected: str,
                                shown: str) -> None:
    got, reason = result(S1, s1([(code, value, unit, S1_AT)]), cid)
    assert got == expected, reason
    assert shown in reason


@pytest.mark.parametrize(("birth", "expected", "shown"), [
    ("2008-11-02", "pass", "Age 18 y"),   # 18th birthday on the assessment date
    ("2008-11-03", "fail", "Age 17 y"),   # the day before
])
def test_age_on_birthday(birth: str, expected: str, shown: str) -> None:
    data = s1([], patient={"birth_date": birth, "sex": "male"})
    got, reason = result(S1, data, "age")
    assert got == expected, reason
    assert shown in reason


@pytest.mark.parametrize(("ecog", "kps", "expected"), [
    (2, None, "pass"),
    (3, None, "unknown"),
    (3, 60, "pass"),
    (3, 50, "fail"),
    (2, 50, "pass"),
    (None, 60, "pass"),
    (None, 50, "unknown"),
    (None, None, "unknown"),
])
def test_ecog_or_karnofsky(ecog: int | None, kps: int | None, expected: str) -> None:
    obs: list[tuple[Any, ...]] = []
    if ecog is not None:
        obs.append(("ecog", ecog, "score", S1_AT))
    if kps is not None:
        obs.append(("karnofsky", kps, "%", S1_AT))
    got, reason = result(S1, s1(obs), "performance-status")
    assert got == expected, reason
    if ecog is not None:
        assert f"ECOG {ecog}" in reason
    if kps is not None:
        assert f"Karnofsky {kps} %" in reason


# ------------------------------------------------------------------ windows


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-10-29T00:00", "pass"),    # first admitted day of "within 2 weeks" (Nov 12 - 14 d)
    ("2026-10-28T23:59", "unknown"),
])
def test_two_week_window_before_infusion(at: str, expected: str) -> None:
    got, reason = result(S1, s1([("creatinine", 1.1, "mg/dL", at)]), "creatinine")
    assert got == expected, reason
    if expected == "unknown":
        assert "stale" in reason
        assert "2026-10-29" in reason
    else:
        assert "1.1 mg/dL" in reason


def test_two_week_window_does_not_count_results_after_infusion() -> None:
    data = s1([("spo2", 95, "%", "2026-11-12T11:00")], as_of="2026-11-12T12:00")
    got, reason = result(S1, data, "spo2")
    assert got == "unknown"
    assert "stale" in reason


def test_missing_infusion_date_is_unknown() -> None:
    data = s1([("creatinine", 1.0, "mg/dL", S1_AT)], events={"transplant": TX})
    got, reason = result(S1, data, "creatinine")
    assert got == "unknown"
    assert "NK cell infusion date" in reason


# ------------------------------------------------------------------ LVEF: two routes
#
# lvef: an ECHO within 2 weeks before the NK cell infusion (Nov 12 10:00), i.e. dated
# on or after Oct 29 00:00 and not after the infusion. lvef-pre-transplant: the ECHO
# within 6 weeks before the stem cell infusion (Nov 5 10:00), on or after Sep 24 00:00.
# lvef-no-cardiac-change: attested. The three rows all pass exactly when the first route
# passes, or the second and third both do.

LVEF_ROWS = ["lvef", "lvef-pre-transplant", "lvef-no-cardiac-change"]
ONLY_INF = {"infusion": INF}
AFTER_DAY_0 = "2026-11-11T09:00"  # assessed the day before the NK infusion


def lvef_rows(echos: list[tuple[float, str]], answer: Any = None,
              **parts: Any) -> dict[str, str]:
    answers = {} if answer is None else {"lvef-no-cardiac-change": answer}
    data = s1([("lvef", value, "%", at) for value, at in echos], answers=answers, **parts)
    verdict = run(NCT, S1, data)
    return {r.id: r.outcome for r in verdict.results if r.id in LVEF_ROWS}


def lvef_reasons(echos: list[tuple[float, str]], answer: Any = None,
                 **parts: Any) -> dict[str, str]:
    answers = {} if answer is None else {"lvef-no-cardiac-change": answer}
    data = s1([("lvef", value, "%", at) for value, at in echos], answers=answers, **parts)
    verdict = run(NCT, S1, data)
    return {r.id: r.reason for r in verdict.results if r.id in LVEF_ROWS}


def s1_criterion(cid: str) -> Criterion:
    crit = trial(NCT).stage(S1).criterion(cid)
    assert crit is not None, cid
    return crit


def test_lvef_routes_are_alternatives() -> None:
    lvef, pre, change = (s1_criterion(c) for c in LVEF_ROWS)
    assert lvef.alternatives == ["lvef-pre-transplant"]
    assert pre.alternatives == ["lvef"]
    assert change.alternatives == ["lvef"]
    assert change.attested
    assert lvef.window == Window(event="infusion", within="2w")
    assert pre.window == Window(event="transplant", within="6w")


@pytest.mark.parametrize(("value", "expected"), [
    (40, "fail"),            # > 40 is strict
    (40.000001, "pass"),
    (41, "pass"),
    (39.9, "fail"),
])
def test_lvef_boundary_within_two_weeks(value: float, expected: str) -> None:
    # Nov 1 is inside both windows, so both ECHO rows read the same 40 %.
    got, reason = result(S1, s1([("lvef", value, "%", S1_AT)]), "lvef")
    assert got == expected, reason
    if expected == "fail":
        assert "not > 40 %" in reason
    else:
        assert "> 40 %" in reason


@pytest.mark.parametrize(("value", "expected"), [
    (40, "fail"),
    (40.000001, "pass"),
])
def test_lvef_boundary_of_the_two_week_route_alone(value: float, expected: str) -> None:
    # No stem cell infusion date: only the 2-week route can be read.
    rows = lvef_rows([(value, "2026-11-08")], events=ONLY_INF, as_of=AFTER_DAY_0)
    if expected == "pass":
        assert rows == {"lvef": "pass", "lvef-pre-transplant": "pass",
                        "lvef-no-cardiac-change": "pass"}
    else:
        # the pre-transplant route is still open (no transplant date, no answer)
        assert rows == {"lvef": "unknown", "lvef-pre-transplant": "unknown",
                        "lvef-no-cardiac-change": "unknown"}


@pytest.mark.parametrize(("value", "expected"), [
    (40, {"lvef": "unknown", "lvef-pre-transplant": "unknown",
          "lvef-no-cardiac-change": "pass"}),
    (40.000001, {"lvef": "pass", "lvef-pre-transplant": "pass",
                 "lvef-no-cardiac-change": "pass"}),
])
def test_lvef_boundary_of_the_pre_transplant_route(value: float,
                                                   expected: dict[str, str]) -> None:
    # Oct 14 is before the 2-week window: only the pre-transplant ECHO counts. A failing
    # pre-transplant ECHO leaves the 2-week route open (an ECHO may still be repeated).
    assert lvef_rows([(value, "2026-10-14")], answer=True) == expected


def test_echo_repeated_after_day_0_passes_on_its_own() -> None:
    # No transplant date and no answer about a change: the 2-week ECHO is enough.
    rows = lvef_rows([(55, "2026-11-08T09:00")], events=ONLY_INF, as_of=AFTER_DAY_0)
    assert rows == {"lvef": "pass", "lvef-pre-transplant": "pass",
                    "lvef-no-cardiac-change": "pass"}
    reasons = lvef_reasons([(55, "2026-11-08T09:00")], events=ONLY_INF,
                           as_of=AFTER_DAY_0)
    assert reasons["lvef"] == "LVEF 55 % on 2026-11-08 09:00 > 40 %"
    assert "met through the alternative lvef" in reasons["lvef-pre-transplant"]
    assert "met through the alternative lvef" in reasons["lvef-no-cardiac-change"]


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-10-29", "pass"),          # exactly 2 weeks before Nov 12 (calendar days)
    ("2026-10-29T00:00", "pass"),
    ("2026-11-12T10:00", "pass"),    # the infusion itself
    ("2026-10-28", "unknown"),       # one day earlier: stale
    ("2026-10-28T23:59", "unknown"),
])
def test_two_week_lvef_window_edges(at: str, expected: str) -> None:
    as_of = "2026-11-12T10:00" if at > S1_AS_OF else S1_AS_OF
    got, reason = result(S1, s1([("lvef", 55, "%", at)], events=ONLY_INF, as_of=as_of),
                         "lvef")
    assert got == expected, reason
    if expected == "unknown":
        assert "stale" in reason
        assert "due from 2026-10-29" in reason
    else:
        assert "LVEF 55 %" in reason


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-09-24", "pass"),           # exactly 6 weeks before Nov 5 (calendar days)
    ("2026-09-24T00:00", "pass"),
    ("2026-11-05T10:00", "pass"),     # the stem cell infusion itself
    ("2026-09-23", "unknown"),        # one day earlier: not admitted
    ("2026-09-23T23:59", "unknown"),
])
def test_pre_transplant_echo_window_edges(at: str, expected: str) -> None:
    as_of = "2026-11-05T10:00" if at > S1_AS_OF else S1_AS_OF
    data = s1([("lvef", 55, "%", at)], answers={"lvef-no-cardiac-change": True},
              as_of=as_of)
    verdict = run(NCT, S1, data)
    by_id = {r.id: r for r in verdict.results}
    pre = by_id["lvef-pre-transplant"]
    if at.startswith("2026-11-05"):
        # also inside the 2-week window before the NK infusion: both routes pass
        assert by_id["lvef"].outcome == "pass"
        assert pre.outcome == "pass"
        return
    assert pre.outcome == expected, pre.reason
    assert by_id["lvef"].outcome == expected, by_id["lvef"].reason
    if expected == "unknown":
        assert "stale" in pre.reason
        assert "due from 2026-09-24" in pre.reason
    else:
        assert pre.reason.startswith("LVEF 55 %")
        assert "met through the alternative lvef-pre-transplant" in by_id["lvef"].reason


def test_echo_after_the_stem_cell_infusion_is_not_the_pre_transplant_echo() -> None:
    # Nov 6 is after day 0 (Nov 5 10:00): it is a repeated ECHO, read by lvef only.
    got, reason = result(S1, s1([("lvef", 55, "%", "2026-11-06")], as_of=AFTER_DAY_0),
                         "lvef-pre-transplant")
    assert got == "pass", reason
    assert "met through the alternative lvef" in reason
    assert reason.startswith("LVEF of 2026-11-06 is stale: it must be within 6 weeks before "
                             "stem cell infusion")


def test_echo_after_the_nk_infusion_is_ignored() -> None:
    # The only ECHO is after the infusion (Nov 12 10:00): no route can use it.
    rows = lvef_rows([(55, "2026-11-12T11:00")], answer=True, as_of="2026-11-12T12:00")
    assert rows == {"lvef": "unknown", "lvef-pre-transplant": "unknown",
                    "lvef-no-cardiac-change": "pass"}
    reasons = lvef_reasons([(55, "2026-11-12T11:00")], answer=True,
                           as_of="2026-11-12T12:00")
    assert "stale" in reasons["lvef"]


def test_echo_after_the_nk_infusion_does_not_rescue_a_failing_one() -> None:
    echos = [(35, S1_AT), (55, "2026-11-12T11:00")]
    rows = lvef_rows(echos, answer="n/a", as_of="2026-11-12T12:00")
    assert rows == {"lvef": "fail", "lvef-pre-transplant": "fail",
                    "lvef-no-cardiac-change": "fail"}
    reason = lvef_reasons(echos, answer="n/a", as_of="2026-11-12T12:00")["lvef"]
    assert "LVEF 35 %" in reason
    assert "55 %" not in reason


@pytest.mark.parametrize(("answer", "expected"), [
    (True, {"lvef": "pass", "lvef-pre-transplant": "pass",
            "lvef-no-cardiac-change": "pass"}),
    # a change in cardiovascular function: the ECHO must be repeated, still open
    (False, {"lvef": "pass", "lvef-pre-transplant": "pass",
             "lvef-no-cardiac-change": "unknown"}),
    # N/A: this route is not the patient's; a repeated ECHO is needed
    ("n/a", {"lvef": "pass", "lvef-pre-transplant": "pass",
             "lvef-no-cardiac-change": "unknown"}),
    (None, {"lvef": "pass", "lvef-pre-transplant": "pass",
            "lvef-no-cardiac-change": "unknown"}),
])
def test_pre_transplant_echo_needs_no_cardiac_change(answer: Any,
                                                     expected: dict[str, str]) -> None:
    assert lvef_rows([(58, "2026-10-14")], answer=answer) == expected


def test_without_any_echo_the_reasons_ask_for_one() -> None:
    reasons = lvef_reasons([])
    assert reasons["lvef"].startswith("No LVEF result within 2 weeks before NK cell infusion")
    assert "or the alternative lvef-pre-transplant (not yet known)" in reasons["lvef"]
    assert reasons["lvef-pre-transplant"].startswith(
        "No LVEF result within 6 weeks before stem cell infusion")
    assert reasons["lvef-no-cardiac-change"].startswith("Not yet answered")


def test_pre_transplant_route_without_transplant_date_asks_for_it() -> None:
    rows = lvef_rows([(58, "2026-10-14")], answer=True, events=ONLY_INF)
    assert rows == {"lvef": "unknown", "lvef-pre-transplant": "unknown",
                    "lvef-no-cardiac-change": "pass"}
    reasons = lvef_reasons([(58, "2026-10-14")], answer=True, events=ONLY_INF)
    assert "stale" in reasons["lvef"]
    assert "enter the planned stem cell infusion (day 0) date" in reasons["lvef-pre-transplant"]


# ------------------------------------------------------------------ disease status routes

DISEASE_ROWS = ["remission-status", "diagnosis-mds", "marrow-blasts"]


def disease_rows(remission: Any, mds: Any, blasts: float | None) -> dict[str, str]:
    answers = {k: v for k, v in (("remission-status", remission), ("diagnosis-mds", mds))
               if v is not None}
    obs = [] if blasts is None else [("bone_marrow_blasts", blasts, "%", "2026-10-20")]
    verdict = run(NCT, S1, s1(obs, answers=answers))
    return {r.id: r.outcome for r in verdict.results if r.id in DISEASE_ROWS}


def test_disease_routes_are_alternatives() -> None:
    remission, mds, blasts = (s1_criterion(c) for c in DISEASE_ROWS)
    assert [remission.attested, mds.attested, blasts.attested] == [True, True, False]
    assert remission.alternatives == ["diagnosis-mds"]
    assert mds.alternatives == ["remission-status"]
    assert blasts.alternatives == ["remission-status"]
    assert remission.text == ("For patients with AML, the disease must meet criteria for "
                              "CR/Cri according to 2017 ELN guidelines.")
    assert normalise(blasts.text) == normalise(mds.text) == (
        "For patients with MDS and MDS/MPN patients, the blast percentage on the bone "
        "marrow aspirate and biopsy must be less than 10%.")


PASS3 = {"remission-status": "pass", "diagnosis-mds": "pass", "marrow-blasts": "pass"}

DISEASE = [
    # remission-status, diagnosis-mds, blasts %, outcomes
    # AML in CR/CRi: no blast count and no MDS answer needed
    (True, None, None, PASS3),
    (True, "n/a", None, PASS3),
    (True, False, None, PASS3),
    (True, "n/a", 12, PASS3),     # the blast limit is not the AML route's
    # AML not in CR/CRi: no route
    (False, "n/a", None, {"remission-status": "fail", "diagnosis-mds": "fail",
                          "marrow-blasts": "unknown"}),
    (False, "n/a", 5, {"remission-status": "fail", "diagnosis-mds": "fail",
                       "marrow-blasts": "pass"}),
    # MDS or MDS/MPN: blasts < 10 %, strict
    ("n/a", True, 9.99, PASS3),
    ("n/a", True, 9.999999, PASS3),
    ("n/a", True, 10, {"remission-status": "pass", "diagnosis-mds": "pass",
                       "marrow-blasts": "fail"}),
    ("n/a", True, 25, {"remission-status": "pass", "diagnosis-mds": "pass",
                       "marrow-blasts": "fail"}),
    (None, True, 9.99, PASS3),    # no remission answer needed for MDS
    ("n/a", True, None, {"remission-status": "pass", "diagnosis-mds": "pass",
                         "marrow-blasts": "unknown"}),
    # nothing answered yet
    (None, None, 5, {"remission-status": "unknown", "diagnosis-mds": "unknown",
                     "marrow-blasts": "pass"}),
    (None, None, None, {"remission-status": "unknown", "diagnosis-mds": "unknown",
                        "marrow-blasts": "unknown"}),
    (None, None, 10, {"remission-status": "unknown", "diagnosis-mds": "unknown",
                      "marrow-blasts": "unknown"}),
]


@pytest.mark.parametrize(("remission", "mds", "blasts", "expected"), DISEASE)
def test_disease_status_routes(remission: Any, mds: Any, blasts: float | None,
                               expected: dict[str, str]) -> None:
    assert disease_rows(remission, mds, blasts) == expected


@pytest.mark.parametrize(("value", "expected", "shown"), [
    (10, "fail", "Bone marrow blasts 10 % on 2026-10-20, not < 10 %"),
    (9.99, "pass", "Bone marrow blasts 9.99 % on 2026-10-20 < 10 %"),
])
def test_mds_marrow_blast_boundary_reason(value: float, expected: str, shown: str) -> None:
    data = s1([("bone_marrow_blasts", value, "%", "2026-10-20")],
              answers={"remission-status": "n/a", "diagnosis-mds": True})
    got, reason = result(S1, data, "marrow-blasts")
    assert got == expected, reason
    assert reason.startswith(shown)


def test_aml_in_cr_without_a_marrow_result_passes_the_blast_row() -> None:
    got, reason = result(S1, s1([], answers={"remission-status": True}), "marrow-blasts")
    assert got == "pass", reason
    assert "No Bone marrow blasts result" in reason
    assert "met through the alternative remission-status" in reason


# ------------------------------------------------------------------ IL-2 allergy text


def test_il2_allergy_keeps_the_whole_garbled_bullet() -> None:
    crit = trial(NCT).stage(S1).criterion("il2-allergy")
    assert crit is not None
    assert normalise(crit.text) == (
        "History of allergic reactions attributed to compounds of similar chemical or "
        "biologic composition to IL-2 or other agents used in study. 3. Diagnosed with "
        "MGUS or smoldering myeloma, and/or treated for multiple myeloma or plasmacytoma "
        "as long as attainment of complete remission by IMWG criteria following therapy.")
    assert "other-malignancy" in (crit.note or "")
    assert "allergy only" in (crit.note or "")


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-11-11T10:00", "pass"),     # exactly 24 h before the infusion
    ("2026-11-11T09:59", "unknown"),  # 24 h + 1 min
])
def test_24_hour_window_before_infusion(at: str, expected: str) -> None:
    got, reason = result(PI, pi([("bilirubin_total", 1.0, "mg/dL", at, 1.2)]),
                         "total-bilirubin")
    assert got == expected, reason
    if expected == "unknown":
        assert "stale" in reason
        assert "2026-11-11 10:00" in reason


def test_24_hour_window_without_infusion_date() -> None:
    data = pi([("ast", 30, "U/L", PI_AT, 40), ("alt", 30, "U/L", PI_AT, 40)], events={})
    got, reason = result(PI, data, "ast-alt")
    assert got == "unknown"
    assert "infusion date" in reason


# ------------------------------------------------------------------ day-of-infusion steroids

STEROIDS = [
    # dose mg, at, as_of, steroids-infusion-day (exclusion), off-steroids (inclusion)
    (0, "2026-11-12T07:00", PI_AS_OF, "pass", "pass"),
    (0.1, "2026-11-12T07:00", PI_AS_OF, "fail", "fail"),
    (5, "2026-11-12T07:00", PI_AS_OF, "fail", "fail"),
    (0, "2026-11-12T00:00", PI_AS_OF, "pass", "pass"),          # first minute of the day
    (0, "2026-11-11T23:59", PI_AS_OF, "unknown", "unknown"),    # day before: stale
    (0, "2026-11-12T11:00", "2026-11-12T12:00", "pass", "pass"),  # same calendar day
]


@pytest.mark.parametrize(("dose", "at", "as_of", "excl", "incl"), STEROIDS)
def test_steroids_on_infusion_day(dose: float, at: str, as_of: str, excl: str,
                                  incl: str) -> None:
    data = pi([("prednisone_equivalent", dose, "mg", at)], as_of=as_of)
    got, reason = result(PI, data, "steroids-infusion-day")
    assert got == excl, reason
    got2, reason2 = result(PI, data, "off-steroids")
    assert got2 == incl, reason2
    if excl == "unknown":
        assert "stale" in reason
        assert "2026-11-12" in reason
    else:
        assert f"{dose} mg" in reason


def test_steroids_without_any_entry_is_unknown() -> None:
    got, _reason = result(PI, pi([]), "steroids-infusion-day")
    assert got == "unknown"


# ------------------------------------------------------------------ attested criteria


@pytest.mark.parametrize(("stage", "cid", "answer", "expected"), [
    (S1, "hiv", True, "fail"),
    (S1, "hiv", False, "pass"),
    (S1, "diagnosis-high-risk", False, "fail"),
    (S1, "remission-status", "n/a", "unknown"),   # a route: the MDS one must hold
    (S1, "lvef-no-cardiac-change", False, "unknown"),  # or a repeated ECHO
    (S1, "pregnancy-test", "n/a", "pass"),
    (PI, "conditioning-toxicity", True, "fail"),    # read as an exclusion
    (PI, "conditioning-toxicity", False, "pass"),
    (PI, "donor-specific-antibodies", True, "fail"),
    (PI, "clinical-status", False, "fail"),
    (PI, "investigational-agents", None, "unknown"),
])
def test_attested_answers(stage: str, cid: str, answer: Any, expected: str) -> None:
    answers = {} if answer is None else {cid: answer}
    got, _reason = result(stage, record(answers=answers), cid)
    assert got == expected


def test_answer_for_a_computed_criterion_is_bad_input() -> None:
    with pytest.raises(RecordError, match="creatinine"):
        run(NCT, S1, record(answers={"creatinine": True}))


# ------------------------------------------------------------------ whole example, routes


def example(stage: str = S1) -> dict[str, Any]:
    path = REPO / "trials" / "examples" / NCT / f"{stage}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def decision(data: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    verdict = run(NCT, S1, data)
    return (verdict.decision, [r.id for r in verdict.failing],
            [r.id for r in verdict.missing])


def test_example_takes_the_pre_transplant_echo_route() -> None:
    data = example()
    echo = next(o for o in data["observations"] if o["code"] == "lvef")
    assert echo["at"] == "2026-10-14"   # before the 2-week window, within the 6 weeks
    assert data["answers"]["lvef-no-cardiac-change"] is True
    assert decision(data) == ("eligible", [], [])


def test_example_with_a_change_in_cardiac_function_needs_a_repeated_echo() -> None:
    data = example()
    data["answers"]["lvef-no-cardiac-change"] = False
    assert decision(data) == ("incomplete", [], ["lvef-no-cardiac-change"])
    data["as_of"] = AFTER_DAY_0
    data["observations"].append({"code": "lvef", "value": 52, "unit": "%",
                                 "at": "2026-11-08T09:00"})
    assert decision(data) == ("eligible", [], [])
    # The repeated ECHO fails (40 % is not > 40 %) and there was a change: no route is
    # left. The row that fails is "no change or a passing 2-week ECHO"; lvef itself
    # stays "2-week ECHO or pre-transplant ECHO" (see the trial notes).
    data["observations"][-1]["value"] = 40
    assert decision(data) == ("not_eligible", ["lvef-no-cardiac-change"], [])


def test_example_with_a_repeated_echo_needs_no_transplant_date_or_answer() -> None:
    data = example()
    data["as_of"] = AFTER_DAY_0
    data["events"] = {"infusion": INF}
    del data["answers"]["lvef-no-cardiac-change"]
    data["observations"] = [o for o in data["observations"] if o["code"] != "lvef"]
    data["observations"].append({"code": "lvef", "value": 52, "unit": "%",
                                 "at": "2026-11-08T09:00"})
    assert decision(data) == ("eligible", [], [])


def test_example_aml_in_cr_needs_no_marrow_blast_count() -> None:
    data = example()
    assert data["answers"]["remission-status"] is True
    data["observations"] = [o for o in data["observations"]
                            if o["code"] != "bone_marrow_blasts"]
    del data["answers"]["diagnosis-mds"]
    assert decision(data) == ("eligible", [], [])


@pytest.mark.parametrize(("blasts", "expected"), [
    (9.99, ("eligible", [], [])),
    (10, ("not_eligible", ["marrow-blasts"], [])),
    (None, ("incomplete", [], ["marrow-blasts"])),
])
def test_example_as_an_mds_patient(blasts: float | None,
                                   expected: tuple[str, list[str], list[str]]) -> None:
    data = example()
    data["answers"]["remission-status"] = "n/a"
    data["answers"]["diagnosis-mds"] = True
    data["observations"] = [o for o in data["observations"]
                            if o["code"] != "bone_marrow_blasts"]
    if blasts is not None:
        data["observations"].append({"code": "bone_marrow_blasts", "value": blasts,
                                     "unit": "%", "at": "2026-10-20"})
    assert decision(data) == expected


# ------------------------------------------------------------------ examples via the CLI


_cli = support.nkscreen


@pytest.mark.parametrize("stage", [S1, PI])
def test_example_record_is_eligible(stage: str) -> None:
    path = REPO / "trials" / "examples" / NCT / f"{stage}.json"
    done = _cli("evaluate", NCT, "--stage", stage, str(path))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["decision"] == "eligible", out
    assert [c["id"] for c in out["criteria"]] == [c.id for c in trial(NCT).stage(stage).criteria]


def test_criteria_output_shape() -> None:
    done = _cli("criteria", NCT, "--stage", S1)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert all(set(r) == {"id", "kind", "text", "attested", "inputs"} for r in rows)
    by_id = {r["id"]: r for r in rows}
    assert by_id["total-bilirubin"]["inputs"] == [
        "bilirubin_total", "infusion", "gilbert_syndrome", "disease_related_hemolysis"]
    assert by_id["lvef"]["inputs"] == ["lvef", "infusion"]
    assert by_id["lvef-pre-transplant"]["inputs"] == ["lvef", "transplant"]
    assert by_id["lvef-no-cardiac-change"]["attested"] is True
    assert by_id["lvef-no-cardiac-change"]["inputs"] == []
    assert by_id["marrow-blasts"]["inputs"] == ["bone_marrow_blasts"]
    assert by_id["diagnosis-mds"]["attested"] is True
    assert by_id["age"]["inputs"] == ["birth_date"]
    assert by_id["hiv"] == {"id": "hiv", "kind": "exclusion", "attested": True, "inputs": [],
                            "text": by_id["hiv"]["text"]}


def test_unknown_stage_lists_the_stages() -> None:
    done = _cli("criteria", NCT, "--stage", "pre-lymphodepletion")
    assert done.returncode == 2
    assert "screening-1, pre-infusion" in done.stderr
