"""What the backup tests share: a registry with patients, its MRNs and audit actions."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from desktop.registry.database import Registry
from desktop.registry.patients import PatientInput, PatientRepository


def add_patients(registry: Registry, first: int, count: int) -> None:
    repo = PatientRepository(registry, "coordinator")
    for number in range(first, first + count):
        repo.add(PatientInput(mrn=f"P{number:05d}", family_name="Fictional",
                              given_name="Ann", birth_date=date(1970, 5, 17), sex="female"))


def patient_mrns(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT mrn FROM patient ORDER BY mrn")]
    finally:
        conn.close()


def audit_actions(path: Path) -> list[tuple[str, str, dict[str, object]]]:
    """(actor, action, details) of every audit row, oldest first."""
    import json

    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return [(actor, action, json.loads(details)) for actor, action, details in
                conn.execute("SELECT actor, action, details FROM audit_event ORDER BY id")]
    finally:
        conn.close()
