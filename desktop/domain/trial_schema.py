"""The schema of ``trials/*.yaml``: pydantic models that validate a trial file.

Validation only: what the engine and everything else use is the plain model of
:mod:`desktop.domain.trial`, built from the validated data by :func:`validate`. Reading
files is the library's job (:mod:`desktop.library`), deciding eligibility is the
engine's (:mod:`desktop.domain.engine`). Each class here has the fields, in the same
order, of its namesake there; a schema change is a change to both (and to the library
cache's fingerprint, which covers both files).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from desktop.domain import trial as plain
from desktop.domain import trial_schedule as schedule
from desktop.domain.plain_model import PlainModel
from desktop.domain.trial import (
    DERIVED,
    EVENTS,
    ID_RE,
    SPAN_RE,
    EventName,
    FactName,
    Op,
)
from desktop.domain.trial_schedule import HOURS_RE
from desktop.domain.units import CODES, normalise_unit


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


class Delay(_Model):
    """How much later than its study day the protocol lets an event take place."""

    up_to: str = Field(description="elapsed hours, e.g. 24h")
    text: str = Field(min_length=1, description="the protocol's words, verbatim")

    @model_validator(mode="after")
    def _hours(self) -> Delay:
        if not HOURS_RE.match(self.up_to):
            raise ValueError(f"up_to {self.up_to!r}: write the delay in hours, e.g. 24h")
        return self


class ScheduledEvent(_Model):
    """One planned event on its study day (Day 0 is the protocol's reference day)."""

    event: str
    day: int = Field(ge=-365, le=365)
    text: str = Field(min_length=1, description="the protocol's words giving the day")
    delay: Delay | None = None


class Schedule(_Model):
    """The study days of the planned events, as the protocol gives them."""

    days: list[ScheduledEvent] = Field(min_length=2)
    note: str | None = Field(default=None, description="the reading chosen, where unclear")

    @model_validator(mode="after")
    def _unique(self) -> Schedule:
        names = [d.event for d in self.days]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"schedule: event {name!r} is given a day twice")
        return self


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


def _refs(rule: Rule | None) -> list[str]:
    if rule is None or isinstance(rule, Compare):
        return []
    if isinstance(rule, CriteriaFail):
        return list(rule.criteria)
    if isinstance(rule, AnyOf | AllOf):
        return [r for part in rule.of for r in _refs(part)]
    return _refs(rule.base) + _refs(rule.relaxed)



# ------------------------------------------------- from the schema to the plain model

#: Each plain model's schema.
SCHEMAS: dict[type[PlainModel], type[_Model]] = {
    plain.Window: Window, plain.Compare: Compare, plain.AnyOf: AnyOf, plain.AllOf: AllOf,
    plain.Exception_: Exception_, plain.CriteriaFail: CriteriaFail,
    plain.Criterion: Criterion, plain.Override: Override, plain.Stage: Stage,
    schedule.Delay: Delay, schedule.ScheduledEvent: ScheduledEvent,
    schedule.Schedule: Schedule,
    plain.Trial: Trial,
}

M = TypeVar("M", bound=PlainModel)


def validated_plain(model: Any) -> Any:
    """A validated schema model as plain data: its fields (as validated, units filled
    in, numbers as ``Fraction``), in order."""
    if isinstance(model, BaseModel):
        return {name: validated_plain(getattr(model, name)) for name in type(model).model_fields}
    if isinstance(model, list):
        return [validated_plain(item) for item in model]
    return model


def validate(cls: type[M], data: object) -> M:
    """``data`` checked against ``cls``'s schema, as the plain model ``cls``; raises
    pydantic's ``ValidationError``."""
    return plain.from_plain(cls, validated_plain(SCHEMAS[cls].model_validate(data)))


def dump_json(model: PlainModel) -> str:
    """The schema's JSON of a plain model: what pydantic's ``model_dump_json`` gives."""
    return SCHEMAS[type(model)].model_validate(plain.to_plain(model)).model_dump_json()
