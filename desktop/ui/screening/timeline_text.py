"""The timeline's words: short dates, a lane's badge word and a bar's tooltip.

Every date, span and state comes from :class:`desktop.domain.timeline.Timeline`; these
helpers only put them into the words the timeline widget draws and shows on hover.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from desktop.domain.timeline import Lane, Span

TIME: Final = "%Y-%m-%d %H:%M"


def when_short(at: datetime) -> str:
    """``Tue 3 Nov 08:00``, or without the time at midnight."""
    day = f"{at:%a} {at.day} {at:%b}"
    return day if at.hour == at.minute == 0 else f"{day} {at:%H:%M}"


def span_tooltip(span: Span) -> str:
    """What a bar's tooltip says: the window, its exact edges and what it applies to."""
    until = "up to, not including," if span.end_exclusive else "to"
    return "\n".join([
        span.text[0].upper() + span.text[1:],
        f"From {span.start:{TIME}} {until} {span.end:{TIME}}",
        f"Applies to: {', '.join(span.labels)}",
        f"Criteria: {', '.join(span.numbers)}",
    ])


def badge_text(lane: Lane) -> str:
    return f"{lane.state.value} · next" if lane.is_next else lane.state.value
