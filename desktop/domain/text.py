"""Words for numbers, times and rules, shared by reasons, the app and worksheets."""

from __future__ import annotations

from datetime import datetime

from desktop.domain.numbers import fmt_number as fmt_number
from desktop.domain.trial import (
    DERIVED,
    FACTS,
    AllOf,
    AnyOf,
    Compare,
    CriteriaFail,
    Exception_,
    Rule,
    Window,
)
from desktop.domain.units import CODES

_DERIVED_LABELS = {
    "age": "Age",
    "crcl_cockcroft_gault": "Creatinine clearance (Cockcroft-Gault)",
    "corrected_calcium": "Corrected calcium",
}




def fmt_when(at: datetime) -> str:
    """``2026-11-01 07:30``, or just the date for a date given without a time."""
    if at.hour == at.minute == at.second == 0 and at.microsecond == 0:
        return at.date().isoformat()
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}"


def label_of(quantity: str) -> str:
    if quantity in CODES:
        return CODES[quantity].label
    return _DERIVED_LABELS[quantity]


def describe_rule(rule: Rule, window: Window | None = None) -> str:
    text = _describe(rule)
    if window is not None:
        text += f" ({window.describe()})"
    return text


def _describe(rule: Rule) -> str:
    if isinstance(rule, Compare):
        label = label_of(rule.of)
        if rule.uln is not None:
            limit = f"{fmt_number(rule.uln)} x ULN"
        else:
            assert rule.value is not None
            unit = rule.unit or DERIVED.get(rule.of, "")
            limit = fmt_number(rule.value) if unit in ("score", "ratio") else \
                f"{fmt_number(rule.value)} {unit}"
        extra = " (highest in window)" if rule.select == "max" else ""
        own = f" ({rule.window.describe()})" if rule.window else ""
        return f"{label} {rule.op} {limit}{extra}{own}"
    if isinstance(rule, AnyOf):
        return "either " + " or ".join(_describe(p) for p in rule.of)
    if isinstance(rule, AllOf):
        return " and ".join(_describe(p) for p in rule.of)
    if isinstance(rule, Exception_):
        facts = " or ".join(FACTS[f] for f in rule.facts)
        return f"{_describe(rule.base)}; with {facts}: {_describe(rule.relaxed)}"
    assert isinstance(rule, CriteriaFail)
    return "any of these criteria not met: " + ", ".join(rule.criteria)
