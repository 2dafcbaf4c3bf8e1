"""A reason for every change to what a completed stage was decided on.

Once a patient has a completed visit (in any screening), correcting one of their
results, changing one of their facts, or changing their date of birth or sex is
refused without a reason (``ValidationFailed`` on "reason", nothing written); the
reason given is kept in the audit event. Before that, no reason is needed, and one
given is still kept. Names and the MRN never need one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from desktop.library import find_trial
from desktop.registry.database import Registry
from desktop.registry.patients import PatientInput, PatientNotFound, PatientRepository
from desktop.registry.screening_rows import ObservationInput, ObservationRow, VisitRow
from desktop.registry.screenings import ScreeningRepository, ValidationFailed
from tests.registry.conftest import patient, store_example
from tests.registry.test_screenings import audit

TRIAL = find_trial("NCT06835140")
AT = datetime(2026, 11, 1, 8, 30)
#: The patient of ``patient_id`` (tests/registry/conftest.py), as saved.
SAVED = PatientInput("SCR1", "Fictional", "Ann", date(1971, 7, 9), "male")


def _completed(screenings: ScreeningRepository, patient_id: int) -> VisitRow:
    """A visit of the patient's, completed on the example record."""
    screening = screenings.start(patient_id, TRIAL)
    visit = screenings.start_visit(screening.id, TRIAL, "screening-1")
    store_example(screenings, patient_id, visit, TRIAL.id)
    done = screenings.complete(visit.id)
    assert done.status == "completed"
    return done


def _creatinine(screenings: ScreeningRepository, patient_id: int) -> ObservationRow:
    return screenings.add_observation(patient_id, None, ObservationInput(
        "creatinine", "1.90", "mg/dL", AT))


def _corrected(value: str = "1.09") -> ObservationInput:
    return ObservationInput("creatinine", value, "mg/dL", AT)


def _details(registry: Registry, action: str) -> list[dict[str, Any]]:
    return [details for _, _, _, details in audit(registry, action)]


# -- asking before: has_completed_stage -------------------------------------------------

def test_whether_a_patient_has_a_completed_stage(screenings: ScreeningRepository,
                                                 repo: PatientRepository,
                                                 patient_id: int) -> None:
    other = repo.add(patient(mrn="OTHER1")).id
    assert not screenings.has_completed_stage(patient_id)
    assert not repo.has_completed_stage(patient_id)
    screening = screenings.start(patient_id, TRIAL)
    visit = screenings.start_visit(screening.id, TRIAL, "screening-1")
    assert not screenings.has_completed_stage(patient_id)  # a draft decides nothing
    store_example(screenings, patient_id, visit, TRIAL.id)
    screenings.complete(visit.id)
    assert screenings.has_completed_stage(patient_id)
    assert repo.has_completed_stage(patient_id)
    assert not screenings.has_completed_stage(other)  # another patient's stage
    assert not repo.has_completed_stage(other)
    with pytest.raises(PatientNotFound):
        screenings.has_completed_stage(999)
    with pytest.raises(PatientNotFound):
        repo.has_completed_stage(999)


# -- correcting a result ------------------------------------------------------------------

