"""A patient record as the engine reads it, parsed and checked from plain data.

The shape is the screening contract's RECORD (``nkscreen evaluate``). Every problem
raises :class:`RecordError` naming the offending field, e.g. ``observations[2].unit``.
Parsing is pure: the caller reads the file and supplies the clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from fractions import Fraction
from typing import Any, Literal

from desktop.domain.numbers import JsonNumber, NumberTextError, parse_decimal
from desktop.domain.text_safety import key as _key
from desktop.domain.text_safety import quote
from desktop.domain.trial import EVENTS, FACTS
from desktop.domain.units import (
    CODES,
    UnitError,
    check_uln,
    check_value,
    normalise_unit,
    range_text,
    unit_word,
)

Answer = bool | Literal["n/a"]
SEXES = ("female", "male")
EARLIEST_BIRTH = date(1900, 1, 1)
#: Every date and time of a record lies in these years (the contract's limits).
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(2100, 12, 31, 23, 59, 59, 999999)


class RecordError(ValueError):
    """Bad input in a record; ``field`` names where, ``message`` says what."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Observation:
    code: str
    value: Fraction
    unit: str
    at: datetime
    uln: Fraction | None = None
    #: Where the value came from, for reasons and audit (e.g. "entered 2026-11-01 by cc").
    source: str | None = None

    def in_unit(self, unit: str) -> Fraction:
        from desktop.domain.units import convert

        return convert(self.code, self.value, self.unit, unit)


@dataclass(frozen=True)
class Record:
    as_of: datetime
    birth_date: date | None = None
    sex: str | None = None
    events: Mapping[str, datetime] = field(default_factory=dict)
    facts: Mapping[str, bool] = field(default_factory=dict)
    observations: tuple[Observation, ...] = ()
    answers: Mapping[str, Answer] = field(default_factory=dict)
    #: The site's time zone: spans in hours are elapsed time in it (None: wall clock).
    zone: tzinfo | None = None


def _text(value: str, where: str) -> str:
    """``value`` without surrounding spaces; control or invisible characters refused."""
    if _CONTROL.search(value):
        raise RecordError(where, f"{quote(value)} holds a control or invisible character")
    return value.strip(" ")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\ufeff]")


def parse_datetime(value: Any, where: str, zone: tzinfo | None = None) -> datetime:
    """ISO 8601 local wall-clock time; a bare date is 00:00; an offset is made local.

    ``zone`` is the site's zone an offset converts into (None: the machine's zone).
    Anything outside 1900-01-01 .. 2100-12-31 is refused, before any conversion.
    """
    if not isinstance(value, str) or not value.strip():
        raise RecordError(where, "must be an ISO 8601 date or date-time, e.g. 2026-11-01T07:30")
    text = _text(value, where)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(where, f"{quote(value)} is not an ISO 8601 date or date-time") from None
    _in_years(parsed.replace(tzinfo=None), where, value)
    if parsed.tzinfo is not None:
        try:
            parsed = (parsed.astimezone(zone) if zone is not None
                      else parsed.astimezone()).replace(tzinfo=None)
        except (OverflowError, ValueError, OSError):
            raise RecordError(where, f"{quote(value)} is outside 1900-01-01 to 2100-12-31") \
                from None
        _in_years(parsed, where, value)
    return parsed


def _in_years(moment: datetime, where: str, value: Any) -> None:
    if not EARLIEST <= moment <= LATEST:
        raise RecordError(where, f"{quote(value)} is outside 1900-01-01 to 2100-12-31")


def parse_date(value: Any, where: str) -> date:
    if not isinstance(value, str):
        raise RecordError(where, "must be an ISO 8601 date, e.g. 1958-04-12")
    try:
        parsed = date.fromisoformat(_text(value, where))
    except ValueError:
        raise RecordError(where, f"{quote(value)} is not an ISO 8601 date (YYYY-MM-DD)") \
            from None
    _in_years(datetime.combine(parsed, datetime.min.time()), where, value)
    return parsed


