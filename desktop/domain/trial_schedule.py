"""The protocol's treatment schedule, as the trial files state it: which planned event
falls on which study day ("Criteria to Receive Lymphodepletion on Day -5"), and the
delay the protocol allows an event ("the NK cell infusion may be delayed for up to 24
hours").

Part of the schema of ``trials/*.yaml`` (``Trial.schedule``; the trial checks that each
event is one it knows). Only what the protocol states goes here, each day with the
protocol's words; checking planned dates against it is
:mod:`desktop.domain.schedule`'s.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

HOURS_RE = re.compile(r"^(\d+)h$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Delay(_Model):
    """How much later than its study day the protocol lets an event take place."""

    up_to: str = Field(description="elapsed hours, e.g. 24h")
    text: str = Field(min_length=1, description="the protocol's words, verbatim")

    @model_validator(mode="after")
    def _hours(self) -> Delay:
        if not HOURS_RE.match(self.up_to):
            raise ValueError(f"up_to {self.up_to!r}: write the delay in hours, e.g. 24h")
        return self

    @property
    def hours(self) -> int:
        found = HOURS_RE.match(self.up_to)
        assert found is not None
        return int(found.group(1))


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

    def day_of(self, event: str) -> ScheduledEvent | None:
        return next((d for d in self.days if d.event == event), None)
