"""Exact numbers: decimal text in, Fraction out, and back to text, never through a float."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from desktop.domain.numbers import NumberTextError, fixed, parse_decimal, scientific


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", F(0)), ("-0", F(0)), ("0e999999999999", F(0)), ("1.90", F(19, 10)),
        ("1e-320", F(1, 10**320)), ("39.999999999999", F(39999999999999, 10**12)),
        ("1E2", F(100)), ("2.5e-1", F(1, 4)), ("-12.5", F(-25, 2)), (".5", F(1, 2)),
        ("1" + "0" * 400, F(10**400)),
    ],
)
def test_decimal_text_is_read_exactly(text: str, value: F) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("1e400000", "large"), ("1e99999999999999", "large"), ("-1e200000", "large"),
        ("1e-200000", "small"), ("1e-99999999999999", "small"),
        ("1." + "1" * 5000, "digits"), ("abc", "syntax"), ("", "syntax"), ("1e", "syntax"),
        ("--1", "syntax"), (".", "syntax"),
    ],
)
def test_text_beyond_any_value_is_refused_cheaply(text: str, kind: str) -> None:
    with pytest.raises(NumberTextError) as caught:
        parse_decimal(text)
    assert caught.value.kind == kind


def test_an_exponent_is_refused_where_a_person_types_a_plain_decimal() -> None:
    with pytest.raises(NumberTextError):
        parse_decimal("1e3", exponent=False)


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (F("44.96"), 2, "44.96"), (F("44.955"), 2, "44.96"), (F("44.965"), 2, "44.96"),
        (F(-3, 2), 1, "-1.5"), (F(0), 2, "0.00"), (F(7), 0, "7"), (F(1, 3), 4, "0.3333"),
        (F(10**30), 1, "1.0e+30"), (F(1, 10**320), 2, "1.0e-320"),
        (F(999, 10**6), 2, "1.0e-03"),
    ],
)
def test_fixed_places_are_exact_and_never_overflow(value: F, places: int, text: str) -> None:
    assert fixed(value, places) == text


def test_scientific_carries_a_rounding_into_the_exponent() -> None:
    assert scientific(F("9.99"), 2) == "1.0e+01"
    assert scientific(F(55, 10**324), 2) == "5.5e-323"
