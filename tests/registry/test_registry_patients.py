"""Adding, updating and archiving patients, and the audit events those writes leave."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from desktop.library import find_trial
from desktop.registry.database import Registry
from desktop.registry.models import AuditEvent, Patient
from desktop.registry.patients import (
    MergeRefused,
    PatientNotFound,
    PatientRepository,
    PatientRow,
    PatientVoided,
    ValidationFailed,
)
from desktop.registry.screening_rows import ObservationInput
from desktop.registry.screenings import ScreeningRepository
from tests.registry.conftest import CLOCK, patient
from tests.registry.legacy import Patient as LegacyPatient
from tests.registry.legacy import upgraded


def _events(registry: Registry) -> list[AuditEvent]:
    with registry.session() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_add_trims_and_returns_row(repo: PatientRepository) -> None:
    row = repo.add(patient(mrn="  ab12 ", family=" Fictional ", given=" Ann", sex="female"))
    assert row == PatientRow(id=row.id, mrn="ab12", family_name="Fictional", given_name="Ann",
                             birth_date=date(1970, 5, 17), sex="female", archived=False)
    assert repo.get(row.id) == row


def test_add_stores_keys_and_authorship(registry: Registry, repo: PatientRepository) -> None:
    row = repo.add(patient(mrn="Ab12", family="McFictional", given="Ann"))
    with registry.session() as session:
        stored = session.get(Patient, row.id)
        assert stored is not None
        assert (stored.mrn_key, stored.family_key, stored.given_key) == ("ab12", "mcfictional",
                                                                         "ann")
        assert stored.created_by == stored.updated_by == "coordinator"
        assert stored.created_at.tzinfo is not None


def test_add_writes_audit_event(registry: Registry, repo: PatientRepository) -> None:
    row = repo.add(patient())
    (event,) = _events(registry)
    assert (event.actor, event.action, event.entity, event.entity_id) == (
        "coordinator", "patient.create", "patient", row.id)
    assert event.details["mrn"] == "AB12"
    assert event.details["birth_date"] == "1970-05-17"


def test_update_changes_fields_and_audits_the_difference(registry: Registry,
                                                         repo: PatientRepository) -> None:
    row = repo.add(patient())
    editor = PatientRepository(registry, "editor")
    updated = editor.update(row.id, patient(family="Renamed", birth=date(1971, 1, 2)))
    assert (updated.family_name, updated.birth_date, updated.mrn) == ("Renamed",
                                                                      date(1971, 1, 2), "AB12")
    assert repo.get(row.id) == updated
    event = _events(registry)[-1]
    assert (event.actor, event.action) == ("editor", "patient.update")
    assert event.details == {"changes": {
        "family_name": {"old": "Fictional", "new": "Renamed"},
        "birth_date": {"old": "1970-05-17", "new": "1971-01-02"},
    }}
    assert repo.search("renamed") == [updated]
    assert repo.search("fictional") == []


def test_update_without_changes_writes_no_event(registry: Registry,
                                                repo: PatientRepository) -> None:
    row = repo.add(patient())
    repo.update(row.id, patient(mrn=" AB12 "))
    assert [e.action for e in _events(registry)] == ["patient.create"]


def test_archive_and_restore(registry: Registry, repo: PatientRepository) -> None:
    row = repo.add(patient())
    archived = repo.set_archived(row.id, True)
    assert archived.archived
    assert repo.search() == []
    assert repo.count() == 0
    assert repo.search(include_archived=True) == [archived]
    assert repo.count(include_archived=True) == 1
    restored = repo.set_archived(row.id, False)
    assert not restored.archived
    assert repo.search() == [restored]
    repo.set_archived(row.id, False)  # already active: no extra event
    assert [e.action for e in _events(registry)] == ["patient.create", "patient.archive",
                                                     "patient.restore"]


def test_no_hard_delete_api() -> None:
    assert not [name for name in dir(PatientRepository) if "delete" in name or "remove" in name]


@pytest.mark.parametrize("call", ["get", "archive", "update"])
def test_unknown_id(repo: PatientRepository, call: str) -> None:
    calls: dict[str, Callable[[], object]] = {
        "get": lambda: repo.get(999),
        "archive": lambda: repo.set_archived(999, True),
        "update": lambda: repo.update(999, patient()),
    }
    with pytest.raises(PatientNotFound, match="999"):
        calls[call]()


def test_session_rolls_back_on_error(registry: Registry, repo: PatientRepository) -> None:
    row = repo.add(patient())

    def edit_then_fail() -> None:
        with registry.session() as session:
            stored = session.get(Patient, row.id)
            assert stored is not None
            stored.family_name = "Never saved"
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        edit_then_fail()
    assert repo.get(row.id).family_name == "Fictional"


def test_repository_needs_a_user(registry: Registry) -> None:
    with pytest.raises(ValueError, match="user"):
        PatientRepository(registry, "  ")


# -- void and merge (duplicates from before the MRN rules) -------------------------------

TWINS: list[LegacyPatient] = [("AB 17", "Older", "1960-02-03", "female"),
                        ("AB  17", "Older", "1960-02-03", "female"),
                        ("CD-1", "Other", "1961-03-04", "male")]


@pytest.fixture
def legacy(tmp_path: Path) -> Iterator[Registry]:
    """An upgraded registry where patients 1 and 2 share one MRN under the new key."""
    registry = upgraded(tmp_path / "legacy", TWINS)
    yield registry
    registry.close()


def _audit(registry: Registry, entity_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [(e.actor, e.action, e.details) for e in _events(registry)
            if e.entity == "patient" and e.entity_id == entity_id]


def test_void_marks_archives_and_audits(registry: Registry, repo: PatientRepository) -> None:
    row = repo.add(patient())
    voided = repo.void(row.id, "  Registered in error (test patient)  ")
    assert voided.voided
    assert voided.void_reason == "Registered in error (test patient)"
    assert voided.archived
    assert repo.get(row.id) == voided
    assert repo.search() == []
    assert repo.search(include_archived=True) == [voided]  # never deleted
    assert _audit(registry, row.id)[-1] == ("coordinator", "patient.void", {
        "reason": "Registered in error (test patient)", "mrn": "AB12", "was_archived": False})


@pytest.mark.parametrize(("reason", "words"), [("", "Give the reason"),
                                               ("   ", "Give the reason"),
                                               ("a\x00b", "invisible or control"),
                                               ("r" * 501, "at most 500")])
def test_void_needs_a_reason(registry: Registry, repo: PatientRepository, reason: str,
                             words: str) -> None:
    row = repo.add(patient())
    with pytest.raises(ValidationFailed, match="The patient was not voided") as info:
        repo.void(row.id, reason)
    assert words in info.value.errors["reason"]
    assert repo.get(row.id) == row
    assert [e.action for e in _events(registry)] == ["patient.create"]


def test_a_voided_patient_cannot_be_changed_restored_or_voided_again(
        repo: PatientRepository) -> None:
    row = repo.add(patient())
    voided = repo.void(row.id, "duplicate")
    with pytest.raises(PatientVoided, match=r"voided \(duplicate\), so the record cannot be "
                                            "changed"):
        repo.update(row.id, patient(family="Changed"))
    with pytest.raises(PatientVoided, match="cannot be restored"):
        repo.set_archived(row.id, False)
    with pytest.raises(PatientVoided, match="cannot be voided again"):
        repo.void(row.id, "again")
    assert repo.set_archived(row.id, True) == voided  # already archived: nothing to do
    assert repo.get(row.id) == voided


def test_a_voided_patients_mrn_is_not_given_again(repo: PatientRepository) -> None:
    row = repo.add(patient(mrn="AB12"))
    repo.void(row.id, "registered in error")
    with pytest.raises(ValidationFailed, match="MRN AB12 belongs to a voided patient record"):
        repo.add(patient(mrn="ab12"))


def test_voiding_the_duplicate_leaves_one_mrn_and_switches_uniqueness_on(
        legacy: Registry) -> None:
    repo = PatientRepository(legacy, "admin")
    assert [p.kind for p in repo.mrn_problems()] == ["duplicate"]
    assert not repo.unique_mrns_enforced()
    repo.void(2, "Duplicate of patient 1")
    assert repo.mrn_problems() == []
    assert repo.unique_mrns_enforced()
    # the kept patient can be edited again; its voided twin no longer holds the MRN
    assert repo.update(1, patient(mrn="AB 17", family="Older")).family_name == "Older"
    with pytest.raises(ValidationFailed, match="MRN AB 17 already belongs"):
        repo.add(patient(mrn="ab   17"))


def test_merge_moves_screenings_results_and_facts_then_voids(legacy: Registry) -> None:
    repo = PatientRepository(legacy, "admin")
    screenings = ScreeningRepository(legacy, "coordinator", lambda: CLOCK)
    trial = find_trial("NCT06152809")
    moved = screenings.start(2, trial)
    visit = screenings.start_visit(moved.id, trial, "screening-1")
    result = screenings.add_observation(2, visit.id, ObservationInput(
        "creatinine", "1.0", "mg/dL", datetime(2026, 12, 30, 8, 0), None, "lab"))
    screenings.set_fact(2, "gilbert_syndrome", True)
    screenings.set_fact(2, "childbearing_potential", False)
    screenings.set_fact(1, "childbearing_potential", False)  # both, agreeing

    kept = repo.merge(2, 1, "Registered twice at admission")

    assert kept == repo.get(1)
    assert [s.id for s in screenings.screenings(1)] == [moved.id]
    assert screenings.screenings(2) == []
    assert screenings.visits(moved.id) == [visit]
    assert [o.id for o in screenings.observations(1)] == [result.id]
    assert screenings.facts(1) == {"gilbert_syndrome": True, "childbearing_potential": False}
    duplicate = repo.get(2)
    assert duplicate.voided
    assert duplicate.archived
    assert duplicate.void_reason == ("Merged into Older, Ola (MRN AB 17): Registered twice at "
                                     "admission")
    assert _audit(legacy, 1)[-1] == ("admin", "patient.merge", {
        "from": 2, "from_mrn": "AB  17", "reason": "Registered twice at admission",
        "screenings": [{"id": moved.id, "trial": "NCT06152809"}],
        "observations": [result.id], "facts": ["gilbert_syndrome"],
        "facts_left": ["childbearing_potential"]})
    assert _audit(legacy, 2)[-1] == ("admin", "patient.void", {
        "reason": duplicate.void_reason, "mrn": "AB  17", "was_archived": False,
        "merged_into": 1})
    assert repo.mrn_problems() == []
    assert repo.unique_mrns_enforced()


def test_merge_refused_when_both_were_screened_for_one_trial(legacy: Registry) -> None:
    repo = PatientRepository(legacy, "admin")
    screenings = ScreeningRepository(legacy, "coordinator", lambda: CLOCK)
    trial = find_trial("NCT06152809")
    screenings.start(1, trial)
    screenings.start(2, trial)
    events = len(_events(legacy))
    with pytest.raises(MergeRefused, match="Both records have a screening for NCT06152809; "
                                           "a patient has one screening per trial"):
        repo.merge(2, 1, "twice")
    assert not repo.get(2).voided
    assert [s.patient_id for s in screenings.screenings(2)] == [2]
    assert len(_events(legacy)) == events
    repo.void(2, "Duplicate; its screening stays with this record")  # the way out
    assert repo.mrn_problems() == []


def test_merge_refused_on_disagreeing_facts(legacy: Registry) -> None:
    repo = PatientRepository(legacy, "admin")
    screenings = ScreeningRepository(legacy, "coordinator", lambda: CLOCK)
    screenings.set_fact(1, "gilbert_syndrome", True)
    screenings.set_fact(2, "gilbert_syndrome", False)
    with pytest.raises(MergeRefused, match="disagree on Gilbert's syndrome; correct one"):
        repo.merge(2, 1, "twice")
    assert screenings.facts(2) == {"gilbert_syndrome": False}


def test_merge_refused_for_records_that_are_not_plainly_one_patient(
        tmp_path: Path) -> None:
    registry = upgraded(tmp_path / "legacy", [*TWINS, ("ab   17", "Older", "1960-02-04",
                                                       "female")])
    try:
        repo = PatientRepository(registry, "admin")
        with pytest.raises(MergeRefused, match="do not share an MRN"):
            repo.merge(3, 1, "typo")
        with pytest.raises(MergeRefused, match="differ in date of birth; correct the record"):
            repo.merge(4, 1, "twice")
        with pytest.raises(MergeRefused, match="cannot be merged into itself"):
            repo.merge(1, 1, "twice")
        repo.void(2, "duplicate")
        with pytest.raises(MergeRefused, match="was voided"):
            repo.merge(2, 1, "twice")
        with pytest.raises(PatientNotFound):
            repo.merge(99, 1, "twice")
        with pytest.raises(ValidationFailed, match="not merged"):
            repo.merge(4, 1, "")
    finally:
        registry.close()
