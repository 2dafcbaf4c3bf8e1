"""The wording of the engine's reasons: a comparison stated or denied, a quantity as
entered, a computed value rounded so that it never seems to contradict its limit.

Pure string building over exact numbers; the engine's comparisons
(:mod:`desktop.domain.comparison`) and exceptions (:mod:`desktop.domain.exception_rule`)
word their reasons with it.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from desktop.domain import numbers
from desktop.domain.text import fmt_number
from desktop.domain.trial import Op


def first_lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def verdict_text(desc: str, holds: bool, op: Op, limit: str) -> str:
    return f"{desc} {op} {limit}" if holds else f"{desc}, not {op} {limit}"


def qty(value: Fraction, unit: str) -> str:
    """A value as entered, exactly where it is a decimal of up to 12 places (40.000001)."""
    number = fmt_number(value, 12)
    return number if unit in ("score", "ratio") else f"{number} {unit}"


_COMPARES: dict[str, Callable[[int], bool]] = {
    "<": lambda diff: diff < 0,
    "<=": lambda diff: diff <= 0,
    ">": lambda diff: diff > 0,
    ">=": lambda diff: diff >= 0,
}


def shown(value: Fraction, op: Op, limit: Fraction, holds: bool, places: int) -> str:
    """``value`` rounded for display, with more places where rounding would mislead.

    A CrCl of 44.96 shown as 45.0 beside "not >= 45" reads as an error; keep adding
    places until the shown number compares the same way as the exact one. Integer
    arithmetic throughout (the shown value is ``scaled / 10**p``).
    """
    n, d = value.numerator, value.denominator
    if n and not (d * 10**15 > abs(n) * 10**places >= d) and \
            abs(value - limit) > abs(value) / 2:
        # Far from the limit and too small or large for fixed places: 1.0e-320, 3.1e+322.
        return numbers.scientific(value, 2)
    compare = _COMPARES[op]
    ln, ld = limit.numerator, limit.denominator
    for p in range(places, 13):
        scale = 10**p
        scaled = numbers.round_scaled(value, p)
        if compare(scaled * ld - ln * scale) == holds:
            return numbers.format_scaled(scaled, p)
    word = "just above" if value > limit else "just below"
    return f"{word} {fmt_number(limit)}"
