"""NCT06152809 (DFCI, CIML NK cells with venetoclax in AML): the trial file against its seed.

Counts are derived by hand from the seed (seed 000), not from the trial file. Every
threshold is checked at its boundary, just inside and just outside, in each accepted
unit; every window at its edges.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from desktop.domain.record import RecordError
from tests.trials import support

NCT = "NCT06152809"
STAGES = ["screening-1", "screening-2", "pre-lymphodepletion", "pre-infusion", "pre-venetoclax"]

# Read off the seed:
# - screening-1: 13 inclusion bullets, of which the organ-function heading is no criterion and
#   its 5 sub-bullets are (12 + 5 = 17); the molecular-risk sub-bullets are the alternatives of
#   one criterion. 11 exclusion bullets.
# - screening-2: 9 inclusion bullets minus the organ-function heading plus its 4 sub-bullets
#   (8 + 4 = 12); the first marrow bullet ("CR/CRi/MLFS (< 5% blasts) ... MRD+ ... OR") joins a
#   blast count with remission status and is split, as the spec requires, into a computed
#   (< 5%) and an attested part (12 + 1 = 13); 4 exclusion bullets, of which 2 are worded as
#   requirements ("No live vaccines ...", "No ongoing or active infections.") and are
#   recorded as such (inclusion): 13 + 2 = 15 inclusion, 2 exclusion.
# - pre-lymphodepletion: 4 bullets minus the heading plus its 2 sub-bullets = 3 + 2 = 5.
# - pre-infusion: 5 bullets minus the heading plus its 3 sub-bullets = 4 + 3 = 7.
# - pre-venetoclax: 4 bullets minus the heading plus 3 sub-bullets (bilirubin, AST/ALT and the
#   Grade >= 3 toxicity bullet inside the list) = 6.
EXPECTED = {
    ("screening-1", "inclusion"): 17,
    ("screening-1", "exclusion"): 11,
    ("screening-2", "inclusion"): 15,
    ("screening-2", "exclusion"): 2,
    ("pre-lymphodepletion", "inclusion"): 5,
    ("pre-infusion", "inclusion"): 7,
    ("pre-venetoclax", "inclusion"): 6,
}
COMPUTED = {
    "screening-1": ["age", "ecog", "direct-bilirubin", "ast-alt", "crcl", "spo2", "lvef"],
    "screening-2": ["marrow-cr-blasts", "marrow-blasts", "ecog", "direct-bilirubin", "ast-alt",
                    "crcl", "spo2"],
    "pre-lymphodepletion": ["direct-bilirubin", "ast-alt"],
    "pre-infusion": ["direct-bilirubin", "ast-alt", "crcl", "steroids"],
    "pre-venetoclax": ["total-bilirubin", "ast-alt"],
}
WINDOWS = {  # stage -> the event its organ-function window hangs on
    "pre-lymphodepletion": "lymphodepletion",
    "pre-infusion": "infusion",
    "pre-venetoclax": "venetoclax_start",
}
EVENT_AT = "2026-11-02T10:00"
OBS_AT = "2026-11-02T07:00"  # inside every window below and before as_of


# --------------------------------------------------------------------------- helpers

def rec(stage: str, obs: list[tuple[Any, ...]] | None = None, **parts: Any) -> dict[str, Any]:
    """A record for ``stage``: its window event at EVENT_AT, as_of 09:00 the same day."""
    events = {WINDOWS[stage]: EVENT_AT} if stage in WINDOWS else {}
    parts.setdefault("events", events)
    parts.setdefault("as_of", "2026-11-02T09:00")
    return support.record(obs=obs or [], **parts)


def res(stage: str, data: dict[str, Any], cid: str) -> tuple[str, str]:
    verdict = support.run(NCT, stage, data)
    found = next(r for r in verdict.results if r.id == cid)
    return found.outcome, found.reason


def crit(stage: str, cid: str) -> Any:
    found = support.trial(NCT).stage(stage)
    assert found is not None
    criterion = found.criterion(cid)
    assert criterion is not None, cid
    return criterion


def example(stage: str) -> dict[str, Any]:
    path = support.REPO / "trials" / "examples" / NCT / f"{stage}.json"
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the file

def test_stages_in_protocol_order() -> None:
    assert support.trial(NCT).stage_ids == STAGES


def test_counts_per_stage_and_kind() -> None:
    counted = Counter((s.id, c.kind) for s in support.trial(NCT).stages for c in s.criteria)
    assert dict(counted) == EXPECTED


@pytest.mark.parametrize("stage", STAGES)
def test_computed_criteria(stage: str) -> None:
    found = support.trial(NCT).stage(stage)
    assert found is not None
    assert [c.id for c in found.criteria if not c.attested] == COMPUTED[stage]


def test_every_text_is_verbatim_from_the_seed() -> None:
    seed = support.seed_text(NCT)
    for stage in support.trial(NCT).stages:
        for criterion in stage.criteria:
            assert support.normalise(criterion.text) in seed, (stage.id, criterion.id)
            if criterion.group is not None:
                assert support.normalise(criterion.group) in seed, (stage.id, criterion.id)
        assert stage.heading is not None
        for part in stage.heading.split(" / "):
            assert support.normalise(part) in seed, (stage.id, part)
        if stage.override is not None:
            assert support.normalise(stage.override.text) in seed


def test_identity() -> None:
    trial = support.trial(NCT)
    seed = support.seed_text(NCT)
    assert trial.title in seed
    assert trial.sponsor == "Dana-Farber Cancer Institute"
    assert "2026-05-15" in trial.protocol_version
    assert "2026-05-15" in seed


def test_override_only_before_the_infusion() -> None:
    trial = support.trial(NCT)
    with_override = [s.id for s in trial.stages if s.override is not None]
    assert with_override == ["pre-infusion"]
    stage = trial.stage("pre-infusion")
    assert stage is not None
    assert stage.override is not None
    assert stage.override.agreed_by == ["PI", "IND holder"]
    assert all(s.repeat == 1 for s in trial.stages)


def test_marrow_bullets_are_alternatives_of_each_other() -> None:
    cr_blasts = crit("screening-2", "marrow-cr-blasts")
    cr_mrd = crit("screening-2", "marrow-cr-mrd")
    blasts = crit("screening-2", "marrow-blasts")
    assert not cr_blasts.attested
    assert cr_mrd.attested
    assert not blasts.attested
    assert cr_blasts.text == cr_mrd.text
    assert cr_mrd.text.endswith("OR")
    assert "(< 5% blasts)" in cr_mrd.text
    assert "5-19% residual myeloblasts" in blasts.text
    # the first route (both its parts) may stand in for the second and vice versa; the
    # blast part alone (< 5%) is no route, so marrow-blasts names only marrow-cr-mrd
    assert cr_blasts.alternatives == ["marrow-blasts"]
    assert cr_mrd.alternatives == ["marrow-blasts"]
    assert blasts.alternatives == ["marrow-cr-mrd"]
    # the old workaround ("N/A only for the 5-19% route") is gone
    for criterion in (cr_blasts, cr_mrd, blasts):
        assert criterion.note
        assert "N/A only" not in criterion.note


def test_windows_on_every_computed_criterion() -> None:
    trial = support.trial(NCT)
    for stage in trial.stages:
        for criterion in stage.criteria:
            if criterion.attested:
                continue
            if stage.id in WINDOWS:
                assert criterion.window is not None, (stage.id, criterion.id)
                assert criterion.window.event == WINDOWS[stage.id]
                if criterion.id == "steroids":
                    assert criterion.window.on_day
                else:
                    assert criterion.window.within == "24h"
            else:
                assert criterion.window is None, (stage.id, criterion.id)


def test_toxicity_bullet_sits_in_the_venetoclax_organ_group() -> None:
    tox = crit("pre-venetoclax", "no-grade3-toxicity")
    assert tox.attested
    assert tox.group == ("Adequate organ function within 24 hours of venetoclax initiation as "
                         "defined below:")
    assert crit("pre-infusion", "no-grade3-toxicity").group is None


# --------------------------------------------------------------------------- age, ECOG

@pytest.mark.parametrize(("birth", "expected", "shown"), [
    ("2008-11-02", "pass", "Age 18"),   # 18th birthday on as_of
    ("2008-11-03", "fail", "Age 17"),   # the day before the birthday
    ("1950-01-01", "pass", "Age 76"),
])
def test_age(birth: str, expected: str, shown: str) -> None:
    data = rec("screening-1", patient={"birth_date": birth, "sex": "male"})
    outcome, reason = res("screening-1", data, "age")
    assert outcome == expected
    assert shown in reason


def test_age_needs_birth_date() -> None:
    data = rec("screening-1", patient={"sex": "male"})
    assert res("screening-1", data, "age")[0] == "unknown"


@pytest.mark.parametrize("stage", ["screening-1", "screening-2"])
@pytest.mark.parametrize(("value", "expected"), [(0, "pass"), (2, "pass"), (3, "fail"),
                                                 (5, "fail")])
def test_ecog(stage: str, value: int, expected: str) -> None:
    outcome, reason = res(stage, rec(stage, [("ecog", value, "score", OBS_AT)]), "ecog")
    assert outcome == expected
    assert f"ECOG {value}" in reason


@pytest.mark.parametrize("stage", ["screening-1", "screening-2"])
def test_karnofsky_does_not_stand_in_for_ecog(stage: str) -> None:
    data = rec(stage, [("karnofsky", 90, "%", OBS_AT)])
    assert res(stage, data, "ecog")[0] == "unknown"


# --------------------------------------------------------------------------- bilirubin

BILIRUBIN = [  # (stage, criterion, code)
    ("screening-1", "direct-bilirubin", "bilirubin_direct"),
    ("screening-2", "direct-bilirubin", "bilirubin_direct"),
    ("pre-lymphodepletion", "direct-bilirubin", "bilirubin_direct"),
    ("pre-infusion", "direct-bilirubin", "bilirubin_direct"),
    ("pre-venetoclax", "total-bilirubin", "bilirubin_total"),
]
NO_EXCEPTION = {"gilbert_syndrome": False, "disease_related_hemolysis": False}


@pytest.mark.parametrize(("stage", "cid", "code"), BILIRUBIN)
@pytest.mark.parametrize(("value", "unit", "uln", "expected"), [
    (0.6, "mg/dL", 0.4, "pass"),       # exactly 1.5 x ULN
    (0.59, "mg/dL", 0.4, "pass"),
    (0.61, "mg/dL", 0.4, "fail"),
    (10.26, "umol/L", 6.84, "pass"),   # exactly 1.5 x ULN in umol/L
    (10.27, "umol/L", 6.84, "fail"),
])
def test_bilirubin_limit(stage: str, cid: str, code: str, value: float, unit: str, uln: float,
                         expected: str) -> None:
    data = rec(stage, [(code, value, unit, OBS_AT, uln)], facts=NO_EXCEPTION)
    outcome, reason = res(stage, data, cid)
    assert outcome == expected
    assert f"{value} {unit}" in reason
    assert "1.5 x ULN" in reason


@pytest.mark.parametrize(("stage", "cid", "code"), BILIRUBIN)
@pytest.mark.parametrize(("facts", "value", "unit", "expected"), [
    ({"gilbert_syndrome": True}, 1.19, "mg/dL", "pass"),   # < 3 x ULN (0.4)
    ({"gilbert_syndrome": True}, 1.2, "mg/dL", "fail"),    # exactly 3 x ULN: strict <
    ({"gilbert_syndrome": True}, 20.51, "umol/L", "pass"),  # ULN 6.84 umol/L: 3 x = 20.52
    ({"gilbert_syndrome": True}, 20.52, "umol/L", "fail"),
    ({"disease_related_hemolysis": True}, 1.19, "mg/dL", "pass"),
    ({"gilbert_syndrome": False, "disease_related_hemolysis": True}, 1.1, "mg/dL", "pass"),
    (NO_EXCEPTION, 0.61, "mg/dL", "fail"),                  # facts false: 1.5 x ULN applies
    ({}, 0.61, "mg/dL", "unknown"),                         # facts missing, between limits
    ({}, 0.6, "mg/dL", "pass"),                             # facts missing, under 1.5 x
    ({}, 1.2, "mg/dL", "fail"),                             # facts missing, at 3 x: fails anyway
])
def test_bilirubin_gilbert_exception(stage: str, cid: str, code: str, facts: dict[str, bool],
                                     value: float, unit: str, expected: str) -> None:
    uln = 0.4 if unit == "mg/dL" else 6.84
    data = rec(stage, [(code, value, unit, OBS_AT, uln)], facts=facts)
    outcome, reason = res(stage, data, cid)
    assert outcome == expected
    assert f"{value} {unit}" in reason
    if expected == "unknown":
        assert "Gilbert" in reason


@pytest.mark.parametrize(("stage", "cid", "code"), BILIRUBIN)
def test_bilirubin_without_uln_is_unknown(stage: str, cid: str, code: str) -> None:
    data = rec(stage, [(code, 0.3, "mg/dL", OBS_AT)], facts=NO_EXCEPTION)
    outcome, reason = res(stage, data, cid)
    assert outcome == "unknown"
    assert "upper limit of normal" in reason


def test_venetoclax_stage_reads_total_not_direct_bilirubin() -> None:
    data = rec("pre-venetoclax", [("bilirubin_direct", 0.2, "mg/dL", OBS_AT, 0.3)],
               facts=NO_EXCEPTION)
    assert res("pre-venetoclax", data, "total-bilirubin")[0] == "unknown"


# --------------------------------------------------------------------------- AST / ALT

@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize(("ast", "alt", "expected"), [
    (120, 135, "pass"),    # both exactly 3 x ULN (40, 45)
    (121, 135, "fail"),
    (120, 136, "fail"),
    (121, None, "fail"),   # one side failing decides
    (120, None, "unknown"),
    (None, None, "unknown"),
])
def test_ast_alt(stage: str, ast: int | None, alt: int | None, expected: str) -> None:
    obs: list[tuple[Any, ...]] = []
    if ast is not None:
        obs.append(("ast", ast, "U/L", OBS_AT, 40))
    if alt is not None:
        obs.append(("alt", alt, "U/L", OBS_AT, 45))
    outcome, reason = res(stage, rec(stage, obs), "ast-alt")
    assert outcome == expected
    if ast is not None:
        assert f"AST {ast} U/L" in reason


# --------------------------------------------------------------------------- CrCl

CRCL_STAGES = ["screening-1", "screening-2", "pre-infusion"]
MALE_60 = {"birth_date": "1966-01-15", "sex": "male"}      # age 60 on 2026-11-02
MALE_59 = {"birth_date": "1967-01-15", "sex": "male"}      # age 59
FEMALE_59 = {"birth_date": "1967-01-15", "sex": "female"}


@pytest.mark.parametrize("stage", CRCL_STAGES)
@pytest.mark.parametrize(("patient", "weight", "creat", "expected", "shown"), [
    # (140 - 60) x 81 / (72 x 2.0) = 45 exactly
    (MALE_60, (81, "kg"), (2.0, "mg/dL"), "pass", "CrCl 45.0"),
    (MALE_60, (81, "kg"), (176.8, "umol/L"), "pass", "CrCl 45.0"),
    (MALE_60, (81, "kg"), (2.01, "mg/dL"), "fail", "CrCl 44.8"),
    (MALE_60, (81, "kg"), (177, "umol/L"), "fail", "CrCl 44.9"),
    # (140 - 59) x 100 lb (45.359237 kg) / (72 x 1.133980925) = 45 exactly
    (MALE_59, (100, "lb"), (1.133980925, "mg/dL"), "pass", "CrCl 45.0"),
    (MALE_59, (100, "lb"), (1.134, "mg/dL"), "fail", "CrCl 44.999"),
    # female: (140 - 59) x 72 x 0.85 / (72 x 1.53) = 45 exactly
    (FEMALE_59, (72, "kg"), (1.53, "mg/dL"), "pass", "CrCl 45.0"),
    (FEMALE_59, (72, "kg"), (1.54, "mg/dL"), "fail", "CrCl 44.7"),
    (FEMALE_59, (158.73, "lb"), (1.53, "mg/dL"), "fail", "CrCl 44.99"),  # 71.999 kg
])
def test_crcl_cockcroft_gault(stage: str, patient: dict[str, str], weight: tuple[float, str],
                              creat: tuple[float, str], expected: str, shown: str) -> None:
    obs = [("weight", *weight, "2026-10-30"), ("creatinine", *creat, OBS_AT)]
    outcome, reason = res(stage, rec(stage, obs, patient=patient), "crcl")
    assert outcome == expected, reason
    assert shown in reason
    assert patient["sex"] in reason


@pytest.mark.parametrize("stage", CRCL_STAGES)
def test_measured_clearance_does_not_stand_in(stage: str) -> None:
    measured = ("creatinine_clearance", 120, "mL/min", OBS_AT)
    no_weight = rec(stage, [("creatinine", 1.0, "mg/dL", OBS_AT), measured], patient=MALE_60)
    outcome, reason = res(stage, no_weight, "crcl")
    assert outcome == "unknown"
    assert "weight" in reason
    failing = rec(stage, [("weight", 81, "kg", "2026-10-30"), ("creatinine", 2.01, "mg/dL", OBS_AT),
                          measured], patient=MALE_60)
    assert res(stage, failing, "crcl")[0] == "fail"


@pytest.mark.parametrize("stage", CRCL_STAGES)
def test_crcl_needs_sex(stage: str) -> None:
    obs = [("weight", 81, "kg", "2026-10-30"), ("creatinine", 1.0, "mg/dL", OBS_AT)]
    data = rec(stage, obs, patient={"birth_date": "1966-01-15"})
    assert res(stage, data, "crcl")[0] == "unknown"


# --------------------------------------------------------------------------- SpO2, LVEF

@pytest.mark.parametrize("stage", ["screening-1", "screening-2"])
@pytest.mark.parametrize(("value", "expected"), [(90, "pass"), (89.9, "fail"), (100, "pass")])
def test_spo2(stage: str, value: float, expected: str) -> None:
    outcome, reason = res(stage, rec(stage, [("spo2", value, "%", OBS_AT)]), "spo2")
    assert outcome == expected
    assert f"{value} %" in reason


@pytest.mark.parametrize(("value", "expected"), [(40, "pass"), (39.9, "fail"), (39, "fail")])
def test_lvef(value: float, expected: str) -> None:
    data = rec("screening-1", [("lvef", value, "%", "2026-10-01")])
    outcome, reason = res("screening-1", data, "lvef")
    assert outcome == expected
    assert f"LVEF {value} %" in reason


def test_screening_results_have_no_window_but_latest_counts() -> None:
    old_pass = ("spo2", 95, "%", "2026-01-01")
    assert res("screening-1", rec("screening-1", [old_pass]), "spo2")[0] == "pass"
    newer_fail = ("spo2", 88, "%", "2026-11-01")
    data = rec("screening-1", [old_pass, newer_fail])
    outcome, reason = res("screening-1", data, "spo2")
    assert outcome == "fail"
    assert "88 %" in reason


# --------------------------------------------------------------------------- marrow (OR)

def marrow(answer: Any, blasts: float | None) -> dict[str, Any]:
    """Screening #2 with the MRD answer (None: unanswered) and the blast % (None: none)."""
    answers = {} if answer is None else {"marrow-cr-mrd": answer}
    obs = [] if blasts is None else [("bone_marrow_blasts", blasts, "%", "2026-10-30")]
    return rec("screening-2", obs, answers=answers)


