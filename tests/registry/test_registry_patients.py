"""Adding, updating and archiving patients, and the audit events those writes leave."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from desktop.registry.database import Registry
from desktop.registry.models import AuditEvent, Patient
from desktop.registry.patients import PatientNotFound, PatientRepository, PatientRow
from tests.registry.conftest import patient


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
