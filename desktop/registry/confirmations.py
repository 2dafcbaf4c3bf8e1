"""Values possible but rarely real: saved only once the person entering them confirms.

The screening contract's plausible ranges (``desktop.domain.units.LIMITS``) refuse the
impossible. Inside them some values are so unusual that a typing slip is likelier than
the result: a serum creatinine of 0.0001 mg/dL is "plausible" and gives a Cockcroft-Gault
clearance that passes any limit. Such a value must be confirmed by whoever enters it; the
confirmation (who, when, what was confirmed) is stored with the result and in its audit.

``DEFAULT_LIMITS`` is the table used unless the caller passes its own (a site's own
"confirm below / above" values, in the code's canonical unit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from desktop.domain.numbers import fmt_number
from desktop.domain.units import CODES, convert

__all__ = ["DEFAULT_LIMITS", "ConfirmLimit", "unusual"]


@dataclass(frozen=True)
class ConfirmLimit:
    """Confirm a value strictly below ``below`` or strictly above ``above`` (either may be
    None), in the code's canonical unit."""

    below: Fraction | None = None
    above: Fraction | None = None


#: Creatinine under 0.2 mg/dL (17.7 umol/L) is below what muscle makes even in a frail
#: adult; a unit slip (umol/L typed as mg/dL, or a lost digit) is the likelier story.
DEFAULT_LIMITS: Final[Mapping[str, ConfirmLimit]] = {
    "creatinine": ConfirmLimit(below=Fraction("0.2")),
}


def _quantity(number: str, unit: str) -> str:
    return number if unit in ("score", "ratio") else f"{number} {unit}"


def unusual(code: str, value: Fraction, unit: str, typed: str | None = None,
            limits: Mapping[str, ConfirmLimit] = DEFAULT_LIMITS) -> str | None:
    """Why ``value`` (in ``unit``, an accepted unit of ``code``) needs confirming, or None.

    E.g. "Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL"; in another unit the limit is
    given in both ("Serum creatinine 10 umol/L is below 17.68 umol/L (0.2 mg/dL)").
    ``typed`` is the value as typed, shown instead of a rounded one. Exact: compared as
    fractions in the canonical unit."""
    limit = limits.get(code)
    if limit is None or code not in CODES:
        return None
    canonical = CODES[code].canonical
    amount = convert(code, value, unit, canonical)
    if limit.below is not None and amount < limit.below:
        word, bound = "below", limit.below
    elif limit.above is not None and amount > limit.above:
        word, bound = "above", limit.above
    else:
        return None
    shown = _quantity(fmt_number(convert(code, bound, canonical, unit)), unit)
    if unit != canonical:
        shown += f" ({_quantity(fmt_number(bound), canonical)})"
    number = typed.strip() if typed is not None and typed.strip() else fmt_number(value)
    return f"{CODES[code].label} {_quantity(number, unit)} is {word} {shown}"
