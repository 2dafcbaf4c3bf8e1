"""The main window: search as you type, keyboard navigation, archive, remembered geometry."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.services.patients import PatientService
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.common.settings import UiSettings
from desktop.ui.patients.main_window import MainWindow
from desktop.ui.patients.patient_model import count_wording
from tests.ui.conftest import OFFSCREEN_NOTICE, AddPatient


def listed_mrns(window: MainWindow) -> list[str]:
    model = window.model
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def seed(add_patient: AddPatient) -> None:
    add_patient("A-100", "Berg", "Ingrid")
    add_patient("A-200", "Bergström", "Olof")
    add_patient("B-300", "Nakamura", "Berit")
    add_patient("C-400", "Osei", "Kwame")


def test_search_box_has_focus_at_start(window: MainWindow) -> None:
    assert window.focusWidget() is window.search


def test_search_filters_as_you_type(qtbot: QtBot, window: MainWindow,
                                    add_patient: AddPatient) -> None:
    seed(add_patient)
    window.model.refresh()
    assert window.model.rowCount() == 4

    with qtbot.waitSignal(window.model.modelReset):
        qtbot.keyClicks(window.search, "b")
    assert sorted(listed_mrns(window)) == ["A-100", "A-200", "B-300"]  # family, MRN, given

    qtbot.keyClicks(window.search, "ERG")  # case-insensitive prefix
    assert sorted(listed_mrns(window)) == ["A-100", "A-200"]
    assert "2 patients" in window.count_label.text()

    window.search.clear()
    qtbot.keyClicks(window.search, "c-4")
    assert listed_mrns(window) == ["C-400"]

    window.search.clear()
    qtbot.keyClicks(window.search, "rom")  # inside "Bergström", but not a prefix
    assert listed_mrns(window) == []


def test_search_finds_any_word_mrn_part_and_family_given(qtbot: QtBot, window: MainWindow,
                                                         add_patient: AddPatient) -> None:
    """#18: what a coordinator types from a wristband or a letter finds the patient."""
    add_patient("NKS-0002", "Testwell", "Demo Bob")
    add_patient("NKS-0003", "Åberg-Lindqvist", "Sofia")
    add_patient("NKS-0120", "Osei", "Kwame")
    window.model.refresh()
    for typed, found in [("0002", ["NKS-0002"]), ("Bob", ["NKS-0002"]),
                         ("lindqvist", ["NKS-0003"]), ("Testwell, Demo", ["NKS-0002"]),
                         ("aberg", ["NKS-0003"]), ("ks-01", ["NKS-0120"])]:
        window.search.clear()
        qtbot.keyClicks(window.search, typed)
        qtbot.waitUntil(lambda found=found: listed_mrns(window) == found)  # type: ignore[misc]


def test_broad_search_counts_up_to_a_step_and_scrolls_to_the_rest(
        qtbot: QtBot, window: MainWindow, add_patient: AddPatient) -> None:
    """#18: a broad search shows "1,000+" rather than counting every match per keystroke,
    and scrolling to the end still lists every match, in name order."""
    seed(add_patient)
    add_patient("D-500", "Bell", "Ada")
    window.model.count_step = 2
    qtbot.keyClicks(window.search, "b")  # Berg, Bergström, Nakamura Berit, Bell
    assert window.model.rowCount() == 2
    assert window.count_label.text() == "2+ patients matching “b”"
    assert listed_mrns(window) == ["D-500", "A-100"]  # Bell, Berg: the first in name order

    window.table.scrollToBottom()  # the view fetches the next step at the end
    qtbot.waitUntil(lambda: window.model.rowCount() == 4)
    assert listed_mrns(window) == ["D-500", "A-100", "A-200", "B-300"]
    assert window.count_label.text() == "4 patients matching “b”"
    assert not window.model.canFetchMore()

    window.search.clear()  # everyone: counted exactly, however many
    assert window.count_label.text() == "5 patients"


