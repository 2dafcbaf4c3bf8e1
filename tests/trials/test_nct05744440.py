"""NCT05744440 (allogenic NK cells with azacitidine, r/r AML after allo-HSCT).

Seed 003 (MedPath page). One stage per the screening contract: screening-1.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from desktop.domain.record import RecordError
from tests.trials import support
from tests.trials.support import REPO, normalise, record, run, seed_text, trial

NCT = "NCT05744440"
S1 = "screening-1"

# Hand-derived from seed 003, not from the trial file.
#
# Inclusion, 8 numbered items:
#   1 age 18-75 (computed)                                   1 computed
#   2 survival, 4 diagnosis, 5 relapsed, 6 measurable
#     disease (four alternatives, attested as one), 8 consent 5 attested
#   3 ECOG 0-2 (computed)                                    1 computed
#   7 organ function within 3 days of initial treatment, split into its sub-parts:
#     ANC (computed) + no G-CSF within 7 days (attested), hemoglobin, platelets,
#     ALT/AST, total bilirubin (Gilbert clause), INR or APTT, creatinine or CrCl,
#     corrected or free calcium, LVEF                        9 computed + 1 attested
#   -> 17 inclusion: 11 computed, 6 attested
# Exclusion: 13 numbered items, all attested (4: steroid dose typo, kept attested).
EXPECTED = {(S1, "inclusion"): 17, (S1, "exclusion"): 13}
EXPECTED_COMPUTED = {(S1, "inclusion"): 11, (S1, "exclusion"): 0}

START = "2026-11-04T08:00"   # first study treatment (azacitidine)
AS_OF = "2026-11-02T09:00"
AT = "2026-11-02T07:00"
GROUP = ("Within 3 days prior to initial treatment, the organ functions meet the "
         "following requirements:")


def result(data: dict[str, Any], cid: str) -> tuple[str, str]:
    verdict = run(NCT, S1, data)
    found = next(r for r in verdict.results if r.id == cid)
    return found.outcome, found.reason


def rec(obs: list[tuple[Any, ...]], **parts: Any) -> dict[str, Any]:
    parts.setdefault("events", {"treatment_start": START})
    parts.setdefault("as_of", AS_OF)
    return record(obs=obs, **parts)


# ------------------------------------------------------------------ the file itself


def test_single_stage() -> None:
    assert trial(NCT).stage_ids == ["screening-1"]


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
            assert normalise(c.text) in seed, f"{c.id} text not in seed"
            if c.group:
                assert normalise(c.group) in seed, f"{c.id} group not in seed"


def test_organ_function_sub_parts_share_group_and_window() -> None:
    stage = trial(NCT).stage(S1)
    grouped = [c for c in stage.criteria if c.group]
    assert [c.id for c in grouped] == ["anc", "anc-no-gcsf", "hemoglobin", "platelets",
                                       "alt-ast", "total-bilirubin", "inr-aptt", "renal",
                                       "calcium", "lvef"]
    for c in grouped:
        assert normalise(c.group or "") == GROUP
        if not c.attested:
            assert c.window is not None
            assert (c.window.event, c.window.within) == ("treatment_start", "3d")


def test_garbled_readings_are_noted() -> None:
    stage = trial(NCT).stage(S1)
    for cid in ("total-bilirubin", "calcium", "steroids-immunosuppression", "age"):
        crit = stage.criterion(cid)
        assert crit is not None
        assert crit.note, cid
    steroid = stage.criterion("steroids-immunosuppression")
    assert steroid is not None
    assert steroid.attested
    assert "typo" in (steroid.note or "")


# ------------------------------------------------------------------ age, ECOG


@pytest.mark.parametrize(("birth", "expected", "shown"), [
    ("2008-11-02", "pass", "Age 18 y"),   # 18th birthday
    ("2008-11-03", "fail", "Age 17 y"),   # day before it
    ("1951-11-02", "pass", "Age 75 y"),   # 75th birthday
    ("1950-11-03", "pass", "Age 75 y"),   # day before the 76th birthday
    ("1950-11-02", "fail", "Age 76 y"),   # 76th birthday
])
def test_age_18_to_75_inclusive(birth: str, expected: str, shown: str) -> None:
    got, reason = result(rec([], patient={"birth_date": birth, "sex": "male"}), "age")
    assert got == expected, reason
    assert shown in reason


@pytest.mark.parametrize(("obs", "expected", "shown"), [
    (("ecog", 2, "score"), "pass", "ECOG 2"),
    (("ecog", 3, "score"), "fail", "ECOG 3"),
    (("karnofsky", 90, "%"), "unknown", "No ECOG"),   # only ECOG is named
])
def test_ecog(obs: tuple[Any, ...], expected: str, shown: str) -> None:
    got, reason = result(rec([(*obs, AT)]), "ecog")
    assert got == expected, reason
    assert shown in reason


# ------------------------------------------------------------------ blood counts, LVEF

SIMPLE = [
    ("anc", "anc", 1.0, "10^9/L", "pass", "ANC 1 10^9/L"),
    ("anc", "anc", 0.99, "10^9/L", "fail", "0.99 10^9/L"),
    ("anc", "anc", 1.0, "10^3/uL", "pass", "1 10^3/uL"),
    ("anc", "anc", 0.99, "10^3/µL", "fail", "0.99 10^3/uL"),
    ("anc", "anc", 1000, "/uL", "pass", "1000 /uL"),
    ("anc", "anc", 999, "/uL", "fail", "999 /uL"),
    ("hemoglobin", "hemoglobin", 6, "g/dL", "pass", "6 g/dL"),
    ("hemoglobin", "hemoglobin", 5.99, "g/dL", "fail", "5.99 g/dL"),
    ("hemoglobin", "hemoglobin", 60, "g/L", "pass", "60 g/L"),
    ("hemoglobin", "hemoglobin", 59.9, "g/L", "fail", "59.9 g/L"),
    ("platelets", "platelets", 50, "10^9/L", "pass", "50 10^9/L"),
    ("platelets", "platelets", 49.9, "10^9/L", "fail", "49.9 10^9/L"),
    ("platelets", "platelets", 50, "10^3/uL", "pass", "50 10^3/uL"),
    ("platelets", "platelets", 49.9, "10^3/uL", "fail", "49.9 10^3/uL"),
    ("lvef", "lvef", 50, "%", "pass", "LVEF 50 %"),
    ("lvef", "lvef", 49.9, "%", "fail", "LVEF 49.9 %"),
]


@pytest.mark.parametrize(("cid", "code", "value", "unit", "expected", "shown"), SIMPLE)
def test_single_thresholds(cid: str, code: str, value: float, unit: str, expected: str,
                           shown: str) -> None:
    got, reason = result(rec([(code, value, unit, AT)]), cid)
    assert got == expected, reason
    assert shown in reason


# ------------------------------------------------------------------ liver


@pytest.mark.parametrize(("alt", "ast", "expected"), [
    (120, 120, "pass"),    # exactly 3 x ULN 40
    (121, 120, "fail"),
    (120, 121, "fail"),
    (120, None, "unknown"),
    (121, None, "fail"),
])
def test_alt_ast(alt: int, ast: int | None, expected: str) -> None:
    obs: list[tuple[Any, ...]] = [("alt", alt, "U/L", AT, 40)]
    if ast is not None:
        obs.append(("ast", ast, "U/L", AT, 40))
    got, reason = result(rec(obs), "alt-ast")
    assert got == expected, reason
    assert f"ALT {alt} U/L" in reason


BILI = [
    # total (value, unit, uln), direct (value, unit, uln) or None, facts, outcome, shown
    ((2.0, "mg/dL", 1.0), None, {"gilbert_syndrome": False}, "pass", "2 mg/dL"),
    ((2.01, "mg/dL", 1.0), None, {"gilbert_syndrome": False}, "fail", "2.01 mg/dL"),
    ((34.2, "umol/L", 17.1), None, {"gilbert_syndrome": False}, "pass", "34.2 umol/L"),
    ((34.3, "umol/L", 17.1), None, {"gilbert_syndrome": False}, "fail", "34.3 umol/L"),
    ((2.0, "mg/dL", 1.0), None, {}, "pass", "2 mg/dL"),
    # Gilbert's: direct bilirubin <= 1.5 x ULN instead (the "≥" read as "≤")
    ((3.0, "mg/dL", 1.0), (0.45, "mg/dL", 0.3), {"gilbert_syndrome": True}, "pass",
     "0.45 mg/dL"),
    ((3.0, "mg/dL", 1.0), (0.46, "mg/dL", 0.3), {"gilbert_syndrome": True}, "fail",
     "0.46 mg/dL"),
    ((3.0, "mg/dL", 1.0), (7.65, "umol/L", 5.1), {"gilbert_syndrome": True}, "pass",
     "7.65 umol/L"),
    ((3.0, "mg/dL", 1.0), (7.66, "umol/L", 5.1), {"gilbert_syndrome": True}, "fail",
     "7.66 umol/L"),
    ((3.0, "mg/dL", 1.0), None, {"gilbert_syndrome": True}, "unknown", "Direct bilirubin"),
    # Gilbert's status not recorded
    ((3.0, "mg/dL", 1.0), (0.3, "mg/dL", 0.3), {}, "unknown", "Gilbert"),
    ((3.0, "mg/dL", 1.0), (0.5, "mg/dL", 0.3), {}, "fail", "0.5 mg/dL"),
]


@pytest.mark.parametrize(("total", "direct", "facts", "expected", "shown"), BILI)
def test_total_bilirubin_with_gilbert_clause(total: tuple[Any, ...], direct: tuple[Any, ...]
                                             | None, facts: dict[str, bool], expected: str,
                                             shown: str) -> None:
    value, unit, uln = total
    obs: list[tuple[Any, ...]] = [("bilirubin_total", value, unit, AT, uln)]
    if direct is not None:
        dvalue, dunit, duln = direct
        obs.append(("bilirubin_direct", dvalue, dunit, AT, duln))
    got, reason = result(rec(obs, facts=facts), "total-bilirubin")
    assert got == expected, reason
    assert shown in reason


# The clause only widens (total <= 2 x ULN, or, with Gilbert's, direct <= 1.5 x ULN).
# 1 mg/dL = 17.1 umol/L: ULN 1.0 mg/dL = 17.1 umol/L, ULN 0.3 mg/dL = 5.13 umol/L.
GILBERT = {"gilbert_syndrome": True}
NO_GILBERT = {"gilbert_syndrome": False}
ON_TOTAL, ON_DIRECT = "Total bilirubin", "Direct bilirubin"

WIDENS = [
    # total, direct or None, facts, outcome, the reason begins with
    # Gilbert's, total 1.0 x ULN, no direct result: passes on the total
    ((1.0, "mg/dL", 1.0), None, GILBERT, "pass",
     "Total bilirubin 1 mg/dL = 1.00 x ULN (1 mg/dL) on 2026-11-02 07:00 <= 2 x ULN"),
    ((17.1, "umol/L", 17.1), None, GILBERT, "pass",
     "Total bilirubin 17.1 umol/L = 1.00 x ULN (17.1 umol/L) on 2026-11-02 07:00 <= 2 x ULN"),
    # Gilbert's, total 1.5 x ULN, direct 2 x ULN: the direct fails, the total passes
    ((1.5, "mg/dL", 1.0), (0.6, "mg/dL", 0.3), GILBERT, "pass",
     "Total bilirubin 1.5 mg/dL = 1.50 x ULN (1 mg/dL) on 2026-11-02 07:00 <= 2 x ULN"),
    ((25.65, "umol/L", 17.1), (10.26, "umol/L", 5.13), GILBERT, "pass",
     "Total bilirubin 25.65 umol/L = 1.50 x ULN (17.1 umol/L) on 2026-11-02 07:00 "
     "<= 2 x ULN"),
    # total exactly 2 x ULN passes, with or without Gilbert's (or unrecorded)
    ((2.0, "mg/dL", 1.0), None, NO_GILBERT, "pass",
     "Total bilirubin 2 mg/dL = 2.00 x ULN (1 mg/dL) on 2026-11-02 07:00 <= 2 x ULN"),
    ((34.2, "umol/L", 17.1), None, NO_GILBERT, "pass",
     "Total bilirubin 34.2 umol/L = 2.00 x ULN (17.1 umol/L) on 2026-11-02 07:00 <= 2 x ULN"),
    ((2.0, "mg/dL", 1.0), None, GILBERT, "pass", "Total bilirubin 2 mg/dL = 2.00 x ULN"),
    ((34.2, "umol/L", 17.1), None, GILBERT, "pass", "Total bilirubin 34.2 umol/L = 2.00 x ULN"),
    ((34.2, "umol/L", 17.1), None, {}, "pass", "Total bilirubin 34.2 umol/L = 2.00 x ULN"),
    # just above 2 x ULN fails without Gilbert's
    ((2.0001, "mg/dL", 1.0), None, NO_GILBERT, "fail",
     "Total bilirubin 2.0001 mg/dL = 2.0001 x ULN (1 mg/dL) on 2026-11-02 07:00, "
     "not <= 2 x ULN"),
    ((34.2001, "umol/L", 17.1), None, NO_GILBERT, "fail",
     "Total bilirubin 34.2001 umol/L = 2.00001 x ULN (17.1 umol/L) on 2026-11-02 07:00, "
     "not <= 2 x ULN"),
    ((2.0001, "mg/dL", 1.0), (0.45, "mg/dL", 0.3), NO_GILBERT, "fail",
     "Total bilirubin 2.0001 mg/dL"),
    # just above 2 x ULN with Gilbert's: the direct route, exactly 1.5 x ULN, passes
    ((2.0001, "mg/dL", 1.0), (0.45, "mg/dL", 0.3), GILBERT, "pass",
     "Direct bilirubin 0.45 mg/dL = 1.50 x ULN (0.3 mg/dL) on 2026-11-02 07:00 "
     "<= 1.5 x ULN"),
    ((34.2001, "umol/L", 17.1), (7.695, "umol/L", 5.13), GILBERT, "pass",
     "Direct bilirubin 7.695 umol/L = 1.50 x ULN (5.13 umol/L) on 2026-11-02 07:00 "
     "<= 1.5 x ULN"),
    # ... and just above 1.5 x ULN fails on both routes
    ((2.0001, "mg/dL", 1.0), (0.4501, "mg/dL", 0.3), GILBERT, "fail",
     "Total bilirubin 2.0001 mg/dL"),
    ((34.2001, "umol/L", 17.1), (7.7, "umol/L", 5.13), GILBERT, "fail",
     "Total bilirubin 34.2001 umol/L"),
]


@pytest.mark.parametrize(("total", "direct", "facts", "expected", "begins"), WIDENS)
def test_gilbert_clause_only_widens(total: tuple[Any, ...], direct: tuple[Any, ...] | None,
                                    facts: dict[str, bool], expected: str,
                                    begins: str) -> None:
    value, unit, uln = total
    obs: list[tuple[Any, ...]] = [("bilirubin_total", value, unit, AT, uln)]
    if direct is not None:
        dvalue, dunit, duln = direct
        obs.append(("bilirubin_direct", dvalue, dunit, AT, duln))
    got, reason = result(rec(obs, facts=facts), "total-bilirubin")
    assert got == expected, reason
    assert reason.startswith(begins), reason
    if expected == "pass" and begins.startswith(ON_TOTAL):
        # passed on the total: the Gilbert's limit is not what let it through
        assert "limit for Gilbert" not in reason
        assert ON_DIRECT not in reason
    if expected == "pass" and begins.startswith(ON_DIRECT):
        assert "the limit for Gilbert's syndrome" in reason
        assert "not <= 2 x ULN" in reason    # and the total's own limit was missed
    if expected == "fail" and facts.get("gilbert_syndrome") and direct is not None:
        assert ON_DIRECT in reason            # both routes are named when both fail


def test_gilbert_reading_is_noted() -> None:
    stage = trial(NCT).stage(S1)
    assert stage is not None
    crit = stage.criterion("total-bilirubin")
    assert crit is not None
    note = normalise(crit.note or "")
    assert "total bilirubin ≤ 2 x ULN, or, with Gilbert's syndrome, direct bilirubin ≤ 1.5 x " \
           "ULN" in note
    assert "only widens" in note


# ------------------------------------------------------------------ coagulation


@pytest.mark.parametrize(("inr", "aptt", "expected"), [
    (1.8, None, "pass"),      # INR exactly 1.5 x ULN 1.2
    (1.81, 60.1, "fail"),
    (1.81, 60, "pass"),       # APTT exactly 1.5 x ULN 40
    (1.81, None, "unknown"),
    (None, 60, "pass"),
    (None, 60.1, "unknown"),
    (1.8, 60.1, "pass"),
])
def test_inr_or_aptt(inr: float | None, aptt: float | None, expected: str) -> None:
    obs: list[tuple[Any, ...]] = []
    if inr is not None:
        obs.append(("inr", inr, "ratio", AT, 1.2))
    if aptt is not None:
        obs.append(("aptt", aptt, "s", AT, 40))
    got, reason = result(rec(obs), "inr-aptt")
    assert got == expected, reason
    if inr is not None:
        assert f"INR {inr}" in reason
    if aptt is not None:
        assert f"APTT {aptt} s" in reason


# ------------------------------------------------------------------ renal

MALE_60 = {"birth_date": "1966-06-15", "sex": "male"}      # 60 on 2026-11-02
FEMALE_60 = {"birth_date": "1966-06-15", "sex": "female"}

RENAL = [
    # creatinine (value, unit, uln), weight (value, unit) or None, measured or None,
    # patient, outcome, shown
    ((1.5, "mg/dL", 1.0), None, None, MALE_60, "pass", "1.5 mg/dL"),   # 1.5 x ULN
    ((132.6, "umol/L", 88.4), None, None, MALE_60, "pass", "132.6 umol/L"),
    ((1.51, "mg/dL", 1.0), None, None, MALE_60, "unknown", "1.51 mg/dL"),
    ((1.51, "mg/dL", 1.0), (20, "kg"), 29.9, MALE_60, "fail", "1.51 mg/dL"),
    ((132.7, "umol/L", 88.4), (20, "kg"), 29.9, MALE_60, "fail", "132.7 umol/L"),
    # Cockcroft-Gault: (140-60) x 54 / (72 x 2.0) = 30 exactly
    ((2.0, "mg/dL", 1.0), (54, "kg"), None, MALE_60, "pass", "CrCl 30.0 mL/min"),
    ((176.8, "umol/L", 88.4), (54, "kg"), None, MALE_60, "pass", "CrCl 30.0 mL/min"),
    ((2.0, "mg/dL", 1.0), (53.9, "kg"), 29.9, MALE_60, "fail", "CrCl 29.9 mL/min"),
    ((2.0, "mg/dL", 1.0), (119.05, "lb"), None, MALE_60, "pass", "CrCl 30.0 mL/min"),
    ((2.0, "mg/dL", 1.0), (119.04, "lb"), 29.9, MALE_60, "fail", "CrCl 29.998 mL/min"),
    # female: 80 x 54 x 0.85 / (72 x 1.7) = 30 exactly
    ((1.7, "mg/dL", 1.0), (54, "kg"), None, FEMALE_60, "pass", "female"),
    ((1.71, "mg/dL", 1.0), (54, "kg"), 29.9, FEMALE_60, "fail", "female"),
    # measured clearance alone is enough (no method named)
    ((2.0, "mg/dL", 1.0), None, 30, MALE_60, "pass", "30 mL/min"),
    ((2.0, "mg/dL", 1.0), None, 29.9, MALE_60, "unknown", "29.9 mL/min"),
]


@pytest.mark.parametrize(("creat", "weight", "measured", "patient", "expected", "shown"),
                         RENAL)
def test_creatinine_or_clearance(creat: tuple[Any, ...], weight: tuple[Any, ...] | None,
                                 measured: float | None, patient: dict[str, str],
                                 expected: str, shown: str) -> None:
    value, unit, uln = creat
    obs: list[tuple[Any, ...]] = [("creatinine", value, unit, AT, uln)]
    if weight is not None:
        obs.append(("weight", weight[0], weight[1], AT))
    if measured is not None:
        obs.append(("creatinine_clearance", measured, "mL/min", AT))
    got, reason = result(rec(obs, patient=patient), "renal")
    assert got == expected, reason
    assert shown in reason


# ------------------------------------------------------------------ calcium

CALCIUM = [
    # total calcium, albumin, ionized, outcome, shown
    ((14, "mg/dL"), (4.0, "g/dL"), None, "pass", "Corrected calcium 14.00 mg/dL"),
    ((14.01, "mg/dL"), (4.0, "g/dL"), (6.6, "mg/dL"), "fail", "14.01 mg/dL"),
    ((12.4, "mg/dL"), (2.0, "g/dL"), None, "pass", "14.00 mg/dL"),   # 12.4 + 0.8 x 2
    ((12.4, "mg/dL"), (19, "g/L"), (6.6, "mg/dL"), "fail", "14.08 mg/dL"),
    # the protocol's 3.5 mmol/L is 14.03 mg/dL: the mg/dL figure is the limit
    ((3.5, "mmol/L"), (40.35, "g/L"), None, "pass", "3.5 mmol/L"),   # 14.028 - 0.028
    ((3.5, "mmol/L"), (40, "g/L"), (6.6, "mg/dL"), "fail", "14.03 mg/dL"),
    ((14.01, "mg/dL"), (4.0, "g/dL"), None, "unknown", "14.01 mg/dL"),
    ((14, "mg/dL"), None, None, "unknown", "albumin"),
    # ionized ("free") calcium <= 6.5 mg/dL, the "≥" read as "≤"
    ((15, "mg/dL"), (4.0, "g/dL"), (6.5, "mg/dL"), "pass", "Ionized calcium 6.5 mg/dL"),
    ((15, "mg/dL"), (4.0, "g/dL"), (6.51, "mg/dL"), "fail", "6.51 mg/dL"),
    ((15, "mg/dL"), (4.0, "g/dL"), (1.6217, "mmol/L"), "pass", "1.6217 mmol/L"),
    ((15, "mg/dL"), (4.0, "g/dL"), (1.6218, "mmol/L"), "fail", "1.6218 mmol/L"),
    ((15, "mg/dL"), (4.0, "g/dL"), (7.0, "mg/dL"), "fail", "7 mg/dL"),  # not "≥ 6.5"
    (None, None, (1.6, "mmol/L"), "pass", "1.6 mmol/L"),
]


@pytest.mark.parametrize(("total", "albumin", "ionized", "expected", "shown"), CALCIUM)
def test_corrected_or_free_calcium(total: tuple[Any, ...] | None,
                                   albumin: tuple[Any, ...] | None,
                                   ionized: tuple[Any, ...] | None, expected: str,
                                   shown: str) -> None:
    obs: list[tuple[Any, ...]] = []
    if total is not None:
        obs.append(("calcium", total[0], total[1], AT))
    if albumin is not None:
        obs.append(("albumin", albumin[0], albumin[1], AT))
    if ionized is not None:
        obs.append(("calcium_ionized", ionized[0], ionized[1], AT))
    got, reason = result(rec(obs), "calcium")
    assert got == expected, reason
    assert shown in reason


# ------------------------------------------------------------------ the 3-day window


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-11-01T00:00", "pass"),      # event date (Nov 4) minus 3 days, 00:00
    ("2026-10-31T23:59", "unknown"),   # the day before: stale
])
def test_three_day_window(at: str, expected: str) -> None:
    got, reason = result(rec([("lvef", 55, "%", at)], as_of=AS_OF), "lvef")
    assert got == expected, reason
    if expected == "unknown":
        assert "stale" in reason
        assert "2026-11-01" in reason
    else:
        assert "LVEF 55 %" in reason


def test_result_after_treatment_start_is_not_counted() -> None:
    data = rec([("platelets", 80, "10^9/L", "2026-11-04T09:00")], as_of="2026-11-05T09:00")
    got, reason = result(data, "platelets")
    assert got == "unknown"
    assert "stale" in reason


def test_missing_treatment_start_is_unknown() -> None:
    got, reason = result(rec([("anc", 2.0, "10^9/L", AT)], events={}), "anc")
    assert got == "unknown"
    assert "first study treatment date" in reason


def test_weight_is_not_held_to_the_window() -> None:
    obs = [("creatinine", 2.0, "mg/dL", AT, 1.0), ("weight", 54, "kg", "2026-09-01")]
    got, reason = result(rec(obs, patient=MALE_60), "renal")
    assert got == "pass", reason


# ------------------------------------------------------------------ attested criteria


@pytest.mark.parametrize(("cid", "answer", "expected"), [
    ("apl", True, "fail"),
    ("apl", False, "pass"),
    ("steroids-immunosuppression", True, "fail"),
    ("measurable-disease", False, "fail"),
    ("anc-no-gcsf", False, "fail"),
    ("pregnant-lactating", "n/a", "pass"),
    ("informed-consent", None, "unknown"),
])
def test_attested_answers(cid: str, answer: Any, expected: str) -> None:
    answers = {} if answer is None else {cid: answer}
    got, _reason = result(rec([], answers=answers), cid)
    assert got == expected


def test_answer_for_computed_calcium_is_bad_input() -> None:
    with pytest.raises(RecordError, match="calcium"):
        run(NCT, S1, rec([], answers={"calcium": True}))


# ------------------------------------------------------------------ example via the CLI


_cli = support.nkscreen


def test_example_record_is_eligible() -> None:
    path = REPO / "trials" / "examples" / NCT / f"{S1}.json"
    done = _cli("evaluate", NCT, "--stage", S1, str(path))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["decision"] == "eligible", out
    assert out["trial"] == NCT
    assert [c["id"] for c in out["criteria"]] == [c.id for c in trial(NCT).stage(S1).criteria]


def test_criteria_output_shape() -> None:
    done = _cli("criteria", NCT, "--stage", S1)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert all(set(r) == {"id", "kind", "text", "attested", "inputs"} for r in rows)
    by_id = {r["id"]: r for r in rows}
    assert by_id["renal"]["inputs"] == ["creatinine", "treatment_start", "weight",
                                        "birth_date", "sex", "creatinine_clearance"]
    assert by_id["calcium"]["inputs"] == ["calcium", "albumin", "treatment_start",
                                          "calcium_ionized"]
    assert by_id["total-bilirubin"]["inputs"] == [
        "bilirubin_total", "treatment_start", "bilirubin_direct", "gilbert_syndrome"]
    assert by_id["steroids-immunosuppression"]["attested"] is True
    assert by_id["steroids-immunosuppression"]["inputs"] == []


def test_other_stages_are_refused() -> None:
    done = _cli("criteria", NCT, "--stage", "pre-infusion")
    assert done.returncode == 2
    assert "screening-1" in done.stderr
