"""Fixtures for the registry tests: a fresh registry per test and a repository on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from desktop.domain.engine import Verdict, evaluate
from desktop.domain.record import parse_record
from desktop.library import find_trial
from desktop.registry.database import Registry, open_registry
from desktop.registry.patients import PatientInput, PatientRepository
from desktop.registry.screenings import ScreeningRepository


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


def example_verdict(nct: str, stage_id: str, answers: dict[str, Any] | None = None,
                    keep_answers: bool = True) -> tuple[Verdict, datetime]:
    """The engine's verdict on ``trials/examples/<nct>/<stage>.json`` (with ``answers``
    changed, or without any answers), and the record's ``as_of``."""
    raw = json.loads((EXAMPLES / nct / f"{stage_id}.json").read_text(encoding="utf-8"))
    raw["answers"] = {**raw["answers"], **(answers or {})} if keep_answers else {}
    record = parse_record(raw, CLOCK)
    return evaluate(find_trial(nct), stage_id, record), record.as_of
