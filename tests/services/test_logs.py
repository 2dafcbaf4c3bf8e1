"""The screening and delegation logs through the service (issue 15): who is listed, how a
screen failure is named, what a sponsor copy leaves out, and exports that need the right
and are audited."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from desktop.domain.accounts import Actor
from desktop.registry.database import Registry
from desktop.registry.patients import PatientRepository
from desktop.registry.screenings import ScreeningRepository
from desktop.services.acting import NotPermitted
from desktop.services.documents import DocumentError
from desktop.services.logs import LogService
from tests.registry.conftest import patient
from tests.registry.conftest import patient_id as patient_id
from tests.registry.conftest import registry as registry
from tests.registry.conftest import repo as repo
from tests.registry.conftest import screenings as screenings
from tests.registry.test_signatures import TRIAL, _completed


def _failure(screenings: ScreeningRepository, patient_id: int) -> None:
    """A screen failure at screening #1: no related donor (criterion #14)."""
    failed = _completed(screenings, patient_id, answers={"related-donor": False})
    assert failed.decision == "not_eligible", failed


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_screen_failure_is_named_by_number_and_verbatim_text(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    _failure(screenings, patient_id)
    document = LogService(registry, "cora").screening_log(TRIAL)
    [row] = document.rows
    stage = TRIAL.stage("screening-1")
    assert stage is not None
    text = stage.criteria[13].text
    assert stage.criteria[13].id == "related-donor"
    reasons = row[-1]
    assert reasons == f"Screening #1: #14 {text}"  # the number and text, never the id
    assert row[1:4] == ("FICTIONAL, Ann", "SCR1", "1971-07-09")
    assert row[6] == "Screen failure"


def test_the_sponsor_copy_drops_mrn_and_birth_date(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    _failure(screenings, patient_id)
    document = LogService(registry, "cora").screening_log(TRIAL, sponsor_copy=True)
    assert "MRN" not in document.columns
    assert "Date of birth" not in document.columns
    [row] = document.rows
    assert row[1] == "AF"
    flat = " ".join(document.rows[0]) + " ".join(document.lines)
    assert "SCR1" not in flat
    assert "1971" not in flat
    assert "Fictional" not in flat


def test_the_log_runs_in_the_order_screening_began(
        registry: Registry, repo: PatientRepository, screenings: ScreeningRepository) -> None:
    ids = [repo.add(patient(mrn=f"P{n}", given=f"G{n}")).id for n in range(3)]
    for pid in reversed(ids):
        screenings.start(pid, TRIAL)
    document = LogService(registry, "cora").screening_log(TRIAL)
    assert [row[2] for row in document.rows] == ["P2", "P1", "P0"]
    assert [row[6] for row in document.rows] == ["Screening started"] * 3


def test_a_name_that_reads_as_a_formula_is_neutralised_in_the_csv(
        registry: Registry, repo: PatientRepository, screenings: ScreeningRepository,
        tmp_path: Path) -> None:
    pid = repo.add(patient(mrn="F1", family="=HYPERLINK(\"http://x\")",
                           given="Ann", birth=date(1970, 1, 1))).id
    screenings.start(pid, TRIAL)
    target = tmp_path / "log.csv"
    LogService(registry, "cora").export_screening_log(TRIAL, target)
    rows = _cells(target.read_bytes())
    assert rows[1][1].startswith("'=HYPERLINK")


def test_an_export_is_audited_with_the_files_hash(
        registry: Registry, screenings: ScreeningRepository, patient_id: int,
        tmp_path: Path) -> None:
    _failure(screenings, patient_id)
    exported = LogService(registry, "cora").export_screening_log(
        TRIAL, tmp_path / "log.pdf", sponsor_copy=True)
    assert (tmp_path / "log.pdf").read_bytes().startswith(b"%PDF")
    with registry.read() as conn:
        [(actor, details)] = conn.execute(
            "SELECT actor, details FROM audit_event WHERE action = 'screening_log.export'"
        ).fetchall()
    details = json.loads(details)
    assert actor == "cora"
    assert (details["sha256"], details["format"], details["rows"]) == (
        exported.file_sha256, "pdf", 1)
    assert details["document_id"].endswith("-S")


def test_a_role_without_export_is_refused_and_no_file_is_written(
        registry: Registry, tmp_path: Path) -> None:
    nobody = Actor(user_id="nemo", full_name="Nemo", roles=frozenset())
    with pytest.raises(NotPermitted):
        LogService(registry, nobody).export_delegation_log(tmp_path / "dl.pdf")
    assert list(tmp_path.iterdir()) == [tmp_path / "data"]


def test_a_file_that_is_neither_pdf_nor_csv_is_refused(registry: Registry,
                                                       tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"must end in \.pdf or \.csv"):
        LogService(registry, "cora").export_delegation_log(tmp_path / "dl.xlsx")
    assert not (tmp_path / "dl.xlsx").exists()
