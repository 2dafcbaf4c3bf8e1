"""A patient record as the engine reads it, parsed and checked from plain data.

The shape is the screening contract's RECORD (``nkscreen evaluate``). Every problem
raises :class:`RecordError` naming the offending field, e.g. ``observations[2].unit``.
Parsing is pure: the caller reads the file and supplies the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Literal

from desktop.domain.trial import EVENTS, FACTS
from desktop.domain.units import CODES, UnitError, check_value, normalise_unit

Answer = bool | Literal["n/a"]
SEXES = ("female", "male")
EARLIEST_BIRTH = date(1900, 1, 1)


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


def parse_datetime(value: Any, where: str) -> datetime:
    """ISO 8601 local wall-clock time; a bare date is 00:00; an offset is made local."""
    if not isinstance(value, str) or not value.strip():
        raise RecordError(where, "must be an ISO 8601 date or date-time, e.g. 2026-11-01T07:30")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(where, f"{value!r} is not an ISO 8601 date or date-time") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone().replace(tzinfo=None)
    return parsed


def parse_date(value: Any, where: str) -> date:
    if not isinstance(value, str):
        raise RecordError(where, "must be an ISO 8601 date, e.g. 1958-04-12")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise RecordError(where, f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None


def parse_number(value: Any, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(where, f"{value!r} is not a number")
    if value != value or value in (float("inf"), float("-inf")):
        raise RecordError(where, f"{value!r} is not a finite number")
    return Fraction(str(value))


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(where, "must be an object")
    return value


def parse_observation(item: Any, where: str) -> Observation:
    if not isinstance(item, dict):
        raise RecordError(where, "must be an object with code, value, unit and at")
    unknown = set(item) - {"code", "value", "unit", "at", "uln", "source"}
    if unknown:
        raise RecordError(f"{where}.{sorted(unknown)[0]}", "is not a field of an observation")
    code = item.get("code")
    if code not in CODES:
        raise RecordError(f"{where}.code", f"unknown observation code {code!r}")
    value = parse_number(item.get("value"), f"{where}.value")
    unit_text = item.get("unit")
    if not isinstance(unit_text, str):
        accepted = ", ".join(CODES[code].units)
        raise RecordError(f"{where}.unit", f"is required for {code} (accepted: {accepted})")
    try:
        unit = normalise_unit(code, unit_text)
    except UnitError as exc:
        raise RecordError(f"{where}.unit", str(exc)) from None
    problem = check_value(code, value)
    if problem:
        raise RecordError(f"{where}.value", f"{code} {item.get('value')!r} {unit}: {problem}")
    uln = None
    if item.get("uln") is not None:
        uln = parse_number(item["uln"], f"{where}.uln")
        if uln <= 0:
            raise RecordError(f"{where}.uln", "an upper limit of normal must be above 0")
    at = parse_datetime(item.get("at"), f"{where}.at")
    source = item.get("source")
    return Observation(code, value, unit, at, uln, source if isinstance(source, str) else None)


def parse_answer(value: Any, where: str) -> Answer:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("n/a", "na"):
        return "n/a"
    raise RecordError(where, f"{value!r} is not an answer: use true, false or \"n/a\"")


def parse_record(data: Any, now: datetime) -> Record:
    """Check and convert a RECORD; ``now`` stands in for a missing ``as_of``."""
    if not isinstance(data, dict):
        raise RecordError("record", "must be a JSON object")
    unknown = set(data) - {"patient", "as_of", "events", "facts", "observations", "answers"}
    if unknown:
        raise RecordError(sorted(unknown)[0], "is not a field of a patient record")
    as_of = parse_datetime(data["as_of"], "as_of") if data.get("as_of") is not None else now

    patient = _mapping(data.get("patient"), "patient")
    unknown = set(patient) - {"birth_date", "sex"}
    if unknown:
        raise RecordError(f"patient.{sorted(unknown)[0]}", "is not a field of patient")
    birth_date = None
    if patient.get("birth_date") is not None:
        birth_date = parse_date(patient["birth_date"], "patient.birth_date")
        if birth_date > as_of.date():
            raise RecordError("patient.birth_date", f"{birth_date} is after as_of {as_of.date()}")
        if birth_date < EARLIEST_BIRTH:
            raise RecordError("patient.birth_date", f"{birth_date} is before 1900-01-01")
    sex = patient.get("sex")
    if sex is not None:
        if not isinstance(sex, str) or sex.strip().lower() not in SEXES:
            raise RecordError("patient.sex", f"{sex!r} is not one of: female, male")
        sex = sex.strip().lower()

    events: dict[str, datetime] = {}
    for name, value in _mapping(data.get("events"), "events").items():
        if name not in EVENTS:
            raise RecordError(f"events.{name}", f"unknown event (known: {', '.join(EVENTS)})")
        if value is not None:
            events[name] = parse_datetime(value, f"events.{name}")

    facts: dict[str, bool] = {}
    for name, value in _mapping(data.get("facts"), "facts").items():
        if name not in FACTS:
            raise RecordError(f"facts.{name}", f"unknown fact (known: {', '.join(FACTS)})")
        if value is None:
            continue
        if not isinstance(value, bool):
            raise RecordError(f"facts.{name}", f"{value!r} is not true or false")
        facts[name] = value

    raw_obs = data.get("observations")
    if raw_obs is None:
        raw_obs = []
    if not isinstance(raw_obs, list):
        raise RecordError("observations", "must be a list")
    observations = tuple(
        parse_observation(item, f"observations[{i}]") for i, item in enumerate(raw_obs)
    )

    answers: dict[str, Answer] = {}
    for key, value in _mapping(data.get("answers"), "answers").items():
        if value is not None:
            answers[key] = parse_answer(value, f"answers.{key}")

    return Record(as_of, birth_date, sex, events, facts, observations, answers)
