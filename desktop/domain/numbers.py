"""Exact numbers in and out: decimal text to ``Fraction`` and back, never through a float.

A float overflows (``1e400``), underflows (``1e-320`` loses digits) and prints
``1000000000000000019884624838656.0`` for ``1e30``; a Python ``int`` refuses to convert
more than 4,300 digits. Everything a patient's verdict reads goes through here instead,
with bounded work whatever the input: a magnitude beyond ``MAX_EXPONENT`` or more than
``MAX_DIGITS`` significant digits is refused before any big number is built.
"""

from __future__ import annotations

import re
from fractions import Fraction

#: Decimal magnitudes handled exactly (1e-100000 .. 1e100000); far past every limit.
MAX_EXPONENT = 100_000
#: Significant digits accepted in one number (below Python's int-conversion limit).
MAX_DIGITS = 4_000

_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")


class NumberTextError(ValueError):
    """Text that is not a number, or one too large, too small or too long to be a value.

    ``kind`` is ``"syntax"``, ``"large"`` (magnitude above ``10**MAX_EXPONENT``; above any
    plausible limit), ``"small"`` (below ``10**-MAX_EXPONENT`` but not zero) or
    ``"digits"``; ``negative`` tells the sign for ``large``.
    """

    def __init__(self, kind: str, message: str, negative: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.negative = negative


class JsonNumber:
    """A number as it was written in JSON, kept as text until it is converted exactly."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonNumber) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _int(digits: str) -> int:
    return int(digits) if digits else 0


def parse_decimal(text: str, *, exponent: bool = True) -> Fraction:
    """``text`` (``-12.5``, ``1e-320``, ``.5``) exactly; raises :class:`NumberTextError`."""
    match = _DECIMAL.fullmatch(text)
    if (match is None or not (match.group(2) or match.group(3))
            or (match.group(4) is not None and not exponent)):
        raise NumberTextError("syntax", "is not a number")
    sign, whole, frac, exp_text = match.group(1), match.group(2), match.group(3) or "", \
        match.group(4) or "0"
    negative = sign == "-"
    whole_sig = whole.lstrip("0")
    digits = (whole + frac).lstrip("0")
    if not digits:
        return Fraction(0)
    exp_digits = exp_text.lstrip("+-").lstrip("0")
    if len(exp_digits) > len(str(MAX_EXPONENT)) + 1:
        # An exponent of a dozen digits or more: no value is anywhere near it.
        if exp_text.startswith("-"):
            raise NumberTextError("small", f"is too small to be a measured value "
                                           f"(below 1e-{MAX_EXPONENT})")
        raise NumberTextError("large", "is too large to be a measured value", negative)
    exp = int(exp_text)
    if whole_sig:
        magnitude = exp + len(whole_sig) - 1
    else:
        magnitude = exp - (len(frac) - len(frac.lstrip("0"))) - 1
    if magnitude > MAX_EXPONENT:
        raise NumberTextError("large", "is too large to be a measured value", negative)
    if magnitude < -MAX_EXPONENT:
        raise NumberTextError("small", f"is too small to be a measured value "
                                       f"(below 1e-{MAX_EXPONENT})")
    significant = digits.rstrip("0")
    if len(significant) > MAX_DIGITS:
        raise NumberTextError("digits", f"has more than {MAX_DIGITS} significant digits")
    # Only the significant digits become an int (Python refuses to convert more than
    # 4,300 digits, and leading or trailing zeros would count).
    trailing = len(digits) - len(significant)
    scale = exp - len(frac) + trailing
    mantissa = int(significant)
    value = Fraction(mantissa * 10**scale) if scale >= 0 else Fraction(mantissa, 10**-scale)
    return -value if negative else value


def decimal_exponent(value: Fraction) -> int:
    """``k`` with ``10**k <= |value| < 10**(k+1)``; ``value`` must not be 0."""
    v = abs(value)
    k = int((v.numerator.bit_length() - v.denominator.bit_length()) * 0.30102999566398)
    while _pow10(k) > v:
        k -= 1
    while _pow10(k + 1) <= v:
        k += 1
    return k


def _pow10(k: int) -> Fraction:
    return Fraction(10**k) if k >= 0 else Fraction(1, 10**-k)


def _round_half_even(numerator: int, denominator: int) -> int:
    """``round(numerator / denominator)`` in integers (half to even, as ``round``)."""
    q, r = divmod(numerator, denominator)
    twice = 2 * r
    if twice > denominator or (twice == denominator and q % 2 == 1):
        q += 1
    return q


def fixed(value: Fraction, places: int) -> str:
    """``value`` rounded (half to even) to ``places`` decimals, exactly: ``44.96``.

    Magnitudes of 10^15 and more, and values that would round to zero, are shown in
    scientific form (``3.1e+322``, ``1.0e-320``) so no digit is invented or lost.
    """
    n, d = value.numerator, value.denominator
    if n and not (d * 10**15 > abs(n) * 10**places >= d):
        return scientific(value, 2)
    return format_scaled(_round_half_even(n * 10**places, d), places)


def format_scaled(scaled: int, places: int) -> str:
    """The decimal text of ``scaled / 10**places``: ``format_scaled(4496, 2)`` is 44.96."""
    sign = "-" if scaled < 0 else ""
    text = str(abs(scaled)).rjust(places + 1, "0")
    if places == 0:
        return f"{sign}{text}"
    return f"{sign}{text[:-places]}.{text[-places:]}"


def round_scaled(value: Fraction, places: int) -> int:
    """``round(value * 10**places)`` (half to even) in integers."""
    return _round_half_even(value.numerator * 10**places, value.denominator)


def decimal_places(value: Fraction) -> int | None:
    """How many decimals write ``value`` exactly (0.125: 3), or None if none do (1/3)."""
    d = value.denominator
    twos = (d & -d).bit_length() - 1
    d >>= twos
    fives = 0
    while d % 5 == 0:
        d //= 5
        fives += 1
    return max(twos, fives) if d == 1 else None


def scientific(value: Fraction, significant: int) -> str:
    """``1.0e-320``: ``significant`` digits, exactly rounded."""
    if value == 0:
        return "0"
    k = decimal_exponent(value)
    shift = significant - 1 - k
    mantissa = round(abs(value) * _pow10(shift))
    if mantissa >= 10**significant:  # rounding carried into a new digit
        k += 1
        mantissa = round(abs(value) * _pow10(shift - 1))
    digits = str(mantissa)
    body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if value < 0 else ""
    return f"{sign}{body}e{k:+03d}"


def fmt_number(value: Fraction, max_places: int = 4) -> str:
    """Exact where short (1.5, 97, 0.125), else rounded to two places; never a float."""
    if value.denominator == 1 and -_E15 < value.numerator < _E15:
        return str(value.numerator)
    places = decimal_places(value)
    if places is not None and places <= max_places and abs(value) < _E15:
        return fixed(value, places)
    return fixed(value, 2)


_E15 = 10**15
