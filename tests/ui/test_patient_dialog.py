"""The add/edit patient dialog: typed input, inline errors, nothing saved until valid."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from desktop.domain.identifiers import MrnRules
from desktop.registry.database import Registry
from desktop.services.patients import PatientService
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.common.settings import UiSettings
from desktop.ui.patients.main_window import MainWindow
from desktop.ui.patients.patient_dialog import PatientDialog
from tests.ui.conftest import AddPatient


def open_new_patient(qtbot: QtBot, window: MainWindow) -> PatientDialog:
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.dialog is not None and window.dialog.isVisible())
    assert window.dialog is not None
    return window.dialog


def enter(qtbot: QtBot, field: QLineEdit, text: str) -> None:
    """Type ``text`` as a user would: keys for ASCII, else pasted (Ctrl+V), the way a
    zero-width space or a Cyrillic letter arrives from another program."""
    if text.isascii():
        qtbot.keyClicks(field, text)
        return
    clipboard = QApplication.clipboard()
    clipboard.setText(text)
    qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert text in field.text()


def fill(qtbot: QtBot, dialog: PatientDialog, *, mrn: str = "MRN-100",
         family: str = "Lindqvist", given: str = "Maja", birth: str = "1961-04-23",
         sex: str = "Female") -> None:
    for field, text in ((dialog.mrn, mrn), (dialog.family_name, family),
                        (dialog.given_name, given), (dialog.birth_date, birth)):
        field.clear()
        enter(qtbot, field, text)
    dialog.sex.setCurrentText(sex)


def errors(dialog: PatientDialog) -> dict[str, str]:
    return {name: label.text() for name, label in dialog.errors.items() if label.isVisible()}


def test_add_patient_typed_and_submitted_with_enter_appears_in_table(
        qtbot: QtBot, window: MainWindow, repository: PatientService) -> None:
    dialog = open_new_patient(qtbot, window)
    fill(qtbot, dialog)

    with qtbot.waitSignal(dialog.finished):
        qtbot.keyClick(dialog.given_name, Qt.Key.Key_Return)

    assert repository.count() == 1
    assert window.model.rowCount() == 1
    row = [window.model.index(0, column).data() for column in range(6)]
    assert row[:4] == ["MRN-100", "Lindqvist", "Maja", "1961-04-23"]
    assert row[5] == "Female"
    assert window.table.currentIndex().row() == 0  # the new patient is selected


def test_nothing_saved_while_required_fields_are_blank(
        qtbot: QtBot, window: MainWindow, repository: PatientService) -> None:
    dialog = open_new_patient(qtbot, window)
    qtbot.keyClicks(dialog.mrn, "MRN-1")
    dialog.submit()

    shown = errors(dialog)
    assert set(shown) == {"family_name", "given_name", "birth_date", "sex"}
    assert dialog.isVisible()
    assert repository.count() == 0
    assert dialog.focusWidget() is dialog.family_name  # the first field with an error
    assert dialog.birth_date.accessibleDescription() == shown["birth_date"]


def test_duplicate_mrn_refused_inline(qtbot: QtBot, window: MainWindow,
                                      add_patient: AddPatient,
                                      repository: PatientService) -> None:
    add_patient("MRN-7", "Okafor")
    dialog = open_new_patient(qtbot, window)
    fill(qtbot, dialog, mrn="mrn-7")
    dialog.submit()

    assert list(errors(dialog)) == ["mrn"]
    assert "MRN-7" in errors(dialog)["mrn"]
    assert dialog.mrn.accessibleDescription() == errors(dialog)["mrn"]
    assert repository.count() == 1


def test_future_birth_date_refused_inline(qtbot: QtBot, window: MainWindow,
                                          repository: PatientService) -> None:
    dialog = open_new_patient(qtbot, window)
    fill(qtbot, dialog, birth=(date.today() + timedelta(days=1)).isoformat())
    dialog.submit()

    assert list(errors(dialog)) == ["birth_date"]
    assert "future" in errors(dialog)["birth_date"]
    assert repository.count() == 0


def test_unreadable_date_is_explained(qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_new_patient(qtbot, window)
    fill(qtbot, dialog, birth="23/04/1961")
    dialog.submit()

    assert "YYYY-MM-DD" in errors(dialog)["birth_date"]


def test_fixing_an_error_clears_it_on_resubmit(qtbot: QtBot, window: MainWindow,
                                               repository: PatientService) -> None:
    dialog = open_new_patient(qtbot, window)
    fill(qtbot, dialog, birth="2999-01-01")
    dialog.submit()
    assert errors(dialog)

    dialog.birth_date.clear()
    qtbot.keyClicks(dialog.birth_date, "1980-02-29")
    with qtbot.waitSignal(dialog.finished):
        dialog.submit()
    assert repository.count() == 1


def test_escape_cancels_without_saving(qtbot: QtBot, window: MainWindow,
                                       repository: PatientService) -> None:
    dialog = open_new_patient(qtbot, window)
    fill(qtbot, dialog)
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog.mrn, Qt.Key.Key_Escape)
    assert repository.count() == 0
    qtbot.waitUntil(lambda: window.dialog is None)


def test_edit_shows_and_saves_the_patient(qtbot: QtBot, window: MainWindow,
                                          add_patient: AddPatient,
                                          repository: PatientService) -> None:
    patient = add_patient("MRN-9", "Haddad", "Samir", date(1955, 1, 2), "male")
    window.model.refresh()
    window.table.selectRow(0)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.dialog is not None)
    dialog = window.dialog
    assert dialog is not None
    assert dialog.windowTitle() == "Edit patient"
    assert (dialog.mrn.text(), dialog.sex.currentData()) == ("MRN-9", "male")

    dialog.family_name.clear()
    qtbot.keyClicks(dialog.family_name, "Haddad-Rossi")
    with qtbot.waitSignal(dialog.finished):
        qtbot.keyClick(dialog.family_name, Qt.Key.Key_Return)
    assert repository.get(patient.id).family_name == "Haddad-Rossi"
    assert window.model.index(0, 1).data() == "Haddad-Rossi"


def test_dialog_remembers_its_geometry(qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_new_patient(qtbot, window)
    dialog.resize(611, 433)
    with qtbot.waitSignal(dialog.finished):
        dialog.reject()
    qtbot.waitUntil(lambda: window.dialog is None)

    again = open_new_patient(qtbot, window)
    assert (again.width(), again.height()) == (611, 433)
    again.reject()


# -- validated as you type (the registry's own rules, through repository.validate) -------

def test_a_new_form_shows_no_errors_and_save_waits_for_every_field(
        qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_new_patient(qtbot, window)
    assert errors(dialog) == {}
    assert not dialog.save_button.isEnabled()
    assert "Enter the MRN." in dialog.save_button.toolTip()

    fill(qtbot, dialog)
    assert errors(dialog) == {}
    assert dialog.save_button.isEnabled()
    assert dialog.save_button.toolTip() == ""


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("AB\u200b12", "The MRN contains an invisible or control character (U+200B ZERO WIDTH"),
        ("\u0410B12", "'\u0410' (U+0410 CYRILLIC CAPITAL LETTER A) is not allowed in an MRN"),
        ("X" * 33, "The MRN is 33 characters long; at most 32."),
        ("AB#12", "'#' (U+0023 NUMBER SIGN) is not allowed"),
    ],
)
def test_an_mrn_breaking_the_rules_is_named_as_you_type(
        qtbot: QtBot, window: MainWindow, repository: PatientService, typed: str,
        words: str) -> None:
    dialog = open_new_patient(qtbot, window)
    fill(qtbot, dialog)
    assert dialog.save_button.isEnabled()

    dialog.mrn.clear()
    enter(qtbot, dialog.mrn, typed)  # no Save pressed
    assert list(errors(dialog)) == ["mrn"]
    assert words in errors(dialog)["mrn"]
    assert dialog.mrn.accessibleDescription() == errors(dialog)["mrn"]
    assert not dialog.save_button.isEnabled()
    qtbot.keyClick(dialog.mrn, Qt.Key.Key_Return)  # Enter does not save while invalid
    assert dialog.isVisible()
    assert repository.count() == 0

    dialog.mrn.selectAll()
    qtbot.keyClicks(dialog.mrn, "AB12")
    assert errors(dialog) == {}
    assert dialog.save_button.isEnabled()


def test_another_spelling_of_a_taken_mrn_is_named_as_you_type(
        qtbot: QtBot, window: MainWindow, add_patient: AddPatient) -> None:
    add_patient("AB 15", "Okafor", "Chidi")
    dialog = open_new_patient(qtbot, window)
    enter(qtbot, dialog.mrn, "ab  \uff11\uff15")  # case, two spaces, full-width digits
    assert errors(dialog) == {"mrn": "MRN AB 15 already belongs to another patient (Okafor, "
                                     "Chidi); MRNs that differ only in case, spacing or "
                                     "full-width characters are one MRN."}
    assert not dialog.save_button.isEnabled()


def test_a_name_with_a_control_character_is_named_as_you_type(
        qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_new_patient(qtbot, window)
    fill(qtbot, dialog)
    enter(qtbot, dialog.given_name, "\u200b")
    assert errors(dialog) == {
        "given_name": "The given name contains an invisible or control character "
                      "(U+200B ZERO WIDTH SPACE)."}
    assert not dialog.save_button.isEnabled()
    dialog.given_name.clear()
    qtbot.keyClicks(dialog.given_name, "N" * 101)
    assert errors(dialog)["given_name"] == "The given name is 101 characters long; at most 100."


def test_only_fields_typed_in_show_their_errors(qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_new_patient(qtbot, window)
    qtbot.keyClicks(dialog.family_name, "A")
    qtbot.keyClick(dialog.family_name, Qt.Key.Key_Backspace)
    assert errors(dialog) == {"family_name": "Enter the family name."}  # not the others yet


def test_the_form_follows_the_sites_mrn_characters(
        qtbot: QtBot, settings: UiSettings, messages: RecordingMessages,
        registry: Registry) -> None:
    repository = PatientService.open(registry, "tester", MrnRules(r"\w \-/."))
    dialog = PatientDialog(None, settings, repository, messages)
    qtbot.addWidget(dialog)
    dialog.show()
    fill(qtbot, dialog, mrn=unicodedata.normalize("NFD", "JOSÉ-1"))
    assert errors(dialog) == {}
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.finished):
        dialog.submit()
    assert dialog.saved is not None
    assert dialog.saved.mrn == unicodedata.normalize("NFC", "JOSÉ-1")


def test_editing_a_patient_shows_a_stored_problem_at_once(
        qtbot: QtBot, settings: UiSettings, messages: RecordingMessages,
        registry: Registry, add_patient: AddPatient) -> None:
    row = add_patient("MRN-1", "Haddad")
    strict = PatientService.open(registry, "tester", MrnRules("0-9"))  # a site stricter now
    dialog = PatientDialog(None, settings, strict, messages, row)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "'M' (U+004D LATIN CAPITAL LETTER M) is not allowed" in errors(dialog)["mrn"]
    assert not dialog.save_button.isEnabled()


def test_a_voided_patient_is_shown_read_only(
        qtbot: QtBot, settings: UiSettings, messages: RecordingMessages,
        repository: PatientService, add_patient: AddPatient) -> None:
    row = repository.void(add_patient("MRN-2", "Haddad").id, "Registered twice")
    dialog = PatientDialog(None, settings, repository, messages, row)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "voided (Registered twice)" in dialog.voided_note.text()
    assert dialog.voided_note.isVisible()
    assert dialog.mrn.isReadOnly()
    assert not dialog.save_button.isEnabled()
    dialog.submit()
    assert dialog.saved is None
    assert messages.messages == []


def test_a_long_message_under_a_field_is_shown_whole(qtbot: QtBot,
                                                     window: MainWindow) -> None:
    dialog = open_new_patient(qtbot, window)
    enter(qtbot, dialog.mrn, "AB#17")
    label = dialog.errors["mrn"]
    qtbot.waitUntil(label.isVisible)
    assert "U+0023 NUMBER SIGN" in label.text()
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))
    # Nothing below it is covered: the next field starts under the message.
    assert dialog.family_name.geometry().top() >= label.geometry().bottom()
