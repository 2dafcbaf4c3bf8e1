"""The protocol's treatment schedule, as the trial files state it: which planned event
falls on which study day ("Criteria to Receive Lymphodepletion on Day -5"), and the
delay the protocol allows an event ("the NK cell infusion may be delayed for up to 24
hours").

Part of the trial model (``Trial.schedule``); its schema, with the checks a trial file
must pass (hours written as ``24h``, each event given a day once and known to the
trial model), is :mod:`desktop.domain.trial_schema`'s. Only what the protocol states
goes here, each day with the protocol's words; checking planned dates against it is
:mod:`desktop.domain.schedule`'s.
"""

from __future__ import annotations

import re

from desktop.domain.plain_model import PlainModel

HOURS_RE = re.compile(r"^(\d+)h$")


class Delay(PlainModel):
    """How much later than its study day the protocol lets an event take place."""

    #: elapsed hours, e.g. 24h
    up_to: str
    #: the protocol's words, verbatim
    text: str

    @property
    def hours(self) -> int:
        found = HOURS_RE.match(self.up_to)
        assert found is not None  # the schema checked it
        return int(found.group(1))


class ScheduledEvent(PlainModel):
    """One planned event on its study day (Day 0 is the protocol's reference day)."""

    event: str
    day: int
    #: the protocol's words giving the day
    text: str
    delay: Delay | None = None


class Schedule(PlainModel):
    """The study days of the planned events, as the protocol gives them."""

    days: list[ScheduledEvent]
    #: the reading chosen, where unclear
    note: str | None = None

    def day_of(self, event: str) -> ScheduledEvent | None:
        return next((d for d in self.days if d.event == event), None)
