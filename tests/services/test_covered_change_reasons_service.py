"""The services pass the reason for a change a completed stage covers on to the registry,
and say when one is needed (the rule itself: tests/registry/test_covered_change_reasons.py)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from desktop.registry.database import Registry, open_registry
from desktop.services.patients import PatientService, ValidationFailed
from desktop.services.screening import ObservationInput, ScreeningService
from tests.registry.conftest import CLOCK, store_example
from tests.services.test_services import REPEATED, _patient, _started

AT = datetime(2026, 11, 1, 8, 30)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(tmp_path / "data")
    yield reg
    reg.close()


@pytest.fixture
def patients(registry: Registry) -> PatientService:
    return PatientService.open(registry, "coordinator")


@pytest.fixture
def screenings(registry: Registry) -> ScreeningService:
    return ScreeningService.open(registry, "coordinator", lambda: CLOCK)


def _reasons(registry: Registry, action: str) -> list[object]:
    with registry.read() as conn:
        rows = conn.execute("SELECT details FROM audit_event WHERE action = ? ORDER BY id",
                            (action,)).fetchall()
    return [json.loads(details).get("reason") for (details,) in rows]


def test_the_reason_reaches_the_audit(patients: PatientService, screenings: ScreeningService,
                                      registry: Registry) -> None:
    patient_id, visit = _started(patients, screenings)
    obs = screenings.add_observation(patient_id, None, ObservationInput(
        "creatinine", "1.90", "mg/dL", AT))
    assert not screenings.has_completed_stage(patient_id)
    assert not patients.has_completed_stage(patient_id)
    store_example(cast(Any, screenings), patient_id, visit, REPEATED.id)
    screenings.complete(visit.id)
    assert screenings.has_completed_stage(patient_id)
    assert patients.has_completed_stage(patient_id)

    corrected = ObservationInput("creatinine", "1.09", "mg/dL", AT)
    with pytest.raises(ValidationFailed) as refused:
        screenings.update_observation(obs.id, corrected, expected=obs.version)
    assert list(refused.value.errors) == ["reason"]
    screenings.update_observation(obs.id, corrected, expected=obs.version,
                                  reason="wrong report")
    with pytest.raises(ValidationFailed):
        screenings.set_fact(patient_id, "gilbert_syndrome", True)
    screenings.set_fact(patient_id, "gilbert_syndrome", True, reason="letter from GP")
    older = dataclasses.replace(_patient(), birth_date=date(1971, 7, 10))
    with pytest.raises(ValidationFailed) as refused:
        patients.update(patient_id, older)
    assert list(refused.value.errors) == ["reason"]
    patients.update(patient_id, older, "birth certificate")

    assert _reasons(registry, "observation.update") == ["wrong report"]
    assert _reasons(registry, "fact.set") == ["letter from GP"]
    assert _reasons(registry, "patient.update") == ["birth certificate"]