MARROW = ["marrow-cr-blasts", "marrow-cr-mrd", "marrow-blasts"]


@pytest.mark.parametrize(("value", "shown", "expected"), [
    (0, "0 % on 2026-10-30, not >= 5 %", "fail"),
    (4.9, "4.9 % on 2026-10-30, not >= 5 %", "fail"),
    (5, "5 % on 2026-10-30 >= 5 %", "pass"),
    (12, "12 % on 2026-10-30 <= 19 %", "pass"),
    (19, "19 % on 2026-10-30 <= 19 %", "pass"),
    (19.1, "19.1 % on 2026-10-30, not <= 19 %", "fail"),
    (20, "20 % on 2026-10-30, not <= 19 %", "fail"),
])
def test_marrow_blasts_on_its_own(value: float, shown: str, expected: str) -> None:
    # MRD answered no: the alternative fails, so marrow-blasts shows its own 5-19% check
    outcome, reason = res("screening-2", marrow(False, value), "marrow-blasts")
    assert outcome == expected
    assert shown in reason
    assert "met through" not in reason


@pytest.mark.parametrize(("value", "shown", "expected"), [
    (0, "0 % on 2026-10-30 < 5 %", "pass"),
    (4.9, "4.9 % on 2026-10-30 < 5 %", "pass"),
    (5, "5 % on 2026-10-30, not < 5 %", "pass"),  # strict; 5% meets marrow-blasts instead
    (19, "19 % on 2026-10-30, not < 5 %", "pass"),
    (19.1, "19.1 % on 2026-10-30, not < 5 %", "fail"),
])
def test_marrow_cr_blasts_on_its_own(value: float, shown: str, expected: str) -> None:
    outcome, reason = res("screening-2", marrow(False, value), "marrow-cr-blasts")
    assert outcome == expected
    assert shown in reason
    through = "met through the alternative marrow-blasts" in reason
    assert through == (value >= 5 and expected == "pass")


