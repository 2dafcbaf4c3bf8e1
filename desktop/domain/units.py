"""Observation codes, their accepted units and exact conversions.

All arithmetic is done in ``fractions.Fraction``: a creatinine of 176.8 umol/L is
exactly 2.0 mg/dL, so a value entered at a protocol's boundary in either unit lands
on the boundary and never a rounding error beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction


class Check(Enum):
    """How a value of a code is checked for plausibility."""

    LAB = "laboratory value, 0 or more"
    POSITIVE = "above 0"
    PERCENT = "a percentage from 0 to 100"
    ECOG = "an integer from 0 to 5"
    KARNOFSKY = "a multiple of 10 from 0 to 100"


@dataclass(frozen=True)
class Code:
    """One observation code: canonical unit first; ``factors`` map unit -> canonical."""

    code: str
    label: str
    canonical: str
    factors: dict[str, Fraction]
    check: Check
    carries_uln: bool = False

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(self.factors)


def _f(value: str) -> Fraction:
    return Fraction(value)


_CREATININE = _f("88.4")
_BILIRUBIN = _f("17.1")
_CALCIUM = _f("4.008")

CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code("weight", "Weight", "kg", {"kg": _f("1"), "lb": _f("0.45359237")}, Check.POSITIVE),
        Code("height", "Height", "cm", {"cm": _f("1"), "in": _f("2.54")}, Check.POSITIVE),
        Code(
            "creatinine", "Serum creatinine", "mg/dL",
            {"mg/dL": _f("1"), "umol/L": 1 / _CREATININE}, Check.LAB, carries_uln=True,
        ),
        Code("creatinine_clearance", "Measured creatinine clearance", "mL/min",
             {"mL/min": _f("1")}, Check.LAB),
        Code(
            "bilirubin_total", "Total bilirubin", "mg/dL",
            {"mg/dL": _f("1"), "umol/L": 1 / _BILIRUBIN}, Check.LAB, carries_uln=True,
        ),
        Code(
            "bilirubin_direct", "Direct bilirubin", "mg/dL",
            {"mg/dL": _f("1"), "umol/L": 1 / _BILIRUBIN}, Check.LAB, carries_uln=True,
        ),
        Code("ast", "AST", "U/L", {"U/L": _f("1")}, Check.LAB, carries_uln=True),
        Code("alt", "ALT", "U/L", {"U/L": _f("1")}, Check.LAB, carries_uln=True),
        Code("spo2", "SpO2 on room air", "%", {"%": _f("1")}, Check.PERCENT),
        Code("lvef", "LVEF", "%", {"%": _f("1")}, Check.PERCENT),
        Code("ecog", "ECOG", "score", {"score": _f("1")}, Check.ECOG),
        Code("karnofsky", "Karnofsky", "%", {"%": _f("1")}, Check.KARNOFSKY),
        Code(
            "anc", "ANC", "10^9/L",
            {"10^9/L": _f("1"), "10^3/uL": _f("1"), "/uL": _f("0.001")}, Check.LAB,
        ),
        Code("hemoglobin", "Hemoglobin", "g/dL", {"g/dL": _f("1"), "g/L": _f("0.1")}, Check.LAB),
        Code("platelets", "Platelets", "10^9/L", {"10^9/L": _f("1"), "10^3/uL": _f("1")},
             Check.LAB),
        Code("inr", "INR", "ratio", {"ratio": _f("1")}, Check.LAB, carries_uln=True),
        Code("aptt", "APTT", "s", {"s": _f("1")}, Check.LAB, carries_uln=True),
        Code("calcium", "Total calcium", "mg/dL", {"mg/dL": _f("1"), "mmol/L": _CALCIUM},
             Check.LAB, carries_uln=True),
        Code("calcium_ionized", "Ionized calcium", "mmol/L",
             {"mmol/L": _f("1"), "mg/dL": 1 / _CALCIUM}, Check.LAB, carries_uln=True),
        Code("albumin", "Albumin", "g/dL", {"g/dL": _f("1"), "g/L": _f("0.1")}, Check.LAB),
        Code("bone_marrow_blasts", "Bone marrow blasts", "%", {"%": _f("1")}, Check.PERCENT),
        Code("cd123_expression", "CD123 expression", "%", {"%": _f("1")}, Check.PERCENT),
        Code("cmv_dna", "CMV DNA", "copies/mL", {"copies/mL": _f("1")}, Check.LAB),
        Code("hbv_dna", "HBV DNA", "IU/mL", {"IU/mL": _f("1")}, Check.LAB),
        Code("prednisone_equivalent", "Systemic steroid (prednisone equivalent)", "mg",
             {"mg": _f("1")}, Check.LAB),
    )
}


def _unit_key(unit: str) -> str:
    return unit.strip().replace("µ", "u").replace("μ", "u").casefold()


_UNIT_LOOKUP: dict[str, dict[str, str]] = {
    code.code: {_unit_key(u): u for u in code.factors} for code in CODES.values()
}


class UnitError(ValueError):
    """A unit that is not accepted for a code."""


def normalise_unit(code: str, unit: str) -> str:
    """The accepted spelling of ``unit`` for ``code`` (case-insensitive, µ = u)."""
    found = _UNIT_LOOKUP[code].get(_unit_key(unit))
    if found is None:
        accepted = ", ".join(CODES[code].units)
        raise UnitError(f"unit {unit!r} is not accepted for {code} (accepted: {accepted})")
    return found


def convert(code: str, value: Fraction, from_unit: str, to_unit: str) -> Fraction:
    """Exact conversion between two accepted units of one code."""
    factors = CODES[code].factors
    src = factors[normalise_unit(code, from_unit)]
    dst = factors[normalise_unit(code, to_unit)]
    if src == dst:
        return value
    return value * src / dst


def check_value(code: str, value: Fraction) -> str | None:
    """Why ``value`` is impossible for ``code``, or None when it is plausible."""
    check = CODES[code].check
    if check is Check.LAB:
        ok = value >= 0
    elif check is Check.POSITIVE:
        ok = value > 0
    elif check is Check.PERCENT:
        ok = 0 <= value <= 100
    elif check is Check.ECOG:
        ok = value.denominator == 1 and 0 <= value <= 5
    else:
        ok = value.denominator == 1 and 0 <= value <= 100 and value % 10 == 0
    return None if ok else f"must be {check.value}"
