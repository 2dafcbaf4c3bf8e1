"""What the backup tests share: a registry with patients, and the audit verifier.

``desktop.registry.audit_verify`` (``nkscreen audit verify``) is written alongside the
backups; where it is not in this checkout yet, ``verifier`` puts in its place a small
stand-in with its interface that recomputes the chain and checks the head record, which
is what a restore relies on here. With the real module present it is used as it is.
"""

from __future__ import annotations

import sqlite3
import sys
import types
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from desktop.registry.audit_chain import CONTENT_SQL, EMPTY_HEAD, GENESIS, Head, row_hash
from desktop.registry.database import Registry
from desktop.registry.patients import PatientInput, PatientRepository


@dataclass(frozen=True)
class _Problem:
    kind: str
    message: str
    row: int | None = None


@dataclass(frozen=True)
class _Report:
    rows_checked: int
    head: Head
    problems: tuple[_Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _stand_in_verify(path: Path) -> _Report:
    conn = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    try:
        problems: list[_Problem] = []
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append(_Problem("data", "the file fails SQLite's integrity check"))
        expected, last, count = GENESIS, EMPTY_HEAD, 0
        for row_id, prev, stored, content in conn.execute(
                f"SELECT id, prev_hash, row_hash, {CONTENT_SQL} FROM audit_event ORDER BY id"):
            count += 1
            if prev != expected or row_hash(str(prev), content) != stored:
                problems.append(_Problem("chain", f"row {row_id} was altered", row_id))
            expected, last = str(stored), Head(int(row_id), str(stored))
        found = conn.execute("SELECT seq, hash FROM audit_head").fetchone()
        if (Head(int(found[0]), str(found[1])) if found else EMPTY_HEAD) != last:
            problems.append(_Problem("head", "the head record is not the chain's last row"))
        return _Report(count, last, tuple(problems))
    finally:
        conn.close()


@pytest.fixture
def verifier(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        import desktop.registry.audit_verify  # noqa: F401
    except ImportError:
        module = types.ModuleType("desktop.registry.audit_verify")
        module.verify_file = _stand_in_verify  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "desktop.registry.audit_verify", module)


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
