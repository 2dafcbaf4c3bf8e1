"""The paged patient table model, checked by Qt's own model tester."""

from __future__ import annotations

from datetime import date

from pytestqt.modeltest import ModelTester

from desktop.registry.database import Registry
from desktop.registry.demo import seed_bulk
from desktop.registry.patients import PatientRepository
from desktop.ui.patients import patient_model
from desktop.ui.patients.patient_model import AGE, PAGE_SIZE, PatientIdRole, PatientTableModel
from tests.ui.conftest import AddPatient


def test_model_passes_qt_model_tester(qtmodeltester: ModelTester,
                                      repository: PatientRepository,
                                      add_patient: AddPatient) -> None:
    add_patient("M-1", "Ferreira", "Ana", date(1990, 3, 4), "female")
    add_patient("M-2", "Kowalski", "Jan", date(1948, 11, 30), "male")
    model = PatientTableModel(today=lambda: date(2025, 3, 4))
    model.set_repository(repository)
    qtmodeltester.check(model, force_py=True)

    model.set_filter("kow")
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 1
    assert model.index(0, AGE).data() == "76"
    assert model.index(0, 0).data(PatientIdRole) == model.patient_at(0).id  # type: ignore[union-attr]


def test_model_without_registry_is_empty(qtmodeltester: ModelTester) -> None:
    model = PatientTableModel()
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 0
    assert model.headerData(0, patient_model.Qt.Orientation.Horizontal) == "MRN"


def test_model_reads_pages_on_demand_and_keeps_few(registry: Registry,
                                                   repository: PatientRepository) -> None:
    seed_bulk(registry, PAGE_SIZE * (patient_model.MAX_PAGES + 5))
    calls: list[int] = []
    search = repository.search

    def counting_search(*args: object, **kwargs: object) -> object:
        calls.append(int(kwargs["offset"]))  # type: ignore[call-overload]
        return search(*args, **kwargs)  # type: ignore[arg-type]

    repository.search = counting_search  # type: ignore[method-assign]
    model = PatientTableModel()
    model.set_repository(repository)
    assert model.rowCount() == repository.count() > PAGE_SIZE * patient_model.MAX_PAGES
    assert calls == [0]  # the count, and the first page only

    last = model.rowCount() - 1
    assert model.index(last, 0).data()
    assert calls[-1] == last // PAGE_SIZE * PAGE_SIZE
    for row in range(0, model.rowCount(), PAGE_SIZE):
        model.index(row, 0).data()
    assert len(model._pages) == patient_model.MAX_PAGES
