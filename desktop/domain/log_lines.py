"""The words of a trial's screening log, for the window, the PDF and the CSV alike.

A screen failure is named by the criterion's place in its stage and its verbatim text
("Screening #1: #3 ANC ≥ 1,000/µL"), never by the trial file's internal id. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop.domain import wording
from desktop.domain.stage_states import StageState
from desktop.domain.trial import Trial


def stage_label(trial: Trial, stage_id: str | None, repeat: int) -> str:
    if stage_id is None:
        return "no stage started"
    stage = trial.stage(stage_id)
    if stage is None:
        return stage_id
    return stage.title if stage.repeat == 1 else f"{stage.title} ({repeat} of {stage.repeat})"


def outcome_words(trial: Trial, stage_id: str | None, repeat: int,
                  state: StageState | None) -> str:
    """"Screen failure", "In screening", "Passed all stages (signed)" ..."""
    if state is None or stage_id is None:
        return "Screening started"
    if state is StageState.NOT_ELIGIBLE:
        return "Screen failure"
    if state is StageState.IN_PROGRESS:
        return "In screening"
    last = trial.stages[-1]
    if stage_id == last.id and repeat == last.repeat:
        return f"Passed all stages ({state.value})"
    return f"{state.value.capitalize()}; next stage not started"


def criterion_ref(trial: Trial, stage_id: str, criterion_id: str) -> str:
    """``#N text``: the criterion's number in its stage (as the app shows it) and its
    verbatim text; a criterion the trial file no longer holds says so."""
    return wording.criterion_ref(trial.stage(stage_id), criterion_id)


def failure_lines(trial: Trial, stage_id: str, repeat: int,
                  reasons: Sequence[tuple[str, str]], with_reason: bool = False) -> list[str]:
    """One line per failing criterion of a screen failure: stage, number and text (and
    the engine's reason after a dash, with ``with_reason``)."""
    stage = stage_label(trial, stage_id, repeat)
    return [f"{stage}: {criterion_ref(trial, stage_id, cid)}"
            + (f" — {reason}" if with_reason and reason else "") for cid, reason in reasons]


def initials(given_name: str, family_name: str) -> str:
    """``AF`` for Ann Fictional (each word's first letter, given names first)."""
    words = [*given_name.replace("-", " ").split(), *family_name.replace("-", " ").split()]
    return "".join(word[0].upper() for word in words if word[0].isalnum()) or "?"
