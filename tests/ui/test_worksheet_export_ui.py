"""Export worksheet… from the visit form: the PDF written through the worksheet service
off the GUI thread, its audit row, the status line; refused and cancelled exports."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor
from desktop.registry.database import Registry
from desktop.registry.patients import PatientRow
from desktop.services.worksheets import WorksheetService
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.exporting import with_suffix
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.screening.patient_view import PatientView
from desktop.ui.screening.visit_form import VisitForm
from tests.ui.conftest import AddPatient
from tests.ui.screening_support import open_before_signature, store_example

TRIAL = "NCT06152809"


@pytest.fixture(autouse=True)
def _next_stage_opens_before_signature(registry: Registry) -> None:
    open_before_signature(registry)


def pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def audit_actions(registry: Registry) -> list[str]:
    with registry.read() as conn:
        return [row[0] for row in conn.execute("SELECT action FROM audit_event ORDER BY id")]


def _draft_form(qtbot: QtBot, context: ScreeningContext, patient: PatientRow) -> VisitForm:
    """The screening-1 visit (saved, still a draft) opened from the patient view."""
    repo, trial = context.screenings, context.trial(TRIAL)
    screening = repo.start(patient.id, trial)
    visit = repo.start_visit(screening.id, trial, "screening-1")
    store_example(repo, patient.id, visit, TRIAL)
    view = PatientView(context, patient)
    qtbot.addWidget(view)
    view.show()
    view.slots.selectRow(0)
    form = view.open_selected_stage()
    assert isinstance(form, VisitForm)
    qtbot.addWidget(form)
    return form


def _patient(add_patient: AddPatient) -> PatientRow:
    return add_patient("P-1", "Doe", "Jane", date(1958, 4, 12), "male")


def test_a_draft_visit_exports_its_worksheet_marked_draft_and_audited(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        registry: Registry, tmp_path: Path, messages: RecordingMessages) -> None:
    form = _draft_form(qtbot, context, _patient(add_patient))
    button = form.export_button
    assert button.isVisible()
    assert button.isEnabled(), button.toolTip()
    asked: list[str] = []
    target = tmp_path / "ws.pdf"

    def choose(_parent: QWidget, suggested: str) -> str:
        asked.append(suggested)
        return str(target)

    form.choose_worksheet = choose
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not button.isEnabled()  # while the worker writes
    qtbot.waitUntil(lambda: not form.worksheet_export.running, timeout=30_000)

    visit_id = form.visit.id
    assert asked == [str(Path.home() / f"worksheet-{TRIAL}-screening-1-visit-{visit_id}.pdf")]
    assert target.read_bytes().startswith(b"%PDF")
    text = pdf_text(target)
    assert TRIAL in text
    assert "DRAFT – NOT SIGNED" in text
    assert "worksheet.export" in audit_actions(registry)
    status = form.status.text()
    assert status.startswith("Worksheet ")
    assert str(target) in status
    assert "draft" in status
    assert " page" in status
    assert button.isEnabled()
    assert messages.messages == []


def test_a_cancelled_chooser_writes_nothing(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        registry: Registry, tmp_path: Path) -> None:
    form = _draft_form(qtbot, context, _patient(add_patient))
    form.choose_worksheet = lambda _parent, _suggested: ""
    assert form.export_worksheet() is False
    assert list(tmp_path.glob("*.pdf")) == []
    assert "worksheet.export" not in audit_actions(registry)
    assert form.export_button.isEnabled()


def test_a_role_without_export_sees_the_button_disabled_and_why(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        registry: Registry, messages: RecordingMessages) -> None:
    patient = _patient(add_patient)
    repo, trial = context.screenings, context.trial(TRIAL)
    visit = repo.start_visit(repo.start(patient.id, trial).id, trial, "screening-1")
    nobody = Actor("nemo", "Nemo Nobody", frozenset())
    form = VisitForm(repository=repo, trial=trial, patient=patient, visit=visit,
                     site_uln=context.site_uln, messages=messages, clock=context.clock,
                     worksheets=WorksheetService.open(registry, nobody))
    qtbot.addWidget(form)
    form.show()
    assert not form.export_button.isEnabled()
    assert form.export_button.toolTip() == ("Logged in as no role: you may not export "
                                            "worksheets and logs.")
    form.choose_worksheet = lambda _parent, _suggested: pytest.fail("not asked")
    assert form.export_worksheet() is False


def test_a_refused_export_shows_the_services_sentence(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        registry: Registry, tmp_path: Path, messages: RecordingMessages) -> None:
    form = _draft_form(qtbot, context, _patient(add_patient))
    target = tmp_path / "missing folder" / "ws.pdf"
    form.choose_worksheet = lambda _parent, _suggested: str(target)
    assert form.export_worksheet()
    qtbot.waitUntil(lambda: not form.worksheet_export.running, timeout=30_000)
    [message] = messages.messages
    assert message.title == "Worksheet not exported"
    assert str(target) in message.text
    assert "could not be written" in message.text
    assert form.status.text() == ""
    assert form.export_button.isEnabled()
    assert "worksheet.export" not in audit_actions(registry)


def test_the_default_chooser_is_the_save_dialog_with_the_pdf_filter(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    form = _draft_form(qtbot, context, _patient(add_patient))
    asked: list[tuple[str, str]] = []

    def save_as(_parent: QWidget, _caption: str, suggested: str,
                filters: str) -> tuple[str, str]:
        asked.append((suggested, filters))
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    assert form.export_worksheet() is False
    [(suggested, filters)] = asked
    assert filters == "PDF files (*.pdf)"
    assert suggested.endswith(".pdf")


def test_a_name_typed_without_a_suffix_gets_the_chosen_filters() -> None:
    assert with_suffix("/tmp/ws", "PDF files (*.pdf)") == "/tmp/ws.pdf"
    assert with_suffix("/tmp/log", "CSV files (*.csv)") == "/tmp/log.csv"
    assert with_suffix("/tmp/log.csv", "PDF files (*.pdf)") == "/tmp/log.csv"
    assert with_suffix("", "PDF files (*.pdf)") == ""


def test_the_patient_view_exports_the_chosen_stages_worksheet(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        registry: Registry, tmp_path: Path) -> None:
    patient = _patient(add_patient)
    repo, trial = context.screenings, context.trial(TRIAL)
    visit = repo.start_visit(repo.start(patient.id, trial).id, trial, "screening-1")
    store_example(repo, patient.id, visit, TRIAL)
    view = PatientView(context, patient)
    qtbot.addWidget(view)
    view.show()
    export = view.stage_export
    view.slots.selectRow(1)  # screening-2: not started
    assert not export.button.isEnabled()
    assert "not started" in export.button.toolTip()
    view.slots.selectRow(0)
    assert export.button.isEnabled(), export.button.toolTip()
    asked: list[str] = []
    target = tmp_path / "stage.pdf"

    def choose(_parent: QWidget, suggested: str) -> str:
        asked.append(suggested)
        return str(target)

    export.choose_path = choose
    qtbot.mouseClick(export.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not export.job.running, timeout=30_000)
    assert Path(asked[0]).name == f"worksheet-{TRIAL}-screening-1-visit-{visit.id}.pdf"
    assert "DRAFT – NOT SIGNED" in pdf_text(target)
    assert "worksheet.export" in audit_actions(registry)
    assert export.status.text().endswith(f"exported to {target}.")
    assert export.button.isEnabled()
