"""Unit conversions per the contract's table: exact, both directions."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from desktop.domain.units import CODES, UnitError, check_value, convert, normalise_unit


@pytest.mark.parametrize(
    ("code", "value", "src", "dst", "expected"),
    [
        ("creatinine", F("176.8"), "umol/L", "mg/dL", F(2)),
        ("creatinine", F("88.4"), "µmol/L", "mg/dL", F(1)),
        ("bilirubin_total", F("17.1"), "umol/L", "mg/dL", F(1)),
        ("bilirubin_direct", F("25.65"), "umol/L", "mg/dL", F("1.5")),
        ("calcium", F("2.5"), "mmol/L", "mg/dL", F("10.02")),
        ("calcium_ionized", F("4.008"), "mg/dL", "mmol/L", F(1)),
        ("weight", F(1), "lb", "kg", F("0.45359237")),
        ("height", F(10), "in", "cm", F("25.4")),
        ("anc", F(1000), "/uL", "10^9/L", F(1)),
        ("anc", F("1.5"), "10^3/uL", "10^9/L", F("1.5")),
        ("platelets", F(50), "10^3/uL", "10^9/L", F(50)),
        ("hemoglobin", F(60), "g/L", "g/dL", F(6)),
        ("albumin", F(35), "g/L", "g/dL", F("3.5")),
        ("creatinine", F(2), "mg/dL", "umol/L", F("176.8")),
    ],
)
def test_conversion_is_exact(code: str, value: F, src: str, dst: str, expected: F) -> None:
    assert convert(code, value, src, dst) == expected


@pytest.mark.parametrize("spelling", ["umol/L", "UMOL/L", "µmol/l", "μmol/L", " umol/L "])
def test_units_match_case_insensitively_and_micro_is_u(spelling: str) -> None:
    assert normalise_unit("creatinine", spelling) == "umol/L"


def test_unit_of_another_code_is_refused_with_the_accepted_list() -> None:
    with pytest.raises(UnitError, match=r"accepted: mg/dL, umol/L"):
        normalise_unit("creatinine", "mmol/L")


@pytest.mark.parametrize(
    ("code", "value", "ok"),
    [
        ("ecog", F(0), True), ("ecog", F(5), True), ("ecog", F(6), False),
        ("ecog", F("2.5"), False), ("ecog", F(-1), False),
        ("karnofsky", F(70), True), ("karnofsky", F(75), False), ("karnofsky", F(110), False),
        ("karnofsky", F(0), True), ("karnofsky", F(100), True),
        ("spo2", F(100), True), ("spo2", F("100.1"), False), ("lvef", F(-1), False),
        ("weight", F(0), False), ("weight", F("0.1"), False), ("weight", F("0.2"), True),
            ("height", F(0), False),
        ("creatinine", F(0), True), ("creatinine", F("-0.1"), False),
        ("bone_marrow_blasts", F(0), True), ("cd123_expression", F(101), False),
    ],
)
def test_plausibility_checks(code: str, value: F, ok: bool) -> None:
    assert (check_value(code, value) is None) == ok


def test_every_code_of_the_contract_is_known() -> None:
    contract = {
        "weight", "height", "creatinine", "creatinine_clearance", "bilirubin_total",
        "bilirubin_direct", "ast", "alt", "spo2", "lvef", "ecog", "karnofsky", "anc",
        "hemoglobin", "platelets", "inr", "aptt", "calcium", "calcium_ionized", "albumin",
        "bone_marrow_blasts", "cd123_expression", "cmv_dna", "hbv_dna", "prednisone_equivalent",
    }
    assert set(CODES) == contract