@pytest.mark.parametrize(("answer", "blasts", "outcomes"), [
    # the first route: CR/CRi/MLFS (< 5%) with MRD+
    (True, 2, ["pass", "pass", "pass"]),
    (True, 4.9, ["pass", "pass", "pass"]),
    # the second route: 5-19% blasts, whatever the MRD answer
    (False, 5, ["pass", "pass", "pass"]),
    (False, 10, ["pass", "pass", "pass"]),
    (False, 19, ["pass", "pass", "pass"]),
    (True, 10, ["pass", "pass", "pass"]),
    (None, 10, ["pass", "pass", "pass"]),
    # neither route
    (False, 25, ["fail", "fail", "fail"]),
    (False, 19.1, ["fail", "fail", "fail"]),
    (False, 4.9, ["pass", "fail", "fail"]),  # < 5% but MRD-negative
    (False, 0, ["pass", "fail", "fail"]),
    # a "yes" to CR with MRD+ does not clear a marrow with 20% blasts or more
    (True, 25, ["fail", "pass", "pass"]),
    (None, 25, ["fail", "unknown", "unknown"]),
    # missing pieces
    (None, 2, ["pass", "unknown", "unknown"]),  # MRD unanswered
    (True, None, ["unknown", "pass", "pass"]),  # no blast count
    (False, None, ["unknown", "unknown", "unknown"]),
    (None, None, ["unknown", "unknown", "unknown"]),
])
def test_marrow_alternatives(answer: Any, blasts: float | None, outcomes: list[str]) -> None:
    verdict = support.run(NCT, "screening-2", marrow(answer, blasts))
    by_id = {r.id: r for r in verdict.results}
    assert [by_id[c].outcome for c in MARROW] == outcomes
    # the rest of this bare record is unanswered: a marrow failure alone decides
    assert (verdict.decision == "not_eligible") == ("fail" in outcomes)


