"""Demo screenings for the fictional demo patients, so ``nkscreen --demo`` shows the work.

Built from the trials' example records (``trials/examples/<NCT>/<stage>.json``), with
every date moved so the visit in progress is assessed today: a new user sees a patient
part-way through NCT06152809 (two stages passed, the pre-lymphodepletion visit in
progress with its planned dates and results, its questions still to answer), and a
screen failure in the trial's screening log.
Everything goes through ``ScreeningRepository``, validated and audited like real work;
a stage is completed (decided by the repository from what it holds) only when the
engine says it may be. Running it again adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from desktop.domain.signing import Action
from desktop.domain.trial import Trial
from desktop.registry.database import Registry
from desktop.registry.demo import demo_mrn
from desktop.registry.patients import PatientRepository, PatientRow
from desktop.registry.screening_rows import ObservationInput, VisitRow
from desktop.registry.screenings import ScreeningRepository, trials_from

DEMO_TRIAL = "NCT06152809"
_WORDS = {True: "yes", False: "no", "n/a": "n/a"}


class _Shifted:
    """The repository's clock during seeding: the example's time, moved to today."""

    def __init__(self, shift: timedelta) -> None:
        self.shift = shift
        self.now = datetime.now()

    def __call__(self) -> datetime:
        return self.now


def seed_demo_screenings(registry: Registry, trials: Mapping[str, Trial], examples: Path,
                         now: datetime | None = None, user: str = "demo",
                         signer: tuple[str, str] = ("demo-investigator",
                                                    "Dr Demo Investigator")) -> int:
    """Add the demo screenings that are missing; return how many were started. Each
    stage passed is confirmed by ``signer`` (user id, printed name), the demo's
    investigator, so the next one may open."""
    trial = trials.get(DEMO_TRIAL)
    if trial is None or not (examples / DEMO_TRIAL).is_dir():
        return 0
    patients = PatientRepository(registry, user)
    found = {row.mrn: row for row in patients.search("DEMO-", limit=50)}
    today = (now or datetime.now()).replace(second=0, microsecond=0)
    clock = _Shifted(timedelta())
    # The example records carry their own ULNs: the demo never depends on site.json.
    repo = ScreeningRepository(registry, user, clock, trials=trials_from(trials), site_uln={})
    started = 0
    plans: tuple[tuple[str, tuple[str, ...], str, dict[str, str]], ...] = (
        (demo_mrn(2), ("screening-1", "screening-2"), "pre-lymphodepletion", {}),
        (demo_mrn(4), (), "screening-1", {"ecog": "3"}))
    for mrn, passed, in_progress, changes in plans:
        patient = found.get(mrn)
        if patient is None or any(s.trial_id == DEMO_TRIAL
                                  for s in repo.screenings(patient.id)):
            continue
        # The visit in progress is today's; the stages passed before it, earlier.
        current = datetime.fromisoformat(_load(examples, in_progress)["as_of"])
        clock.shift = today.date() - current.date()
        clock.now = current + clock.shift
        screening = repo.start(patient.id, trial)
        started += 1
        for stage_id in passed:
            visit = repo.start_visit(screening.id, trial, stage_id)
            if not _fill_and_complete(repo, trial, patient, visit, examples, clock, {}):
                break
            repo.add_signature(visit.id, user_id=signer[0], printed_name=signer[1],
                               role="Investigator", action=Action.CONFIRM,
                               shown=repo.shown(visit.id),
                               signed_at=datetime.now().astimezone())  # when seeded, like
            # the completion it follows (its bookkeeping time is the real one too)
        else:
            visit = repo.start_visit(screening.id, trial, in_progress)
            # Today's visit: results and dates in, the questions left for the user.
            _fill_and_complete(repo, trial, patient, visit, examples, clock, changes,
                               complete=bool(changes), answer=bool(changes))
    return started


def _load(examples: Path, stage_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((examples / DEMO_TRIAL / f"{stage_id}.json")
                                      .read_text(encoding="utf-8"))
    return data


def _fill_and_complete(repo: ScreeningRepository, trial: Trial, patient: PatientRow,
                       visit: VisitRow, examples: Path, clock: _Shifted,
                       changes: Mapping[str, str], complete: bool = True,
                       answer: bool = True) -> bool:
    """Enter the example record of the visit's stage; complete it if decided."""
    data = _load(examples, visit.stage_id)
    shift = clock.shift
    clock.now = datetime.fromisoformat(data["as_of"]) + shift
    for name, at in (data.get("events") or {}).items():
        repo.set_event(visit.id, name, datetime.fromisoformat(at) + shift)
    for name, value in (data.get("facts") or {}).items():
        repo.set_fact(patient.id, name, value)
    for obs in data.get("observations") or []:
        uln = obs.get("uln")
        repo.add_observation(patient.id, visit.id, ObservationInput(
            obs["code"], changes.get(obs["code"], str(obs["value"])), obs["unit"],
            datetime.fromisoformat(obs["at"]) + shift, None if uln is None else str(uln),
            "demo data"))
    for criterion_id, value in (data.get("answers") or {}).items() if answer else ():
        repo.set_answer(visit.id, criterion_id, _WORDS[value], "",  # type: ignore[arg-type]
                        "demo data")
    if not complete:
        return False
    decision = repo.evaluate_visit(visit.id).decision
    if decision == "incomplete":
        return False
    return repo.complete(visit.id, expect=decision).decision == "eligible"
