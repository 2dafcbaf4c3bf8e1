"""The screening timeline: what a patient's dashboard draws, as plain values.

One lane per visit slot of the trial (a stage, or each repeat of a repeated stage),
with the stage's state, its time windows as concrete spans against the planned event
dates, and the events those windows hang on. The spans come from
:func:`desktop.domain.timewindow.bounds`, so the picture shows exactly what the engine
admits: hour spans are exact, day/week/month spans start at 00:00 of the first
calendar day, "on the day of" is the event's calendar date.

Input, keyed by visit slot ``(stage_id, repeat)`` with ``repeat`` counting from 1:

* ``events``: the planned event dates of each slot's visit (events are stored per
  visit and carried forward, so a rescheduled infusion moves only the later visits);
* ``fallback``: the screening's latest known events, used for every slot that has no
  entry in ``events`` (stages without a visit yet);
* ``states``: the state of each slot's visit; a slot without one is not started.

``today`` is passed in, never read from the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from desktop.domain.text import label_of
from desktop.domain.timewindow import bounds
from desktop.domain.trial import EVENTS, Stage, Trial, Window, compares
from desktop.domain.visits import Due, StageState, due_next, events_of, next_slot, slots

#: A visit slot's key: the stage's id and the repeat (1 for a stage screened once).
SlotKey = tuple[str, int]
#: Whole days of margin either side of what is drawn.
PAD = timedelta(days=1)
#: Today is pulled into the drawn range when it lies at most this far outside it.
TODAY_REACH = timedelta(days=7)


@dataclass(frozen=True)
class Marker:
    """A planned event: its name (``EVENTS`` key), its words, and when."""

    event: str
    label: str
    at: datetime


@dataclass(frozen=True)
class Span:
    """One time window of a lane, made concrete: results dated in it count.

    ``start <= at <= end``, or ``< end`` when ``end_exclusive`` ("on the day of").
    """

    start: datetime
    end: datetime
    end_exclusive: bool
    event: str
    #: e.g. "within 24 hours before lymphodepletion"
    text: str
    #: The quantities read in this window (observation codes or derived quantities).
    codes: tuple[str, ...]
    #: The criteria whose rules read them, in protocol order (internal ids).
    criteria: tuple[str, ...]
    #: Their numbers in the stage ("#3"), as a person is told them.
    numbers: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """The quantities' names as the app shows them ("AST", "Direct bilirubin")."""
        return tuple(label_of(code) for code in self.codes)

    def admits(self, at: datetime) -> bool:
        if at < self.start:
            return False
        return at < self.end if self.end_exclusive else at <= self.end


@dataclass(frozen=True)
class Lane:
    """One visit slot: a row of the timeline."""

    stage_id: str
    repeat: int
    #: e.g. "Pre-infusion (infusion 2 of 3)"
    title: str
    #: NOT_STARTED: no visit yet.
    state: StageState
    #: The slot a coordinator works on next (:func:`desktop.domain.visits.next_slot`).
    is_next: bool
    spans: tuple[Span, ...]
    #: The events this lane's windows hang on that have a date, in time order.
    markers: tuple[Marker, ...]
    #: Events the windows need whose date is not entered (``EVENTS`` keys).
    missing: tuple[str, ...]
    #: When the lane's results may be taken (:func:`desktop.domain.visits.due_next`).
    due: Due

    @property
    def has_windows(self) -> bool:
        return bool(self.spans or self.missing)

    @property
    def note(self) -> str:
        """What the lane says where it has no bars: which date to enter, or no window."""
        if self.missing:
            return f"Enter the planned {_names(self.missing)} {_dates(self.missing)}"
        if not self.spans:
            return "No time window"
        return ""


@dataclass(frozen=True)
class Timeline:
    trial_id: str
    lanes: tuple[Lane, ...]
    #: Every distinct planned event drawn, in time order.
    markers: tuple[Marker, ...]
    #: The range to draw, whole days with a day's margin; None when nothing has a date.
    start: datetime | None
    end: datetime | None
    today: datetime
    #: Shown instead of the picture when there is nothing to draw; "" otherwise.
    message: str

    @property
    def today_shown(self) -> bool:
        return self.start is not None and self.end is not None and \
            self.start <= self.today <= self.end