def test_a_correction_needs_no_reason_before_any_stage_is_completed(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    row = _creatinine(screenings, patient_id)
    screenings.update_observation(row.id, _corrected("1.50"))
    screenings.update_observation(row.id, _corrected("1.09"), reason=" lab re-run ")
    first, second = _details(registry, "observation.update")
    assert "reason" not in first
    assert second["reason"] == "lab re-run"  # a reason given is kept all the same


def test_a_correction_after_a_completed_stage_is_refused_without_a_reason(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    row = _creatinine(screenings, patient_id)
    _completed(screenings, patient_id)
    for blank in ("", "   \n"):
        with pytest.raises(ValidationFailed) as refused:
            screenings.update_observation(row.id, _corrected(), expected=row.version,
                                          reason=blank)
        assert list(refused.value.errors) == ["reason"]
        assert refused.value.errors["reason"].startswith(
            "Reason: say why this result is corrected")
        assert str(refused.value).startswith("The result was not saved: Reason: ")
    # Nothing was written: the result, its version and who entered it are as they were.
    assert screenings.observations(patient_id, "creatinine") == [row]
    assert audit(registry, "observation.update") == []


def test_a_correction_after_a_completed_stage_keeps_its_reason(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    row = _creatinine(screenings, patient_id)
    _completed(screenings, patient_id)
    fixed = screenings.update_observation(row.id, _corrected(), expected=row.version,
                                          reason="  transcribed from the wrong report ")
    assert fixed.value == "1.09"
    assert fixed.version > row.version
    [details] = _details(registry, "observation.update")
    assert details["reason"] == "transcribed from the wrong report"
    assert details["changes"] == {"value": {"old": "1.90", "new": "1.09"}}


def test_a_correction_to_what_is_saved_needs_no_reason(screenings: ScreeningRepository,
                                                       registry: Registry,
                                                       patient_id: int) -> None:
    row = _creatinine(screenings, patient_id)
    _completed(screenings, patient_id)
    assert screenings.update_observation(row.id, _corrected("1.90")) == row
    assert audit(registry, "observation.update") == []


def test_an_invalid_correction_says_what_is_wrong_with_the_value_first(
        screenings: ScreeningRepository, patient_id: int) -> None:
    row = _creatinine(screenings, patient_id)
    _completed(screenings, patient_id)
    with pytest.raises(ValidationFailed) as refused:
        screenings.update_observation(row.id, _corrected("abc"))
    assert "value" in refused.value.errors


# -- changing a fact ----------------------------------------------------------------------

def test_a_fact_needs_no_reason_before_any_stage_is_completed(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    screenings.set_fact(patient_id, "gilbert_syndrome", True)
    screenings.set_fact(patient_id, "gilbert_syndrome", False, reason="hepatology letter")
    first, second = _details(registry, "fact.set")
    assert "reason" not in first
    assert second["reason"] == "hepatology letter"


def test_a_fact_change_after_a_completed_stage_needs_a_reason(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    version = screenings.set_fact(patient_id, "gilbert_syndrome", False)
    _completed(screenings, patient_id)
    before = audit(registry, "fact.set")
    for value in (True, None):  # setting and clearing alike
        with pytest.raises(ValidationFailed) as refused:
            screenings.set_fact(patient_id, "gilbert_syndrome", value, expected=version)
        assert list(refused.value.errors) == ["reason"]
        assert refused.value.errors["reason"] == (
            "Reason: say why Gilbert's syndrome is changed (a completed stage of this "
            "patient was decided on the patient's facts).")
        assert str(refused.value).startswith("The fact was not saved: Reason: ")
    assert screenings.facts(patient_id) == {"gilbert_syndrome": False}
    assert audit(registry, "fact.set") == before
    # The same value again changes nothing and needs nothing.
    assert screenings.set_fact(patient_id, "gilbert_syndrome", False) == version
    # A new fact is a change to what the stage was decided on too.
    with pytest.raises(ValidationFailed, match="childbearing potential"):
        screenings.set_fact(patient_id, "childbearing_potential", False)
    after = screenings.set_fact(patient_id, "gilbert_syndrome", True, expected=version,
                                reason="genetic test result received")
    assert after > version
    assert screenings.facts(patient_id) == {"gilbert_syndrome": True}
    assert _details(registry, "fact.set")[-1] == {
        "name": "gilbert_syndrome", "old": False, "new": True,
        "reason": "genetic test result received"}


# -- date of birth, sex, names and MRN ----------------------------------------------------

def test_details_need_no_reason_before_any_stage_is_completed(
        repo: PatientRepository, registry: Registry, patient_id: int) -> None:
    repo.update(patient_id, PatientInput("SCR1", "Fictional", "Ann", date(1971, 7, 10),
                                         "female"))
    repo.update(patient_id, SAVED, reason="registration typo")
    first, second = _details(registry, "patient.update")
    assert "reason" not in first
    assert second["reason"] == "registration typo"


@pytest.mark.parametrize(("changed", "words"), [
    (PatientInput("SCR1", "Fictional", "Ann", date(1971, 7, 10), "male"),
     "say why the date of birth is changed (a completed stage of this patient was "
     "decided on it)."),
    (PatientInput("SCR1", "Fictional", "Ann", date(1971, 7, 9), "female"),
     "say why the sex is changed (a completed stage of this patient was decided on it)."),
    (PatientInput("SCR1", "Renamed", "Ann", date(1971, 7, 10), "female"),
     "say why the date of birth and sex are changed (a completed stage of this patient "
     "was decided on them)."),
])
def test_a_covered_detail_changed_after_a_completed_stage_needs_a_reason(
        screenings: ScreeningRepository, repo: PatientRepository, registry: Registry,
        patient_id: int, changed: PatientInput, words: str) -> None:
    _completed(screenings, patient_id)
    saved = repo.get(patient_id)
    with pytest.raises(ValidationFailed) as refused:
        repo.update(patient_id, changed)
    assert refused.value.errors == {"reason": f"Reason: {words}"}
    assert repo.get(patient_id) == saved  # nothing changed, the new name neither
    assert audit(registry, "patient.update") == []
    edited = repo.update(patient_id, changed, reason=" birth certificate seen ")
    assert (edited.birth_date, edited.sex) == (changed.birth_date, changed.sex)
    [details] = _details(registry, "patient.update")
    assert details["reason"] == "birth certificate seen"
    # The visit form's "changed after completion" still reads the change from the audit.
    assert [c.field for c in screenings.patient_changes(patient_id)] == [
        name for name in ("birth_date", "sex")
        if getattr(changed, name) != getattr(SAVED, name)]


def test_names_and_mrn_need_no_reason_after_a_completed_stage(
        screenings: ScreeningRepository, repo: PatientRepository, registry: Registry,
        patient_id: int) -> None:
    _completed(screenings, patient_id)
    edited = repo.update(patient_id, PatientInput("SCR2", "Renamed", "Anne",
                                                  date(1971, 7, 9), "male"))
    assert (edited.mrn, edited.family_name, edited.given_name) == ("SCR2", "Renamed", "Anne")
    [details] = _details(registry, "patient.update")
    assert "reason" not in details
    assert set(details["changes"]) == {"mrn", "family_name", "given_name"}


def test_whether_an_edit_needs_a_reason(screenings: ScreeningRepository,
                                        repo: PatientRepository, patient_id: int) -> None:
    """What the patient dialog asks before it saves: the same rule as ``update``."""
    older = PatientInput("SCR1", "Fictional", "Ann", date(1971, 7, 10), "male")
    renamed = PatientInput("SCR9", "Renamed", "Ann", date(1971, 7, 9), " male ")
    assert not repo.needs_reason(patient_id, older)
    _completed(screenings, patient_id)
    assert repo.needs_reason(patient_id, older)
    assert repo.needs_reason(patient_id, PatientInput("SCR1", "Fictional", "Ann",
                                                      date(1971, 7, 9), "female"))
    assert not repo.needs_reason(patient_id, renamed)
    assert not repo.needs_reason(patient_id, SAVED)
    with pytest.raises(PatientNotFound):
        repo.needs_reason(999, SAVED)


def test_invalid_details_are_reported_on_their_fields(screenings: ScreeningRepository,
                                                      repo: PatientRepository,
                                                      patient_id: int) -> None:
    _completed(screenings, patient_id)
    with pytest.raises(ValidationFailed) as refused:
        repo.update(patient_id, PatientInput("SCR1", "", "Ann", date(1971, 7, 10), "male"))
    assert "family_name" in refused.value.errors


# -- the reason itself ----------------------------------------------------------------------

def test_an_unusable_reason_is_refused_whether_needed_or_not(
        screenings: ScreeningRepository, repo: PatientRepository, registry: Registry,
        patient_id: int) -> None:
    row = _creatinine(screenings, patient_id)
    writes: list[Callable[[str], object]] = [
        lambda reason: screenings.update_observation(row.id, _corrected(), reason=reason),
        lambda reason: screenings.set_fact(patient_id, "gilbert_syndrome", True,
                                           reason=reason),
        lambda reason: repo.update(patient_id, PatientInput(
            "SCR1", "Fictional", "Ann", date(1971, 7, 10), "male"), reason=reason),
    ]
    for completed in (False, True):
        if completed:
            _completed(screenings, patient_id)
        for write in writes:
            with pytest.raises(ValidationFailed) as refused:
                write("x" * 501)
            assert refused.value.errors == {
                "reason": "Reason: the reason is 501 characters long; at most 500."}
            with pytest.raises(ValidationFailed) as refused:
                write("lab\x00 re-run")
            assert refused.value.errors["reason"].startswith(
                "Reason: the reason contains an invisible or control character")
    for action in ("observation.update", "fact.set", "patient.update"):
        assert audit(registry, action) == []
