"""Each patient validation rule, at its boundary; nothing is saved when any rule fails."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from desktop.registry.patients import PatientRepository, ValidationFailed
from tests.registry.conftest import patient

TODAY = date(2025, 3, 14)


def test_valid_input_has_no_errors(repo: PatientRepository) -> None:
    assert repo.validate(patient(), today=TODAY) == {}


@pytest.mark.parametrize("field", ["mrn", "family_name", "given_name"])
@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_required_text_fields(repo: PatientRepository, field: str, value: str) -> None:
    kwargs = {"mrn": "AB12", "family": "Fictional", "given": "Ann"}
    kwargs[{"mrn": "mrn", "family_name": "family", "given_name": "given"}[field]] = value
    errors = repo.validate(patient(**kwargs), today=TODAY)
    assert set(errors) == {field}


def test_birth_date_required(repo: PatientRepository) -> None:
    assert set(repo.validate(patient(birth=None), today=TODAY)) == {"birth_date"}


@pytest.mark.parametrize(("birth", "ok"), [
    (date(1900, 1, 1), True),
    (date(1899, 12, 31), False),
    (TODAY, True),
    (TODAY + timedelta(days=1), False),
])
def test_birth_date_bounds(repo: PatientRepository, birth: date, ok: bool) -> None:
    errors = repo.validate(patient(birth=birth), today=TODAY)
    assert ("birth_date" not in errors) is ok
    assert set(errors) <= {"birth_date"}


def test_birth_date_defaults_to_real_today(repo: PatientRepository) -> None:
    assert repo.validate(patient(birth=date.today())) == {}
    assert "birth_date" in repo.validate(patient(birth=date.today() + timedelta(days=1)))


@pytest.mark.parametrize(("sex", "ok"), [("female", True), ("male", True), (" male ", True),
                                         ("", False), ("other", False), ("Female", False)])
def test_sex_must_be_one_of_sexes(repo: PatientRepository, sex: str, ok: bool) -> None:
    assert ("sex" not in repo.validate(patient(sex=sex), today=TODAY)) is ok


def test_mrn_unique_case_insensitive_and_trimmed(repo: PatientRepository) -> None:
    repo.add(patient(mrn="AB12"))
    errors = repo.validate(patient(mrn=" ab12 ", family="Other"), today=TODAY)
    assert set(errors) == {"mrn"}
    assert "AB12" in errors["mrn"]
    with pytest.raises(ValidationFailed) as info:
        repo.add(patient(mrn=" ab12 ", family="Other"))
    assert set(info.value.errors) == {"mrn"}
    assert repo.count(include_archived=True) == 1


def test_mrn_clash_with_archived_patient_still_refused(repo: PatientRepository) -> None:
    first = repo.add(patient(mrn="AB12"))
    repo.set_archived(first.id, True)
    errors = repo.validate(patient(mrn="ab12"), today=TODAY)
    assert "archived" in errors["mrn"]


def test_editing_patient_may_keep_own_mrn(repo: PatientRepository) -> None:
    row = repo.add(patient(mrn="AB12"))
    other = repo.add(patient(mrn="CD34"))
    assert repo.validate(patient(mrn=" ab12"), patient_id=row.id, today=TODAY) == {}
    assert set(repo.validate(patient(mrn="ab12"), patient_id=other.id, today=TODAY)) == {"mrn"}


def test_invalid_add_saves_nothing_and_reports_every_field(repo: PatientRepository) -> None:
    bad = patient(mrn=" ", family="", given="", birth=date(1800, 1, 1), sex="x")
    with pytest.raises(ValidationFailed) as info:
        repo.add(bad)
    assert set(info.value.errors) == {"mrn", "family_name", "given_name", "birth_date", "sex"}
    assert str(info.value).startswith("The patient was not saved")
    assert repo.count(include_archived=True) == 0


def test_invalid_update_changes_nothing(repo: PatientRepository) -> None:
    row = repo.add(patient())
    with pytest.raises(ValidationFailed):
        repo.update(row.id, patient(family="Changed", birth=date(1899, 12, 31)))
    assert repo.get(row.id) == row
