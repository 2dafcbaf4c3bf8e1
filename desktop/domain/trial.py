"""The trial model: one protocol's stages and criteria, as the engine reads them.

Plain frozen classes, built only from data that :mod:`desktop.domain.trial_schema`
(the pydantic schema of ``trials/*.yaml``) has validated, or from the trial library's
cache of that validated data (:mod:`desktop.library_cache`). Keeping pydantic out of
this module is what lets a headless command start without importing it.

A computed criterion carries a ``rule``: a small tree of comparisons that states the
criterion *as the protocol writes it* (for an exclusion, the condition that excludes).

``to_plain`` and ``from_plain`` turn a model into plain data (dicts, lists, str, bool,
int, ``Fraction``, ``date``) and back; ``from_plain`` also takes numbers and dates as
the text ``to_plain``'s values print as (``"11/10"``, ``"2025-06-01"``), which is how the
cache stores them. ``Model.model_validate(data)`` validates against the schema
(importing pydantic) and ``model_dump_json()`` is the schema's JSON of the model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from fractions import Fraction
from functools import cached_property
from typing import Any, Literal, TypeVar, Union

from desktop.domain.plain_model import PlainModel as _Model
from desktop.domain.plain_model import model_field
from desktop.domain.trial_schedule import Delay, Schedule, ScheduledEvent

EVENTS: dict[str, str] = {
    "lymphodepletion": "lymphodepletion",
    "infusion": "NK cell infusion",
    "treatment_start": "first study treatment",
    "transplant": "stem cell infusion (day 0)",
    "venetoclax_start": "venetoclax initiation",
}
FACTS: dict[str, str] = {
    "gilbert_syndrome": "Gilbert's syndrome",
    "disease_related_hemolysis": "disease-related hemolysis",
    "childbearing_potential": "childbearing potential",
}
#: Quantities the engine derives from several inputs, with their unit.
DERIVED: dict[str, str] = {
    "age": "years",
    "crcl_cockcroft_gault": "mL/min",
    "corrected_calcium": "mg/dL",
}
STAGE_TITLES: dict[str, str] = {
    "screening-1": "Screening #1",
    "screening-2": "Screening #2",
    "pre-lymphodepletion": "Pre-lymphodepletion",
    "pre-infusion": "Pre-infusion",
    "pre-venetoclax": "Pre-venetoclax",
}

EventName = Literal["lymphodepletion", "infusion", "treatment_start", "transplant",
                    "venetoclax_start"]
FactName = Literal["gilbert_syndrome", "disease_related_hemolysis", "childbearing_potential"]
Op = Literal["<", "<=", ">", ">="]
SPAN_RE = re.compile(r"^(\d+)(h|d|w|mo)$")
ID_RE = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class Window(_Model):
    """When an observation counts: a span before an event, or the event's calendar day."""

    event: EventName
    #: span before the event: 24h, 3d, 2w, 6mo
    within: str | None = None
    on_day: bool = False

    @property
    def span(self) -> tuple[int, str] | None:
        if self.within is None:
            return None
        m = SPAN_RE.match(self.within)
        assert m is not None
        return int(m.group(1)), m.group(2)

    def describe(self) -> str:
        event = EVENTS[self.event]
        if self.on_day:
            return f"on the day of {event}"
        amount, unit = self.span or (0, "d")
        names = {"h": "hour", "d": "day", "w": "week", "mo": "month"}
        name = names[unit] + ("" if amount == 1 else "s")
        return f"within {amount} {name} before {event}"


class Compare(_Model):
    """``of`` (an observation code or a derived quantity) compared with a limit.

    The limit is either ``value`` in ``unit`` or ``uln``: a multiple of the upper
    limit of normal carried by the observation (or the site's ULN table). For an
    observation code, ``unit`` is always set (the schema fills in the canonical one).
    """

    type: Literal["compare"] = "compare"
    of: str
    op: Op
    value: Fraction | None = None
    unit: str | None = None
    uln: Fraction | None = None
    select: Literal["latest", "max"] = "latest"
    window: Window | None = None


