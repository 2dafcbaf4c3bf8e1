"""The trial model: one protocol's stages and criteria, as the trial files hold them.

These pydantic models are the schema of ``trials/*.yaml``. They are pure data with
validation; reading files is the library's job (:mod:`desktop.library`), deciding
eligibility is the engine's (:mod:`desktop.domain.engine`).

A computed criterion carries a ``rule``: a small tree of comparisons that states the
criterion *as the protocol writes it* (for an exclusion, the condition that excludes).
"""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction
from functools import cached_property
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from desktop.domain.trial_schedule import Schedule
from desktop.domain.units import CODES, normalise_unit

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


def _to_fraction(value: Any) -> Fraction:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int | float | str):
        try:
            # str() of a float is its shortest repr: 1.1 -> "1.1" -> 11/10 exactly.
            return Fraction(str(value))
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError("must be a number") from exc
    raise ValueError("must be a number")


Number = Annotated[
    Fraction,
    BeforeValidator(_to_fraction),
    PlainSerializer(lambda f: float(f), return_type=float),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Window(_Model):
    """When an observation counts: a span before an event, or the event's calendar day."""

    event: EventName
    within: str | None = Field(
        default=None, description="span before the event: 24h, 3d, 2w, 6mo"
    )
    on_day: bool = False

    @model_validator(mode="after")
    def _one_form(self) -> Window:
        if (self.within is None) == (not self.on_day):
            raise ValueError("give exactly one of 'within' (e.g. 24h, 3d, 2w) or 'on_day: true'")
        if self.within is not None and not SPAN_RE.match(self.within):
            raise ValueError(f"within {self.within!r}: write a number then h, d, w or mo")
        return self

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
    limit of normal carried by the observation (or the site's ULN table).
    """

    type: Literal["compare"] = "compare"
    of: str
    op: Op
    value: Number | None = None
    unit: str | None = None
    uln: Number | None = None
    select: Literal["latest", "max"] = "latest"
    window: Window | None = None

    @model_validator(mode="after")
    def _check(self) -> Compare:
        if self.of not in CODES and self.of not in DERIVED:
            known = ", ".join([*CODES, *DERIVED])
            raise ValueError(f"of: unknown quantity {self.of!r} (known: {known})")
        if (self.value is None) == (self.uln is None):
            raise ValueError("give exactly one of 'value' or 'uln'")
        if self.uln is not None:
            if self.of in DERIVED and self.of != "corrected_calcium":
                raise ValueError(f"{self.of} has no upper limit of normal")
            if self.unit is not None:
                raise ValueError("a ULN multiple takes no 'unit'")
        elif self.of in CODES:
            unit = self.unit or CODES[self.of].canonical
            object.__setattr__(self, "unit", normalise_unit(self.of, unit))
        elif self.unit not in (None, DERIVED[self.of]):
            raise ValueError(f"{self.of} is in {DERIVED[self.of]}")
        return self


class AnyOf(_Model):
    """Holds when any part holds ("ECOG <= 2 or Karnofsky >= 60")."""

    type: Literal["any"] = "any"
    of: list[Rule] = Field(min_length=2)


class AllOf(_Model):
    """Holds when every part holds ("AST and ALT <= 3 x ULN")."""

    type: Literal["all"] = "all"
    of: list[Rule] = Field(min_length=2)


class Exception_(_Model):
    """``base`` applies, or ``relaxed`` where one of ``facts`` is true (Gilbert's)."""

    type: Literal["exception"] = "exception"
    facts: list[FactName] = Field(min_length=1)
    base: Rule
    relaxed: Rule


class CriteriaFail(_Model):
    """Holds when any of the named criteria of the same stage fails.

    For exclusions that refer back ("Persons who do not meet the age and organ
    function criteria specified above").
    """

    type: Literal["criteria_fail"] = "criteria_fail"
    criteria: list[str] = Field(min_length=1)


Rule = Annotated[
    Union[Compare, AnyOf, AllOf, Exception_, CriteriaFail],  # noqa: UP007
    Field(discriminator="type"),
]
AnyOf.model_rebuild()
AllOf.model_rebuild()
Exception_.model_rebuild()


class Criterion(_Model):
    """One criterion, in protocol order: attested by a person or computed by a rule."""

    id: str = Field(pattern=ID_RE)
    kind: Literal["inclusion", "exclusion"]
    text: str = Field(min_length=1, description="the protocol's words, verbatim")
    group: str | None = Field(default=None, description="the protocol's heading over it")
    attested: bool = False
    rule: Rule | None = None
    window: Window | None = Field(
        default=None, description="applies to every observation the rule reads, but weight"
    )
    note: str | None = Field(default=None, description="the reading chosen, where text is unclear")
    alternatives: list[str] = Field(
        default_factory=list,
        description="ids of criteria of the same stage that stand in for this one: the "
                    "protocol's 'A OR B' across criteria, 'unless thought to be disease related'",
    )

    @model_validator(mode="after")
    def _attested_or_rule(self) -> Criterion:
        if self.attested == (self.rule is not None):
            raise ValueError("a criterion is either 'attested: true' or has a 'rule', not both")
        if self.attested and self.window is not None:
            raise ValueError("an attested criterion takes no window")
        if self.kind == "exclusion" and _has_exception(self.rule):
            # An exception widens what passes; in an exclusion's condition it would
            # narrow what excludes, which no protocol here means.
            raise ValueError("an 'exception' rule belongs to an inclusion, not an exclusion")
        return self


def _has_exception(rule: Rule | None) -> bool:
    if isinstance(rule, Exception_):
        return True
    if isinstance(rule, AnyOf | AllOf):
        return any(_has_exception(part) for part in rule.of)
    return False


class Override(_Model):
    """Where the protocol lets a failed stage proceed after review."""

    text: str = Field(description="the protocol's words, verbatim")
    agreed_by: list[str] = Field(min_length=1, description="who must agree, e.g. PI, IND holder")


class Stage(_Model):
    id: str = Field(pattern=ID_RE)
    title: str
    heading: str | None = Field(default=None, description="the protocol's section heading")
    repeat: int = Field(default=1, ge=1, description="times the stage is screened (infusions)")
    override: Override | None = None
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> Stage:
        seen: set[str] = set()
        for crit in self.criteria:
            if crit.id in seen:
                raise ValueError(f"criterion id {crit.id!r} appears twice in stage {self.id}")
            seen.add(crit.id)
        for crit in self.criteria:
            for alt in crit.alternatives:
                if alt not in seen or alt == crit.id:
                    raise ValueError(
                        f"criterion {crit.id!r}: alternative {alt!r} is not another criterion "
                        f"of stage {self.id}"
                    )
            for ref in _refs(crit.rule):
                if ref not in seen or ref == crit.id:
                    raise ValueError(
                        f"criterion {crit.id!r}: criteria_fail names {ref!r}, "
                        f"which is not another criterion of stage {self.id}"
                    )
        return self

    @cached_property
    def _by_id(self) -> dict[str, Criterion]:
        return {c.id: c for c in self.criteria}

    def criterion(self, criterion_id: str) -> Criterion | None:
        return self._by_id.get(criterion_id)


class Trial(_Model):
    id: str = Field(pattern=r"^NCT\d{8}$")
    title: str
    sponsor: str
    protocol_version: str
    protocol_date: date | None = None
    source: str
    notes: list[str] = Field(default_factory=list)
    schedule: Schedule | None = Field(
        default=None, description="the study days of the planned events, as stated")
    stages: list[Stage] = Field(min_length=1)

    @model_validator(mode="after")
    def _stage_ids(self) -> Trial:
        ids = [s.id for s in self.stages]
        if len(set(ids)) != len(ids):
            raise ValueError("stage ids must be unique")
        for day in self.schedule.days if self.schedule is not None else ():
            if day.event not in EVENTS:
                raise ValueError(f"schedule: unknown event {day.event!r} "
                                 f"(known: {', '.join(EVENTS)})")
        return self

    @property
    def stage_ids(self) -> list[str]:
        return [s.id for s in self.stages]

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)


def _refs(rule: Rule | None) -> list[str]:
    if rule is None or isinstance(rule, Compare):
        return []
    if isinstance(rule, CriteriaFail):
        return list(rule.criteria)
    if isinstance(rule, AnyOf | AllOf):
        return [r for part in rule.of for r in _refs(part)]
    return _refs(rule.base) + _refs(rule.relaxed)


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