def lane_title(stage: Stage, repeat: int) -> str:
    """The stage's title, with which repeat of how many for a repeated stage."""
    if stage.repeat == 1:
        return stage.title
    word = "infusion" if "infusion" in stage.id or "infusion" in events_of(stage) else "visit"
    return f"{stage.title} ({word} {repeat} of {stage.repeat})"


def build_timeline(trial: Trial,
                   events: Mapping[SlotKey, Mapping[str, datetime]],
                   states: Mapping[SlotKey, StageState],
                   today: datetime,
                   fallback: Mapping[str, datetime] | None = None) -> Timeline:
    """The lanes, markers and range to draw for one patient's screening of ``trial``."""
    all_slots = slots(trial.stages, states)
    upcoming = next_slot(all_slots)
    lanes = tuple(
        _lane(slot.stage, slot.repeat,
              events.get((slot.stage.id, slot.repeat), fallback or {}),
              slot.state, slot is upcoming)
        for slot in all_slots
    )
    markers = tuple(sorted({m for lane in lanes for m in lane.markers},
                           key=lambda m: (m.at, list(EVENTS).index(m.event))))
    start, end = _range(lanes, markers, today)
    return Timeline(trial.id, lanes, markers, start, end, today, _message(lanes, start))


def _lane(stage: Stage, repeat: int, events: Mapping[str, datetime],
          state: StageState, is_next: bool) -> Lane:
    windows = _windows(stage)
    needed = [e for e in EVENTS if any(w.event == e for w in windows)]
    missing = tuple(e for e in needed if e not in events)
    spans = tuple(_span(w, events[w.event], reads) for w, reads in windows.items()
                  if w.event in events)
    spans = tuple(sorted(spans, key=lambda s: (s.start, s.end)))
    markers = tuple(sorted((Marker(e, EVENTS[e], events[e]) for e in needed if e in events),
                           key=lambda m: m.at))
    return Lane(stage.id, repeat, lane_title(stage, repeat), state, is_next, spans, markers,
                missing, due_next(stage, events))


def _windows(stage: Stage) -> dict[Window, list[tuple[str, str, int]]]:
    """Each distinct window with the (criterion id, quantity, criterion number) read in it."""
    found: dict[Window, list[tuple[str, str, int]]] = {}
    for number, criterion in enumerate(stage.criteria, start=1):
        for compare, window in compares(criterion.rule, criterion.window):
            if window is None or compare.of == "age":
                continue
            found.setdefault(window, []).append((criterion.id, compare.of, number))
    return found


def _span(window: Window, event_at: datetime, reads: list[tuple[str, str, int]]) -> Span:
    b = bounds(window, event_at)
    return Span(b.start, b.end, b.end_exclusive, window.event, window.describe(),
                tuple(dict.fromkeys(code for _, code, _ in reads)),
                tuple(dict.fromkeys(crit for crit, _, _ in reads)),
                tuple(dict.fromkeys(f"#{number}" for _, _, number in reads)))


def _range(lanes: tuple[Lane, ...], markers: tuple[Marker, ...],
           today: datetime) -> tuple[datetime | None, datetime | None]:
    times = [m.at for m in markers] + \
        [t for lane in lanes for s in lane.spans for t in (s.start, s.end)]
    if not times:
        return None, None
    first, last = min(times), max(times)
    if first - TODAY_REACH <= today <= last + TODAY_REACH:
        first, last = min(first, today), max(last, today)
    start = datetime.combine(first.date(), time()) - PAD
    last_day = datetime.combine(last.date(), time())
    end = (last_day if last == last_day else last_day + timedelta(days=1)) + PAD
    return start, end


def _message(lanes: tuple[Lane, ...], start: datetime | None) -> str:
    if start is not None:
        return ""
    missing = tuple(e for e in EVENTS if any(e in lane.missing for lane in lanes))
    if not missing:
        return "This trial's criteria set no time windows."
    return f"Enter the planned {_names(missing)} {_dates(missing)} to see the windows"


def _names(events: tuple[str, ...]) -> str:
    labels = [EVENTS[e] for e in events]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _dates(events: tuple[str, ...]) -> str:
    return "date" if len(events) == 1 else "dates"
