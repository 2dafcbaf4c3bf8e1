"""Every window opens inside a laptop's screen and keeps its buttons in view (#18).

At 1366×768 and at 1280×720 logical pixels (a 1920×1080 screen at 150 %), each window,
as the window fitter places it when it is shown, has its whole frame inside the
screen's available area, and every action button outside a scrolled area is wholly
visible in it (tall forms scroll instead). ``fitted`` itself is plain arithmetic, tested
first; the last test runs the app's own fitter on a real 1280×720 offscreen screen.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QMargins, QPoint, QRect, QSize
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QScrollArea,
    QStyle,
    QStyleOptionComboBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor, Role
from desktop.registry.database import Registry
from desktop.services.accounts import AccountService
from desktop.services.delegations import DelegationService
from desktop.services.logs import LogService
from desktop.services.passwords import fast_hasher
from desktop.ui.admin.admin_window import AdminWindow
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.fitting import DEFAULT_FRAME, fit_window, fitted
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.common.settings import UiSettings
from desktop.ui.patients.main_window import MainWindow
from desktop.ui.patients.patient_dialog import PatientDialog
from desktop.ui.screening.patient_view import PatientView
from desktop.ui.screening.screening_log import ScreeningLogWindow
from desktop.ui.screening.visit_form import VisitForm
from tests.ui.conftest import AddPatient
from tests.ui.screening_support import open_before_signature, store_example

TRIAL = "NCT06152809"
LAPTOP = QRect(0, 0, 1366, 768)
SCALED = QRect(0, 0, 1280, 720)  # 1920×1080 at 150 %
SCREENS = pytest.mark.parametrize("screen", [LAPTOP, SCALED], ids=["1366x768", "1280x720"])

# -- the arithmetic ------------------------------------------------------------------


def test_a_window_larger_than_the_screen_is_shrunk_to_it_frame_included() -> None:
    frame = QMargins(4, 30, 4, 4)
    client = fitted(QSize(1280, 800), frame, LAPTOP)
    assert client.size() == QSize(1280, 768 - 34)
    outer = client.adjusted(-4, -30, 4, 4)
    assert LAPTOP.contains(outer)
    assert client.left() == (1366 - 1288) // 2 + 4  # centred across


def test_a_window_that_fits_where_it_is_stays_there_at_its_size() -> None:
    client = fitted(QSize(600, 400), QMargins(2, 2, 2, 2), LAPTOP, at=QPoint(100, 50))
    assert client == QRect(102, 52, 600, 400)


def test_a_window_off_the_screen_comes_back_inside_it() -> None:
    # A position saved on a larger monitor, now right of and below this screen.
    client = fitted(QSize(900, 560), QMargins(0, 0, 0, 0), SCALED, at=QPoint(1500, 700))
    assert SCALED.contains(client)
    assert client.size() == QSize(900, 560)


def test_a_dialog_is_centred_over_its_parent_and_kept_on_the_screen() -> None:
    parent = QRect(800, 300, 500, 400)
    client = fitted(QSize(600, 300), QMargins(0, 0, 0, 0), SCALED, centre_on=parent)
    assert client.center().y() == parent.center().y()
    assert client.right() == SCALED.right()  # pushed back from the right edge


def test_a_task_bar_is_left_free() -> None:
    available = QRect(0, 0, 1366, 728)  # a 40-pixel panel at the bottom
    client = fitted(QSize(1100, 760), DEFAULT_FRAME, available)
    assert client.bottom() + DEFAULT_FRAME.bottom() <= available.bottom()


# -- the windows -----------------------------------------------------------------------


def _action_buttons(window: QWidget) -> list[QAbstractButton]:
    """The visible buttons that are not inside a scrolled area (those scroll)."""
    found = []
    for button in window.findChildren(QAbstractButton):
        if not button.isVisibleTo(window) or button.window() is not window:
            continue
        parent, scrolled = button.parentWidget(), False
        while parent is not None and parent is not window:
            if isinstance(parent, QScrollArea) or parent.inherits("QAbstractItemView"):
                scrolled = True
            parent = parent.parentWidget()
        if not scrolled:
            found.append(button)
    return found


def assert_fits(qtbot: QtBot, window: QWidget, screen: QRect, *buttons: str) -> None:
    """``window`` fitted to ``screen``: its frame inside, each of ``buttons`` (object
    names) among its visible action buttons, and every action button wholly visible."""
    window.show()
    qtbot.waitExposed(window)
    fit_window(window, screen)
    QApplication.processEvents()
    frame = window.frameGeometry()
    assert screen.contains(frame), f"{window.windowTitle()}: {frame} outside {screen}"
    shown = _action_buttons(window)
    names = {b.objectName() for b in shown}
    assert set(buttons) <= names, f"not in view: {set(buttons) - names}"
    inside = window.rect()
    for button in shown:
        where = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
        assert inside.contains(where), f"{button.text()!r} at {where}, window {inside}"
        assert button.visibleRegion().boundingRect() == button.rect(), \
            f"{button.text()!r} is partly hidden"


@pytest.fixture(autouse=True)
def _next_stage_opens_before_signature(registry: Registry) -> None:
    open_before_signature(registry)


@pytest.fixture
def view(qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient) -> PatientView:
    """A patient part-way through NCT06152809: screening #1 completed, #2 in progress."""
    patient = add_patient("P-1", "Doe", "Jane", date(1958, 4, 12), "male")
    repo, trial = context.screenings, context.trial(TRIAL)
    screening = repo.start(patient.id, trial)
    first = repo.start_visit(screening.id, trial, "screening-1")
    store_example(repo, patient.id, first, TRIAL)
    assert repo.complete(first.id).decision == "eligible"
    repo.start_visit(screening.id, trial, "screening-2")
    opened = PatientView(context, patient)
    qtbot.addWidget(opened)
    return opened


