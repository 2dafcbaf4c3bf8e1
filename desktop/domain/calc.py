"""Clinical calculations, exact (``Fraction``) so comparisons at a boundary are exact.

Each formula is the one the screening contract fixes; worked examples are in
``tests/domain/test_calc.py``.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

FEMALE_FACTOR = Fraction("0.85")


def age_years(birth_date: date, on: date) -> int:
    """Whole years on ``on``. A 29 February birthday falls on 1 March in other years."""
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def cockcroft_gault(age: int, weight_kg: Fraction, creatinine_mg_dl: Fraction,
                    female: bool) -> Fraction:
    """Estimated creatinine clearance, mL/min: (140 - age) x weight / (72 x Scr), x 0.85 female."""
    if creatinine_mg_dl <= 0:
        raise ValueError("serum creatinine must be above 0 for Cockcroft-Gault")
    clearance = Fraction(140 - age) * weight_kg / (72 * creatinine_mg_dl)
    return clearance * FEMALE_FACTOR if female else clearance


def corrected_calcium(calcium_mg_dl: Fraction, albumin_g_dl: Fraction) -> Fraction:
    """Total calcium corrected for albumin, mg/dL: Ca + 0.8 x (4.0 - albumin g/dL)."""
    return calcium_mg_dl + Fraction("0.8") * (4 - albumin_g_dl)


def uln_multiple(value: Fraction, uln: Fraction) -> Fraction:
    """How many times the upper limit of normal ``value`` is (same unit)."""
    if uln <= 0:
        raise ValueError("an upper limit of normal must be above 0")
    return value / uln
