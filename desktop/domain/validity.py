"""Until when a result stays valid for a stage, and what must be drawn by when.

A result counts for a stage while it lies inside every window the stage reads its code
in (:mod:`desktop.domain.freshness`). The windows hang on planned events, so a result
that counts now stops counting if its event moves later than some moment: that moment
is the result's *valid until* ("Serum creatinine valid for Pre-infusion until
2026-12-12 08:00"). It is found with the engine's own window rule
(:func:`desktop.domain.timewindow.bounds`), never re-derived:

* a span in hours (``within 24h``) admits the result while the event is at most that
  much elapsed time after it: valid until exactly then, inclusive (DST-aware);
* a span in days, weeks or months admits it while the window's first calendar day is
  not after the result's day: valid until the end of the last such event day
  (exclusive midnight);
* "on the day of" admits it while the event is on the result's calendar day: valid
  until the end of that day (exclusive midnight).

``draws`` lists, for a stage about to be screened, each blood test it reads: the result
that already counts (with its valid-until), or the span it must be drawn in.

Pure: the caller passes the stage, the planned events, the results' times and the zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from desktop.domain.freshness import code_windows, freshness, stage_codes
from desktop.domain.schedule import event_name
from desktop.domain.text import fmt_when, label_of
from desktop.domain.timewindow import bounds, hours_before
from desktop.domain.trial import Stage, Window
from desktop.domain.units import CODES, Check

__all__ = ["BLOOD_TESTS", "Draw", "Until", "Validity", "draws", "valid_until", "validity"]

#: Results of a blood sample: laboratory values but a measured urine clearance and a
#: steroid dose.
BLOOD_TESTS: frozenset[str] = frozenset(
    code for code, info in CODES.items() if info.check is Check.LAB
) - {"creatinine_clearance", "prednisone_equivalent"}


@dataclass(frozen=True)
class Until:
    """The latest time ``event`` may be for a result to count: ``at`` itself included,
    or (``exclusive``) only the moments before it."""

    at: datetime
    exclusive: bool
    event: str

    def words(self) -> str:
        """"2026-12-12 08:00", or "the end of 2026-12-12" for an exclusive midnight."""
        if self.exclusive and self.at.time() == time():
            return f"the end of {(self.at.date() - timedelta(days=1)).isoformat()}"
        return f"{fmt_when(self.at)} (exclusive)" if self.exclusive else _when(self.at)

    def key(self) -> tuple[datetime, int]:
        """Earlier first; at one instant, an exclusive end first (it admits less)."""
        return self.at, 0 if self.exclusive else 1


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _start_day(window: Window, event_day: date, zone: tzinfo | None) -> datetime:
    return bounds(window, datetime.combine(event_day, time()), zone).start


def valid_until(window: Window, at: datetime, zone: tzinfo | None = None) -> Until:
    """The latest planned time of ``window``'s event for which a result taken ``at``
    is inside the window (as :func:`bounds` admits)."""
    if window.on_day:
        day_end = datetime.combine(at.date() + timedelta(days=1), time())
        assert bounds(window, datetime.combine(at.date(), time()), zone).admits(at)
        return Until(day_end, True, window.event)
    span = window.span
    assert span is not None
    amount, unit = span
    if unit == "h":
        latest = hours_before(at, -amount, zone)
        assert bounds(window, latest, zone).admits(at)
        return Until(latest, False, window.event)
    reach = {"d": amount, "w": 7 * amount, "mo": 31 * amount + 31}[unit]
    day = at.date() + timedelta(days=reach)
    while _start_day(window, day, zone) > at:
        day -= timedelta(days=1)
    return Until(datetime.combine(day + timedelta(days=1), time()), True, window.event)


@dataclass(frozen=True)
class Validity:
    """Until when one result counts for the stage, and the sentence saying so."""

    code: str
    taken: datetime
    until: Until
    #: E.g. "Serum creatinine valid for Pre-infusion until 2026-12-12 08:00 (while the
    #: NK cell infusion is by then)".
    text: str


def validity(stage: Stage, code: str, events: Mapping[str, datetime], at: datetime,
             zone: tzinfo | None = None,
             windows: Sequence[Window | None] | None = None) -> Validity | None:
    """Until when a ``code`` result taken ``at`` counts for the stage; None when it does
    not count now (stale, its event not planned) or no window limits it."""
    if windows is None:
        windows = code_windows(stage, code)
    real = [w for w in windows if w is not None]
    if not real or freshness(stage, code, events, at, None, windows, zone).status != "fresh":
        return None
    until = min((valid_until(w, at, zone) for w in real), key=Until.key)
    text = (f"{label_of(code)} valid for {stage.title} until {until.words()} "
            f"(while the {event_name(until.event)} is by then)")
    return Validity(code, at, until, text)


DrawStatus = Literal["draw", "reuse", "needs_event", "no_window"]


@dataclass(frozen=True)
class Draw:
    """One blood test of the stage: reuse a result that counts, or draw it in a span."""

    code: str
    status: DrawStatus
    #: The span to draw in (status "draw"; also known for "reuse").
    start: datetime | None
    end: datetime | None
    end_exclusive: bool
    #: The result that counts (status "reuse", or "no_window" with a result).
    reused: datetime | None
    valid: Validity | None
    text: str

    @property
    def label(self) -> str:
        return label_of(self.code)

    def overdue(self, now: datetime) -> bool:
        """A test still to draw whose last moment has passed."""
        if self.status != "draw" or self.end is None:
            return False
        return now >= self.end if self.end_exclusive else now > self.end

    def by_words(self) -> str:
        if self.end is None:
            return ""
        if self.end_exclusive and self.end.time() == time():
            return f"end of {(self.end.date() - timedelta(days=1)).isoformat()}"
        return _when(self.end)


def _draw(stage: Stage, code: str, events: Mapping[str, datetime],
          taken: Sequence[datetime], zone: tzinfo | None) -> Draw:
    label = label_of(code)
    windows = code_windows(stage, code)
    real = [w for w in windows if w is not None]
    if not real:
        newest = max(taken, default=None)
        if newest is not None:
            return Draw(code, "no_window", None, None, False, newest, None,
                        f"{label}: no time window; the result of {fmt_when(newest)} "
                        "counts (the most recent)")
        return Draw(code, "no_window", None, None, False, None, None,
                    f"{label}: no time window; draw before the visit")
    missing = [w.event for w in real if w.event not in events]
    if missing:
        names = " and ".join(dict.fromkeys(event_name(e) for e in missing))
        return Draw(code, "needs_event", None, None, False, None, None,
                    f"{label}: enter the planned {names} date to know when")
    spans = [bounds(w, events[w.event], zone) for w in real]
    start = max(s.start for s in spans)
    end = min(s.end for s in spans)
    exclusive = any(s.end_exclusive for s in spans if s.end == end)
    for at in sorted(taken, reverse=True):
        found = validity(stage, code, events, at, zone, windows)
        if found is not None:
            return Draw(code, "reuse", start, end, exclusive, at, found,
                        f"{found.text}; taken {fmt_when(at)}")
    draw = Draw(code, "draw", start, end, exclusive, None, None, "")
    return Draw(code, "draw", start, end, exclusive, None, None,
                f"{label}: draw from {_when(start)}, by {draw.by_words()}")


def draws(stage: Stage, events: Mapping[str, datetime],
          results: Mapping[str, Sequence[datetime]],
          zone: tzinfo | None = None) -> list[Draw]:
    """Each blood test the stage reads, in protocol order: reuse, draw, or what is
    missing to tell. ``results`` maps a code to the times of the patient's results."""
    return [_draw(stage, code, events, results.get(code, ()), zone)
            for code in stage_codes(stage) if code in BLOOD_TESTS]
