"""One patient against every trial's first stage: what passes, what fails, what is missing.

The screening contract's ``prescreen``. Each trial's decision is exactly the engine's
verdict at its first stage on the record (with only the answers that stage has); what
is missing is read from the inputs of the criteria still unknown; the provisional
decision assumes every event the stage's windows hang on that the record lacks takes
place at ``as_of`` ("if screened now").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from desktop.domain.engine import _BODY_CODES, Verdict, evaluate, inputs
from desktop.domain.record import Record, RecordError
from desktop.domain.text_safety import key, quote
from desktop.domain.timewindow import bounds
from desktop.domain.trial import (
    EVENTS,
    FACTS,
    CriteriaFail,
    Criterion,
    Stage,
    Trial,
    Window,
    compares,
)
from desktop.domain.visits import events_of

_DERIVED_READS: dict[str, tuple[str, ...]] = {
    "crcl_cockcroft_gault": ("creatinine", "weight"),
    "corrected_calcium": ("calcium", "albumin"),
    "age": (),
}


@dataclass(frozen=True)
class Prescreen:
    trial: Trial
    verdict: Verdict
    missing_inputs: tuple[str, ...]
    provisional: Verdict

    def as_json(self) -> dict[str, object]:
        """The shape ``nkscreen prescreen`` prints for one trial (the screening contract)."""
        return {
            "trial": self.trial.id,
            "title": self.trial.title,
            "stage": self.verdict.stage.id,
            "decision": self.verdict.decision,
            "failing": [r.id for r in self.verdict.failing],
            "unknown": [r.id for r in self.verdict.missing],
            "missing_inputs": list(self.missing_inputs),
            "provisional_decision": self.provisional.decision,
            "provisional_unknown": [r.id for r in self.provisional.missing],
        }


def check_prescreen_answers(trials: Sequence[Trial], answers: Mapping[str, object]) -> None:
    """An answer must name a criterion of some trial's first stage, and be answerable."""
    for name in answers:
        found = [c for t in trials if (c := t.stages[0].criterion(name)) is not None]
        if not found:
            raise RecordError(f"answers.{key(name)}",
                              f"no criterion {quote(name, 40)} in any trial's first stage")
        if not any(c.attested for c in found):
            raise RecordError(f"answers.{key(name)}",
                              f"criterion {quote(name, 40)} is computed from the record, "
                              "not answered")


def prescreen(trials: Sequence[Trial], record: Record,
              site_uln: Mapping[str, Fraction] | None = None) -> list[Prescreen]:
    """Every trial at its first stage, in the order given (the library's)."""
    check_prescreen_answers(trials, record.answers)
    out = []
    for trial in trials:
        stage = trial.stages[0]
        own = {k: v for k, v in record.answers.items()
               if (c := stage.criterion(k)) is not None and c.attested}
        mine = replace(record, answers=own)
        verdict = evaluate(trial, stage.id, mine, site_uln)
        lacking = [e for e in events_of(stage) if e not in mine.events]
        provisional = verdict
        if lacking:
            events = dict(mine.events) | dict.fromkeys(lacking, mine.as_of)
            provisional = evaluate(trial, stage.id, replace(mine, events=events), site_uln)
        missing = missing_inputs(stage, verdict, mine)
        out.append(Prescreen(trial, verdict, tuple(missing), provisional))
    return out


def missing_inputs(stage: Stage, verdict: Verdict, record: Record) -> list[str]:
    """Observation codes, facts and events the unknown computed criteria still need."""
    found: list[str] = []
    for result in verdict.missing:
        if result.criterion.attested:
            continue
        for name in _needs(result.criterion, stage, record, set()):
            if name not in found:
                found.append(name)
    return found


def _needs(criterion: Criterion, stage: Stage, record: Record, seen: set[str]) -> list[str]:
    if criterion.id in seen:
        return []
    seen.add(criterion.id)
    needs: list[str] = []
    for name in inputs(criterion, stage):
        if name in EVENTS:
            if name not in record.events:
                needs.append(name)
        elif name in FACTS:
            if name not in record.facts:
                needs.append(name)
        elif name not in ("birth_date", "sex") and not _usable(criterion, stage, name, record):
            needs.append(name)
    return needs


def _usable(criterion: Criterion, stage: Stage, code: str, record: Record) -> bool:
    """Whether the record holds a result of ``code`` that some reading of it admits."""
    taken = [o for o in record.observations if o.code == code and o.at <= record.as_of]
    if not taken:
        return False
    readings = _windows_reading(criterion, stage, code, set())
    for window in readings or [None]:
        if window is None or code in _BODY_CODES:
            return True
        event_at = record.events.get(window.event)
        if event_at is None:
            return True  # cannot tell before the date is known: the event is what is missing
        span = bounds(window, event_at, record.zone)
        if any(span.admits(o.at) for o in taken):
            return True
    return False


def _windows_reading(criterion: Criterion, stage: Stage, code: str,
                     seen: set[str]) -> list[Window | None]:
    if criterion.id in seen:
        return []
    seen.add(criterion.id)
    windows: list[Window | None] = []
    for compare, window in compares(criterion.rule, criterion.window):
        codes = _DERIVED_READS.get(compare.of, (compare.of,))
        if code in codes:
            windows.append(window)
    rule = criterion.rule
    if isinstance(rule, CriteriaFail):
        for ref in rule.criteria:
            other = stage.criterion(ref)
            if other is not None:
                windows.extend(_windows_reading(other, stage, code, seen))
    return windows
