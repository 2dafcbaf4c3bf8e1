"""The eligibility engine: ``evaluate(trial, stage, record) -> Verdict``.

Three-valued throughout. A rule states a criterion as the protocol writes it; it
*holds*, does *not hold*, or is *unknown* (missing, stale or unanswered value). The
criterion's outcome is then read in the patient's terms: an inclusion that holds
passes, an exclusion that holds fails. Every outcome carries a reason a coordinator
can read on a worksheet and an investigator can check.

Pure: no clock, no files, no database. The caller passes the record (with its
``as_of``) and the site's ULN table.

This module is the entry point and holds the criteria's logic (attested answers,
alternatives, criteria referred back to, what a criterion reads). The parts live beside
it: the results (:mod:`desktop.domain.results`), one comparison against the record
(:mod:`desktop.domain.comparison`), an exception's logic
(:mod:`desktop.domain.exception_rule`) and the reasons' wording
(:mod:`desktop.domain.reasons`); the names others import from here are re-exported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from desktop.domain.comparison import _BODY_CODES as _BODY_CODES
from desktop.domain.comparison import OPS as OPS
from desktop.domain.comparison import Comparator
from desktop.domain.exception_rule import exception_truth
from desktop.domain.record import Record, RecordError
from desktop.domain.results import CriterionResult as CriterionResult
from desktop.domain.results import Decision as Decision
from desktop.domain.results import Outcome as Outcome
from desktop.domain.results import Truth as Truth
from desktop.domain.results import Verdict as Verdict
from desktop.domain.text import describe_rule
from desktop.domain.text_safety import key as field_key
from desktop.domain.text_safety import quote
from desktop.domain.trial import (
    AllOf,
    AnyOf,
    Compare,
    CriteriaFail,
    Criterion,
    Exception_,
    Rule,
    Stage,
    Trial,
    Window,
    compares,
)


class UnknownStage(LookupError):
    """A stage the trial does not have; the message lists the ones it has."""


def get_stage(trial: Trial, stage_id: str) -> Stage:
    stage = trial.stage(stage_id)
    if stage is None:
        raise UnknownStage(
            f"stage {quote(stage_id, 40)} is not a stage of {trial.id} "
            f"(its stages: {', '.join(trial.stage_ids)})"
        )
    return stage


def check_answers(stage: Stage, answers: Mapping[str, object]) -> None:
    """Answers must name attested criteria of this stage."""
    for key in answers:
        criterion = stage.criterion(key)
        if criterion is None:
            raise RecordError(f"answers.{field_key(key)}",
                              f"no criterion {quote(key, 40)} in stage {stage.id}")
        if not criterion.attested:
            raise RecordError(
                f"answers.{field_key(key)}",
                f"criterion {quote(key, 40)} is computed from the record, not answered",
            )


def evaluate(trial: Trial, stage_id: str, record: Record,
             site_uln: Mapping[str, Fraction] | None = None) -> Verdict:
    """Every criterion of the stage, in protocol order, with outcome and reason.

    ``site_uln`` maps an observation code to the site's upper limit of normal in the
    code's canonical unit; it is used where an observation carries no ULN of its own.
    Raises :class:`UnknownStage` or :class:`RecordError` for bad input.
    """
    stage = get_stage(trial, stage_id)
    check_answers(stage, record.answers)
    run = _Run(stage, record, site_uln or {})
    return Verdict(trial, stage, tuple(run.result(c) for c in stage.criteria))


def inputs(criterion: Criterion, stage: Stage | None = None) -> list[str]:
    """What a computed criterion reads: codes, facts, birth_date, sex, events."""
    found: list[str] = []

    def add(*names: str) -> None:
        found.extend(n for n in names if n not in found)

    for compare, window in compares(criterion.rule, criterion.window):
        add(*_READS.get(compare.of, (compare.of,)))
        if window is not None and compare.of != "age":
            add(window.event)
    rules = [criterion.rule]
    while rules:  # facts of exceptions, and the inputs of criteria referred back to
        rule = rules.pop(0)
        if isinstance(rule, AnyOf | AllOf):
            rules.extend(rule.of)
        elif isinstance(rule, Exception_):
            rules.extend((rule.base, rule.relaxed))
            add(*rule.facts)
        elif isinstance(rule, CriteriaFail) and stage is not None:
            for ref in rule.criteria:
                other = stage.criterion(ref)
                if other is not None:
                    add(*inputs(other, stage))
    return found


_READS: dict[str, tuple[str, ...]] = {
    "age": ("birth_date",),
    "crcl_cockcroft_gault": ("creatinine", "weight", "birth_date", "sex"),
    "corrected_calcium": ("calcium", "albumin"),
}


# --------------------------------------------------------------------------- internals


@dataclass
class _Run:
    stage: Stage
    record: Record
    site_uln: Mapping[str, Fraction]
    done: dict[str, CriterionResult] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    #: The record's observations and the site's ULNs, for every comparison.
    comparator: Comparator = field(init=False)

    def __post_init__(self) -> None:
        self.comparator = Comparator(self.record, self.site_uln)

    # ---- criteria

    def result(self, criterion: Criterion) -> CriterionResult:
        if criterion.id in self.done:
            return self.done[criterion.id]
        self.pending.add(criterion.id)
        result = self._own(criterion)
        if criterion.alternatives:
            alternatives = [self._own(c) for alt in criterion.alternatives
                            if (c := self.stage.criterion(alt)) is not None]
            result = _with_alternatives(result, alternatives)
        self.pending.discard(criterion.id)
        self.done[criterion.id] = result
        return result

    def _own(self, criterion: Criterion) -> CriterionResult:
        """The criterion on its own, before any alternative stands in for it."""
        if criterion.attested:
            return self._attested(criterion)
        assert criterion.rule is not None
        truth = self.rule(criterion.rule, criterion.window)
        return CriterionResult(criterion, _outcome(criterion, truth.holds), truth.reason,
                               truth.used)

    def _attested(self, criterion: Criterion) -> CriterionResult:
        answer = self.record.answers.get(criterion.id)
        if answer is None:
            return CriterionResult(criterion, "unknown", "Not yet answered")
        if answer == "n/a":
            if criterion.alternatives:
                # One route of an OR: N/A says this route is not the patient's, so it
                # cannot stand as met; another route has to be.
                return CriterionResult(criterion, "fail",
                                       "Answered N/A: this route does not apply")
            return CriterionResult(criterion, "pass", "Answered N/A: does not apply")
        if criterion.kind == "inclusion":
            reason = "Answered yes: criterion met" if answer else "Answered no: criterion not met"
        else:
            reason = ("Answered yes: condition present" if answer
                      else "Answered no: condition absent")
        return CriterionResult(criterion, _outcome(criterion, bool(answer)), reason)

    # ---- rules

    def rule(self, rule: Rule, window: Window | None) -> Truth:
        if isinstance(rule, Compare):
            return self.comparator.compare(rule, rule.window or window)
        if isinstance(rule, AnyOf | AllOf):
            parts = [self.rule(part, window) for part in rule.of]
            values = [p.holds for p in parts]
            if isinstance(rule, AnyOf):
                holds = True if True in values else (False if all(v is False for v in values)
                                                     else None)
                joiner = "; " if holds is False else " or "
            else:
                holds = False if False in values else (True if all(values) else None)
                joiner = "; "
            used = tuple(o for p in parts for o in p.used)
            reasons = list(dict.fromkeys(p.reason for p in parts))  # "No X result" once
            return Truth(holds, joiner.join(reasons), used)
        if isinstance(rule, Exception_):
            return exception_truth(rule, self.record.facts,
                                   lambda part: self.rule(part, window))
        return self._criteria_fail(rule)

    def _criteria_fail(self, rule: CriteriaFail) -> Truth:
        results = []
        # Criteria are named by their number in the stage, as a person knows them.
        number = {c.id: f"#{n}" for n, c in enumerate(self.stage.criteria, start=1)}
        for ref in rule.criteria:
            crit = self.stage.criterion(ref)
            if crit is None or ref in self.pending:
                which = f"criterion {number[ref]}" if ref in number else "a criterion"
                return Truth(None, f"{which} cannot be evaluated here")
            results.append(self.result(crit))
        failing = [number[r.id] for r in results if r.outcome == "fail"]
        if failing:
            return Truth(True, f"Does not meet: {', '.join(failing)}")
        open_ = [number[r.id] for r in results if r.outcome == "unknown"]
        if open_:
            return Truth(None, f"Waiting on: {', '.join(open_)}")
        return Truth(False, f"Meets all of: {', '.join(number[r.id] for r in results)}")


def _with_alternatives(own: CriterionResult,
                       alternatives: list[CriterionResult]) -> CriterionResult:
    """``own`` OR any alternative, in the patient's terms: one pass is enough."""
    if own.outcome == "pass":
        return own
    met = [a for a in alternatives if a.outcome == "pass"]
    if met:
        names = ", ".join(a.id for a in met)
        return CriterionResult(own.criterion, "pass",
                               f"{own.reason}; met through the alternative {names}", own.used)
    open_ = [a.id for a in alternatives if a.outcome == "unknown"]
    if own.outcome == "fail" and not open_:
        names = ", ".join(a.id for a in alternatives)
        return CriterionResult(own.criterion, "fail",
                               f"{own.reason}; the alternative {names} is not met either",
                               own.used)
    if open_:
        return CriterionResult(own.criterion, "unknown",
                               f"{own.reason}; or the alternative {', '.join(open_)} "
                               f"(not yet known)", own.used)
    names = ", ".join(a.id for a in alternatives)
    return CriterionResult(own.criterion, "unknown",
                           f"{own.reason}; the alternative {names} is not met", own.used)


def _outcome(criterion: Criterion, holds: bool | None) -> Outcome:
    if holds is None:
        return "unknown"
    met = holds if criterion.kind == "inclusion" else not holds
    return "pass" if met else "fail"


def describe(criterion: Criterion) -> str:
    """The computed rule in words, for the Trials view and worksheets."""
    if criterion.rule is None:
        return "Attested: answered by a person (yes / no / N/A)"
    return describe_rule(criterion.rule, criterion.window)


def evaluate_at(trial: Trial, stage_id: str, record: Record, when: datetime) -> Verdict:
    """Convenience for tests: the same record assessed at another moment."""
    from dataclasses import replace

    return evaluate(trial, stage_id, replace(record, as_of=when))
