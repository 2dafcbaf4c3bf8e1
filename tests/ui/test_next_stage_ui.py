"""What a coordinator sees of the schedule (issue 18): a due time that has passed shows
"overdue" in red and bold, planned dates off the protocol's schedule are warned of, each
reused result says until when it counts, and the next stage's blood tests are listed
with their draw-by times and written as a lab-order sheet."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from desktop.domain.trial import Trial
from desktop.registry.patients import PatientRow
from desktop.registry.screening_rows import ObservationInput
from desktop.services.screening import ScreeningService
from desktop.ui.common.context import ScreeningContext
from desktop.ui.screening.patient_view import PatientView
from desktop.ui.screening.visit_style import ERROR_COLOUR
from tests.ui.conftest import AddPatient, Clock
from tests.ui.screening_support import type_text
from tests.ui.test_visit_form import FormFactory, _example, _plain, _save_example, _start
from tests.ui.test_visit_form import clock as clock  # 2 Nov 2026 09:00, as conftest's
from tests.ui.test_visit_form import library as library
from tests.ui.test_visit_form import open_form as open_form
from tests.ui.test_visit_form import patient as patient
from tests.ui.test_visit_form import screenings as screenings

TRIAL = "NCT06138587"


def _planned(context: ScreeningContext, patient: PatientRow, infusion: datetime) -> None:
    """Screening #1 started, the stem cell infusion on 1 Nov 08:00, an AST of 30 Oct."""
    repo, trial = context.screenings, context.trial(TRIAL)
    screening = repo.start(patient.id, trial)
    visit = repo.start_visit(screening.id, trial, "screening-1")
    repo.set_event(visit.id, "transplant", datetime(2026, 11, 1, 8, 0))
    repo.set_event(visit.id, "infusion", infusion)
    repo.add_observation(patient.id, visit.id, ObservationInput(
        "ast", "30", "U/L", datetime(2026, 10, 30, 7, 30)))


def _view(qtbot: QtBot, context: ScreeningContext, patient: PatientRow) -> PatientView:
    view = PatientView(context, patient)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    return view


def _row(view: PatientView, test: str) -> int:
    model = view.next_stage.model
    return next(r for r in range(model.rowCount()) if model.index(r, 0).data() == test)


def test_labs_due_by_a_passed_time_show_overdue_in_red_and_bold(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        clock: Clock) -> None:
    patient = add_patient("P-7", "Doe", "Jane", date(1958, 4, 12), "female")
    _planned(context, patient, datetime(2026, 11, 8, 10, 0))
    clock.now = datetime(2026, 11, 1, 8, 0)  # the pre-transplant ECHO closes at 08:00
    view = _view(qtbot, context, patient)
    assert "overdue" not in view.due_label.text()
    assert view.due_label.property("overdue") is False

    clock.now = datetime(2026, 11, 1, 21, 56)
    view.reload()
    assert view.due_label.text().endswith("(by 2026-11-01 08:00) — overdue")
    next_cell = view.screenings_model.index(0, 2)
    assert next_cell.data() == view.due_label.text().removeprefix("Next: ")
    assert next_cell.data(Qt.ItemDataRole.ForegroundRole).color() == QColor(ERROR_COLOUR)
    assert view.due_label.property("overdue") is True
    assert "font-weight:700" in view.due_label.styleSheet()
    assert ERROR_COLOUR in view.due_label.styleSheet()

    # The blood tests are due by the NK cell infusion: overdue once it has passed.
    model = view.next_stage.model
    row = _row(view, "Total bilirubin")
    assert model.index(row, 1).data() == "draw by 2026-11-08 10:00"
    clock.now = datetime(2026, 11, 8, 10, 1)
    view.reload()
    assert model.index(row, 1).data() == "draw by 2026-11-08 10:00 — overdue"
    assert model.index(row, 1).data(Qt.ItemDataRole.ForegroundRole) == QColor(ERROR_COLOUR)
    assert model.index(row, 1).data(Qt.ItemDataRole.FontRole).bold()