@SCREENS
def test_the_patient_list_fits(qtbot: QtBot, window: MainWindow, screen: QRect) -> None:
    window.resize(1600, 1000)  # as restored from a larger monitor
    assert_fits(qtbot, window, screen)


@SCREENS
def test_the_patient_view_fits_with_its_buttons(qtbot: QtBot, view: PatientView,
                                                screen: QRect) -> None:
    assert_fits(qtbot, view, screen, "start_screening", "screening_log", "open_stage")


@SCREENS
def test_the_trial_chooser_shows_its_trial_whole(qtbot: QtBot, view: PatientView,
                                                 screen: QRect) -> None:
    """No "NCT05744440 — Safety and Efficacy of A": the chosen trial's label (its NCT id
    and short title, cut between words) fits the closed chooser."""
    assert_fits(qtbot, view, screen)
    choice = view.trial_choice
    for index in range(choice.count()):
        choice.setCurrentIndex(index)
        text = choice.currentText()
        assert text.startswith("NCT")
        room = choice.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, _combo_option(choice),
            QStyle.SubControl.SC_ComboBoxEditField, choice).width()
        assert choice.fontMetrics().horizontalAdvance(text) <= room, text


def _combo_option(choice: QComboBox) -> QStyleOptionComboBox:
    option = QStyleOptionComboBox()
    choice.initStyleOption(option)
    return option


@SCREENS
def test_the_visit_form_fits_with_complete_and_close_in_view(
        qtbot: QtBot, view: PatientView, screen: QRect) -> None:
    view.show()
    form = view.open_selected_stage()  # screening #2, the longest stage, a draft
    assert isinstance(form, VisitForm)
    assert form.size() == QSize(1280, 800)  # what it asks for: taller than both screens
    assert_fits(qtbot, form, screen, "complete", "close", "export_worksheet")
    # What does not fit scrolls: the fields are in a scrolled area, not cut off.
    bar = form.fields_area.verticalScrollBar()
    assert bar.maximum() > 0


@SCREENS
def test_a_completed_visit_fits_with_its_record(qtbot: QtBot, view: PatientView,
                                                screen: QRect) -> None:
    view.show()
    view.slots.selectRow(0)
    form = view.open_selected_stage()
    assert isinstance(form, VisitForm)
    assert form.visit.status == "completed"
    assert_fits(qtbot, form, screen, "close")