class AnyOf(_Model):
    """Holds when any part holds ("ECOG <= 2 or Karnofsky >= 60")."""

    type: Literal["any"] = "any"
    of: list[Rule]


class AllOf(_Model):
    """Holds when every part holds ("AST and ALT <= 3 x ULN")."""

    type: Literal["all"] = "all"
    of: list[Rule]


class Exception_(_Model):
    """``base`` applies, or ``relaxed`` where one of ``facts`` is true (Gilbert's)."""

    type: Literal["exception"] = "exception"
    facts: list[FactName]
    base: Rule
    relaxed: Rule


class CriteriaFail(_Model):
    """Holds when any of the named criteria of the same stage fails.

    For exclusions that refer back ("Persons who do not meet the age and organ
    function criteria specified above").
    """

    type: Literal["criteria_fail"] = "criteria_fail"
    criteria: list[str]


Rule = Union[Compare, AnyOf, AllOf, Exception_, CriteriaFail]  # noqa: UP007


class Criterion(_Model):
    """One criterion, in protocol order: attested by a person or computed by a rule."""

    id: str
    kind: Literal["inclusion", "exclusion"]
    #: the protocol's words, verbatim
    text: str
    #: the protocol's heading over it
    group: str | None = None
    attested: bool = False
    rule: Rule | None = None
    #: applies to every observation the rule reads, but weight
    window: Window | None = None
    #: the reading chosen, where text is unclear
    note: str | None = None
    #: ids of criteria of the same stage that stand in for this one: the protocol's
    #: 'A OR B' across criteria, 'unless thought to be disease related'
    alternatives: list[str] = model_field(default_factory=list)


class Override(_Model):
    """Where the protocol lets a failed stage proceed after review."""

    #: the protocol's words, verbatim
    text: str
    #: who must agree, e.g. PI, IND holder
    agreed_by: list[str]


class Stage(_Model):
    id: str
    title: str
    #: the protocol's section heading
    heading: str | None = None
    #: times the stage is screened (infusions)
    repeat: int = 1
    override: Override | None = None
    criteria: list[Criterion]

    @cached_property
    def _by_id(self) -> dict[str, Criterion]:
        return {c.id: c for c in self.criteria}

    def criterion(self, criterion_id: str) -> Criterion | None:
        return self._by_id.get(criterion_id)


class Trial(_Model):
    id: str
    title: str
    sponsor: str
    protocol_version: str
    protocol_date: date | None = None
    source: str
    notes: list[str] = model_field(default_factory=list)
    #: the study days of the planned events, as stated
    schedule: Schedule | None = None
    stages: list[Stage]

    @property
    def stage_ids(self) -> list[str]:
        return [s.id for s in self.stages]

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)


def compares(rule: Rule | None,
             window: Window | None = None) -> list[tuple[Compare, Window | None]]:
    """Every comparison in a rule tree, with the window it is read in.

    Criterion references (``criteria_fail``) are not followed: they name other
    criteria, which their callers walk in their own right.
    """
    if rule is None or isinstance(rule, CriteriaFail):
        return []
    if isinstance(rule, Compare):
        return [(rule, rule.window or window)]
    if isinstance(rule, AnyOf | AllOf):
        return [pair for part in rule.of for pair in compares(part, window)]
    return compares(rule.base, window) + compares(rule.relaxed, window)


# --------------------------------------------------------------------- plain data


def to_plain(value: Any) -> Any:
    """A model as dicts (its fields, in order), lists and the values they hold."""
    if isinstance(value, _Model):
        return {name: to_plain(value.__dict__[name]) for name in value._fields}
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    return value


class PlainDataError(ValueError):
    """Plain data that is not a model's (a damaged or foreign cache entry)."""


M = TypeVar("M", bound=_Model)


def from_plain(cls: type[M], data: object) -> M:
    """The model ``cls`` from ``to_plain``'s data (numbers and dates also as text).

    The data is trusted to have passed the schema once; this checks its shape only, and
    raises :class:`PlainDataError` for anything else."""
    built = _build(cls, data)
    if not isinstance(built, cls):  # pragma: no cover - _build answers cls
        raise PlainDataError(f"not a {cls.__name__}")
    return built


