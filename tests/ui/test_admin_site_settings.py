"""The "Site settings" tab of the administration window: the settings form, the dated ULN
table with its "Add ULN" dialog, and the confirm thresholds.

Everything goes through the real site settings service on the test's registry; the
tests check what the administrator reads (values, refusals, rows) and what the service
then holds (read back with ``values()`` and ``uln_rows()``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QTableWidgetItem, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor
from desktop.registry.database import Registry
from desktop.services.accounts import AccountService
from desktop.services.delegations import DelegationService
from desktop.services.logs import LogService
from desktop.services.passwords import fast_hasher
from desktop.services.site_settings import SiteSettingsService
from desktop.ui.admin.admin_window import AdminWindow
from desktop.ui.admin.confirm_editor import ABOVE, BELOW, OBSERVATION, UNIT, ConfirmEditor
from desktop.ui.admin.opening import open_admin_window
from desktop.ui.admin.site_tab import SiteSettingsTab
from desktop.ui.admin.uln_dialog import NOTE, AddUlnDialog
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages

OpenTab = Callable[[], SiteSettingsTab]
EARLIER = date(2020, 1, 1)


@pytest.fixture
def accounts(registry: Registry) -> AccountService:
    return AccountService(registry, hasher=fast_hasher())


@pytest.fixture
def admin(accounts: AccountService) -> Actor:
    return accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor


@pytest.fixture
def site(registry: Registry) -> SiteSettingsService:
    return SiteSettingsService(registry)


@pytest.fixture
def open_tab(qtbot: QtBot, registry: Registry, accounts: AccountService, admin: Actor,
             site: SiteSettingsService, messages: RecordingMessages) -> OpenTab:
    """The admin window, shown on its site settings tab (after the test's own setup)."""
    opened: list[AdminWindow] = []  # held here: the tab alone does not keep its window

    def build() -> SiteSettingsTab:
        window = AdminWindow(accounts, DelegationService(registry), admin, [], messages,
                             logs=LogService(registry, admin), site=site)
        qtbot.addWidget(window)
        opened.append(window)
        window.show()
        qtbot.waitExposed(window)
        assert window.site_tab is not None
        window.tabs.setCurrentWidget(window.site_tab)
        return window.site_tab

    return build


@pytest.fixture
def tab(open_tab: OpenTab) -> SiteSettingsTab:
    return open_tab()


def click(qtbot: QtBot, button: QAbstractButton) -> None:
    assert button.isEnabled(), button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def retype(qtbot: QtBot, field: QWidget, typed: str) -> None:
    """Select all in ``field`` and type over it, as a user would."""
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    if typed:
        qtbot.keyClicks(field, typed)
    else:
        qtbot.keyClick(field, Qt.Key.Key_Delete)


def errors(messages: RecordingMessages) -> list[tuple[str, str]]:
    return [(m.title, m.text) for m in messages.messages if m.kind == "error"]


def qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


# -- the settings form ----------------------------------------------------------------

def test_the_tab_shows_the_defaults_and_the_models_are_sound(
        tab: SiteSettingsTab, qtmodeltester: ModelTester) -> None:
    window = tab.window()
    assert isinstance(window, AdminWindow)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "&Accounts", "&Delegation log", "&Site settings"]
    assert tab.typed() == {"site_name": "", "time_zone": None, "paper_size": "A4",
                           "idle_lock_minutes": 15, "password_expiry_days": 0,
                           "mrn_characters": None, "open_before_signature": False}
    assert tab.password_expiry.text() == "never"
    assert tab.time_zone.findText("Europe/Berlin") > 0
    assert tab.time_zone.itemText(0) == ""  # blank: the workstation's own zone
    assert tab.uln_model.rowCount() == 0
    qtmodeltester.check(tab.uln_model)