@SCREENS
def test_the_screening_log_fits(qtbot: QtBot, view: PatientView, screen: QRect) -> None:
    view.show()
    log = view.open_log()
    assert isinstance(log, ScreeningLogWindow)
    log.resize(1500, 900)
    assert_fits(qtbot, log, screen, "export_log_pdf", "export_log_csv")


@SCREENS
def test_the_administration_window_fits(qtbot: QtBot, registry: Registry,
                                        messages: RecordingMessages, screen: QRect) -> None:
    accounts = AccountService(registry, hasher=fast_hasher())
    admin: Actor = accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor
    assert Role.ADMIN in admin.roles
    window = AdminWindow(accounts, DelegationService(registry), admin, [], messages,
                         logs=LogService(registry, admin))
    qtbot.addWidget(window)
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        assert_fits(qtbot, window, screen)


@SCREENS
def test_the_patient_dialog_and_help_dialogs_fit(
        qtbot: QtBot, window: MainWindow, settings: UiSettings, messages: RecordingMessages,
        screen: QRect) -> None:
    assert window.repository is not None
    dialog = PatientDialog(window, settings, window.repository, messages, None)
    qtbot.addWidget(dialog)
    assert_fits(qtbot, dialog, screen)
    for shown in (window.help_menu.show_about(), window.help_menu.show_shortcuts()):
        shown.resize(900, 1000)
        assert_fits(qtbot, shown, screen)
        assert shown.close_button.isVisible()


# -- on a real small screen -------------------------------------------------------------


def test_the_fitter_places_each_window_on_a_real_1280x720_screen(tmp_path: Path) -> None:
    """The offscreen platform told its screen is 1280×720: the app's fitter (installed by
    GuiSession for every window) shrinks a 1280×800 window as it is shown."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{
        "name": "laptop", "x": 0, "y": 0, "width": 1280, "height": 720,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}), encoding="utf-8")
    script = textwrap.dedent("""
        from PySide6.QtWidgets import QApplication, QDialog, QWidget
        from desktop.ui.common.fitting import WindowFitter
        app = QApplication([])
        fitter = WindowFitter(app)
        available = app.primaryScreen().availableGeometry()
        form = QWidget(); form.resize(1280, 800); form.show(); app.processEvents()
        dialog = QDialog(form); dialog.resize(700, 900); dialog.show(); app.processEvents()
        for shown in (form, dialog):
            print(available.contains(shown.frameGeometry()), shown.height() < 720)
    """)
    env = os.environ | {"QT_QPA_PLATFORM": f"offscreen:configfile={config}",
                        "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.split() == ["True", "True", "True", "True"]


def test_the_app_fits_its_main_window_at_start_and_every_window_after(tmp_path: Path) -> None:
    """On an 800×480 screen: GuiSession fits the main window (900×560) before its first
    paint, then the first-run window once it is up, and installs the fitter then, so a
    dialog shown later fits too."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{
        "name": "netbook", "x": 0, "y": 0, "width": 800, "height": 480,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}), encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from PySide6.QtWidgets import QApplication, QDialog
        from desktop.ui.app import GuiSession
        from desktop.ui.common.messages import RecordingMessages
        app = QApplication([])
        available = app.primaryScreen().availableGeometry()
        session = GuiSession(Path(sys.argv[1]), RecordingMessages())
        session.start()
        while session.painted_at is None:
            app.processEvents()
        window = session.window
        print(available.contains(window.frameGeometry()), window.height() < 480)
        while session.session is None or session.session.dialog is None:
            app.processEvents()
        first_run = session.session.dialog
        print(available.contains(first_run.frameGeometry()))
        dialog = QDialog(window); dialog.resize(700, 900); dialog.show(); app.processEvents()
        print(available.contains(dialog.frameGeometry()), dialog.height() < 480)
        session.shutdown()
    """)
    env = os.environ | {"QT_QPA_PLATFORM": f"offscreen:configfile={config}",
                        "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", script, str(data)], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["True"] * 5
