"""Upgrading a registry the previous release filled: it asks for the first admin, keeps
every entry as it was, shows old entries as "before accounts" and the typed sign-off as
a legacy one, never as an electronic signature."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

from alembic import command
from sqlalchemy import create_engine

from desktop.library import find_trial
from desktop.registry.database import DB_FILENAME, open_registry
from desktop.registry.revision import HEAD
from desktop.registry.schema import alembic_config
from desktop.registry.screenings import ScreeningRepository
from desktop.services import passwords
from desktop.services.accounts import AccountService
from desktop.services.patients import PatientInput, PatientService
from desktop.services.screening import ScreeningService
from tests.registry.conftest import CLOCK, store_example

TRIAL = find_trial("NCT06835140")


def test_a_populated_previous_release_registry_is_upgraded(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    engine = create_engine(f"sqlite:///{folder / DB_FILENAME}")
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0004")
    finally:
        engine.dispose()
    # The previous release wrote through the same repositories, under the OS login.
    old = sqlite3.connect(folder / DB_FILENAME)
    old.execute("INSERT INTO patient (id, mrn, mrn_key, mrn_fold, family_name, family_key, "
                "given_name, given_key, birth_date, sex, archived, created_at, created_by, "
                "updated_at, updated_by) VALUES (1, 'OLD-1', 'old-1', 'old-1', 'Fictional', "
                "'fictional', 'Ann', 'ann', '1971-07-09', 'male', 0, "
                "'2026-11-01 00:00:00.000000', 'root', '2026-11-01 00:00:00.000000', 'root')")
    old.commit()
    old.close()

    registry = open_registry(folder)  # upgraded to head at start
    try:
        with registry.read() as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
                (HEAD,)]
        repo = ScreeningRepository(registry, "root", lambda: CLOCK)
        screening = repo.start(1, TRIAL)
        visit = repo.start_visit(screening.id, TRIAL, "screening-1")
        store_example(cast(Any, repo), 1, visit, TRIAL.id)
        repo.complete(visit.id)
        with registry.engine.begin() as conn:  # the old typed-name sign-off, as it was kept
            conn.exec_driver_sql("UPDATE visit SET signed_by = 'Dr Imaginary Test, PI', "
                                 f"signed_at = '2026-11-01 10:00:00' WHERE id = {visit.id}")

        accounts = AccountService(registry, hasher=passwords.fast_hasher())
        assert accounts.needs_first_admin()
        admin = accounts.create_first_admin("admin", "Ada Admin", "admin password 1")
        assert admin.recovery_code

        patients = PatientService.open(registry, "root")
        assert patients.get(1).mrn == "OLD-1"  # every entry as it was
        screenings = ScreeningService.open(registry, "root", lambda: CLOCK)
        names = screenings.attribution()
        kept = screenings.visit(visit.id)
        assert kept.signed_by == "Dr Imaginary Test, PI"
        assert names.who(kept.completed_by or "", kept.completed_at) == \
            "root (before accounts)"
        assert names.signoff(kept.signed_by, kept.signed_at) == (
            "Dr Imaginary Test, PI — legacy sign-off (typed name), not an electronic "
            "signature")
        saved = screenings.observations(1)[0]
        assert names.who(saved.entered_by, saved.entered_at) == "root (before accounts)"
        # What the admin does from now on is theirs, by name.
        assert names.who("admin", datetime.now(UTC)) == "Ada Admin (admin)"
        added = PatientService.open(registry, "cora").add(PatientInput(
            "NEW-1", "Fictional", "Bea", date(1980, 1, 1), "female"))
        with registry.read() as conn:
            (by,) = conn.execute("SELECT created_by FROM patient WHERE id = ?",
                                 (added.id,)).fetchone()
        assert by == "cora"
    finally:
        registry.close()