def test_saving_settings_stores_them(qtbot: QtBot, tab: SiteSettingsTab,
                                     site: SiteSettingsService,
                                     messages: RecordingMessages) -> None:
    retype(qtbot, tab.site_name, "Clinic North")
    retype(qtbot, tab.time_zone, "America/New_York")
    tab.paper_size.setCurrentText("Letter")
    retype(qtbot, tab.idle_lock, "30")
    retype(qtbot, tab.password_expiry, "90")
    retype(qtbot, tab.mrn_characters, "A-Z0-9")
    click(qtbot, tab.open_before_signature)
    click(qtbot, tab.save_button)

    assert errors(messages) == []
    values = site.values()
    assert (values.site_name, values.time_zone, values.paper_size, values.idle_lock_minutes,
            values.password_expiry_days, values.mrn_characters,
            values.open_before_signature) == (
        "Clinic North", "America/New_York", "Letter", 30, 90, "A-Z0-9", True)
    assert tab.status.text() == "Site settings saved."

    # Blanks are the defaults again: the workstation's zone, the default MRN rules.
    retype(qtbot, tab.time_zone, "")
    retype(qtbot, tab.mrn_characters, "")
    tab.password_expiry.setValue(0)
    click(qtbot, tab.save_button)
    values = site.values()
    assert (values.time_zone, values.mrn_characters, values.password_expiry_days) == (
        None, None, 0)
    assert values.site_name == "Clinic North"


def test_a_wrong_time_zone_shows_the_error_and_keeps_the_form(
        qtbot: QtBot, tab: SiteSettingsTab, site: SiteSettingsService,
        messages: RecordingMessages) -> None:
    retype(qtbot, tab.site_name, "Clinic North")
    retype(qtbot, tab.time_zone, "Mars/Olympus")
    retype(qtbot, tab.idle_lock, "20")
    click(qtbot, tab.save_button)

    assert errors(messages) == [("Site settings not saved", "Time zone: 'Mars/Olympus' is "
                                 "not a time zone name such as Europe/Berlin or "
                                 "America/New_York.")]
    assert tab.time_zone.currentText() == "Mars/Olympus"
    assert tab.site_name.text() == "Clinic North"
    assert tab.idle_lock.value() == 20
    assert tab.status.text() == ""
    values = site.values()  # nothing of the change is stored
    assert (values.site_name, values.time_zone, values.idle_lock_minutes) == ("", None, 15)


def test_the_form_shows_what_the_service_holds(
        site: SiteSettingsService, admin: Actor, open_tab: OpenTab) -> None:
    site.update(admin, site_name="Clinic South", time_zone="Europe/Berlin",
                paper_size="Letter", idle_lock_minutes=5, password_expiry_days=365,
                mrn_characters="0-9", open_before_signature=True)
    tab = open_tab()
    assert tab.typed() == {"site_name": "Clinic South", "time_zone": "Europe/Berlin",
                           "paper_size": "Letter", "idle_lock_minutes": 5,
                           "password_expiry_days": 365, "mrn_characters": "0-9",
                           "open_before_signature": True}


# -- the ULN table --------------------------------------------------------------------

def open_add_uln(qtbot: QtBot, tab: SiteSettingsTab) -> AddUlnDialog:
    click(qtbot, tab.add_uln_button)
    dialog = tab.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def uln_rows(tab: SiteSettingsTab) -> list[list[str]]:
    model = tab.uln_model
    return [[model.index(row, column).data() for column in range(model.columnCount())]
            for row in range(model.rowCount())]