def test_marrow_reasons_name_the_route_taken() -> None:
    verdict = support.run(NCT, "screening-2", marrow(False, 12))
    by_id = {r.id: r.reason for r in verdict.results}
    assert "Answered no" in by_id["marrow-cr-mrd"]
    assert "met through the alternative marrow-blasts" in by_id["marrow-cr-mrd"]
    assert "12 %" in by_id["marrow-cr-blasts"]
    assert "met through the alternative marrow-blasts" in by_id["marrow-cr-blasts"]
    verdict = support.run(NCT, "screening-2", marrow(True, 2))
    by_id = {r.id: r.reason for r in verdict.results}
    assert "met through the alternative marrow-cr-mrd" in by_id["marrow-blasts"]
    verdict = support.run(NCT, "screening-2", marrow(False, 25))
    by_id = {r.id: r.reason for r in verdict.results}
    assert "25 %" in by_id["marrow-blasts"]
    assert "not met either" in by_id["marrow-blasts"]
    assert "not met either" in by_id["marrow-cr-mrd"]


def test_na_on_the_mrd_route_does_not_clear_an_mrd_negative_marrow() -> None:
    # < 5% blasts, MRD status answered "n/a": neither route is shown to be met
    try:
        verdict = support.run(NCT, "screening-2", marrow("n/a", 2))
    except RecordError:
        return
    by_id = {r.id: r.outcome for r in verdict.results}
    assert by_id["marrow-cr-mrd"] != "pass"
    assert by_id["marrow-blasts"] != "pass"


