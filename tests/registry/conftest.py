"""Fixtures for the registry tests: a fresh registry per test and a repository on it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from desktop.domain.signing import Action, OverrideParty
from desktop.registry.database import Registry, open_registry
from desktop.registry.patients import PatientInput, PatientRepository
from desktop.registry.screening_rows import AnswerValue, ObservationInput, VisitRow
from desktop.registry.screenings import ScreeningRepository
from desktop.registry.signature_rows import SignatureRow
from desktop.services.signing import SigningService


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(tmp_path / "data")
    yield reg
    reg.close()


@pytest.fixture
def repo(registry: Registry) -> PatientRepository:
    return PatientRepository(registry, "coordinator")


def patient(mrn: str = "AB12", family: str = "Fictional", given: str = "Ann",
            birth: date | None = date(1970, 5, 17), sex: str = "female") -> PatientInput:
    return PatientInput(mrn=mrn, family_name=family, given_name=given, birth_date=birth, sex=sex)


# -- screenings (#5) ------------------------------------------------------------------

#: The screening repository's fixed "now": after every example's as_of.
CLOCK = datetime(2026, 12, 31, 12, 0)
EXAMPLES = Path(__file__).resolve().parents[2] / "trials" / "examples"


@pytest.fixture
def screenings(registry: Registry) -> ScreeningRepository:
    return ScreeningRepository(registry, "coordinator", lambda: CLOCK)


@pytest.fixture
def patient_id(repo: PatientRepository) -> int:
    """A saved patient, born 1971-07-09 (the examples' birth date)."""
    return repo.add(patient(mrn="SCR1", birth=date(1971, 7, 9), sex="male")).id


_ANSWER_WORDS: dict[Any, AnswerValue] = {True: "yes", False: "no", "n/a": "n/a"}


def example(nct: str, stage_id: str) -> dict[str, Any]:
    """``trials/examples/<nct>/<stage>.json`` as plain data."""
    data: dict[str, Any] = json.loads((EXAMPLES / nct / f"{stage_id}.json")
                                      .read_text(encoding="utf-8"))
    return data


def store_example(screenings: ScreeningRepository, patient_id: int, visit: VisitRow,
                  nct: str, answers: dict[str, Any] | None = None,
                  keep_answers: bool = True, events: bool = True) -> None:
    """Save the example record of the visit's stage into the registry, as a coordinator
    would: planned dates (unless ``events`` is false), facts, results, and answers (with
    ``answers`` changed, or none at all). Completing the visit then evaluates what was
    saved."""
    data = example(nct, visit.stage_id)
    for name, at in (data.get("events") or {}).items() if events else ():
        screenings.set_event(visit.id, name, datetime.fromisoformat(at))
    for name, value in (data.get("facts") or {}).items():
        screenings.set_fact(patient_id, name, bool(value))
    for obs in data.get("observations") or []:
        uln = obs.get("uln")
        # The tests' clock assesses every stage after all the examples' results, so a
        # later stage's result counts as added to an earlier stage's data: say why.
        screenings.add_observation(patient_id, visit.id, ObservationInput(
            obs["code"], str(obs["value"]), obs["unit"], datetime.fromisoformat(obs["at"]),
            None if uln is None else str(uln), "example record"),
            reason="the example record of this stage")
    chosen = {**data["answers"], **(answers or {})} if keep_answers else {}
    for criterion_id, value in chosen.items():
        screenings.set_answer(visit.id, criterion_id, _ANSWER_WORDS[value])


# -- signatures (#13) -----------------------------------------------------------------

def sign(screenings: ScreeningRepository, visit_id: int, action: Action = Action.CONFIRM, *,
         user_id: str = "ivy", rationale: str = "",
         parties: Sequence[OverrideParty] = ()) -> SignatureRow:
    """A signature as the signing service gives it once the password is checked."""
    role = "Coordinator" if action is Action.PREPARE else "Investigator"
    name = "Cora Coordinator" if action is Action.PREPARE else "Dr Ivy Investigator"
    return screenings.add_signature(visit_id, user_id=user_id, printed_name=name, role=role,
                                    action=action, signed_at=datetime.now(UTC),
                                    shown=screenings.shown(visit_id),
                                    rationale=rationale,
                                    parties=parties)


#: The IND holder's agreement an NCT06152809 / NCT06138587 override names.
IND_HOLDER = OverrideParty("IND holder", "Dr Bea Holder", datetime(2026, 11, 30),
                           "email on file")



def sign_as(signing: SigningService, visit_id: int, action: Action, user_id: str,
            password: str, **kw: Any) -> SignatureRow:
    """``signing.sign`` with what a dialog opened now would show (``request().shown``)."""
    return signing.sign(visit_id, action, user_id, password,
                        shown=signing.request(visit_id, action).shown, **kw)