def parse_number(value: Any, where: str) -> Fraction:
    """A JSON number exactly (``1e-320``, a 401-digit integer), never through a float.

    Takes the reader's :class:`JsonNumber` (its text) or, from Python callers, an int
    or a float (read as its shortest repr). A magnitude beyond any plausible value is
    refused by :func:`parse_value`, which knows the code's range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | JsonNumber):
        raise RecordError(where, f"{quote(value)} is not a number")
    if isinstance(value, int):
        text = str(value) if -_HUGE_INT < value < _HUGE_INT else "1e4001"
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = value.text
    try:
        return parse_decimal(text)
    except NumberTextError as exc:
        raise _NumberProblem(exc) from None


_HUGE_INT = 10**4000  # past Python's int-to-text limit; far past any plausible value


class _NumberProblem(Exception):
    def __init__(self, error: NumberTextError) -> None:
        super().__init__(str(error))
        self.error = error


def _number_or_range(value: Any, where: str, code: str, shown: str,
                     unit: str = "") -> Fraction:
    try:
        return parse_number(value, where)
    except _NumberProblem as exc:
        kind = exc.error.kind
        if kind == "syntax":
            raise RecordError(where, f"{quote(value)} is not a finite number") from None
        if kind == "large":
            raise RecordError(where, f"{shown} {quote(value)}{unit_word(unit) if unit else ''}"
                                     f" is outside the plausible range {range_text(code)}") \
                from None
        raise RecordError(where, f"{quote(value)} {exc.error}") from None


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(where, "must be an object")
    return value


def parse_observation(item: Any, where: str, zone: tzinfo | None = None) -> Observation:
    if not isinstance(item, dict):
        raise RecordError(where, "must be an object with code, value, unit and at")
    unknown = set(item) - {"code", "value", "unit", "at", "uln", "source"}
    if unknown:
        raise RecordError(f"{where}.{_key(sorted(unknown)[0])}",
                          "is not a field of an observation")
    code = item.get("code")
    if code is None:
        raise RecordError(f"{where}.code", "is required (an observation code such as weight)")
    if not isinstance(code, str) or code not in CODES:
        raise RecordError(f"{where}.code", f"unknown observation code {quote(code)}")
    unit_text = item.get("unit")
    if not isinstance(unit_text, str):
        accepted = ", ".join(CODES[code].units)
        raise RecordError(f"{where}.unit", f"is required for {code} (accepted: {accepted})")
    try:
        unit = normalise_unit(code, _text(unit_text, f"{where}.unit"))
    except UnitError as exc:
        raise RecordError(f"{where}.unit", str(exc)) from None
    raw = item.get("value")
    value = _number_or_range(raw, f"{where}.value", code, code, unit)
    problem = check_value(code, value, unit)
    if problem:
        raise RecordError(f"{where}.value", f"{code} {quote(raw)}{unit_word(unit)} "
                                            f"{_verb(problem)}")
    uln = None
    if item.get("uln") is not None:
        uln = _number_or_range(item["uln"], f"{where}.uln", code, f"{code} ULN", unit)
        problem = check_uln(code, uln, unit)
        if problem:
            raise RecordError(f"{where}.uln", f"{code} ULN {quote(item['uln'])}"
                                              f"{unit_word(unit)} {_verb(problem)}")
    at = parse_datetime(item.get("at"), f"{where}.at", zone)
    source = item.get("source")
    if source is not None and not isinstance(source, str):
        raise RecordError(f"{where}.source", f"{quote(source)} is not text")
    return Observation(code, value, unit, at, uln, _text(source, f"{where}.source")
                       if source is not None else None)



def _verb(problem: str) -> str:
    """``must be ...`` and ``is outside ...`` read after the value; others get a colon."""
    return problem if problem.startswith(("must ", "is ")) else f": {problem}"


def parse_answer(value: Any, where: str) -> Answer:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and _text(value, where).lower() in ("n/a", "na"):
        return "n/a"
    raise RecordError(where, f"{quote(value)} is not an answer: use true, false or \"n/a\"")


def parse_record(data: Any, now: datetime, zone: tzinfo | None = None) -> Record:
    """Check and convert a RECORD; ``now`` stands in for a missing ``as_of``.

    ``zone`` is the site's time zone: offsets convert into it and spans in hours are
    elapsed time in it (None: the machine's zone for offsets, wall clock for spans).
    """
    if not isinstance(data, dict):
        raise RecordError("RECORD", "must be a JSON object")
    unknown = set(data) - {"patient", "as_of", "events", "facts", "observations", "answers"}
    if unknown:
        raise RecordError(_key(sorted(unknown)[0]), "is not a field of a patient record")
    as_of = (parse_datetime(data["as_of"], "as_of", zone) if data.get("as_of") is not None
             else now.replace(microsecond=0))
    _in_years(as_of, "as_of", as_of.isoformat())

    patient = _mapping(data.get("patient"), "patient")
    unknown = set(patient) - {"birth_date", "sex"}
    if unknown:
        raise RecordError(f"patient.{_key(sorted(unknown)[0])}", "is not a field of patient")
    birth_date = None
    if patient.get("birth_date") is not None:
        birth_date = parse_date(patient["birth_date"], "patient.birth_date")
        if birth_date > as_of.date():
            raise RecordError("patient.birth_date", f"{birth_date} is after as_of {as_of.date()}")
        if birth_date < EARLIEST_BIRTH:
            raise RecordError("patient.birth_date", f"{birth_date} is before 1900-01-01")
    sex = patient.get("sex")
    if sex is not None:
        if not isinstance(sex, str) or _text(sex, "patient.sex").lower() not in SEXES:
            raise RecordError("patient.sex", f"{quote(sex)} is not one of: female, male")
        sex = sex.strip(" ").lower()

    events: dict[str, datetime] = {}
    for name, value in _mapping(data.get("events"), "events").items():
        if name not in EVENTS:
            raise RecordError(f"events.{_key(name)}",
                              f"unknown event (known: {', '.join(EVENTS)})")
        if value is not None:
            events[name] = parse_datetime(value, f"events.{name}", zone)

    facts: dict[str, bool] = {}
    for name, value in _mapping(data.get("facts"), "facts").items():
        if name not in FACTS:
            raise RecordError(f"facts.{_key(name)}", f"unknown fact (known: {', '.join(FACTS)})")
        if value is None:
            continue
        if not isinstance(value, bool):
            raise RecordError(f"facts.{name}", f"{quote(value)} is not true or false")
        facts[name] = value

    raw_obs = data.get("observations")
    if raw_obs is None:
        raw_obs = []
    if not isinstance(raw_obs, list):
        raise RecordError("observations", "must be a list")
    observations = tuple(
        parse_observation(item, f"observations[{i}]", zone) for i, item in enumerate(raw_obs)
    )
    if birth_date is not None:
        for i, obs in enumerate(observations):
            if obs.at.date() < birth_date:
                raise RecordError(f"observations[{i}].at",
                                  f"{obs.at.date()} is before the birth date {birth_date}")

    answers: dict[str, Answer] = {}
    for name, value in _mapping(data.get("answers"), "answers").items():
        if value is True or value is False:  # the usual case: no field path to build
            answers[name] = value
        elif value is not None:
            answers[name] = parse_answer(value, f"answers.{_key(name)}")

    return Record(as_of, birth_date, sex, events, facts, observations, answers, zone)
