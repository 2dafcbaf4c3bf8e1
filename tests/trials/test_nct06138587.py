"""NCT06138587 (preemptive CIML NK cells after allo-HSCT): trial file and boundaries.

Seed 001 (ClinicalTrials.gov record, last updated 2026-01-02). Two stages per the
screening contract: screening-1 and pre-infusion.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from desktop.domain.record import RecordError
from tests.trials import support
from tests.trials.support import REPO, normalise, record, run, seed_text, trial

NCT = "NCT06138587"

# Hand-derived from seed 001, not from the trial file.
#
# screening-1, inclusion (Inclusion Criteria, first list):
#   diagnosis + high-risk list (alternatives, one attested criterion)        1 attested
#   organ function within 2 weeks: bilirubin, AST/ALT, creatinine, SpO2     4 computed
#   LVEF split: LVEF > 40 % (computed) + ECHO-repeat judgement (attested)   1 + 1
#   adult (age >= 18, computed) + planned RIC allo-SCT (attested)            1 + 1
#   AML CR/CRi (attested) + MDS marrow blasts < 10 % (computed)              1 + 1
#   related donor, pregnancy test, contraception, no hemolysis              4 attested
#   ECOG <= 2 / Karnofsky >= 60                                             1 computed
#   -> 16 inclusion: 8 computed, 8 attested
# screening-1, exclusion (Exclusion Criteria, first list): 14 bullets, all attested.
# pre-infusion (24-hour block + day-of-infusion block):
#   inclusion: bilirubin, AST/ALT (computed); clinical status, no hemolysis
#              (attested); "must be off systemic steroid therapy" (computed)  -> 5 (3 computed)
#   exclusion: Grade >= 3 conditioning toxicity (listed among inclusions, read as an
#              exclusion; attested); steroids on infusion day (computed);
#              uncontrolled illness, investigational agents, DSAs (attested) -> 5 (1 computed)
EXPECTED = {
    ("screening-1", "inclusion"): 16,
    ("screening-1", "exclusion"): 14,
    ("pre-infusion", "inclusion"): 5,
    ("pre-infusion", "exclusion"): 5,
}
EXPECTED_COMPUTED = {
    ("screening-1", "inclusion"): 8,
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
    assert ids[-1] == "hemolytic-anemia"
    pre = [c.id for c in trial(NCT).stage(PI).criteria]
    assert pre == ["total-bilirubin", "ast-alt", "conditioning-toxicity", "clinical-status",
                   "no-hemolysis", "steroids-infusion-day", "uncontrolled-illness",
                   "investigational-agents", "off-steroids", "donor-specific-antibodies"]


def test_readings_are_noted() -> None:
    s1_stage, pi_stage = trial(NCT).stage(S1), trial(NCT).stage(PI)
    for stage, cid in [(s1_stage, "diagnosis-high-risk"), (s1_stage, "lvef"),
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
    ("lvef", "lvef", 40, "%", "fail", "LVEF 40 %"),          # > 40 is strict
    ("lvef", "lvef", 40.1, "%", "pass", "LVEF 40.1 %"),
    ("marrow-blasts", "bone_marrow_blasts", 10, "%", "fail", "10 %"),  # < 10 is strict
    ("marrow-blasts", "bone_marrow_blasts", 9.99, "%", "pass", "9.99 %"),
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


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-09-24T00:00", "pass"),     # 6 weeks before stem cell infusion (Nov 5 - 42 d)
    ("2026-09-23T23:59", "unknown"),
])
def test_lvef_counts_from_pre_transplant_echo_within_6_weeks(at: str, expected: str) -> None:
    got, reason = result(S1, s1([("lvef", 55, "%", at)]), "lvef")
    assert got == expected, reason
    if expected == "unknown":
        assert "stale" in reason


def test_lvef_without_transplant_date_is_unknown() -> None:
    data = s1([("lvef", 55, "%", S1_AT)], events={"infusion": INF})
    got, reason = result(S1, data, "lvef")
    assert got == "unknown"
    assert "stem cell infusion" in reason


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
    (S1, "remission-status", "n/a", "pass"),
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
    assert by_id["lvef"]["inputs"] == ["lvef", "transplant"]
    assert by_id["age"]["inputs"] == ["birth_date"]
    assert by_id["hiv"] == {"id": "hiv", "kind": "exclusion", "attested": True, "inputs": [],
                            "text": by_id["hiv"]["text"]}


def test_unknown_stage_lists_the_stages() -> None:
    done = _cli("criteria", NCT, "--stage", "pre-lymphodepletion")
    assert done.returncode == 2
    assert "screening-1, pre-infusion" in done.stderr
