"""Words a person reads: a criterion by its number and text, text shortened without
hiding what it says, sentences that end once. Pure.

A trial file names its criteria with internal ids (``ecog``, ``crcl``); a coordinator
knows them by their place in the stage and their protocol text ("#3 ECOG performance
status 0–2"), so every message names them that way (:func:`criterion_ref`).
"""

from __future__ import annotations

import re
from typing import Final

from desktop.domain.trial import Stage

# A word that belongs to a quantity: a digit, a comparison, a multiplication, a unit
# symbol. A text is never cut right before or right after one ("ANC ≥ 1.0 ×…").
_QUANTITY: Final = re.compile(
    r"[\d≥≤<>=±×%~]|^(x|/|at|least|most|than|more|less|above|below|"
    r"under|over|up|within|no|not)$", re.IGNORECASE)


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, at most about ``limit`` characters, cut at a word boundary
    and never inside a quantity (the number, its comparison and its unit stay together
    or go together); "…" marks the cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    words = flat.split(" ")
    kept: list[str] = []
    length = 0
    for word in words:
        if kept and length + 1 + len(word) > limit:
            break
        kept.append(word)
        length += len(word) + (1 if length else 0)
    cut = len(kept)
    # Step back while the cut would split a quantity from its comparison or unit.
    while cut > 1 and (_QUANTITY.search(words[cut - 1]) or _QUANTITY.search(words[cut])):
        cut -= 1
    if cut == 1 and (_QUANTITY.search(words[0]) or _QUANTITY.search(words[1])):
        cut = len(kept)  # one long quantity: keep it whole rather than lose it
        while cut < len(words) and _QUANTITY.search(words[cut]):
            cut += 1
        if cut == len(words):
            return flat
    return " ".join(words[:cut]).rstrip(" ,:;-") + "…"


def criterion_number(stage: Stage, criterion_id: str) -> int | None:
    """The criterion's place in its stage (1 for the first), as the app shows it."""
    for number, criterion in enumerate(stage.criteria, start=1):
        if criterion.id == criterion_id:
            return number
    return None


def criterion_ref(stage: Stage | None, criterion_id: str, limit: int | None = None) -> str:
    """``#N text``: the criterion's number in its stage and its protocol text (shortened
    to about ``limit`` characters, see :func:`shorten`); a criterion the trial file no
    longer holds says so, without its id."""
    if stage is not None:
        for number, criterion in enumerate(stage.criteria, start=1):
            if criterion.id == criterion_id:
                text = criterion.text if limit is None else shorten(criterion.text, limit)
                return f"#{number} {text}"
    return "a criterion no longer in this trial file"


def sentence(text: str) -> str:
    """``text`` as one sentence: a capital first, one full stop at the end (none added
    after a question mark or one already there)."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".?!…" else text + "."


def clause(text: str) -> str:
    """``text`` without its closing full stop, to stand in a list inside a sentence."""
    return text.strip().rstrip(".").rstrip()
