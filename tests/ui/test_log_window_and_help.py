"""The screening log window as a coordinator moves through it, and the Help menu (#18):
Esc closes the log, a double click opens the patient at that trial, the Trials menu
names trials by NCT id and short title; About says what runs where under which licences,
and the shortcut list is read from the actions themselves.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop import __version__
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.settings import UiSettings
from desktop.ui.patients.main_window import MainWindow
from desktop.ui.screening.screening_log import ScreeningLogWindow
from tests.ui.conftest import AddPatient

TRIAL = "NCT06152809"


def _log(qtbot: QtBot, window: MainWindow, trial_id: str) -> ScreeningLogWindow:
    log = window.open_log(trial_id)
    assert isinstance(log, ScreeningLogWindow)
    qtbot.addWidget(log)
    qtbot.waitExposed(log)
    return log


def test_escape_closes_the_log(qtbot: QtBot, window: MainWindow) -> None:
    log = _log(qtbot, window, TRIAL)
    assert log.isVisible()
    qtbot.keyClick(log.table, Qt.Key.Key_Escape)
    assert not log.isVisible()


def test_a_double_click_opens_the_patient_at_that_trial(
        qtbot: QtBot, window: MainWindow, context: ScreeningContext,
        add_patient: AddPatient) -> None:
    jane = add_patient("P-1", "Doe", "Jane", date(1958, 4, 12), "female")
    # Screened for two trials; the log's trial is not the first one listed.
    context.screenings.start(jane.id, context.trial("NCT05744440"))
    context.screenings.start(jane.id, context.trial(TRIAL))
    log = _log(qtbot, window, TRIAL)
    assert log.model.rowCount() == 1
    cell = log.table.visualRect(log.model.index(0, 1)).center()
    qtbot.mouseClick(log.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.mouseDClick(log.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    view = window.patient_views.get(jane.id)
    assert view is not None
    assert view.isVisible()
    qtbot.addWidget(view)
    summary = view.selected_summary()
    assert summary is not None
    assert summary.trial.id == TRIAL


def test_the_trials_menu_names_each_log_by_id_and_short_title(
        qtbot: QtBot, window: MainWindow, context: ScreeningContext) -> None:
    window.log_menu.aboutToShow.emit()
    actions = window.log_menu.actions()
    texts = [a.text() for a in actions]
    assert texts[0] == "NCT05744440 — Safety and Efficacy of Allogenic NK Cells…"
    assert "NCT06835140 — CD123-CD16-NK Cells Immunotherapy for AML" in texts
    assert all(" — " in text for text in texts)
    assert [a.data() for a in actions] == sorted(context.trials)
    assert actions[0].toolTip() == f"NCT05744440 — {context.trial('NCT05744440').title}"
    actions[2].trigger()
    opened = [w for w in window.findChildren(ScreeningLogWindow) if w.isVisible()]
    assert [w.trial.id for w in opened] == [TRIAL]
    for shown in opened:
        qtbot.addWidget(shown)


def test_about_names_version_folders_and_licences(
        qtbot: QtBot, window: MainWindow, settings: UiSettings,
        context: ScreeningContext) -> None:
    dialog = window.help_menu.show_about()
    qtbot.addWidget(dialog)
    text = dialog.text.text()
    assert f"NK Screen {__version__}" in text
    assert str(settings.path.parent) in text  # the data folder
    assert str(context.registry.path) in text  # the registry open now
    assert "PySide6-Essentials" in text
    assert "LGPL-3.0-only" in text
    assert "ReportLab" in text
    assert "pyHanko" in text
    assert "LICENSE-DejaVu.txt" in text
    assert "Bitstream" in text


def test_the_shortcut_list_is_read_from_the_actions(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.help_menu.show_shortcuts()
    qtbot.addWidget(dialog)
    text = dialog.text.text()
    for action in (window.trials_action, window.new_action, window.edit_action):
        keys = action.shortcut().toString()
        assert keys
        assert keys in text
        assert action.text().replace("&", "").rstrip("…") in text
    assert "Close the log" in text
    assert "Esc" in text
