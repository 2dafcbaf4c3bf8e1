"""Migration 0008: a registry at 0007 gains the signing-key tables, audited like the rest."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from desktop.registry.audit_verify import verify_file
from desktop.registry.database import DB_FILENAME, open_registry
from desktop.registry.patients import PatientRepository
from desktop.services import passwords
from desktop.services.accounts import AccountService
from desktop.services.keys import KeyService
from desktop.worksheets import pki
from tests.registry.conftest import patient

TABLES = ("signing_ca", "ca_key_grant", "user_key", "user_certificate")


def test_a_0007_registry_is_upgraded_and_its_trail_stays_whole(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    engine = create_engine(f"sqlite:///{folder / DB_FILENAME}")
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0007")
    finally:
        engine.dispose()
    registry = open_registry(folder)  # 0007 -> 0008 at start
    try:
        PatientRepository(registry, "coordinator").add(patient())
        with registry.read() as conn:
            triggers = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {f"audit_{t}_{op}" for t in TABLES for op in ("insert", "update", "delete")} \
            <= triggers
        accounts = AccountService(registry, hasher=passwords.fast_hasher(),
                                  keys=KeyService(registry, kdf=pki.Kdf.fast()))
        accounts.create_first_admin("admin", "Ada Admin", "admin password 1")
        report = verify_file(registry.path, mirror=True)
        assert report.ok, report.problems
    finally:
        registry.close()


def _config(conn: object) -> object:
    from desktop.registry.schema import alembic_config

    return alembic_config(conn)  # type: ignore[arg-type]
