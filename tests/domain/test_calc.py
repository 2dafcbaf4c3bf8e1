"""Clinical calculations against worked examples done by hand."""

from __future__ import annotations

from datetime import date
from fractions import Fraction as F

import pytest

from desktop.domain import calc


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1958, 4, 12), date(2026, 4, 11), 67),  # day before the birthday
        (date(1958, 4, 12), date(2026, 4, 12), 68),  # on the birthday
        (date(2008, 11, 2), date(2026, 11, 1), 17),  # turns 18 tomorrow
        (date(2008, 11, 2), date(2026, 11, 2), 18),
        (date(2000, 2, 29), date(2026, 2, 28), 25),  # leap-day birthday, common year
        (date(2000, 2, 29), date(2026, 3, 1), 26),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
    ],
)
def test_age_in_whole_years(born: date, on: date, age: int) -> None:
    assert calc.age_years(born, on) == age


def test_cockcroft_gault_male_worked_example() -> None:
    # (140 - 60) x 80 / (72 x 1.0) = 6400 / 72 = 88.888...
    assert calc.cockcroft_gault(60, F(80), F(1), female=False) == F(800, 9)


def test_cockcroft_gault_female_worked_example() -> None:
    # (140 - 68) x 70 / (72 x 1.1) x 0.85 = 5040 / 79.2 x 0.85 = 54.0909...
    value = calc.cockcroft_gault(68, F(70), F("1.1"), female=True)
    assert value == F(5040) / F("79.2") * F("0.85")
    assert round(float(value), 1) == 54.1


def test_cockcroft_gault_refuses_zero_creatinine() -> None:
    with pytest.raises(ValueError, match="above 0"):
        calc.cockcroft_gault(60, F(80), F(0), female=False)


@pytest.mark.parametrize(
    ("calcium", "albumin", "expected"),
    [
        (F(8), F(2), F("9.6")),  # 8 + 0.8 x (4 - 2)
        (F(10), F(4), F(10)),  # normal albumin: no correction
        (F("11.2"), F("4.5"), F("10.8")),  # high albumin corrects downwards
    ],
)
def test_corrected_calcium(calcium: F, albumin: F, expected: F) -> None:
    assert calc.corrected_calcium(calcium, albumin) == expected


def test_uln_multiple_is_exact() -> None:
    assert calc.uln_multiple(F(120), F(40)) == 3
    with pytest.raises(ValueError, match="above 0"):
        calc.uln_multiple(F(1), F(0))
