"""What the engine returns: a rule's :class:`Truth`, a criterion's :class:`CriterionResult`,
a stage's :class:`Verdict` (its decision and the ``nkscreen evaluate`` JSON shape).

Plain frozen dataclasses; the engine (:mod:`desktop.domain.engine`) builds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from desktop.domain.record import Observation
from desktop.domain.trial import Criterion, Stage, Trial

Outcome = Literal["pass", "fail", "unknown"]
Decision = Literal["eligible", "not_eligible", "incomplete"]


@dataclass(frozen=True)
class Truth:
    """Whether a rule's statement holds (None: cannot tell yet), and why."""

    holds: bool | None
    reason: str
    used: tuple[Observation, ...] = ()


@dataclass(frozen=True)
class CriterionResult:
    criterion: Criterion
    outcome: Outcome
    reason: str
    #: The observations the outcome was computed from (empty for attested criteria).
    used: tuple[Observation, ...] = ()

    @property
    def id(self) -> str:
        return self.criterion.id

    @property
    def kind(self) -> str:
        return self.criterion.kind


@dataclass(frozen=True)
class Verdict:
    trial: Trial
    stage: Stage
    results: tuple[CriterionResult, ...]

    @property
    def decision(self) -> Decision:
        outcomes = {r.outcome for r in self.results}
        if "fail" in outcomes:
            return "not_eligible"
        if "unknown" in outcomes:
            return "incomplete"
        return "eligible"

    @property
    def failing(self) -> list[CriterionResult]:
        return [r for r in self.results if r.outcome == "fail"]

    @property
    def missing(self) -> list[CriterionResult]:
        return [r for r in self.results if r.outcome == "unknown"]

    def as_json(self) -> dict[str, object]:
        """The shape ``nkscreen evaluate`` prints (the screening contract)."""
        return {
            "trial": self.trial.id,
            "protocol_version": self.trial.protocol_version,
            "stage": self.stage.id,
            "decision": self.decision,
            "criteria": [
                {"id": r.id, "kind": r.kind, "outcome": r.outcome, "reason": r.reason}
                for r in self.results
            ],
        }