def test_adding_a_uln_dated_later_leaves_earlier_results_uln_as_it_was(
        qtbot: QtBot, site: SiteSettingsService, admin: Actor, open_tab: OpenTab,
        messages: RecordingMessages) -> None:
    site.add_uln(admin, "ast", "40", "U/L", EARLIER, backdated_because="the site's table")
    tab = open_tab()
    today = date.today()
    later = today + timedelta(days=30)
    assert uln_rows(tab) == [["AST", "40", "U/L", "2020-01-01", "Ada Admin (admin)"]]

    dialog = open_add_uln(qtbot, tab)
    assert [dialog.code.itemData(i) for i in range(dialog.code.count())] == [
        "creatinine", "bilirubin_total", "bilirubin_direct", "ast", "alt", "inr", "aptt",
        "calcium", "calcium_ionized"]  # only the observations that carry a ULN
    assert dialog.effective_from.date() == QDate.currentDate().addDays(1)  # tomorrow
    assert dialog.note.text() == NOTE
    assert not dialog.reason.isEnabled()
    dialog.code.setCurrentIndex(dialog.code.findData("ast"))
    assert dialog.current.text() == "In force today: 40 U/L, from 2020-01-01."
    assert [dialog.unit.itemText(i) for i in range(dialog.unit.count())] == ["U/L"]
    qtbot.keyClicks(dialog.value, "35")
    dialog.effective_from.setDate(qdate(later))
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, dialog.ok_button)

    assert errors(messages) == []
    assert [m.kind for m in messages.messages] == []  # not backdated: nothing asked
    uln = site.values().uln
    assert uln.on("ast", EARLIER) == Fraction(40)
    assert uln.on("ast", today) == Fraction(40)
    assert uln.on("ast", later) == Fraction(35)
    assert uln_rows(tab) == [["AST", "40", "U/L", "2020-01-01", "Ada Admin (admin)"],
                             ["AST", "35", "U/L", later.isoformat(), "Ada Admin (admin)"]]
    standing = tab.uln_model.index(1, 3).data(Qt.ItemDataRole.ToolTipRole)
    assert standing.startswith("Not in force yet")
    assert tab.uln_model.in_force(0)
    assert not tab.uln_model.in_force(1)
    assert tab.uln_table.selectionModel().selectedRows()[0].row() == 1  # the new row
    assert tab.uln_status.text() == f"ULN of AST from {later.isoformat()} added."


def test_a_backdated_uln_needs_its_reason(qtbot: QtBot, tab: SiteSettingsTab,
                                          site: SiteSettingsService,
                                          messages: RecordingMessages) -> None:
    dialog = open_add_uln(qtbot, tab)
    dialog.code.setCurrentIndex(dialog.code.findData("creatinine"))
    dialog.unit.setCurrentText("umol/L")
    qtbot.keyClicks(dialog.value, "106")
    dialog.effective_from.setDate(QDate.currentDate())  # today: this morning's results too
    assert "already taken" in dialog.note.text()
    assert dialog.reason.isEnabled()
    click(qtbot, dialog.ok_button)
    [(title, text)] = errors(messages)
    assert title == "ULN not added"
    assert "give the reason for backdating it" in text
    assert dialog.isVisible()  # what was typed stays
    assert dialog.value.text() == "106"
    assert site.uln_rows() == []

    qtbot.keyClicks(dialog.reason, "the lab's new range, entered late")
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, dialog.ok_button)
    (row,) = site.uln_rows()
    assert (row.code, row.value, row.unit) == ("creatinine", "106", "umol/L")
    assert uln_rows(tab)[0][:3] == ["Serum creatinine", "106", "umol/L"]


def test_a_wrong_uln_is_refused_and_the_dialog_keeps_it(
        qtbot: QtBot, tab: SiteSettingsTab, site: SiteSettingsService,
        messages: RecordingMessages) -> None:
    dialog = open_add_uln(qtbot, tab)
    dialog.code.setCurrentIndex(dialog.code.findData("ast"))
    qtbot.keyClicks(dialog.value, "forty")
    click(qtbot, dialog.ok_button)
    assert errors(messages) == [("ULN not added", "ULN ast: 'forty' is not a number.")]
    assert dialog.isVisible()
    assert dialog.value.text() == "forty"
    assert site.uln_rows() == []
    assert tab.uln_model.rowCount() == 0


# -- the confirm thresholds -----------------------------------------------------------

