"""The add/edit patient dialog: typed input, inline errors, nothing saved until valid."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.registry.patients import PatientRepository
from desktop.ui.dialogs import PatientDialog
from desktop.ui.main_window import MainWindow
from tests.ui.conftest import AddPatient


def open_new_patient(qtbot: QtBot, window: MainWindow) -> PatientDialog:
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.dialog is not None and window.dialog.isVisible())
    assert window.dialog is not None
    return window.dialog


def fill(qtbot: QtBot, dialog: PatientDialog, *, mrn: str = "MRN-100",
         family: str = "Lindqvist", given: str = "Maja", birth: str = "1961-04-23",
         sex: str = "Female") -> None:
    for field, text in ((dialog.mrn, mrn), (dialog.family_name, family),
                        (dialog.given_name, given), (dialog.birth_date, birth)):
        field.clear()
        qtbot.keyClicks(field, text)
    dialog.sex.setCurrentText(sex)


def errors(dialog: PatientDialog) -> dict[str, str]:
    return {name: label.text() for name, label in dialog.errors.items() if label.isVisible()}


def test_add_patient_typed_and_submitted_with_enter_appears_in_table(
        qtbot: QtBot, window: MainWindow, repository: PatientRepository) -> None:
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
        qtbot: QtBot, window: MainWindow, repository: PatientRepository) -> None:
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
                                      repository: PatientRepository) -> None:
    add_patient("MRN-7", "Okafor")
    dialog = open_new_patient(qtbot, window)
    fill(qtbot, dialog, mrn="mrn-7")
    dialog.submit()

    assert list(errors(dialog)) == ["mrn"]
    assert "MRN-7" in errors(dialog)["mrn"]
    assert dialog.mrn.accessibleDescription() == errors(dialog)["mrn"]
    assert repository.count() == 1


def test_future_birth_date_refused_inline(qtbot: QtBot, window: MainWindow,
                                          repository: PatientRepository) -> None:
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
                                               repository: PatientRepository) -> None:
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
                                       repository: PatientRepository) -> None:
    dialog = open_new_patient(qtbot, window)
    fill(qtbot, dialog)
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog.mrn, Qt.Key.Key_Escape)
    assert repository.count() == 0
    qtbot.waitUntil(lambda: window.dialog is None)


def test_edit_shows_and_saves_the_patient(qtbot: QtBot, window: MainWindow,
                                          add_patient: AddPatient,
                                          repository: PatientRepository) -> None:
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