def test_example_takes_the_blast_route() -> None:
    data = example("screening-2")
    assert data["answers"]["marrow-cr-mrd"] is False
    blasts = [o["value"] for o in data["observations"] if o["code"] == "bone_marrow_blasts"]
    assert blasts
    assert 5 <= blasts[0] <= 19
    verdict = support.run(NCT, "screening-2", data)
    assert verdict.decision == "eligible"
    cr_mrd = next(r for r in verdict.results if r.id == "marrow-cr-mrd")
    assert "met through the alternative marrow-blasts" in cr_mrd.reason


# --------------------------------------------------------------------------- steroids

def steroid_rec(*doses: tuple[float, str], **parts: Any) -> dict[str, Any]:
    obs = [("prednisone_equivalent", value, "mg", at) for value, at in doses]
    return rec("pre-infusion", obs, **parts)


@pytest.mark.parametrize(("dose", "expected"), [
    (0, "pass"), (10, "pass"), (10.1, "fail"), (11, "fail"),
])
def test_steroid_dose_on_infusion_day(dose: float, expected: str) -> None:
    outcome, reason = res("pre-infusion", steroid_rec((dose, OBS_AT)), "steroids")
    assert outcome == expected
    assert f"{dose} mg" in reason
    assert "10 mg" in reason


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-11-02T00:00", "pass"),     # first minute of the infusion day
    ("2026-11-01T23:59", "unknown"),  # the day before: stale
])
def test_steroid_window_edges(at: str, expected: str) -> None:
    outcome, reason = res("pre-infusion", steroid_rec((5, at)), "steroids")
    assert outcome == expected
    if expected == "unknown":
        assert "stale" in reason
        assert "2026-11-02" in reason


