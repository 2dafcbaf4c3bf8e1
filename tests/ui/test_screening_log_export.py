"""The screening log window's exports: PDF and CSV through the log service, off the GUI
thread, audited; the sponsor copy without MRN or date of birth; refused and cancelled."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor
from desktop.registry.database import Registry
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.screening.screening_log import ScreeningLogWindow
from tests.ui.conftest import AddPatient
from tests.ui.screening_support import store_example
from tests.ui.test_worksheet_export_ui import audit_actions, pdf_text

TRIAL = "NCT06152809"


@pytest.fixture
def log_window(qtbot: QtBot, context: ScreeningContext,
               add_patient: AddPatient) -> ScreeningLogWindow:
    """The log of a trial one patient (MRN SCR-778) failed screening for."""
    patient = add_patient("SCR-778", "Doe", "Jane", date(1958, 4, 12), "male")
    repo, trial = context.screenings, context.trial(TRIAL)
    visit = repo.start_visit(repo.start(patient.id, trial).id, trial, "screening-1")
    store_example(repo, patient.id, visit, TRIAL, changes={"ecog": "3"})
    assert repo.complete(visit.id).decision == "not_eligible"
    window = ScreeningLogWindow(context, trial)
    qtbot.addWidget(window)
    window.show()
    return window


def _export(qtbot: QtBot, window: ScreeningLogWindow, target: Path, pdf: bool) -> list[str]:
    asked: list[str] = []

    def choose(_parent: QWidget, suggested: str) -> str:
        asked.append(suggested)
        return str(target)

    window.choose_path = choose
    button = window.pdf_button if pdf else window.csv_button
    assert button.isEnabled(), button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.export.running, timeout=30_000)
    return asked


def test_export_pdf_writes_the_log_and_its_audit_row(
        qtbot: QtBot, log_window: ScreeningLogWindow, registry: Registry,
        tmp_path: Path, messages: RecordingMessages) -> None:
    target = tmp_path / "log.pdf"
    [suggested] = _export(qtbot, log_window, target, pdf=True)
    assert Path(suggested).parent == Path.home()
    assert Path(suggested).name.startswith(f"screening-log-{TRIAL}-")
    assert suggested.endswith(".pdf")
    assert target.read_bytes().startswith(b"%PDF")
    text = pdf_text(target)
    assert TRIAL in text
    assert "SCR-778" in text
    assert "screening_log.export" in audit_actions(registry)
    assert log_window.status.text().startswith("Screening log SL-")
    assert "(1 row) exported to" in log_window.status.text()
    assert messages.messages == []
    assert log_window.pdf_button.isEnabled()


def test_the_sponsor_copy_csv_has_initials_and_no_mrn(
        qtbot: QtBot, log_window: ScreeningLogWindow, registry: Registry,
        tmp_path: Path) -> None:
    log_window.sponsor_copy.setChecked(True)
    target = tmp_path / "sponsor.csv"
    [suggested] = _export(qtbot, log_window, target, pdf=False)
    assert suggested.endswith(".csv")
    assert "-sponsor-" in suggested
    content = target.read_bytes().decode("utf-8-sig")
    assert content.startswith("Screening no.,Initials,")
    assert "SCR-778" not in content
    assert "1958-04-12" not in content
    assert "Doe" not in content
    assert ",JD," in content
    assert audit_actions(registry).count("screening_log.export") == 1
    assert log_window.status.text().startswith("Sponsor copy ")


def test_the_full_csv_names_the_mrn(
        qtbot: QtBot, log_window: ScreeningLogWindow, tmp_path: Path) -> None:
    target = tmp_path / "log.csv"
    _export(qtbot, log_window, target, pdf=False)
    content = target.read_bytes().decode("utf-8-sig")
    assert content.startswith("Screening no.,Patient,MRN,Date of birth,")
    assert "SCR-778" in content


def test_a_cancelled_chooser_writes_nothing(
        qtbot: QtBot, log_window: ScreeningLogWindow, registry: Registry,
        tmp_path: Path) -> None:
    log_window.choose_path = lambda _parent, _suggested: ""
    assert log_window.export_log(".pdf") is False
    assert list(tmp_path.glob("*.pdf")) == []
    assert "screening_log.export" not in audit_actions(registry)
    assert log_window.status.text() == ""


def test_a_role_without_export_sees_the_buttons_disabled(
        qtbot: QtBot, context: ScreeningContext, log_window: ScreeningLogWindow) -> None:
    context.actor = Actor("nemo", "Nemo Nobody", frozenset())
    window = ScreeningLogWindow(context, log_window.trial)
    qtbot.addWidget(window)
    why = "Logged in as no role: you may not export worksheets and logs."
    for button in (window.pdf_button, window.csv_button):
        assert not button.isEnabled()
        assert button.toolTip() == why
    assert not window.sponsor_copy.isEnabled()
    window.choose_path = lambda _parent, _suggested: pytest.fail("not asked")
    assert window.export_log(".csv") is False


def test_the_default_chooser_offers_the_format_of_the_button(
        qtbot: QtBot, log_window: ScreeningLogWindow,
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def save_as(_parent: QWidget, _caption: str, _suggested: str,
                filters: str) -> tuple[str, str]:
        asked.append(filters)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    log_window.export_log(".pdf")
    log_window.export_log(".csv")
    assert asked == ["PDF files (*.pdf)", "CSV files (*.csv)"]
