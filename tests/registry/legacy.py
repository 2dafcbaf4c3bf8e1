"""Registries as releases before migration 0004 left them: MRNs the rules now call one.

The registry today refuses a second patient with ``AB  17`` once ``AB 17`` exists, so a
pair like that can only come from an older release; these helpers write one at schema
0003 with plain ``sqlite3`` and let ``open_registry`` upgrade it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from desktop.registry.database import DB_FILENAME, Registry, open_registry
from desktop.registry.schema import alembic_config

#: (mrn, family name, birth date, sex) of each patient, ids from 1.
Patient = tuple[str, str, str, str]


def registry_at_0003(folder: Path, patients: list[Patient]) -> Path:
    """A registry at schema 0003 holding ``patients``; the database file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DB_FILENAME
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0003")
    finally:
        engine.dispose()
    conn = sqlite3.connect(path)
    with conn:
        for id_, (mrn, family, birth, sex) in enumerate(patients, start=1):
            conn.execute(
                "INSERT INTO patient (id, mrn, mrn_key, family_name, family_key, given_name, "
                "given_key, birth_date, sex, archived, created_at, created_by, updated_at, "
                "updated_by) VALUES (?, ?, ?, ?, ?, 'Ola', 'ola', ?, ?, 0, "
                "'2026-01-01 00:00:00.000000', 'u', '2026-01-01 00:00:00.000000', 'u')",
                (id_, mrn, mrn.strip().casefold(), family, family.casefold(), birth, sex))
    conn.close()
    return path


def upgraded(folder: Path, patients: list[Patient]) -> Registry:
    """``registry_at_0003(folder, patients)``, opened (so upgraded to the current schema)."""
    registry_at_0003(folder, patients)
    return open_registry(folder)