def test_steroid_later_same_day_dose_and_future_entries() -> None:
    # the latest dose of the day counts
    data = steroid_rec((5, "2026-11-02T06:00"), (20, "2026-11-02T08:00"))
    outcome, reason = res("pre-infusion", data, "steroids")
    assert outcome == "fail"
    assert "20 mg" in reason
    # a dose dated after as_of is ignored
    data = steroid_rec((20, "2026-11-02T09:30"))
    assert res("pre-infusion", data, "steroids")[0] == "unknown"


def test_steroid_needs_the_infusion_date() -> None:
    outcome, reason = res("pre-infusion", steroid_rec((0, OBS_AT), events={}), "steroids")
    assert outcome == "unknown"
    assert "NK cell infusion date" in reason


# --------------------------------------------------------------------------- 24 h windows

WINDOWED = [  # (stage, criterion, observations that pass, taken at {at})
    ("pre-lymphodepletion", "direct-bilirubin", [("bilirubin_direct", 0.3, "mg/dL", "{at}", 0.3)]),
    ("pre-lymphodepletion", "ast-alt",
     [("ast", 40, "U/L", "{at}", 40), ("alt", 40, "U/L", "{at}", 45)]),
    ("pre-infusion", "direct-bilirubin", [("bilirubin_direct", 0.3, "mg/dL", "{at}", 0.3)]),
    ("pre-infusion", "ast-alt", [("ast", 40, "U/L", "{at}", 40), ("alt", 40, "U/L", "{at}", 45)]),
    ("pre-infusion", "crcl", [("weight", 81, "kg", "2026-10-01"),
                              ("creatinine", 1.0, "mg/dL", "{at}")]),
    ("pre-venetoclax", "total-bilirubin", [("bilirubin_total", 1.0, "mg/dL", "{at}", 1.2)]),
    ("pre-venetoclax", "ast-alt",
     [("ast", 40, "U/L", "{at}", 40), ("alt", 40, "U/L", "{at}", 45)]),
]


