"""From what a coordinator typed to the engine's ``Record``: one set of checks for all.

The visit form evaluates live, before anything is saved, and the registry checks the
same values before it saves them; both go through ``observation`` here, so a value the
form accepts is exactly a value the registry stores and the engine reads.

Typed numbers are text ("1.90", "1,90" is refused): they are converted exactly to
``Fraction`` without passing through a float.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from fractions import Fraction

from desktop.domain.numbers import NumberTextError, parse_decimal
from desktop.domain.record import Answer, Observation, Record, RecordError
from desktop.domain.text_safety import cut, quote
from desktop.domain.units import (
    CODES,
    UnitError,
    check_uln,
    check_value,
    normalise_unit,
    unit_word,
)

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")

#: How the UI and registry spell answers, and what the engine reads for each.
ANSWERS: dict[str, Answer] = {"yes": True, "no": False, "n/a": "n/a"}


def number(text: str, where: str) -> Fraction:
    """A typed decimal number, exactly; ``where`` names the field in the error."""
    cleaned = text.strip()
    if not cleaned:
        raise RecordError(where, "enter a number")
    if not _NUMBER.fullmatch(cleaned):
        raise RecordError(where, f"{quote(cleaned)} is not a number (use a point for decimals)")
    try:
        return parse_decimal(cleaned, exponent=False)
    except NumberTextError as exc:
        if exc.kind == "large":
            raise RecordError(where, "is far outside any plausible value") from None
        raise RecordError(where, f"{quote(cleaned)} {exc}") from None


def observation(code: str, value: str, unit: str, at: datetime | None, *,
                uln: str | None = None, source: str | None = None,
                now: datetime | None = None, birth_date: date | None = None) -> Observation:
    """A checked result. Errors name the field: ``code``, ``value``, ``unit``, ``at``, ``uln``.

    With ``now``, a time after it is refused (a result cannot be taken in the future);
    with ``birth_date``, a time before birth is refused.
    """
    if code not in CODES:
        raise RecordError("code", f"unknown observation code {code!r}")
    amount = number(value, "value")
    try:
        canonical_unit = normalise_unit(code, unit)
    except UnitError as exc:
        raise RecordError("unit", str(exc)) from None
    problem = check_value(code, amount, canonical_unit)
    if problem:
        raise RecordError("value", f"{CODES[code].label} {cut(value.strip())}"
                                   f"{unit_word(canonical_unit)} {problem}")
    limit = None
    if uln is not None and uln.strip():
        limit = number(uln, "uln")
        problem = check_uln(code, limit, canonical_unit)
        if problem:
            raise RecordError("uln", f"ULN {cut(uln.strip())}{unit_word(canonical_unit)} "
                                     f"{problem}")
    if at is None:
        raise RecordError("at", "enter the date and time the sample was taken")
    if now is not None and at > now:
        raise RecordError("at", f"{at:%Y-%m-%d %H:%M} is in the future")
    if birth_date is not None and at.date() < birth_date:
        raise RecordError("at", f"{at:%Y-%m-%d} is before the patient's date of birth")
    return Observation(code, amount, canonical_unit, at, limit, source or None)



@dataclass
class Draft:
    """Everything a visit form holds, as plain values; ``record()`` gives the engine's input."""

    birth_date: date | None
    sex: str | None
    events: dict[str, datetime] = field(default_factory=dict)
    facts: dict[str, bool] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    #: criterion id -> "yes" / "no" / "n/a"
    answers: dict[str, str] = field(default_factory=dict)

    def record(self, as_of: datetime, zone: tzinfo | None = None) -> Record:
        return make_record(self.birth_date, self.sex, as_of, self.events, self.facts,
                           self.observations, self.answers, zone)


def make_record(birth_date: date | None, sex: str | None, as_of: datetime,
                events: Mapping[str, datetime], facts: Mapping[str, bool],
                observations: Iterable[Observation], answers: Mapping[str, str],
                zone: tzinfo | None = None) -> Record:
    """The engine's record; unknown answer words are a programming error (KeyError).

    ``zone`` is the site's time zone (spans in hours are elapsed time in it).
    """
    return Record(as_of=as_of, birth_date=birth_date, sex=sex, events=dict(events),
                  facts=dict(facts), observations=tuple(observations),
                  answers={key: ANSWERS[value] for key, value in answers.items()}, zone=zone)
