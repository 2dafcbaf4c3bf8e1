"""The trial's screening log, and migrating a registry from before screenings (0001)."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from desktop.domain.signing import Action
from desktop.domain.visits import StageState
from desktop.library import find_trial
from desktop.registry.database import DB_FILENAME, open_registry
from desktop.registry.patients import PatientRepository
from desktop.registry.revision import HEAD
from desktop.registry.schema import alembic_config
from desktop.registry.screening_rows import ObservationInput
from desktop.registry.screenings import ScreeningRepository
from tests.registry.conftest import CLOCK, IND_HOLDER, patient, sign
from tests.registry.test_screenings import _run

TRIAL = find_trial("NCT06835140")
OTHER = find_trial("NCT06138587")


def test_screening_log(screenings: ScreeningRepository, repo: PatientRepository) -> None:
    born = date(1971, 7, 9)
    waiting = repo.add(patient(mrn="C1", family="Carter", given="Cy", birth=born)).id
    going = repo.add(patient(mrn="A1", family="Adams", given="Al", birth=born)).id
    failed = repo.add(patient(mrn="B1", family="Brown", given="Bo", birth=born)).id
    elsewhere = repo.add(patient(mrn="D1", family="Diaz", given="Di", birth=born)).id

    s_waiting = screenings.start(waiting, TRIAL)
    s_going = screenings.start(going, TRIAL)
    _run(screenings, s_going.id, TRIAL, "screening-1")
    _run(screenings, s_going.id, TRIAL, "pre-infusion")
    draft = screenings.start_visit(s_going.id, TRIAL, "pre-infusion")
    s_failed = screenings.start(failed, TRIAL)
    no = _run(screenings, s_failed.id, TRIAL, "screening-1", {"apl": True})
    screenings.start(elsewhere, OTHER)

    log = screenings.screening_log(TRIAL)
    assert [row.mrn for row in log] == ["B1", "A1", "C1"]
    by_mrn = {row.mrn: row for row in log}

    b = by_mrn["B1"]
    assert (b.screening_id, b.patient_id, b.family_name, b.given_name) == (
        s_failed.id, failed, "Brown", "Bo")
    assert (b.furthest_stage, b.furthest_repeat, b.furthest_state) == (
        "screening-1", 1, StageState.NOT_ELIGIBLE)
    assert b.failures == tuple(screenings.screen_failures(s_failed.id))
    assert [c for c, _ in b.failures[0].reasons] == ["apl"]
    assert b.last_activity == no.completed_at

    a = by_mrn["A1"]
    assert (a.furthest_stage, a.furthest_repeat, a.furthest_state, a.failures) == (
        "pre-infusion", 2, StageState.IN_PROGRESS, ())
    assert a.started_at == s_going.started_at
    assert a.last_activity == draft.started_at

    c = by_mrn["C1"]
    assert (c.furthest_stage, c.furthest_repeat, c.furthest_state, c.failures) == (
        None, 0, None, ())
    assert c.last_activity == c.started_at == s_waiting.started_at

    # what is entered at a visit counts as activity
    screenings.set_answer(draft.id, "steroids", "no")
    answer = screenings.answers(draft.id)["steroids"]
    log = screenings.screening_log(TRIAL)
    assert [row.mrn for row in log] == ["A1", "B1", "C1"]
    assert log[0].last_activity == answer.entered_at
    result = screenings.add_observation(going, draft.id, ObservationInput(
        "ecog", "1", "score", datetime(2026, 11, 16, 9, 0)), reason="entered late")
    assert screenings.screening_log(TRIAL)[0].last_activity == result.entered_at

    assert [row.mrn for row in screenings.screening_log(OTHER)] == ["D1"]
    assert screenings.screening_log(find_trial("NCT05744440")) == []


def test_log_shows_an_override_and_a_signature(screenings: ScreeningRepository,
                                               patient_id: int) -> None:
    screening = screenings.start(patient_id, OTHER)
    first = _run(screenings, screening.id, OTHER, "screening-1")
    [signed] = screenings.stage_versions(first.id)[0].signatures  # _run confirms it
    [row] = screenings.screening_log(OTHER)
    assert (row.furthest_stage, row.furthest_state, row.last_activity) == (
        "screening-1", StageState.SIGNED, signed.signed_at)
    visit = _run(screenings, screening.id, OTHER, "pre-infusion", {"clinical-status": False})
    approved = sign(screenings, visit.id, Action.OVERRIDE,
                    rationale="Reviewed with the sponsor: transient.", parties=[IND_HOLDER])
    [row] = screenings.screening_log(OTHER)
    assert (row.furthest_stage, row.furthest_state, row.last_activity) == (
        "pre-infusion", StageState.OVERRIDDEN, approved.signed_at)
    assert len(row.failures) == 1


# -- migration 0001 -> 0002 -------------------------------------------------------------

def _registry_at_0001(folder: Path) -> Path:
    """A registry as the release before screenings left it, with one patient."""
    folder.mkdir()
    path = folder / DB_FILENAME
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0001")
    finally:
        engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO patient (mrn, mrn_key, family_name, family_key, given_name, "
            "given_key, birth_date, sex, archived, created_at, created_by, updated_at, "
            "updated_by) VALUES ('OLD-1', 'old-1', 'Older', 'older', 'Ola', 'ola', "
            "'1960-02-03', 'female', 0, '2026-01-01 00:00:00.000000', 'u', "
            "'2026-01-01 00:00:00.000000', 'u')")
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
    conn.close()
    return path


def test_migrating_0001_keeps_patients(tmp_path: Path) -> None:
    path = _registry_at_0001(tmp_path / "old")
    registry = open_registry(tmp_path / "old")
    try:
        with registry.read() as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
                (HEAD,)]
        [old] = PatientRepository(registry, "u").search("old")
        assert (old.mrn, old.family_name, old.birth_date) == ("OLD-1", "Older",
                                                              date(1960, 2, 3))
        screenings = ScreeningRepository(registry, "u", lambda: CLOCK)
        screening = screenings.start(old.id, TRIAL)
        visit = screenings.start_visit(screening.id, TRIAL, "screening-1")
        assert screenings.visits(screening.id) == [visit]
    finally:
        registry.close()
    assert path.is_file()


def test_downgrade_to_0001_keeps_patients(tmp_path: Path) -> None:
    _registry_at_0001(tmp_path / "old")
    open_registry(tmp_path / "old").close()
    engine = create_engine(f"sqlite:///{tmp_path / 'old' / DB_FILENAME}")
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0001")
            tables = {row[0] for row in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            assert tables == {"alembic_version", "audit_event", "patient"}
            assert conn.exec_driver_sql("SELECT mrn FROM patient").fetchall() == [("OLD-1",)]
    finally:
        engine.dispose()