def _at(obs: list[tuple[Any, ...]], at: str) -> list[tuple[Any, ...]]:
    return [tuple(at if part == "{at}" else part for part in item) for item in obs]


@pytest.mark.parametrize(("stage", "cid", "obs"), WINDOWED)
@pytest.mark.parametrize(("at", "expected"), [
    ("2026-11-01T10:00", "pass"),     # exactly 24 h before the event
    ("2026-11-01T09:59", "unknown"),  # 24 h + 1 min before: stale
    ("2026-11-02T09:59", "pass"),
    ("2026-11-02T10:00", "pass"),     # at the event
])
def test_24_hour_window(stage: str, cid: str, obs: list[tuple[Any, ...]], at: str,
                        expected: str) -> None:
    data = rec(stage, _at(obs, at), as_of="2026-11-02T12:00", patient=MALE_60,
               facts=NO_EXCEPTION)
    outcome, reason = res(stage, data, cid)
    assert outcome == expected, reason
    if expected == "unknown":
        assert "stale" in reason
        assert "2026-11-01 10:00" in reason


@pytest.mark.parametrize(("stage", "cid", "obs"), WINDOWED)
def test_after_the_event_not_counted(stage: str, cid: str, obs: list[tuple[Any, ...]]) -> None:
    data = rec(stage, _at(obs, "2026-11-02T10:01"), as_of="2026-11-02T12:00", patient=MALE_60,
               facts=NO_EXCEPTION)
    assert res(stage, data, cid)[0] == "unknown"


@pytest.mark.parametrize(("stage", "cid", "obs"), WINDOWED)
def test_window_needs_its_event(stage: str, cid: str, obs: list[tuple[Any, ...]]) -> None:
    data = rec(stage, _at(obs, OBS_AT), events={}, patient=MALE_60, facts=NO_EXCEPTION)
    outcome, reason = res(stage, data, cid)
    assert outcome == "unknown"
    assert "enter the planned" in reason


def test_other_events_do_not_stand_in() -> None:
    obs = _at(WINDOWED[0][2], OBS_AT)
    data = rec("pre-lymphodepletion", obs, events={"infusion": EVENT_AT}, facts=NO_EXCEPTION)
    assert res("pre-lymphodepletion", data, "direct-bilirubin")[0] == "unknown"
    data = rec("pre-venetoclax", [("bilirubin_total", 1.0, "mg/dL", OBS_AT, 1.2)],
               events={"infusion": EVENT_AT}, facts=NO_EXCEPTION)
    assert res("pre-venetoclax", data, "total-bilirubin")[0] == "unknown"


def test_crcl_weight_may_predate_the_window_but_creatinine_may_not() -> None:
    obs = [("weight", 81, "kg", "2026-10-01"), ("creatinine", 2.0, "mg/dL", "2026-10-31")]
    outcome, reason = res("pre-infusion", rec("pre-infusion", obs, patient=MALE_60), "crcl")
    assert outcome == "unknown"
    assert "stale" in reason


