"""The next stage for phlebotomy through the service (issue 18): when its labs are due
and whether that is overdue, planned dates against the schedule, what to reuse and what
to draw by when, and the lab-order sheet (its words, its audit row, who may export)."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from desktop.domain.accounts import Actor
from desktop.library import find_trial
from desktop.registry.database import Registry
from desktop.registry.screening_rows import ObservationInput
from desktop.registry.screenings import ScreeningRepository
from desktop.services.acting import NotPermitted
from desktop.services.lab_orders import LabOrderService
from tests.registry.conftest import patient_id as patient_id
from tests.registry.conftest import registry as registry
from tests.registry.conftest import repo as repo
from tests.registry.conftest import screenings as screenings
from tests.registry.test_signatures import TRIAL

NY = ZoneInfo("America/New_York")


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _screening(screenings: ScreeningRepository, patient_id: int,
               infusion: datetime) -> tuple[int, int]:
    """Screening #1 of NCT06138587 started, with its planned dates and an AST of 25 Nov."""
    screening = screenings.start(patient_id, TRIAL)
    visit = screenings.start_visit(screening.id, TRIAL, "screening-1")
    screenings.set_event(visit.id, "transplant", datetime(2026, 12, 1, 8, 0))
    screenings.set_event(visit.id, "infusion", infusion)
    screenings.add_observation(patient_id, visit.id, ObservationInput(
        "ast", "30", "U/L", datetime(2026, 11, 25, 7, 30)))
    return screening.id, visit.id


def _service(registry: Registry, screenings: ScreeningRepository, clock: _Clock,
             actor: Actor | str = "cora") -> LabOrderService:
    return LabOrderService(registry, actor, repository=screenings, zone=NY, clock=clock)


def test_the_next_stage_says_what_to_reuse_what_to_draw_and_when_it_is_overdue(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    screening_id, _visit = _screening(screenings, patient_id, datetime(2026, 12, 8, 10, 0))
    # The pre-transplant ECHO's window closes at the stem cell infusion: labs are due by
    # then (the earliest-closing window), the blood tests by the NK cell infusion.
    clock = _Clock(datetime(2026, 12, 1, 8, 0))
    found = _service(registry, screenings, clock).next_stage(screening_id, TRIAL)
    assert found is not None
    assert found.title == "Screening #1"
    assert found.warnings == ()  # the NK cells on Day 7 after the stem cell infusion
    assert not found.overdue  # due by 08:00, and it is 08:00
    by_code = {d.code: d for d in found.draws}
    assert by_code["ast"].status == "reuse"
    assert by_code["ast"].text.startswith(
        "AST valid for Screening #1 until the end of 2026-12-09 (while the NK cell infusion "
        "is by then)")
    assert by_code["bilirubin_total"].text == \
        "Total bilirubin: draw from 2026-11-24 00:00, by 2026-12-08 10:00"
    assert found.event_lines() == ["NK cell infusion: 2026-12-08 10:00",
                                   "stem cell infusion: 2026-12-01 08:00"]

    clock.now = datetime(2026, 12, 1, 8, 1)
    late = _service(registry, screenings, clock).next_stage(screening_id, TRIAL)
    assert late is not None
    assert late.overdue
    assert late.due_text.endswith("(by 2026-12-01 08:00) — overdue")
    bilirubin = late.to_draw[0]
    assert not bilirubin.overdue(datetime(2026, 12, 8, 10, 0))
    assert bilirubin.overdue(datetime(2026, 12, 8, 10, 1))


def test_planned_dates_off_the_schedule_are_warned_of_not_refused(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    screening_id, visit_id = _screening(screenings, patient_id, datetime(2026, 12, 3, 10, 0))
    service = _service(registry, screenings, _Clock(datetime(2026, 12, 1, 9, 0)))
    [warning] = service.schedule_warnings(visit_id, TRIAL)
    assert warning.text == ("NK cell infusion is Day 7, 7 days after stem cell infusion "
                            "(Day 0); planned 2 days after it (on Day 2)")
    found = service.next_stage(screening_id, TRIAL)
    assert found is not None
    assert [w.text for w in found.warnings] == [warning.text]
    assert screenings.events(visit_id)["infusion"] == datetime(2026, 12, 3, 10, 0)  # kept


def test_the_lab_order_sheet_names_the_patient_the_tests_and_their_draw_by_times(
        registry: Registry, screenings: ScreeningRepository, patient_id: int,
        tmp_path: Path) -> None:
    screening_id, _visit = _screening(screenings, patient_id, datetime(2026, 12, 8, 10, 0))
    service = _service(registry, screenings, _Clock(datetime(2026, 12, 8, 11, 0)))
    target = tmp_path / "order.pdf"
    exported = service.export(screening_id, TRIAL, target)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(
        target.read_bytes())).pages)
    for words in ("Lab order — phlebotomy", "Patient: FICTIONAL, Ann", "MRN: SCR1",
                  "Date of birth: 1971-07-09", "NCT06138587", "Stage: Screening #1",
                  "Total bilirubin", "2026-12-08 10:00", "overdue",
                  "Not to draw: these results already count", "AST valid for Screening #1"):
        assert words in text, words
    draw_rows = text.split("Not to draw")[0]
    assert "AST " not in draw_rows.split("Draw by")[1]  # reused, not ordered
    assert exported.tests == 3  # total bilirubin, ALT, creatinine
    with registry.read() as conn:
        [(actor, entity, entity_id, details)] = conn.execute(
            "SELECT actor, entity, entity_id, details FROM audit_event "
            "WHERE action = 'lab_order.export'").fetchall()
    details = json.loads(details)
    assert (actor, entity, entity_id) == ("cora", "screening", screening_id)
    assert details["tests"] == ["Total bilirubin", "ALT", "Serum creatinine"]
    assert (details["sha256"], details["file"]) == (exported.file_sha256, "order.pdf")


def test_a_role_without_export_gets_no_sheet(
        registry: Registry, screenings: ScreeningRepository, patient_id: int,
        tmp_path: Path) -> None:
    screening_id, _visit = _screening(screenings, patient_id, datetime(2026, 12, 8, 10, 0))
    nobody = Actor(user_id="nemo", full_name="Nemo", roles=frozenset())
    service = _service(registry, screenings, _Clock(datetime(2026, 12, 1)), nobody)
    with pytest.raises(NotPermitted):
        service.export(screening_id, TRIAL, tmp_path / "order.pdf")
    assert not (tmp_path / "order.pdf").exists()


def test_tests_of_a_stage_without_windows_are_ordered_saying_so(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    # NCT06152809's Screening #1 sets no window: the most recent result counts.
    trial = find_trial("NCT06152809")
    screening = screenings.start(patient_id, trial)
    visit = screenings.start_visit(screening.id, trial, "screening-1")
    screenings.add_observation(patient_id, visit.id, ObservationInput(
        "ast", "30", "U/L", datetime(2026, 11, 25, 7, 30)))
    sheet = _service(registry, screenings, _Clock(datetime(2026, 12, 1))).lab_order(
        screening.id, trial)
    assert sheet.rows == (("Direct bilirubin", "", "", "no time window"),
                          ("ALT", "", "", "no time window"),
                          ("Serum creatinine", "", "", "no time window"))
    assert sheet.reused == ("AST: no time window; the result of 2026-11-25 07:30 counts "
                            "(the most recent)",)
    assert (sheet.patient, sheet.mrn, sheet.birth_date) == ("FICTIONAL, Ann", "SCR1",
                                                            "1971-07-09")
