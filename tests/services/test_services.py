"""The use cases through the services, on a real registry: what the UI calls."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest

from desktop.domain.visits import StageState
from desktop.library import find_trial
from desktop.registry.database import Registry, open_registry
from desktop.services.patients import (
    PatientInput,
    PatientRow,
    PatientService,
    RegistryError,
    ValidationFailed,
)
from desktop.services.screening import (
    EntryChanged,
    ScreeningRefused,
    ScreeningService,
    VisitRow,
)
from tests.registry.conftest import CLOCK, store_example


def screenings_registry(screenings: ScreeningService) -> Registry:
    """The registry a service was opened on (for arranging a delegation line)."""
    return screenings._repository._registry

REPEATED = find_trial("NCT06835140")
PACKAGE = Path(__file__).resolve().parents[2] / "desktop"


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


def _patient(mrn: str = "SCR1", family: str = "Fictional") -> PatientInput:
    return PatientInput(mrn=mrn, family_name=family, given_name="Ann",
                        birth_date=date(1971, 7, 9), sex="male")


def test_add_edit_archive_search(patients: PatientService) -> None:
    added = patients.add(_patient())
    assert isinstance(added, PatientRow)
    edited = patients.update(added.id, _patient(family="Renamed"))
    assert edited.family_name == "Renamed"
    assert [p.id for p in patients.search("Ren")] == [added.id]
    patients.set_archived(added.id, True)
    assert patients.search("Ren") == []
    assert patients.count("Ren", include_archived=True) == 1
    assert patients.get(added.id).archived


def test_a_second_patient_with_the_same_mrn_is_refused(patients: PatientService) -> None:
    patients.add(_patient())
    with pytest.raises(ValidationFailed) as refused:
        patients.add(_patient(family="Other"))
    assert isinstance(refused.value, RegistryError)
    assert set(refused.value.errors) == {"mrn"}
    assert patients.count() == 1


def test_void_and_merge(patients: PatientService, screenings: ScreeningService) -> None:
    kept = patients.add(_patient("K1"))
    duplicate = patients.add(_patient("K2"))
    screening = screenings.start(duplicate.id, REPEATED)
    with pytest.raises(RegistryError, match="do not share an MRN"):  # MergeRefused
        patients.merge(duplicate.id, kept.id, "Registered twice")
    assert not patients.get(duplicate.id).voided
    assert [s.id for s in screenings.screenings(duplicate.id)] == [screening.id]
    other = patients.add(_patient("K3"))
    assert patients.void(other.id, "Entered in error").voided
    assert patients.mrn_problems() == []


def _started(patients: PatientService, screenings: ScreeningService) -> tuple[int, VisitRow]:
    patient_id = patients.add(_patient()).id
    screening = screenings.start(patient_id, REPEATED)
    return patient_id, screenings.start_visit(screening.id, REPEATED, "screening-1")


def test_start_record_complete_sign(patients: PatientService, screenings: ScreeningService,
                                    registry: Registry) -> None:
    patient_id, visit = _started(patients, screenings)
    assert visit.state is StageState.IN_PROGRESS
    with pytest.raises(ScreeningRefused, match="while Screening #1 is in progress"):
        screenings.start_visit(visit.screening_id, REPEATED, "pre-infusion")
    store_example(cast(Any, screenings), patient_id, visit, REPEATED.id)
    assert screenings.evaluate_visit(visit.id).decision == "eligible"
    done = screenings.complete(visit.id)
    assert (done.status, done.decision, done.state) == ("completed", "eligible",
                                                        StageState.AWAITING_SIGNATURE)
    assert screenings.verdict_snapshot(visit.id) is not None
    assert [row.decision for row in screenings.visits(visit.screening_id)] == ["eligible"]
    assert screenings.screening_log(REPEATED)


def test_not_eligible_ends_the_screening(patients: PatientService,
                                        screenings: ScreeningService,
                                        registry: Registry) -> None:
    patient_id, visit = _started(patients, screenings)
    store_example(cast(Any, screenings), patient_id, visit, REPEATED.id, {"apl": True})
    done = screenings.complete(visit.id)
    assert done.state is StageState.NOT_ELIGIBLE
    assert [f.visit_id for f in screenings.screen_failures(visit.screening_id)] == [visit.id]
    assert REPEATED.stages[0].override is None  # this stage allows none: refused
    with pytest.raises(ScreeningRefused, match="the screening ended there"):
        screenings.start_visit(visit.screening_id, REPEATED, "pre-infusion")


def test_a_stale_version_is_refused(patients: PatientService,
                                    screenings: ScreeningService) -> None:
    patient_id, visit = _started(patients, screenings)
    version = screenings.set_fact(patient_id, "gilbert_syndrome", True)
    screenings.set_fact(patient_id, "gilbert_syndrome", False, expected=version)
    with pytest.raises(EntryChanged):
        screenings.set_fact(patient_id, "gilbert_syndrome", True, expected=version)
    assert screenings.facts(patient_id) == {"gilbert_syndrome": False}
    assert screenings.entries(visit.id).visit == visit


def test_services_import_no_qt() -> None:
    for path in sorted((PACKAGE / "services").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] in ("PySide6", "shiboken6") for n in names), path


def test_the_ui_reaches_the_registry_only_to_open_it() -> None:
    allowed = {("desktop/ui/app.py", "desktop.registry.database"),
               ("desktop/ui/screenshots.py", "desktop.registry.database")}
    found = set()
    for path in sorted((PACKAGE / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "desktop.registry"):
                found.add((path.relative_to(PACKAGE.parent).as_posix(), node.module))
                assert {a.name for a in node.names} <= {"open_registry", "RegistryError"}
    assert found <= allowed