@pytest.mark.parametrize(("count", "more", "text", "wording"), [
    (1, False, "", "1 patient"),
    (1, False, "osei", "1 patient matching “osei”"),
    (0, False, "xyz", "0 patients matching “xyz”"),
    (1000, True, "a", "1,000+ patients matching “a”"),
    (95002, False, "", "95,002 patients"),
])
def test_count_wording(count: int, more: bool, text: str, wording: str) -> None:
    assert count_wording(count, more, text) == wording


def test_down_arrow_moves_into_table_and_enter_opens_patient(
        qtbot: QtBot, window: MainWindow, add_patient: AddPatient) -> None:
    seed(add_patient)
    qtbot.keyClicks(window.search, "osei")
    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    assert window.focusWidget() is window.table
    assert window.table.currentIndex().row() == 0

    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.patient_views) == 1)
    view = next(iter(window.patient_views.values()))
    assert view.patient.mrn == "C-400"
    assert "OSEI, Kwame (MRN C-400)" in view.windowTitle()
    # Enter again raises the same window rather than opening a second one.
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert list(window.patient_views.values()) == [view]
    view.close()


def test_ctrl_e_edits_the_selected_patient(qtbot: QtBot, window: MainWindow,
                                           add_patient: AddPatient) -> None:
    seed(add_patient)
    qtbot.keyClicks(window.search, "osei")
    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    qtbot.keyClick(window.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.dialog is not None)
    assert window.dialog is not None
    assert window.dialog.mrn.text() == "C-400"
    window.dialog.reject()


def test_ctrl_f_returns_to_search(qtbot: QtBot, window: MainWindow,
                                  add_patient: AddPatient) -> None:
    seed(add_patient)
    window.model.refresh()
    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    assert window.focusWidget() is window.table
    qtbot.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.focusWidget() is window.search


def test_archive_asks_first_and_hides_patient(
        qtbot: QtBot, window: MainWindow, add_patient: AddPatient,
        repository: PatientService, messages: RecordingMessages) -> None:
    seed(add_patient)
    qtbot.keyClicks(window.search, "C-4")
    window.table.selectRow(0)

    messages.answer = False
    window.archive_action.trigger()
    assert [m.kind for m in messages.messages] == ["confirm"]
    assert "Osei" in messages.messages[0].text
    assert repository.count("C-4") == 1

    messages.answer = True
    window.archive_action.trigger()
    assert repository.count("C-4") == 0
    assert listed_mrns(window) == []

    window.show_archived_action.trigger()
    assert listed_mrns(window) == ["C-400"]
    window.table.selectRow(0)
    assert window.archive_action.text() == "&Restore"
    window.archive_action.trigger()  # restoring needs no confirmation
    assert repository.count("C-4") == 1
    assert len(messages.messages) == 2


def test_actions_wait_for_the_registry(qtbot: QtBot, settings: UiSettings,
                                       messages: RecordingMessages) -> None:
    window = MainWindow(settings, messages)
    qtbot.addWidget(window)
    assert window.statusBar().currentMessage() == "Opening registry…"
    assert not window.new_action.isEnabled()
    window.new_action.trigger()
    assert window.dialog is None


def test_geometry_remembered_across_two_windows(qtbot: QtBot, settings: UiSettings,
                                                messages: RecordingMessages) -> None:
    first = MainWindow(settings, messages)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.setGeometry(40, 50, 777, 444)
    first.close()

    second = MainWindow(UiSettings(settings.path.parent), messages)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (777, 444)
    assert settings.path.name == "ui.ini"
    assert settings.path.is_file()


def test_show_archived_is_remembered(qtbot: QtBot, window: MainWindow,
                                     settings: UiSettings,
                                     messages: RecordingMessages) -> None:
    window.show_archived_action.trigger()
    second = MainWindow(settings, messages)
    qtbot.addWidget(second)
    assert second.show_archived_action.isChecked()


@pytest.mark.qt_log_ignore(OFFSCREEN_NOTICE, "This plugin does not support raise")
def test_ctrl_t_opens_the_trial_library(qtbot: QtBot, window: MainWindow) -> None:
    from desktop.ui.trials.trials_view import TrialsWindow

    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    opened = window.findChildren(TrialsWindow)
    assert len(opened) == 1
    assert opened[0].isVisible()
    opened[0].close()
