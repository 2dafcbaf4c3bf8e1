"""Migration 0003 -> 0004 on a populated registry: every patient survives unchanged, those
sharing an MRN under the new key or breaking the new rules are listed (never changed), and
the database's own uniqueness on the key is switched on only once no duplicates remain."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine

from desktop.registry.database import open_registry
from desktop.registry.patients import PatientInput, PatientRepository, ValidationFailed
from desktop.registry.revision import HEAD
from desktop.registry.schema import alembic_config
from tests.registry.legacy import registry_at_0003

#: (id, mrn) of the patients of the old registry; mrn_key is what 0001-0003 stored.
OLD_PATIENTS = [
    (1, "AB 17"), (2, "AB  17"),  # one MRN now: runs of inner spaces fold
    (3, "AB15"), (4, "AB\uff11\uff15"),  # one MRN now: full-width digits fold
    (5, "CLEAN-1"),
    (6, "\u200b"),  # a lone zero-width space
    (7, "\x00"),
    (8, "X" * 10_000),
    (9, "\u0410B12"),  # Cyrillic A
]


def _registry_at_0003(folder: Path) -> Path:
    path = registry_at_0003(folder, [(mrn, f"Older{id_}", "1960-02-03", "female")
                                     for id_, mrn in OLD_PATIENTS])
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO screening (patient_id, trial_id, started_at, started_by) "
                     "VALUES (2, 'NCT06152809', '2026-01-02 00:00:00.000000', 'u')")
    conn.close()
    return path


def _patients(path: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM patient ORDER BY id")]
    finally:
        conn.close()


def _indexes(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'patient'")}
    finally:
        conn.close()


@pytest.fixture
def old_registry(tmp_path: Path) -> Path:
    return _registry_at_0003(tmp_path / "data")


def test_every_patient_survives_the_upgrade_unchanged(old_registry: Path) -> None:
    before = _patients(old_registry)
    open_registry(old_registry.parent).close()
    after = _patients(old_registry)
    assert [{k: row[k] for k in before[0]} for row in after] == before
    assert {row["id"]: row["mrn_fold"] for row in after if row["id"] <= 5} == {
        1: "ab 17", 2: "ab 17", 3: "ab15", 4: "ab15", 5: "clean-1"}
    assert all(row["void_reason"] is None for row in after)
    conn = sqlite3.connect(old_registry)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    assert conn.execute("SELECT count(*) FROM screening WHERE patient_id = 2").fetchone() == (1,)
    conn.close()
    # the key's plain index is there; its unique index is not, while duplicates remain
    assert "ix_patient_mrn_fold" in _indexes(old_registry)
    assert "ux_patient_mrn_fold" not in _indexes(old_registry)


def test_duplicates_and_rule_breakers_are_listed(old_registry: Path) -> None:
    registry = open_registry(old_registry.parent)
    try:
        repo = PatientRepository(registry, "admin")
        problems = repo.mrn_problems()
        assert not repo.unique_mrns_enforced()
    finally:
        registry.close()
    duplicates = [p for p in problems if p.kind == "duplicate"]
    assert [[row.id for row in p.patients] for p in duplicates] == [[1, 2], [3, 4]]
    assert [p.key for p in duplicates] == ["ab 17", "ab15"]
    assert "2 patients share one MRN: 'AB 17' and 'AB  17'" in duplicates[0].message
    assert "'AB15' and 'AB\uff11\uff15'" in duplicates[1].message

    rules = {p.patients[0].id: p.message for p in problems if p.kind == "rules"}
    assert set(rules) == {4, 6, 7, 8, 9}
    assert "is not stored as the rules keep it ('AB15')" in rules[4]
    assert "MRN '\\u200b' contains an invisible or control character (U+200B ZERO WIDTH" \
        in rules[6]
    assert "MRN '\\u0000' contains an invisible or control character" in rules[7]
    assert "is 10000 characters long; at most 32" in rules[8]
    assert "(10,000 characters)" in rules[8]
    assert len(rules[8]) < 300
    assert "'\u0410' (U+0410 CYRILLIC CAPITAL LETTER A) is not allowed" in rules[9]
    assert all(p.patients[0].family_name in p.message for p in problems if p.kind == "rules")


def test_new_spellings_of_an_old_duplicate_are_refused_meanwhile(old_registry: Path) -> None:
    registry = open_registry(old_registry.parent)
    try:
        repo = PatientRepository(registry, "coordinator")
        with pytest.raises(ValidationFailed, match="already belongs to another patient"):
            repo.add(PatientInput("ab   17", "New", "Nia", date(1980, 1, 1), "female"))
        # editing the name of a patient whose MRN is now a duplicate: told why not
        with pytest.raises(ValidationFailed, match="MRN AB 17 already belongs"):
            repo.update(2, PatientInput("AB  17", "Renamed", "Ola", date(1960, 2, 3), "female"))
        # a rule breaker is corrected by editing its MRN
        fixed = repo.update(9, PatientInput("AB12", "Older9", "Ola", date(1960, 2, 3),
                                            "female"))
        assert fixed.mrn == "AB12"
        assert 9 not in {p.patients[0].id for p in repo.mrn_problems() if p.kind == "rules"}
    finally:
        registry.close()


def test_uniqueness_is_switched_on_when_the_last_duplicate_goes(old_registry: Path) -> None:
    registry = open_registry(old_registry.parent)
    try:
        repo = PatientRepository(registry, "admin")
        repo.void(1, "Duplicate of AB  17, registered twice")
        assert not repo.unique_mrns_enforced()  # AB15 / AB１５ remain
        repo.update(4, PatientInput("AB16", "Older4", "Ola", date(1960, 2, 3), "female"))
        assert repo.unique_mrns_enforced()
        assert [p.kind for p in repo.mrn_problems()] == ["rules"] * 4  # 6, 7, 8, 9
        with registry.read() as conn:
            actions = [row[0] for row in conn.execute(
                "SELECT action FROM audit_event WHERE action != 'audit.baseline' ORDER BY id")]
        assert actions == ["patient.void", "patient.update", "registry.unique_mrns"]
    finally:
        registry.close()
    assert "ux_patient_mrn_fold" in _indexes(old_registry)
    # The database itself now refuses a second patient with the key, whoever writes.
    conn = sqlite3.connect(old_registry)
    with pytest.raises(sqlite3.IntegrityError, match="mrn_fold"):
        conn.execute("UPDATE patient SET mrn_fold = 'ab15' WHERE id = 5")
    conn.close()


def test_a_new_registry_has_the_unique_index_from_the_start(tmp_path: Path) -> None:
    registry = open_registry(tmp_path)
    try:
        assert PatientRepository(registry, "u").unique_mrns_enforced()
    finally:
        registry.close()


def test_downgrade_to_0003_keeps_every_patient(old_registry: Path) -> None:
    before = _patients(old_registry)
    open_registry(old_registry.parent).close()
    engine = create_engine(f"sqlite:///{old_registry}")
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0003")
    finally:
        engine.dispose()
    assert _patients(old_registry) == before
    assert not {"ix_patient_mrn_fold", "ux_patient_mrn_fold"} & _indexes(old_registry)
