"""A patient's saved results as the engine reads them: one mapping for every reader.

A visit evaluated at completion (``screening_base``) and a prescreen
(``prescreen_reads``) both turn the rows of ``observation`` into the engine's
``Observation`` here, through the same checks the visit form applies
(``desktop.domain.draft.observation``), so a prescreen reads exactly what completing a
stage would read.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from desktop.domain.draft import observation as checked_observation
from desktop.domain.engine import Verdict
from desktop.domain.record import Observation as RecordObservation
from desktop.domain.record import RecordError
from desktop.registry.confirmations import ConfirmLimit, unusual
from desktop.registry.screening_reads import _local

#: What a reader selects of ``observation o`` for ``saved_results``, in this order.
RESULT_COLUMNS: Final = "o.id, o.code, o.value, o.unit, o.at, o.uln, o.source, o.confirmation"


@dataclass
class SavedResults:
    """What a patient's saved results (not retracted) give the engine."""

    observations: list[RecordObservation] = field(default_factory=list)
    #: Each result as typed: (value, ULN).
    typed: dict[RecordObservation, tuple[str, str | None]] = field(default_factory=dict)
    ids: dict[RecordObservation, int] = field(default_factory=dict)
    #: Saved results of a code in ``reads`` that can no longer be read: (code, words).
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    #: Saved unusual values nobody confirmed (saved before confirmation existed).
    unconfirmed: dict[RecordObservation, str] = field(default_factory=dict)


def saved_results(rows: Iterable[Sequence[Any]], reads: Collection[str],
                  confirm_limits: Mapping[str, ConfirmLimit]) -> SavedResults:
    """The results of rows of ``RESULT_COLUMNS`` (in id order). A row that can no
    longer be read is skipped; if its code is in ``reads`` it is named in
    ``unreadable`` (the caller refuses: an older value would stand in for it)."""
    found = SavedResults()
    for id_, code, value, unit, at_text, uln, source, confirmation in rows:
        at = _local(at_text)
        assert at is not None
        try:
            parsed = checked_observation(code, value, unit, at, uln=uln, source=source or None)
        except RecordError as exc:
            if code in reads:
                found.unreadable.append((code, f"{value} {unit} taken "
                                               f"{at:%Y-%m-%d %H:%M} ({exc.message})"))
            continue
        found.observations.append(parsed)
        found.typed[parsed] = (value, uln)
        found.ids.setdefault(parsed, int(id_))
        if confirmation is None:
            why = unusual(code, parsed.value, parsed.unit, value, confirm_limits)
            if why is not None:
                found.unconfirmed[parsed] = f"{why}, taken {at:%Y-%m-%d %H:%M}"
    return found


def resting_on_unconfirmed(verdict: Verdict,
                           unconfirmed: Mapping[RecordObservation, str]) -> list[str]:
    """The unconfirmed unusual values a decided criterion of ``verdict`` rests on."""
    return list(dict.fromkeys(unconfirmed[o] for r in verdict.results for o in r.used
                              if o in unconfirmed and r.outcome != "unknown"))
