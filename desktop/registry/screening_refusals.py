"""The sentences the screening repository refuses with: invalid input, a stage that
cannot start yet (gating, via ``desktop.domain.visits``).

Part of ``desktop.registry.screenings``.
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop.domain.trial import Stage, Trial
from desktop.domain.visits import StageState, slots
from desktop.registry.patients import ValidationFailed
from desktop.registry.screening_rows import VisitRow

# -- messages --------------------------------------------------------------------------

def _invalid(what: str, errors: dict[str, str]) -> ValidationFailed:
    """``ValidationFailed`` whose text says what was not saved (not "the patient")."""
    exc = ValidationFailed(errors)
    exc.args = (f"{what} was not saved: " + " ".join(exc.errors.values()),)
    return exc


_OBSERVATION_FIELDS = {"code": "Test", "value": "Value", "unit": "Unit",
                       "at": "Time taken", "uln": "Upper limit of normal"}


_DECISION_WORDS: dict[str, str] = {"eligible": "eligible", "not_eligible": "not eligible",
                                   "incomplete": "incomplete"}


def _sentence(label: str, message: str) -> str:
    text = f"{label}: {message.strip()}"
    return text if text.endswith(".") else text + "."


def _visit_title(stage: Stage | None, stage_id: str, repeat: int) -> str:
    if stage is None:
        return stage_id
    if stage.repeat == 1:
        return stage.title
    return f"{stage.title} ({repeat} of {stage.repeat})"


# -- gating ----------------------------------------------------------------------------

def _failure_ending(stage: Stage, visit: VisitRow) -> str:
    if visit.confirmed:
        return "; the investigator confirmed the screen failure"
    if stage.override is not None:
        return " unless an investigator approves proceeding (an override signature)"
    return ""


def start_refusal(trial: Trial, stage_id: str, visits: Sequence[VisitRow]) -> str | None:
    """Why a visit of ``stage_id`` may not start now (None: it may): the sentence
    ``start_visit`` refuses with, for a button to say before it is pressed."""
    return _start_refusal(trial, stage_id, visits)[0]


def _start_refusal(trial: Trial, stage_id: str,
                   visits: Sequence[VisitRow]) -> tuple[str | None, int]:
    """Why a visit of ``stage_id`` may not start now (None if it may), and its repeat."""
    stage = trial.stage(stage_id)
    if stage is None:
        return (f"{stage_id!r} is not a stage of {trial.id} "
                f"(its stages: {', '.join(trial.stage_ids)})."), 0
    own = sorted((v for v in visits if v.stage_id == stage_id), key=lambda v: v.repeat)
    for visit in own:
        if visit.state is StageState.IN_PROGRESS:
            return (f"A draft {_visit_title(stage, stage_id, visit.repeat)} visit is already "
                    f"open; continue that visit."), 0
    for visit in own:
        if visit.state is StageState.AWAITING_SIGNATURE:
            return (f"{_visit_title(stage, stage_id, visit.repeat)} awaits the "
                    f"investigator's signature (Eligibility confirmed by); the next visit "
                    f"starts after it."), 0
        if not visit.state.lets_next_open:
            return (f"{_visit_title(stage, stage_id, visit.repeat)} was completed not eligible "
                    f"(a screen failure), so no further visit can start"
                    f"{_failure_ending(stage, visit)}."), 0
    if len(own) >= stage.repeat:
        if stage.repeat == 1:
            return f"{stage.title} has already been completed.", 0
        return (f"All {stage.repeat} {stage.title} visits the protocol plans have already "
                f"been completed."), 0
    repeat = len(own) + 1
    states = {(v.stage_id, v.repeat): v.state for v in visits}
    for slot in slots(trial.stages, states):
        if slot.stage.id == stage_id and slot.repeat == repeat:
            if slot.may_start:
                return None, repeat
            break
        if not slot.state.lets_next_open:
            wanted = _visit_title(stage, stage_id, repeat)
            if slot.state is StageState.NOT_STARTED:
                return f"{wanted} cannot start before {slot.title} is completed.", 0
            if slot.state is StageState.IN_PROGRESS:
                return (f"{wanted} cannot start while {slot.title} is in progress; "
                        f"complete that visit first."), 0
            if slot.state is StageState.AWAITING_SIGNATURE:
                return (f"{wanted} cannot start before an investigator confirms "
                        f"{slot.title} (Eligibility confirmed by)."), 0
            confirmed = any(v.confirmed for v in visits
                            if (v.stage_id, v.repeat) == (slot.stage.id, slot.repeat))
            ending = (" and has not been approved to proceed"
                      if slot.stage.override is not None and not confirmed
                      else "; the screening ended there")
            return (f"{wanted} cannot start: {slot.title} was completed not "
                    f"eligible{ending}."), 0
    # The slot exists, nothing before it blocks, yet it may not start: a visit the
    # trial's current stage order does not explain. Refuse rather than guess.
    return (f"{_visit_title(stage, stage_id, repeat)} cannot start: the screening's "
            f"visits do not follow {trial.id}'s stages."), 0