def set_row(editor: ConfirmEditor, row: int, code: str, below: str, above: str,
            unit: str) -> None:
    chooser = editor.table.cellWidget(row, OBSERVATION)
    units = editor.table.cellWidget(row, UNIT)
    assert isinstance(chooser, QComboBox)
    assert isinstance(units, QComboBox)
    chooser.setCurrentIndex(chooser.findData(code))
    units.setCurrentText(unit)
    for column, value in ((BELOW, below), (ABOVE, above)):
        item = editor.table.item(row, column)
        assert isinstance(item, QTableWidgetItem)
        item.setText(value)


def shown(editor: ConfirmEditor) -> list[tuple[str, str, str, str]]:
    rows = []
    for row in range(editor.table.rowCount()):
        chooser = editor.table.cellWidget(row, OBSERVATION)
        units = editor.table.cellWidget(row, UNIT)
        assert isinstance(chooser, QComboBox)
        assert isinstance(units, QComboBox)
        below, above = (editor.table.item(row, c) for c in (BELOW, ABOVE))
        assert below is not None
        assert above is not None
        rows.append((chooser.currentText(), below.text(), above.text(), units.currentText()))
    return rows


def test_confirm_thresholds_round_trip(qtbot: QtBot, tab: SiteSettingsTab,
                                       site: SiteSettingsService, open_tab: OpenTab,
                                       messages: RecordingMessages) -> None:
    editor = tab.confirm
    assert "Serum creatinine below 0.2 mg/dL" in editor.note.text()
    click(qtbot, editor.add_button)
    set_row(editor, 0, "ast", "", "1000", "U/L")
    click(qtbot, editor.add_button)
    set_row(editor, 1, "creatinine", "17.68", "", "umol/L")
    click(qtbot, editor.save_button)

    assert errors(messages) == []
    assert site.values().confirm == {"creatinine": (Fraction("0.2"), None),
                                     "ast": (None, Fraction(1000))}
    # Shown back in the forms' order, in the first unit that writes each exactly.
    assert shown(editor) == [("Serum creatinine", "0.2", "", "mg/dL"),
                             ("AST", "", "1000", "U/L")]
    assert editor.status.text() == "Confirm thresholds saved."
    assert shown(open_tab().confirm) == shown(editor)

    # A row that cannot be written exactly in mg/dL comes back in umol/L as typed.
    set_row(editor, 0, "creatinine", "15", "", "umol/L")
    click(qtbot, editor.save_button)
    assert site.values().confirm["creatinine"] == (Fraction(15) / Fraction("88.4"), None)
    assert shown(editor)[0] == ("Serum creatinine", "15", "", "umol/L")

    editor.table.selectRow(1)
    click(qtbot, editor.remove_button)
    click(qtbot, editor.save_button)
    assert set(site.values().confirm) == {"creatinine"}


def test_a_wrong_threshold_is_refused_and_the_table_keeps_it(
        qtbot: QtBot, tab: SiteSettingsTab, site: SiteSettingsService,
        messages: RecordingMessages) -> None:
    editor = tab.confirm
    click(qtbot, editor.add_button)
    set_row(editor, 0, "ast", "", "lots", "U/L")
    click(qtbot, editor.save_button)
    assert errors(messages) == [("Confirm thresholds not saved", "Confirm thresholds: ast "
                                 "above 'lots' is not a number.")]
    assert shown(editor) == [("AST", "", "lots", "U/L")]
    assert site.values().confirm == {}

    click(qtbot, editor.add_button)
    set_row(editor, 1, "ast", "", "900", "U/L")
    click(qtbot, editor.save_button)
    assert errors(messages)[-1] == ("Confirm thresholds not saved",
                                    "AST is listed twice: keep one row.")
    assert editor.table.rowCount() == 2


# -- opening from the main window -----------------------------------------------------

def test_the_menu_opens_the_window_with_the_site_settings_tab(
        qtbot: QtBot, context: ScreeningContext, admin: Actor) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    context.actor = admin
    shown_window = open_admin_window(parent, context)
    assert shown_window is not None
    assert shown_window.site_tab is not None
    assert shown_window.tabs.tabText(2) == "&Site settings"
