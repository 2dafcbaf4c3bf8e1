"""How a trial is named where there is room for a line, not its whole title.

Trial files carry the registry's brief title, often over a hundred characters. A menu or
a chooser names a trial by its NCT id and a short form of that title: whole words up to
a length, never a word cut in the middle, without a dangling "of" or "with" before the
ellipsis. The whole title stays one hover away (the caller's tooltip).
"""

from __future__ import annotations

from typing import Final

from desktop.domain.trial import Trial

SHORT_LIMIT: Final = 48
#: Words a shortened title does not end on (it would read as cut off mid-phrase).
_DANGLING: Final = frozenset({"a", "an", "and", "after", "as", "at", "by", "for", "from",
                              "in", "into", "of", "on", "or", "the", "to", "versus", "vs",
                              "with", "without", "—", "-", ":", "("})


def short_title(title: str, limit: int = SHORT_LIMIT) -> str:
    """``title`` if it fits in ``limit`` characters, else its first whole words that fit
    (at least one), trailing linking words dropped, and "…"."""
    words = title.split()
    whole = " ".join(words)
    if len(whole) <= limit:
        return whole
    kept: list[str] = []
    for word in words:
        if kept and len(" ".join([*kept, word])) + 1 > limit:
            break
        kept.append(word)
    while len(kept) > 1 and kept[-1].casefold().strip(",;:") in _DANGLING:
        kept.pop()
    return " ".join(kept).rstrip(",;:") + "…"


def trial_label(trial: Trial, limit: int = SHORT_LIMIT) -> str:
    """E.g. "NCT05744440 — Safety and Efficacy of Allogenic NK Cells…"."""
    return f"{trial.id} — {short_title(trial.title, limit)}"
