"""Staged screening: which stage may be worked on, and what is due when.

Pure rules over plain values, shared by the app's patient view and worksheets:
a stage can be completed only with a decision (eligible or not eligible); the next
stage opens only after the previous one was completed eligible, or overridden where
the protocol allows proceeding after review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from desktop.domain.results import Verdict
from desktop.domain.stage_states import StageState as StageState
from desktop.domain.stage_states import can_complete as can_complete
from desktop.domain.stage_states import open_stages as open_stages
from desktop.domain.text import fmt_when
from desktop.domain.timewindow import bounds
from desktop.domain.trial import EVENTS, Stage, Window, compares


def windows_of(stage: Stage) -> list[Window]:
    """Every distinct time window the stage's criteria hang on."""
    found: list[Window] = []
    for criterion in stage.criteria:
        for compare, window in compares(criterion.rule, criterion.window):
            if window is not None and window not in found and compare.of != "age":
                found.append(window)
    return found


def events_of(stage: Stage) -> list[str]:
    """The planned events the stage's windows hang on, in a stable order."""
    names = {w.event for w in windows_of(stage)}
    return [e for e in EVENTS if e in names]


@dataclass(frozen=True)
class Due:
    """When the stage's windowed results may be taken: from ``start`` until ``end``."""

    start: datetime | None
    end: datetime | None
    text: str
    #: ``end`` itself is outside (an "on the day of" window ends at the next midnight).
    end_exclusive: bool = False

    def overdue(self, now: datetime) -> bool:
        """Whether ``now`` (local wall-clock) is past the last moment results may be
        taken: after ``end``, or at it when ``end`` is exclusive."""
        if self.end is None:
            return False
        return now >= self.end if self.end_exclusive else now > self.end

    def text_at(self, now: datetime) -> str:
        """``text``, with "— overdue" once ``now`` is past the end."""
        return f"{self.text} — overdue" if self.overdue(now) else self.text


def due_next(stage: Stage, events: Mapping[str, datetime], zone: tzinfo | None = None) -> Due:
    """E.g. "Pre-lymphodepletion labs due from 2026-11-02 08:00 (by 2026-11-03 08:00)".

    The latest-opening window decides when results can first be taken so that all
    windows admit them; the earliest-closing decides by when.
    """
    windows = windows_of(stage)
    if not windows:
        return Due(None, None, f"{stage.title}: no time window")
    missing = sorted({w.event for w in windows if w.event not in events})
    if missing:
        names = ", ".join(EVENTS[m] for m in missing)
        return Due(None, None, f"{stage.title}: enter the planned {names} date")
    spans = [bounds(w, events[w.event], zone) for w in windows]
    start = max(s.start for s in spans)
    end = min(s.end for s in spans)
    exclusive = any(s.end_exclusive for s in spans if s.end == end)
    return Due(start, end, f"{stage.title} labs due from {fmt_when(start)} "
                           f"(by {fmt_when(end)})", exclusive)


@dataclass(frozen=True)
class Slot:
    """One place a visit goes: a stage, and which repeat of it (1 unless repeated)."""

    stage: Stage
    repeat: int
    #: The state of the slot's visit (NOT_STARTED without one).
    state: StageState
    #: Whether a visit may be started here now (False once one exists).
    may_start: bool

    @property
    def title(self) -> str:
        if self.stage.repeat == 1:
            return self.stage.title
        return f"{self.stage.title} ({self.repeat} of {self.stage.repeat})"


def slots(stages: Sequence[Stage],
          states: Mapping[tuple[str, int], StageState]) -> list[Slot]:
    """Every visit slot of a trial, in order, with its state and whether it may start.

    ``states`` maps (stage id, repeat) to the state of that visit; a slot without
    an entry has not been started. Slots are strictly sequential: a slot may start
    only when every slot before it (earlier stages, earlier repeats of the same stage)
    lets the next open (``StageState.lets_next_open``: confirmed eligible, approved by
    override, or completed eligible where the site opens before the signature).
    """
    result: list[Slot] = []
    previous_ok = True
    for stage in stages:
        for repeat in range(1, stage.repeat + 1):
            state = states.get((stage.id, repeat), StageState.NOT_STARTED)
            may_start = previous_ok and state is StageState.NOT_STARTED
            result.append(Slot(stage, repeat, state, may_start))
            previous_ok = previous_ok and state.lets_next_open
    return result


def next_slot(all_slots: Sequence[Slot]) -> Slot | None:
    """The slot a coordinator works on next: the first one not completed, if it is open
    (in progress, or may start). None when screening ended (all done, or stopped at a
    not-eligible stage that was not overridden)."""
    for slot in all_slots:
        if slot.state is StageState.IN_PROGRESS or slot.may_start:
            return slot
        if not slot.state.lets_next_open:
            return None
    return None


def completion_refusal(verdict: Verdict) -> str | None:
    """Why the stage cannot be completed as it stands (None: it can): only a decided
    stage is completed, so each criterion still unknown is named by its number."""
    if can_complete(verdict.decision):
        return None
    numbers = {c.id: n for n, c in enumerate(verdict.stage.criteria, start=1)}
    missing = [f"#{numbers.get(r.id, '?')}" for r in verdict.missing]
    count = len(missing)
    noun = "criterion still needs" if count == 1 else "criteria still need"
    return (f"The stage can be completed once it is eligible or not eligible: {count} "
            f"{noun} a value or answer ({', '.join(missing)}).")
