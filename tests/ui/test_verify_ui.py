"""Verify worksheet… in the app (issue 16): a PDF file from the File menu and a stage's
signed worksheet from its visit form, checked off the GUI thread, the report in words."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.common.settings import UiSettings
from desktop.ui.patients.main_window import MainWindow
from tests.ui.conftest import AddPatient
from tests.ui.test_worksheet_export_ui import _draft_form, _patient
from tests.worksheets.test_pdf_signing import _signed


def _verify(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    window.choose_pdf = lambda _parent: str(path)
    assert window.verify_pdf()
    assert window._verifier is not None
    verifier = window._verifier
    qtbot.waitUntil(lambda: not verifier.running, timeout=30_000)


def test_before_login_a_signed_pdf_reads_valid_with_each_signer(
        qtbot: QtBot, settings: UiSettings, messages: RecordingMessages,
        tmp_path: Path) -> None:
    window = MainWindow(settings, messages)  # no registry open: the file alone
    qtbot.addWidget(window)
    path = tmp_path / "ws.pdf"
    path.write_bytes(_signed()[0])
    _verify(qtbot, window, path)
    [shown] = messages.messages
    assert (shown.kind, shown.title) == ("info", "Verify worksheet")
    assert shown.text.startswith("ws.pdf\n\nVALID")
    assert "• Cora Coordinator — Prepared by" in shown.text
    assert "Dr Ivy Investigator — Eligibility confirmed by" in shown.text


def test_logged_in_a_certificate_this_registry_never_issued_is_unknown(
        qtbot: QtBot, window: MainWindow, messages: RecordingMessages,
        tmp_path: Path) -> None:
    path = tmp_path / "ws.pdf"
    path.write_bytes(_signed()[0])
    _verify(qtbot, window, path)
    [shown] = messages.messages
    assert shown.kind == "error"
    assert "NOT VALID" in shown.text
    assert "UNKNOWN certificate: not one this registry issued or imported" in shown.text


def test_an_altered_pdf_reads_not_valid(qtbot: QtBot, window: MainWindow,
                                        messages: RecordingMessages, tmp_path: Path) -> None:
    data = _signed()[0]
    at = data.index(b"/Reason") + 9
    path = tmp_path / "ws.pdf"
    path.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1:])
    _verify(qtbot, window, path)
    [shown] = messages.messages
    assert shown.kind == "error"
    assert "NOT VALID" in shown.text


def test_a_file_that_is_no_pdf_says_so(qtbot: QtBot, window: MainWindow,
                                       messages: RecordingMessages, tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_text("hello", encoding="utf-8")
    _verify(qtbot, window, path)
    [shown] = messages.messages
    assert shown.kind == "error"
    assert "not a PDF" in shown.text


def test_a_cancelled_chooser_checks_nothing(window: MainWindow,
                                            messages: RecordingMessages) -> None:
    window.choose_pdf = lambda _parent: ""
    assert window.verify_pdf() is False
    assert messages.messages == []


def test_a_stage_without_a_digital_signature_says_there_is_nothing_to_check(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        messages: RecordingMessages) -> None:
    form = _draft_form(qtbot, context, _patient(add_patient))
    assert form.verify_button.isVisible()
    assert form.verify_worksheet() is False  # a draft: nothing signed yet
    assert "Only a completed stage" in messages.messages[-1].text
    context.screenings.complete(form.visit.id)
    form.close()
    from desktop.ui.screening.visit_form import VisitForm

    reopened = VisitForm(repository=context.screenings, trial=context.trial("NCT06152809"),
                         patient=form.patient, visit=context.screenings.visit(form.visit.id),
                         site_uln=context.site_uln, messages=messages, clock=context.clock,
                         worksheets=context.worksheets)
    qtbot.addWidget(reopened)
    assert reopened.verify_worksheet()
    qtbot.waitUntil(lambda: not reopened.verifier.running, timeout=30_000)
    assert "was not signed digitally" in messages.messages[-1].text


def test_the_report_says_when_who_signed_was_not_checked() -> None:
    from desktop.ui.common.verifying import report_text

    summary = {"ok": True, "signatures": [], "ends_with_signature": True, "registry": None,
               "problems": [], "signers_checked": "not checked: any certificate's "
               "signature is accepted"}
    assert "Who signed was NOT checked" in report_text(summary)
    summary["signers_checked"] = "against the registry's certificates"
    assert "NOT checked" not in report_text(summary)
