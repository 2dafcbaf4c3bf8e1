"""Observation codes, their accepted units and exact conversions.

All arithmetic is done in ``fractions.Fraction``: a creatinine of 176.8 umol/L is
exactly 2.0 mg/dL, so a value entered at a protocol's boundary in either unit lands
on the boundary and never a rounding error beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Final


class Check(Enum):
    """How a value of a code is checked for plausibility."""

    LAB = "a laboratory value of 0 or more"
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


_SUPERSCRIPT_DIGITS: Final = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_PLAIN_DIGITS: Final = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def _unit_key(unit: str) -> str:
    """A unit as typed, for lookup: µ (micro sign or Greek mu) = u, 10⁹ = 10^9, any case."""
    key = unit.strip().replace("µ", "u").replace("μ", "u")
    key = _SUPERSCRIPT_DIGITS.sub(lambda m: "^" + m.group(0).translate(_PLAIN_DIGITS), key)
    return key.casefold()


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
    src = factors.get(from_unit) or factors[normalise_unit(code, from_unit)]
    dst = factors.get(to_unit) or factors[normalise_unit(code, to_unit)]
    if src == dst:
        return value
    return value * (src / dst)


#: Physiologically possible values, inclusive, in the code's canonical unit (the
#: screening contract's "Plausible values"). Percentages and scores are bounded by their
#: own check. Outside these a value is bad input everywhere: CLI, form and registry.
LIMITS: dict[str, tuple[Fraction, Fraction]] = {
    "weight": (_f("0.2"), _f("650")),
    "height": (_f("20"), _f("280")),
    "creatinine": (_f("0"), _f("40")),
    "creatinine_clearance": (_f("0"), _f("500")),
    "bilirubin_total": (_f("0"), _f("100")),
    "bilirubin_direct": (_f("0"), _f("100")),
    "ast": (_f("0"), _f("100000")),
    "alt": (_f("0"), _f("100000")),
    "anc": (_f("0"), _f("1000")),
    "hemoglobin": (_f("0"), _f("30")),
    "platelets": (_f("0"), _f("5000")),
    "inr": (_f("0"), _f("30")),
    "aptt": (_f("0"), _f("600")),
    "calcium": (_f("0"), _f("30")),
    "calcium_ionized": (_f("0"), _f("5")),
    "albumin": (_f("0"), _f("10")),
    "cmv_dna": (_f("0"), Fraction(10**12)),
    "hbv_dna": (_f("0"), Fraction(10**12)),
    "prednisone_equivalent": (_f("0"), _f("10000")),
    "spo2": (_f("0"), _f("100")),
    "lvef": (_f("0"), _f("100")),
    "karnofsky": (_f("0"), _f("100")),
    "bone_marrow_blasts": (_f("0"), _f("100")),
    "cd123_expression": (_f("0"), _f("100")),
    "ecog": (_f("0"), _f("5")),
}


def _plain(value: Fraction) -> str:
    """A limit in words: 0.2, 650, 10^12."""
    if value == 10**12:
        return "10^12"
    if value.denominator == 1:
        return str(value.numerator)
    return str(float(value))  # limits are short decimals; never a measured value


def unit_word(unit: str) -> str:
    """`` kg`` to follow a number in a message; nothing for a score or a ratio."""
    return "" if unit in ("score", "ratio") else f" {unit}"


_SUPERSCRIPT: Final = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# Units as the registry, the trial files and the command line spell them (ASCII), and as
# people write them: µmol/L, 10⁹/L, 10³/µL, ×ULN.
_DISPLAY: Final = (
    (re.compile(r"(?<![\w/])u(mol|g|L)\b"), r"µ\1"),
    (re.compile(r"/uL\b"), "/µL"),
    (re.compile(r"\b10\^(\d+)"), lambda m: "10" + m.group(1).translate(_SUPERSCRIPT)),
    (re.compile(r"(?<=\d) x (?=10[⁰¹²³⁴⁵⁶⁷⁸⁹])"), " × "),
    (re.compile(r"(?<=\d) ?x ULN\b"), " ×ULN"),
    (re.compile(r"(?<=\d) x (?=site ULN\b)"), " × "),
    (re.compile(r"(?<=\bDay )-(?=\d)"), "−"),  # a minus sign: "Day −5"
)


def display_unit(unit: str) -> str:
    """A unit as people write it: ``umol/L`` -> ``µmol/L``, ``10^9/L`` -> ``10⁹/L``."""
    return display_text(unit)


def display_text(text: str) -> str:
    """``text`` (a reason, a message, a stage title) with its units as people write them:
    µmol/L, 10⁹/L, 10³/µL, 2 ×ULN, and a minus sign in "Day −5". What is stored and what
    the command line prints stay ASCII; typed input accepts both (``normalise_unit``)."""
    for pattern, replacement in _DISPLAY:
        text = pattern.sub(replacement, text)
    return text


def range_text(code: str) -> str:
    """``0.2 to 650 kg``: the plausible range of ``code`` in its canonical unit."""
    low, high = LIMITS[code]
    unit = CODES[code].canonical
    if unit in ("score", "ratio"):
        suffix = ""
    elif unit == "%":
        suffix = "%"
    elif unit.startswith("10^"):
        suffix = f" x {unit}"
    else:
        suffix = f" {unit}"
    return f"{_plain(low)} to {_plain(high)}{suffix}"


def check_value(code: str, value: Fraction, unit: str | None = None) -> str | None:
    """Why ``value`` (in ``unit``, default canonical) is impossible for ``code``, or None.

    Exact: the comparison is between fractions, never through a float. The range comes
    first, so any value outside it is told the range.
    """
    info = CODES[code]
    canonical = value if unit is None else convert(code, value, unit, info.canonical)
    low, high = LIMITS[code]
    if not low <= canonical <= high:
        return f"is outside the plausible range {range_text(code)}"
    if info.check is Check.POSITIVE and canonical <= 0:  # pragma: no cover - the range holds
        return f"must be {info.check.value}"
    if info.check is Check.ECOG and canonical.denominator != 1:
        return f"must be {info.check.value}"
    if info.check is Check.KARNOFSKY and (canonical.denominator != 1 or canonical % 10 != 0):
        return f"must be {info.check.value}"
    return None


def check_uln(code: str, uln: Fraction, unit: str) -> str | None:
    """Why ``uln`` (in the observation's ``unit``) is impossible for ``code``, or None."""
    if uln <= 0:
        return "must be above 0"
    canonical = convert(code, uln, unit, CODES[code].canonical)
    low, high = LIMITS[code]
    if not low <= canonical <= high:
        return f"is outside the plausible range {range_text(code)}"
    return None
