"""``nkscreen audit verify --data-dir DIR``: no login, JSON on stdout, exit 0 intact, 1
naming the first problem, and never a patient's data in what it prints."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from desktop.registry.database import open_registry
from desktop.registry.patients import PatientRepository
from desktop.registry.screening_rows import ObservationInput
from desktop.registry.screenings import ScreeningRepository
from tests.cli.test_site_import import nkscreen
from tests.registry.conftest import CLOCK, patient, sign
from tests.registry.test_signatures import _completed

NAME = "Zyxwvut"
MRN = "QX771"


def _signed_registry(data: Path) -> tuple[int, int]:
    """A registry with one signed, eligible stage; (patient id, visit id)."""
    registry = open_registry(data)
    try:
        patient_id = PatientRepository(registry, "coordinator").add(
            patient(mrn=MRN, family=NAME, birth=date(1971, 7, 9), sex="male")).id
        screenings = ScreeningRepository(registry, "coordinator", lambda: CLOCK)
        done = _completed(screenings, patient_id)
        sign(screenings, done.id)
        return patient_id, done.id
    finally:
        registry.close()


def _verify(data: Path) -> tuple[int, dict[str, object], str]:
    result = nkscreen("audit", "verify", "--data-dir", str(data))
    assert NAME not in result.stdout + result.stderr
    assert MRN not in result.stdout + result.stderr
    return result.returncode, json.loads(result.stdout) if result.stdout else {}, result.stderr


def test_an_intact_registry_exits_0_with_its_summary(tmp_path: Path) -> None:
    _signed_registry(tmp_path / "data")
    code, summary, stderr = _verify(tmp_path / "data")
    assert (code, stderr) == (0, "")
    assert summary["ok"] is True
    assert summary["problems"] == []
    assert summary["rows_checked"] == summary["head"]["seq"]  # type: ignore[index]
    assert summary["signed_stages_checked"] == 1
    assert summary["verdicts_differ"] == []


def test_the_visit_set_to_eligible_and_signed_by_dr_fake_exits_1(tmp_path: Path) -> None:
    _, visit_id = _signed_registry(tmp_path / "data")
    conn = sqlite3.connect(tmp_path / "data" / "nkscreen.sqlite3")
    conn.execute("UPDATE visit SET decision = 'eligible', signed_by = 'Dr Fake' "
                 "WHERE id = ?", (visit_id,))
    conn.commit()
    conn.close()
    code, summary, stderr = _verify(tmp_path / "data")
    assert code == 1
    assert summary["ok"] is False
    problems = summary["problems"]
    assert isinstance(problems, list)
    first = problems[0]
    assert first["kind"] == "data"
    assert first["message"].startswith(f"visit {visit_id} differs")
    assert "signed_by" in first["message"]
    assert stderr.startswith("nkscreen: audit trail: visit")
    assert stderr.count("\n") == 1


def test_a_signed_stage_whose_verdict_would_differ_today_is_listed(tmp_path: Path) -> None:
    patient_id, visit_id = _signed_registry(tmp_path / "data")
    registry = open_registry(tmp_path / "data")
    try:
        screenings = ScreeningRepository(registry, "coordinator", lambda: CLOCK)
        row = screenings.observations(patient_id, "creatinine")[0]
        screenings.update_observation(row.id, ObservationInput(
            row.code, "190", row.unit, row.at, row.uln, row.source or ""), reason="typo")
    finally:
        registry.close()
    code, summary, _ = _verify(tmp_path / "data")
    assert code == 0  # the trail is intact: the correction was made in NK Screen
    assert summary["verdicts_differ"] == [{"visit_id": visit_id, "version": 1,
                                           "decision": "eligible",
                                           "decision_now": "not_eligible",
                                           "rerun_failed": False}]


def test_a_folder_without_a_registry_is_bad_input(tmp_path: Path) -> None:
    result = nkscreen("audit", "verify", "--data-dir", str(tmp_path / "none"))
    assert result.returncode == 2
    assert result.stderr == f"nkscreen: --data-dir: there is no registry in {tmp_path / 'none'}.\n"
    assert not (tmp_path / "none").exists()  # nothing created


def test_verify_writes_nothing(tmp_path: Path) -> None:
    _signed_registry(tmp_path / "data")
    db = tmp_path / "data" / "nkscreen.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = db.read_bytes()
    assert _verify(tmp_path / "data")[0] == 0
    assert db.read_bytes() == before


def test_verify_changes_nothing_even_in_a_registry_not_in_wal_mode(tmp_path: Path) -> None:
    _signed_registry(tmp_path / "data")
    db = tmp_path / "data" / "nkscreen.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = db.read_bytes()
    assert _verify(tmp_path / "data")[0] == 0
    assert db.read_bytes() == before
