"""Test data for the screening windows: example records stored through the repository."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.domain.draft import make_record
from desktop.domain.engine import Verdict, evaluate
from desktop.domain.trial import Trial
from desktop.registry.screening_rows import ObservationInput, VisitRow
from desktop.registry.screenings import ScreeningRepository

EXAMPLES = Path(__file__).resolve().parents[2] / "trials" / "examples"

_ANSWER_WORD = {True: "yes", False: "no", "n/a": "n/a"}


def example(trial_id: str, stage_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / trial_id / f"{stage_id}.json").read_text())
    return data


def store_example(repo: ScreeningRepository, patient_id: int, visit: VisitRow,
                  trial_id: str, *, skip_codes: tuple[str, ...] = (),
                  changes: dict[str, str] | None = None) -> None:
    """Save an example record's results, facts, events and answers into ``visit``.

    ``changes`` replaces values (code -> typed text) to make a stage fail.
    """
    data = example(trial_id, visit.stage_id)
    for name, at in (data.get("events") or {}).items():
        repo.set_event(visit.id, name, datetime.fromisoformat(at))
    for name, value in (data.get("facts") or {}).items():
        repo.set_fact(patient_id, name, value)
    for obs in data.get("observations") or []:
        if obs["code"] in skip_codes:
            continue
        value = (changes or {}).get(obs["code"], str(obs["value"]))
        uln = obs.get("uln")
        repo.add_observation(patient_id, visit.id, ObservationInput(
            obs["code"], value, obs["unit"], datetime.fromisoformat(obs["at"]),
            None if uln is None else str(uln), "example record"))
    for criterion_id, answer in (data.get("answers") or {}).items():
        repo.set_answer(visit.id, criterion_id, _ANSWER_WORD[answer],  # type: ignore[arg-type]
                        "", "example record")


def stored_verdict(repo: ScreeningRepository, trial: Trial, patient_id: int,
                   birth_date: Any, sex: str, visit: VisitRow, as_of: datetime) -> Verdict:
    """Evaluate what the registry holds for ``visit``, as the visit form does."""
    from desktop.domain.draft import observation

    observations = [observation(o.code, o.value, o.unit, o.at, uln=o.uln)
                    for o in repo.observations(patient_id)]
    answers = {k: a.value for k, a in repo.answers(visit.id).items()}
    record = make_record(birth_date, sex, as_of, repo.events(visit.id),
                         repo.facts(patient_id), observations, answers)
    return evaluate(trial, visit.stage_id, record)