def _build(cls: type[_Model], data: object) -> _Model:
    if not isinstance(data, Mapping):
        raise PlainDataError(f"{cls.__name__}: not an object")
    names = _FIELDS[cls]
    if not set(data) <= names:
        raise PlainDataError(f"{cls.__name__}: unknown fields {sorted(set(data) - names)}")
    if "type" in names and data.get("type", _KINDS[cls]) != _KINDS[cls]:
        raise PlainDataError(f"{cls.__name__}: not a {_KINDS[cls]!r} rule")
    try:
        values = {name: convert(data[name]) for name, convert in _CONVERT[cls].items()
                  if name in data}
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise PlainDataError(f"{cls.__name__}: {exc}") from None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise PlainDataError("not text")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise PlainDataError("not true or false")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlainDataError("not a whole number")
    return value


def _number(value: object) -> Fraction | None:
    if value is None or isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        return Fraction(value)
    raise PlainDataError("not a number")


def _day(value: object) -> date | None:
    if value is None or type(value) is date:
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise PlainDataError("not a date")


def _texts(value: object) -> list[str]:
    if not isinstance(value, list):
        raise PlainDataError("not a list")
    return [_text(item) for item in value]


def _model(cls: type[_Model]) -> Any:
    return lambda value: _build(cls, value)


def _optional(cls: type[_Model]) -> Any:
    return lambda value: None if value is None else _build(cls, value)


def _models(cls: type[_Model]) -> Any:
    def build(value: object) -> list[_Model]:
        if not isinstance(value, list):
            raise PlainDataError("not a list")
        return [_build(cls, item) for item in value]
    return build


_RULES: dict[str, type[_Model]] = {"compare": Compare, "any": AnyOf, "all": AllOf,
                                   "exception": Exception_, "criteria_fail": CriteriaFail}
_KINDS: dict[type[_Model], str] = {cls: kind for kind, cls in _RULES.items()}


def _rule(value: object) -> _Model:
    kind = value.get("type") if isinstance(value, Mapping) else None
    if not isinstance(kind, str) or kind not in _RULES:
        raise PlainDataError("not a rule")
    return _build(_RULES[kind], value)


def _optional_rule(value: object) -> _Model | None:
    return None if value is None else _rule(value)


def _rules(value: object) -> list[_Model]:
    if not isinstance(value, list):
        raise PlainDataError("not a list")
    return [_rule(item) for item in value]


#: Per model, how each field's plain value becomes the field's value.
_CONVERT: dict[type[_Model], dict[str, Any]] = {
    Window: {"event": _text, "within": _optional_text, "on_day": _flag},
    Compare: {"type": _text, "of": _text, "op": _text, "value": _number,
              "unit": _optional_text, "uln": _number, "select": _text,
              "window": _optional(Window)},
    AnyOf: {"type": _text, "of": _rules},
    AllOf: {"type": _text, "of": _rules},
    Exception_: {"type": _text, "facts": _texts, "base": _rule, "relaxed": _rule},
    CriteriaFail: {"type": _text, "criteria": _texts},
    Criterion: {"id": _text, "kind": _text, "text": _text, "group": _optional_text,
                "attested": _flag, "rule": _optional_rule, "window": _optional(Window),
                "note": _optional_text, "alternatives": _texts},
    Override: {"text": _text, "agreed_by": _texts},
    Stage: {"id": _text, "title": _text, "heading": _optional_text, "repeat": _count,
            "override": _optional(Override), "criteria": _models(Criterion)},
    Delay: {"up_to": _text, "text": _text},
    ScheduledEvent: {"event": _text, "day": _count, "text": _text,
                     "delay": _optional(Delay)},
    Schedule: {"days": _models(ScheduledEvent), "note": _optional_text},
    Trial: {"id": _text, "title": _text, "sponsor": _text, "protocol_version": _text,
            "protocol_date": _day, "source": _text, "notes": _texts,
            "schedule": _optional(Schedule), "stages": _models(Stage)},
}
_FIELDS: dict[type[_Model], frozenset[str]] = {cls: frozenset(cls._fields) for cls in _CONVERT}
