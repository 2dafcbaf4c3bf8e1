"""Whether a saved result is fresh enough for a stage: the visit form's "reused" / "stale".

A stage reads an observation code under one or more time windows (or none). A result
counts for the stage when it lies inside *every* window the stage applies to its code,
exactly as the engine picks it (:func:`desktop.domain.engine._pick`): the criterion's
window, or a comparison's own; body measures (weight, height) are exempt from windows,
and Cockcroft-Gault reads creatinine in the window but the latest weight at any time.

Pure: the caller passes the stage, the planned events and the result's time, and gets
a status and a sentence for the coordinator, e.g. "taken 2026-10-20 07:30 — stale: the
window 'within 2 weeks before NK cell infusion' starts 2026-10-25 00:00".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from desktop.domain.engine import _BODY_CODES, inputs
from desktop.domain.text import fmt_when
from desktop.domain.timewindow import bounds
from desktop.domain.trial import EVENTS, FACTS, Compare, Stage, Window, compares
from desktop.domain.units import CODES

Status = Literal["fresh", "stale", "no_window", "needs_event", "after_as_of"]

#: The observation codes a derived quantity reads, and whether each is read in the
#: criterion's window (the engine's ``_crcl`` takes the latest weight, any time).
_DERIVED_CODES: dict[str, tuple[tuple[str, bool], ...]] = {
    "age": (),
    "crcl_cockcroft_gault": (("creatinine", True), ("weight", False)),
    "corrected_calcium": (("calcium", True), ("albumin", True)),
}


@dataclass(frozen=True)
class Freshness:
    """Whether a result counts for the stage's windows, and a sentence saying so."""

    status: Status
    text: str

    @property
    def counts(self) -> bool:
        """True when the engine may use the result (inside every window, or no window)."""
        return self.status in ("fresh", "no_window")


def _reads(compare: Compare, window: Window | None) -> list[tuple[str, Window | None]]:
    """(code, window the engine reads it in) for one comparison."""
    pairs = [(code, window if windowed else None)
             for code, windowed in _DERIVED_CODES.get(compare.of, ((compare.of, True),))]
    return [(code, None if code in _BODY_CODES else w) for code, w in pairs]


def stage_codes(stage: Stage) -> list[str]:
    """Every observation code the stage reads, in protocol order of first use."""
    found: list[str] = []
    for criterion in stage.criteria:
        for compare, window in compares(criterion.rule, criterion.window):
            for code, _window in _reads(compare, window):
                if code not in found:
                    found.append(code)
    return found


def code_windows(stage: Stage, code: str) -> list[Window | None]:
    """The distinct windows the stage reads ``code`` in (None: read without a window).

    Empty when the stage does not read the code at all.
    """
    found: list[Window | None] = []
    for criterion in stage.criteria:
        for compare, window in compares(criterion.rule, criterion.window):
            for read, used in _reads(compare, window):
                if read == code and used not in found:
                    found.append(used)
    return found


def needs_time(stage: Stage, code: str) -> bool:
    """Whether a result of ``code`` needs its time of day, not only its date, in this
    stage: a window in hours reads it (spans in days, weeks or months, and "on the day
    of", count calendar days)."""
    return any(window is not None and window.span is not None and window.span[1] == "h"
               for window in code_windows(stage, code))


def uln_codes(stage: Stage) -> set[str]:
    """Codes the stage compares with a multiple of the upper limit of normal.

    A corrected calcium against a ULN reads the calcium's ULN (as the engine does).
    """
    found: set[str] = set()
    for criterion in stage.criteria:
        for compare, _window in compares(criterion.rule, criterion.window):
            if compare.uln is None:
                continue
            found.add("calcium" if compare.of == "corrected_calcium" else compare.of)
    return {code for code in found if code in CODES}


def stage_facts(stage: Stage) -> list[str]:
    """The patient facts the stage reads (Gilbert's syndrome, ...), in ``FACTS`` order."""
    names = {name for criterion in stage.criteria for name in inputs(criterion, stage)}
    return [fact for fact in FACTS if fact in names]


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def freshness(stage: Stage, code: str, events: Mapping[str, datetime], at: datetime,
              as_of: datetime | None = None,
              windows: Sequence[Window | None] | None = None,
              zone: tzinfo | None = None) -> Freshness:
    """Whether a ``code`` result taken ``at`` counts for the stage, with the reason.

    Stale beats a missing event: a result already outside a window whose event is known
    is stale whatever the other windows say. With ``as_of``, a result taken after it is
    not counted (the engine ignores it). ``windows`` may pass ``code_windows(stage,
    code)`` computed once, for callers that ask many times (the form, per keystroke).
    ``zone`` is the site's time zone, as the engine's record carries it.
    """
    taken = f"taken {fmt_when(at)}"
    if as_of is not None and at > as_of:
        return Freshness("after_as_of", f"{taken} — after the assessment time "
                                        f"{_when(as_of)}: not counted")
    if windows is None:
        windows = code_windows(stage, code)
    real = [w for w in windows if w is not None]
    if not real:
        return Freshness("no_window", f"{taken} — no time window: the most recent result "
                                      "counts")
    missing: list[str] = []
    for window in real:
        event_at = events.get(window.event)
        if event_at is None:
            if EVENTS[window.event] not in missing:
                missing.append(EVENTS[window.event])
            continue
        span = bounds(window, event_at, zone)
        if span.admits(at):
            continue
        where = f"the window '{window.describe()}'"
        if window.on_day:
            return Freshness("stale", f"{taken} — stale: {where} is "
                                      f"{span.start.date().isoformat()} only")
        if at < span.start:
            return Freshness("stale", f"{taken} — stale: {where} starts {_when(span.start)}")
        return Freshness("stale", f"{taken} — stale: taken after the "
                                  f"{EVENTS[window.event]} ({_when(event_at)}); "
                                  f"{where} ends then")
    if missing:
        return Freshness("needs_event", f"{taken} — enter the planned "
                                        f"{' and '.join(missing)} date to check")
    described = "; ".join(w.describe() for w in real)
    return Freshness("fresh", f"{taken} — inside the window ({described})")