def test_the_patient_view_lists_what_to_draw_by_when_and_what_stays_valid_until_when(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        clock: Clock, tmp_path: Path) -> None:
    patient = add_patient("P-8", "Lindqvist-Berg", "Anna", date(1961, 3, 4), "female")
    _planned(context, patient, datetime(2026, 11, 3, 10, 0))  # Day 2, not Day 7
    view = _view(qtbot, context, patient)
    panel = view.next_stage
    assert panel.title.text() == "Next stage: Screening #1"
    model = panel.model
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == [
        "Total bilirubin", "AST", "ALT", "Serum creatinine"]
    ast = _row(view, "AST")
    assert model.index(ast, 1).data() == "valid until the end of 2026-11-13"
    assert "AST valid for Screening #1 until the end of 2026-11-13" in str(
        model.index(ast, 2).data())
    assert model.index(_row(view, "ALT"), 1).data() == "draw by 2026-11-03 10:00"
    assert panel.warnings.isVisible()
    assert "NK cell infusion is Day 7, 7 days after stem cell infusion (Day 0); planned " \
           "2 days after it (on Day 2)" in panel.warnings.text()

    target = tmp_path / "order.pdf"
    panel.choose_path = lambda _parent, _suggested: str(target)
    assert panel.button.isEnabled()
    qtbot.mouseClick(panel.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.job.running, timeout=30_000)
    assert panel.status.text() == f"Lab-order sheet written to {target} (3 tests to draw)."
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(target.read_bytes())).pages)
    for words in ("LINDQVIST-BERG, Anna", "MRN: P-8", "Date of birth: 1961-03-04",
                  "NCT06138587", "Stage: Screening #1", "Total bilirubin", "ALT",
                  "Serum creatinine", "2026-11-03 10:00", "planned 2 days after it"):
        assert words in text, words


def test_the_visit_form_warns_of_an_infusion_off_the_schedule_and_says_until_when(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, open_form: FormFactory) -> None:
    trial = library[TRIAL]
    screenings.add_observation(patient.id, None, ObservationInput(
        "ast", "30", "U/L", datetime(2026, 10, 30, 7, 30)))
    form = open_form(_start(screenings, patient, trial, "screening-1"))
    type_text(qtbot, form.event_rows["transplant"].field, "2026-11-04 08:00")
    type_text(qtbot, form.event_rows["infusion"].field, "2026-11-05 10:00")
    due = _plain(form.due)
    assert "⚠ Against the protocol's schedule: NK cell infusion is Day 7, 7 days after stem " \
           "cell infusion (Day 0); planned 26 hours after it (on Day 1)" in due
    assert "AST valid for Screening #1 until the end of 2026-11-13 (while the NK cell " \
           "infusion is by then)" in _plain(form.result_rows["ast"].earlier)

    # Planned on Day 7 the warning goes; the clock (2 Nov 09:00) is before every due time.
    type_text(qtbot, form.event_rows["infusion"].field, "2026-11-11 10:00")
    assert "schedule" not in _plain(form.due)
    assert form.due.property("overdue") is False


def test_a_due_time_passed_in_an_open_draft_is_overdue(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, open_form: FormFactory) -> None:
    form = open_form(_start(screenings, patient, library[TRIAL],
                            "screening-1"))
    type_text(qtbot, form.event_rows["infusion"].field, "2026-11-09 10:00")
    # The pre-transplant ECHO's window closes at the stem cell infusion: due by then.
    type_text(qtbot, form.event_rows["transplant"].field, "2026-11-02 08:59")
    assert form.due.property("overdue") is True
    assert _plain(form.due).endswith("(by 2026-11-02 08:59) — overdue")
    assert f"color:{ERROR_COLOUR}; font-weight:700" in form.due.text()
    type_text(qtbot, form.event_rows["transplant"].field, "2026-11-02 09:00")
    assert form.due.property("overdue") is False  # due by 09:00, and it is 09:00
    assert "overdue" not in _plain(form.due)


def test_an_infusion_15_hours_after_the_carried_lymphodepletion_is_warned_of(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, open_form: FormFactory, clock: Clock) -> None:
    # NCT06152809 up to lymphodepletion (Day -5, 7 Dec 08:00), completed eligible; the
    # pre-infusion visit carries the lymphodepletion date forward.
    trial = library["NCT06152809"]
    screening = screenings.start(patient.id, trial)
    for stage_id in ("screening-1", "screening-2", "pre-lymphodepletion"):
        clock.now = datetime.fromisoformat(_example(trial.id, stage_id)["as_of"])
        visit = screenings.start_visit(screening.id, trial, stage_id)
        _save_example(screenings, patient, visit, trial.id, stage_id)
        assert screenings.complete(visit.id).decision == "eligible", stage_id
    infusion = screenings.start_visit(screening.id, trial, "pre-infusion")
    assert screenings.events(infusion.id)["lymphodepletion"] == datetime(2026, 12, 7, 8, 0)
    form = open_form(infusion)
    assert list(form.event_rows) == ["infusion"]
    type_text(qtbot, form.event_rows["infusion"].field, "2026-12-07 23:00")
    assert "NK cell infusion is Day 0, 5 days after lymphodepletion (Day -5), and may be " \
           "delayed up to 24 hours; planned 15 hours after it (on Day -5)" in _plain(form.due)
    assert screenings.events(infusion.id)["infusion"] == datetime(2026, 12, 7, 23, 0)  # kept
    type_text(qtbot, form.event_rows["infusion"].field, "2026-12-12 10:00")
    assert "schedule" not in _plain(form.due)