# --------------------------------------------------------------------------- attested

@pytest.mark.parametrize(("stage", "cid", "answer", "expected"), [
    ("screening-1", "prior-allo-or-cell-therapy", True, "fail"),   # exclusion present
    ("screening-1", "prior-allo-or-cell-therapy", False, "pass"),
    ("screening-1", "autoimmune-disease", True, "fail"),
    ("screening-1", "diagnosis-aml", False, "fail"),
    ("screening-1", "pregnancy-test", "n/a", "pass"),
    ("screening-1", "molecular-risk", None, "unknown"),
    ("screening-2", "cyp3a-inhibitors", True, "fail"),
    ("screening-2", "donor-specific-antibodies", True, "fail"),
    ("screening-2", "live-vaccines", True, "pass"),   # worded "No live vaccines ..."
    ("screening-2", "live-vaccines", False, "fail"),
    ("screening-2", "no-active-infection", False, "fail"),
    ("pre-lymphodepletion", "live-vaccines", False, "fail"),
    ("pre-infusion", "no-grade3-toxicity", False, "fail"),
    ("pre-venetoclax", "no-grade3-toxicity", False, "fail"),
    ("pre-venetoclax", "clinical-status", True, "pass"),
])
def test_attested(stage: str, cid: str, answer: Any, expected: str) -> None:
    answers = {} if answer is None else {cid: answer}
    assert res(stage, rec(stage, answers=answers), cid)[0] == expected


def test_computed_criteria_take_no_answer() -> None:
    with pytest.raises(RecordError, match="steroids"):
        support.run(NCT, "pre-infusion", rec("pre-infusion", answers={"steroids": True}))


# --------------------------------------------------------------------------- examples, CLI

nkscreen = support.nkscreen


@pytest.mark.parametrize("stage", STAGES)
def test_example_record_is_eligible(stage: str) -> None:
    path = support.REPO / "trials" / "examples" / NCT / f"{stage}.json"
    result = nkscreen("evaluate", NCT, "--stage", stage, str(path))
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["decision"] == "eligible", verdict
    assert verdict["stage"] == stage
    assert verdict["trial"] == NCT
    stage_model = support.trial(NCT).stage(stage)
    assert stage_model is not None
    assert [c["id"] for c in verdict["criteria"]] == [c.id for c in stage_model.criteria]


@pytest.mark.parametrize(("stage", "change", "decision"), [
    ("pre-infusion", ("prednisone_equivalent", 12), "not_eligible"),
    ("screening-2", ("bone_marrow_blasts", 20), "not_eligible"),
    ("screening-1", ("creatinine", 300), "not_eligible"),
])
def test_example_turns_not_eligible(stage: str, change: tuple[str, float], decision: str) -> None:
    data = example(stage)
    code, value = change
    for item in data["observations"]:
        if item["code"] == code:
            item["value"] = value
    assert support.run(NCT, stage, data).decision == decision


def test_example_incomplete_without_answer() -> None:
    data = example("pre-lymphodepletion")
    del data["answers"]["live-vaccines"]
    assert support.run(NCT, "pre-lymphodepletion", data).decision == "incomplete"


def test_criteria_output_shape() -> None:
    result = nkscreen("criteria", NCT, "--stage", "pre-infusion")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [c["id"] for c in listed] == ["direct-bilirubin", "ast-alt", "crcl",
                                         "no-grade3-toxicity", "clinical-status",
                                         "no-uncontrolled-infection", "steroids"]
    for entry in listed:
        assert set(entry) == {"id", "kind", "text", "attested", "inputs"}
        assert entry["kind"] == "inclusion"
        assert entry["attested"] == (entry["inputs"] == [])
    by_id = {c["id"]: c for c in listed}
    assert by_id["steroids"]["inputs"] == ["prednisone_equivalent", "infusion"]
    assert set(by_id["crcl"]["inputs"]) == {"creatinine", "weight", "birth_date", "sex",
                                            "infusion"}
    assert set(by_id["direct-bilirubin"]["inputs"]) == {"bilirubin_direct", "infusion",
                                                        "gilbert_syndrome",
                                                        "disease_related_hemolysis"}


def test_unknown_stage_lists_the_stages() -> None:
    result = nkscreen("criteria", NCT, "--stage", "pre-transplant")
    assert result.returncode == 2
    assert "pre-venetoclax" in result.stderr
