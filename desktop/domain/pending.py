"""While a typed entry is not usable, what it would decide is unknown: never an older pass.

The visit form evaluates what is saved plus what is typed. A typed entry that cannot be
read (ECOG "1.5", a time that is not a date) or that waits for the coordinator's
confirmation is left out of the engine's record, and the engine then falls back to an
older result still inside the window: a criterion could show ``pass`` on a value the
coordinator is replacing. ``with_pending`` takes the engine's verdict and the codes whose
typed entry is not usable, and makes every criterion that reads one of them (as
:func:`desktop.domain.engine.inputs` says, a criterion's alternatives included)
``unknown``, with a reason naming the entry. The decision can then never be eligible.

Pure: no Qt, no registry; the form only calls it.
"""

from __future__ import annotations

from collections.abc import Collection

from desktop.domain.engine import CriterionResult, Verdict, inputs
from desktop.domain.trial import Criterion, Stage
from desktop.domain.units import CODES

__all__ = ["reads", "with_pending"]


def reads(criterion: Criterion, stage: Stage) -> set[str]:
    """What a criterion's outcome may rest on: its own inputs and its alternatives'."""
    found = set(inputs(criterion, stage))
    for alternative in criterion.alternatives:
        other = stage.criterion(alternative)
        if other is not None:
            found.update(inputs(other, stage))
    return found


def _label(code: str) -> str:
    info = CODES.get(code)
    return info.label if info is not None else code


def _reason(invalid: list[str], unconfirmed: list[str]) -> str:
    parts = [f"the value typed for {_label(code)} is not valid" for code in invalid]
    parts += [f"the value typed for {_label(code)} is not confirmed yet"
              for code in unconfirmed]
    return ("Not evaluated: " + "; ".join(parts)
            + " (an earlier result does not stand in for it)")


def with_pending(verdict: Verdict, invalid: Collection[str],
                 unconfirmed: Collection[str] = ()) -> Verdict:
    """``verdict`` with every criterion reading a code of ``invalid`` (a typed entry that
    cannot be read) or ``unconfirmed`` (a typed value waiting for confirmation) made
    ``unknown``, e.g. "Not evaluated: the value typed for ECOG is not valid (an earlier
    result does not stand in for it)". Other criteria are returned as they are; with
    nothing pending the verdict itself is returned."""
    if not invalid and not unconfirmed:
        return verdict
    stage = verdict.stage
    results: list[CriterionResult] = []
    for result in verdict.results:
        read = reads(result.criterion, stage)
        bad = [code for code in invalid if code in read]
        waiting = [code for code in unconfirmed if code in read and code not in bad]
        if bad or waiting:
            result = CriterionResult(result.criterion, "unknown", _reason(bad, waiting))
        results.append(result)
    return Verdict(verdict.trial, stage, tuple(results))
