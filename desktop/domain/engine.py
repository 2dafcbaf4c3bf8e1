"""The eligibility engine: ``evaluate(trial, stage, record) -> Verdict``.

Three-valued throughout. A rule states a criterion as the protocol writes it; it
*holds*, does *not hold*, or is *unknown* (missing, stale or unanswered value). The
criterion's outcome is then read in the patient's terms: an inclusion that holds
passes, an exclusion that holds fails. Every outcome carries a reason a coordinator
can read on a worksheet and an investigator can check.

Pure: no clock, no files, no database. The caller passes the record (with its
``as_of``) and the site's ULN table.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Literal

from desktop.domain import calc, numbers
from desktop.domain.record import Observation, Record, RecordError
from desktop.domain.text import describe_rule, fmt_number, fmt_when
from desktop.domain.text_safety import key as field_key
from desktop.domain.text_safety import quote
from desktop.domain.timewindow import Bounds, bounds
from desktop.domain.trial import (
    EVENTS,
    FACTS,
    AllOf,
    AnyOf,
    Compare,
    CriteriaFail,
    Criterion,
    Exception_,
    Op,
    Rule,
    Stage,
    Trial,
    Window,
    compares,
)
from desktop.domain.units import CODES, convert

Outcome = Literal["pass", "fail", "unknown"]
Decision = Literal["eligible", "not_eligible", "incomplete"]

OPS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class UnknownStage(LookupError):
    """A stage the trial does not have; the message lists the ones it has."""


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

_BODY_CODES = frozenset({"weight", "height"})  # body measures: latest at or before as_of


@dataclass
class _Run:
    stage: Stage
    record: Record
    site_uln: Mapping[str, Fraction]
    done: dict[str, CriterionResult] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    #: Observations by code, at or before ``as_of`` (later ones are ignored).
    by_code: dict[str, list[Observation]] = field(default_factory=dict)
    #: Window bounds computed once per window and event date.
    spans: dict[tuple[Window, datetime], Bounds] = field(default_factory=dict)

    def _bounds(self, window: Window, event_at: datetime) -> Bounds:
        key = (window, event_at)
        found = self.spans.get(key)
        if found is None:
            found = self.spans[key] = bounds(window, event_at, self.record.zone)
        return found

    def __post_init__(self) -> None:
        for obs in self.record.observations:
            if obs.at <= self.record.as_of:
                self.by_code.setdefault(obs.code, []).append(obs)

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
            return self._compare(rule, rule.window or window)
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
            return self._exception(rule, window)
        return self._criteria_fail(rule)

    def _exception(self, rule: Exception_, window: Window | None) -> Truth:
        """``base`` OR (a fact AND ``relaxed``): an exception only ever widens what passes.

        Three-valued (Kleene): the base limit passing is enough, whatever the facts; the
        relaxed limit counts only once a fact is recorded true; with the facts unrecorded,
        a value that only the relaxed limit admits asks for them.
        """
        names = " or ".join(FACTS[f] for f in rule.facts)
        base = self.rule(rule.base, window)
        if base.holds is True:
            return base
        facts = [self.record.facts.get(f) for f in rule.facts]
        if all(f is False for f in facts):
            return base
        relaxed = self.rule(rule.relaxed, window)
        if any(facts):
            if relaxed.holds is True:
                return Truth(True, f"{relaxed.reason} (the limit for {names}; "
                                   f"{_first_lower(base.reason)})", base.used + relaxed.used)
            if base.holds is False and relaxed.holds is False:
                return Truth(False, f"{base.reason}; with {names}: {relaxed.reason}",
                             base.used + relaxed.used)
            return Truth(None, f"{base.reason}; with {names}: {relaxed.reason}",
                         base.used + relaxed.used)
        # Facts not (all) recorded, none true.
        if relaxed.holds is False:
            if base.holds is False:
                return Truth(False, f"{base.reason}; even with {names}: {relaxed.reason}",
                             base.used + relaxed.used)
            return base
        if base.holds is None:
            return base
        if relaxed.holds is None:
            return Truth(None, f"{base.reason}; with {names}: {relaxed.reason}",
                         base.used + relaxed.used)
        return Truth(None, f"{base.reason}, but {_first_lower(relaxed.reason)} is within the "
                           f"limit for {names}: record whether the patient has {names}",
                     base.used + relaxed.used)

    def _criteria_fail(self, rule: CriteriaFail) -> Truth:
        results = []
        for ref in rule.criteria:
            crit = self.stage.criterion(ref)
            if crit is None or ref in self.pending:
                return Truth(None, f"criterion {ref} cannot be evaluated here")
            results.append(self.result(crit))
        failing = [r.id for r in results if r.outcome == "fail"]
        if failing:
            return Truth(True, f"Does not meet: {', '.join(failing)}")
        open_ = [r.id for r in results if r.outcome == "unknown"]
        if open_:
            return Truth(None, f"Waiting on: {', '.join(open_)}")
        return Truth(False, f"Meets all of: {', '.join(r.id for r in results)}")

    # ---- observations

    def _pick(self, code: str, window: Window | None,
              select: str = "latest") -> tuple[Observation | None, Truth | None]:
        label = CODES[code].label
        taken = self.by_code.get(code, [])
        if window is None or code in _BODY_CODES:
            if not taken:
                return None, Truth(None, f"No {label} result")
            return _choose(taken, select), None
        event_at = self.record.events.get(window.event)
        if event_at is None:
            return None, Truth(None, f"{label} must be {window.describe()}: "
                                     f"enter the planned {EVENTS[window.event]} date")
        span = self._bounds(window, event_at)
        fresh = [o for o in taken if span.admits(o.at)]
        if fresh:
            return _choose(fresh, select), None
        where = f"{window.describe()} ({fmt_when(event_at)})"
        due = (f"due on {span.start.date().isoformat()}" if window.on_day
               else f"due from {fmt_when(span.start)}")
        if not taken:
            return None, Truth(None, f"No {label} result {where}; {due}")
        latest = max(taken, key=lambda o: o.at)
        return None, Truth(None, f"{label} of {fmt_when(latest.at)} is stale: it must be "
                                 f"{where}; a new result is {due}", (latest,))

    def _uln(self, obs: Observation) -> tuple[Fraction | None, str]:
        if obs.uln is not None:
            return obs.uln, "ULN"
        site = self.site_uln.get(obs.code)
        if site is None:
            return None, ""
        return convert(obs.code, site, CODES[obs.code].canonical, obs.unit), "site ULN"

    def _compare(self, rule: Compare, window: Window | None) -> Truth:
        if rule.of == "age":
            return self._age(rule)
        if rule.of == "crcl_cockcroft_gault":
            return self._crcl(rule, window)
        if rule.of == "corrected_calcium":
            return self._corrected_calcium(rule, window)
        obs, problem = self._pick(rule.of, window, rule.select)
        if problem is not None:
            return problem
        assert obs is not None
        label = CODES[rule.of].label
        if rule.uln is not None:
            uln, uln_name = self._uln(obs)
            if uln is None:
                return Truth(None, f"{label} {_qty(obs.value, obs.unit)} on {fmt_when(obs.at)}: "
                                   f"no upper limit of normal; enter the institutional ULN",
                             (obs,))
            holds = OPS[rule.op](obs.value, rule.uln * uln)
            ratio = _shown(obs.value / uln, rule.op, rule.uln, holds, places=2)
            desc = (f"{label} {_qty(obs.value, obs.unit)} = {ratio} x {uln_name} "
                    f"({_qty(uln, obs.unit)}) on {fmt_when(obs.at)}")
            return Truth(holds, _verdict(desc, holds, rule.op, f"{fmt_number(rule.uln)} x ULN"),
                         (obs,))
        assert rule.value is not None
        assert rule.unit is not None
        value = obs.in_unit(rule.unit)
        holds = OPS[rule.op](value, rule.value)
        desc = f"{label} {_qty(obs.value, obs.unit)}"
        if obs.unit != rule.unit:
            desc += f" = {_shown(value, rule.op, rule.value, holds, places=2)} {rule.unit}"
        desc += f" on {fmt_when(obs.at)}"
        return Truth(holds, _verdict(desc, holds, rule.op, _qty(rule.value, rule.unit)), (obs,))

    def _age(self, rule: Compare) -> Truth:
        if self.record.birth_date is None:
            return Truth(None, "Date of birth needed for age")
        assert rule.value is not None
        age = calc.age_years(self.record.birth_date, self.record.as_of.date())
        holds = OPS[rule.op](Fraction(age), rule.value)
        desc = (f"Age {age} y (born {self.record.birth_date.isoformat()}, "
                f"on {self.record.as_of.date().isoformat()})")
        return Truth(holds, _verdict(desc, holds, rule.op, fmt_number(rule.value)))

    def _crcl(self, rule: Compare, window: Window | None) -> Truth:
        creat, problem = self._pick("creatinine", window)
        if problem is not None:
            return problem
        assert creat is not None
        assert rule.value is not None
        weight, problem = self._pick("weight", None)
        if problem is not None:
            return Truth(None, "Cockcroft-Gault needs the actual body weight: no weight result")
        assert weight is not None
        if self.record.birth_date is None:
            return Truth(None, "Cockcroft-Gault needs the date of birth")
        if self.record.sex is None:
            return Truth(None, "Cockcroft-Gault needs the patient's sex")
        creat_mg = creat.in_unit("mg/dL")
        if creat_mg <= 0:
            return Truth(None, "Creatinine of 0 cannot be used for Cockcroft-Gault: check the "
                               "value", (creat,))
        age = calc.age_years(self.record.birth_date, self.record.as_of.date())
        kg = weight.in_unit("kg")
        crcl = calc.cockcroft_gault(age, kg, creat_mg, self.record.sex == "female")
        holds = OPS[rule.op](crcl, rule.value)
        shown_kg = fmt_number(kg)
        if weight.unit != "kg":
            shown_kg = f"{_qty(weight.value, weight.unit)} = {shown_kg}"
        shown_cr = numbers.fixed(creat_mg, 2)
        if creat.unit != "mg/dL":
            shown_cr = f"{_qty(creat.value, creat.unit)} = {shown_cr}"
        desc = (f"CrCl {_shown(crcl, rule.op, rule.value, holds, places=1)} mL/min "
                f"(Cockcroft-Gault: age {age} y, {shown_kg} kg, creatinine {shown_cr} mg/dL "
                f"on {fmt_when(creat.at)}, {self.record.sex})")
        return Truth(holds, _verdict(desc, holds, rule.op, fmt_number(rule.value)),
                     (creat, weight))

    def _corrected_calcium(self, rule: Compare, window: Window | None) -> Truth:
        ca, problem = self._pick("calcium", window)
        if problem is not None:
            return problem
        alb, problem = self._pick("albumin", window)
        if problem is not None:
            return Truth(None, f"Corrected calcium needs albumin: {problem.reason}")
        assert ca is not None
        assert alb is not None
        corrected = calc.corrected_calcium(ca.in_unit("mg/dL"), alb.in_unit("g/dL"))
        inputs = (f"calcium {_qty(ca.value, ca.unit)}, albumin {_qty(alb.value, alb.unit)} "
                  f"on {fmt_when(max(ca.at, alb.at))}")
        if rule.uln is not None:
            uln, _name = self._uln(ca)
            if uln is None:
                return Truth(None, "Corrected calcium: no upper limit of normal for calcium; "
                                   "enter the institutional ULN", (ca, alb))
            limit = rule.uln * convert("calcium", uln, ca.unit, "mg/dL")
            holds = OPS[rule.op](corrected, limit)
            desc = (f"Corrected calcium {_shown(corrected, rule.op, limit, holds, 2)} mg/dL "
                    f"({inputs})")
            return Truth(holds, _verdict(desc, holds, rule.op,
                                         f"{fmt_number(rule.uln)} x ULN "
                                         f"({_qty(limit, 'mg/dL')})"), (ca, alb))
        assert rule.value is not None
        assert rule.unit is not None
        value = convert("calcium", corrected, "mg/dL", rule.unit)
        holds = OPS[rule.op](value, rule.value)
        desc = f"Corrected calcium {_shown(value, rule.op, rule.value, holds, 2)} {rule.unit} " \
               f"({inputs})"
        return Truth(holds, _verdict(desc, holds, rule.op, _qty(rule.value, rule.unit)),
                     (ca, alb))


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


def _first_lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _choose(observations: list[Observation], select: str) -> Observation:
    if select == "max":
        return max(observations, key=lambda o: (o.in_unit(CODES[o.code].canonical), o.at))
    return max(observations, key=lambda o: o.at)


def _outcome(criterion: Criterion, holds: bool | None) -> Outcome:
    if holds is None:
        return "unknown"
    met = holds if criterion.kind == "inclusion" else not holds
    return "pass" if met else "fail"


def _verdict(desc: str, holds: bool, op: Op, limit: str) -> str:
    return f"{desc} {op} {limit}" if holds else f"{desc}, not {op} {limit}"


def _qty(value: Fraction, unit: str) -> str:
    """A value as entered, exactly where it is a decimal of up to 12 places (40.000001)."""
    shown = fmt_number(value, 12)
    return shown if unit in ("score", "ratio") else f"{shown} {unit}"


_COMPARES: dict[str, Callable[[int], bool]] = {
    "<": lambda diff: diff < 0,
    "<=": lambda diff: diff <= 0,
    ">": lambda diff: diff > 0,
    ">=": lambda diff: diff >= 0,
}


def _shown(value: Fraction, op: Op, limit: Fraction, holds: bool, places: int) -> str:
    """``value`` rounded for display, with more places where rounding would mislead.

    A CrCl of 44.96 shown as 45.0 beside "not >= 45" reads as an error; keep adding
    places until the shown number compares the same way as the exact one. Integer
    arithmetic throughout (the shown value is ``scaled / 10**p``).
    """
    n, d = value.numerator, value.denominator
    if n and not (d * 10**15 > abs(n) * 10**places >= d) and \
            abs(value - limit) > abs(value) / 2:
        # Far from the limit and too small or large for fixed places: 1.0e-320, 3.1e+322.
        return numbers.scientific(value, 2)
    compare = _COMPARES[op]
    ln, ld = limit.numerator, limit.denominator
    for p in range(places, 13):
        scale = 10**p
        scaled = numbers.round_scaled(value, p)
        if compare(scaled * ld - ln * scale) == holds:
            return numbers.format_scaled(scaled, p)
    word = "just above" if value > limit else "just below"
    return f"{word} {fmt_number(limit)}"


def describe(criterion: Criterion) -> str:
    """The computed rule in words, for the Trials view and worksheets."""
    if criterion.rule is None:
        return "Attested: answered by a person (yes / no / N/A)"
    return describe_rule(criterion.rule, criterion.window)


def evaluate_at(trial: Trial, stage_id: str, record: Record, when: datetime) -> Verdict:
    """Convenience for tests: the same record assessed at another moment."""
    from dataclasses import replace

    return evaluate(trial, stage_id, replace(record, as_of=when))
