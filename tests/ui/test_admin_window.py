"""The administration window: accounts and the delegation log, as an administrator uses them.

Every action goes through the real accounts and delegation services on the test's
registry; the tests check what the administrator reads (rows, one-time passwords,
refusals) and what the services then hold (who can log in, who may sign).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QCheckBox, QFileDialog, QPushButton, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor, Role
from desktop.registry.database import Registry
from desktop.services.accounts import AccountService, LoginRefused, NotPermitted
from desktop.services.delegations import DelegationService
from desktop.services.logs import LogService
from desktop.services.passwords import fast_hasher
from desktop.ui.admin.account_dialogs import AccountDialog, OneTimePasswordDialog
from desktop.ui.admin.admin_window import AdminWindow
from desktop.ui.admin.delegation_dialogs import AddDelegationDialog, RevokeDialog
from desktop.ui.admin.delegations_tab import DelegationsTab
from desktop.ui.admin.opening import open_admin_window, trial_choices
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages

TRIALS = [
    ("NCT06138587", "Preemptive CIML NK Cell Therapy After Hematopoietic Stem Cell "
                    "Transplantation"),
    ("NCT07011004", "A Study of Natural Killer Cells in Combination With Atezolizumab in "
                    "People With Acute Myelogenous Leukemia"),
]
ONE_TIME = re.compile(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}")
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d"
IVY_PASSWORD = "ivy's own password"
OpenWindow = Callable[[], AdminWindow]


@pytest.fixture
def accounts(registry: Registry) -> AccountService:
    return AccountService(registry, hasher=fast_hasher())


@pytest.fixture
def delegations(registry: Registry) -> DelegationService:
    return DelegationService(registry)


@pytest.fixture
def admin(accounts: AccountService) -> Actor:
    return accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor


def add_account(accounts: AccountService, admin: Actor, user_id: str, name: str,
                *roles: Role) -> str:
    """An account made through the service, its own password already set; the password."""
    made = accounts.create_account(admin, user_id, name, frozenset(roles))
    first = accounts.login(user_id, made.one_time_password)
    accounts.change_password(first, made.one_time_password, IVY_PASSWORD)
    return IVY_PASSWORD


@pytest.fixture
def ivy(accounts: AccountService, admin: Actor) -> str:
    """An active investigator with her own password."""
    add_account(accounts, admin, "ivy", "Ivy Investigator", Role.INVESTIGATOR)
    return "ivy"


@pytest.fixture
def open_window(qtbot: QtBot, accounts: AccountService, delegations: DelegationService,
                admin: Actor, messages: RecordingMessages, registry: Registry) -> OpenWindow:
    """Builds the window, shown, as the admin (after the test's own setup)."""

    def build() -> AdminWindow:
        window = AdminWindow(accounts, delegations, admin, TRIALS, messages,
                             logs=LogService(registry, admin))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return build


@pytest.fixture
def window(open_window: OpenWindow) -> AdminWindow:
    return open_window()


def click(qtbot: QtBot, button: QPushButton) -> None:
    assert button.isEnabled(), button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def toggle(qtbot: QtBot, box: QCheckBox) -> None:
    """Tick or untick a box from the keyboard (Space), as a user tabbing through would."""
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)


def row_texts(window: AdminWindow, user_id: str) -> list[str]:
    model = window.accounts_tab.model
    row = model.row_of(user_id)
    assert row is not None, f"{user_id} is not listed"
    return [model.index(row, column).data() for column in range(model.columnCount())]


def select(window: AdminWindow, user_id: str) -> None:
    row = window.accounts_tab.model.row_of(user_id)
    assert row is not None
    window.accounts_tab.table.selectRow(row)


def open_new_account(qtbot: QtBot, window: AdminWindow) -> AccountDialog:
    click(qtbot, window.accounts_tab.new_button)
    dialog = window.accounts_tab.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def fill(qtbot: QtBot, dialog: AccountDialog, user_id: str, name: str, *roles: Role) -> None:
    dialog.user_id.clear()
    qtbot.keyClicks(dialog.user_id, user_id)
    dialog.full_name.clear()
    qtbot.keyClicks(dialog.full_name, name)
    for role in roles:
        toggle(qtbot, dialog.roles[role])


def shown_password(qtbot: QtBot, window: AdminWindow) -> OneTimePasswordDialog:
    shown = window.accounts_tab.password_dialog
    assert shown is not None
    qtbot.waitExposed(shown)
    return shown


def errors(messages: RecordingMessages) -> list[tuple[str, str]]:
    return [(m.title, m.text) for m in messages.messages if m.kind == "error"]


# -- the window ---------------------------------------------------------------------

def test_only_an_administrator_can_open_the_window(
        accounts: AccountService, delegations: DelegationService, admin: Actor,
        messages: RecordingMessages, registry: Registry) -> None:
    add_account(accounts, admin, "cody", "Cody Coordinator", Role.COORDINATOR,
                Role.INVESTIGATOR)
    cody = accounts.login("cody", IVY_PASSWORD)
    with pytest.raises(NotPermitted, match="may not manage accounts"):
        AdminWindow(accounts, delegations, cody, TRIALS, messages,
                    logs=LogService(registry, cody))
    # An admin still on a one-time password must change it first.
    one_time = Actor("admin", "Ada Admin", frozenset({Role.ADMIN}), one_time=True)
    with pytest.raises(NotPermitted, match="one-time password"):
        AdminWindow(accounts, delegations, one_time, TRIALS, messages,
                    logs=LogService(registry, one_time))


def test_window_lists_accounts_and_models_are_sound(
        window: AdminWindow, ivy: str, qtmodeltester: ModelTester) -> None:
    window.accounts_tab.refresh()
    assert window.windowTitle() == "Administration — NK Screen"
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "&Accounts", "&Delegation log"]
    assert row_texts(window, "admin") == ["admin", "Ada Admin", "Administrator", "active"]
    assert row_texts(window, "ivy") == ["ivy", "Ivy Investigator", "Investigator", "active"]
    qtmodeltester.check(window.accounts_tab.model)
    qtmodeltester.check(window.delegations_tab.model)


def test_buttons_that_need_an_account_say_so_until_one_is_selected(
        window: AdminWindow) -> None:
    tab = window.accounts_tab
    tab.table.clearSelection()
    for button in (tab.edit_button, tab.reset_button, tab.unlock_button, tab.active_button):
        assert not button.isEnabled()
        assert button.toolTip() == "Select an account in the list first."
    assert tab.new_button.isEnabled()
    select(window, "admin")
    assert tab.edit_button.isEnabled()
    assert tab.active_button.isEnabled()
    assert not tab.unlock_button.isEnabled()
    assert tab.unlock_button.toolTip() == "Ada Admin (admin) is not locked."


# -- accounts -------------------------------------------------------------------------

def test_new_account_shows_its_one_time_password_once_and_is_listed(
        qtbot: QtBot, window: AdminWindow, accounts: AccountService) -> None:
    dialog = open_new_account(qtbot, window)
    fill(qtbot, dialog, "ivy", "Ivy Investigator", Role.INVESTIGATOR)
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, dialog.ok_button)

    shown = shown_password(qtbot, window)
    password = shown.password.text()
    assert ONE_TIME.fullmatch(password)
    assert "Ivy Investigator (ivy)" in shown.findChild(QWidget, "heading").text()
    assert "hand" in shown.findChild(QWidget, "heading").text().lower()
    note = shown.note.text()
    assert "must change it" in note
    assert "cannot sign" in note
    assert "shown only now" in note
    assert row_texts(window, "ivy") == ["ivy", "Ivy Investigator", "Investigator",
                                        "must change password"]
    selected = window.accounts_tab.selected()
    assert selected is not None
    assert selected.user_id == "ivy"
    # The password shown is the one that works, and only to change it.
    first = accounts.login("ivy", password)
    assert first.one_time
    assert first.roles == frozenset({Role.INVESTIGATOR})

    with qtbot.waitSignal(shown.finished):
        shown.accept()
    assert window.accounts_tab.password_dialog is None


def test_a_taken_user_id_is_refused_and_the_dialog_keeps_what_was_typed(
        qtbot: QtBot, window: AdminWindow, ivy: str, accounts: AccountService,
        admin: Actor, messages: RecordingMessages) -> None:
    dialog = open_new_account(qtbot, window)
    fill(qtbot, dialog, "ivy", "Ivo Second", Role.COORDINATOR, Role.MONITOR)
    click(qtbot, dialog.ok_button)

    assert errors(messages) == [("Account not created", "The user id 'ivy' is taken (user "
                                 "ids are never reused, even after an account is "
                                 "deactivated).")]
    assert window.accounts_tab.dialog is dialog
    assert dialog.isVisible()
    assert dialog.user_id.text() == "ivy"
    assert dialog.full_name.text() == "Ivo Second"
    assert dialog.chosen_roles() == frozenset({Role.COORDINATOR, Role.MONITOR})
    assert window.accounts_tab.password_dialog is None
    assert [a.full_name for a in accounts.accounts(admin) if a.user_id == "ivy"] == [
        "Ivy Investigator"]

    # Only the user id needs changing: the rest was kept.
    dialog.user_id.clear()
    qtbot.keyClicks(dialog.user_id, "ivo")
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, dialog.ok_button)
    assert row_texts(window, "ivo") == ["ivo", "Ivo Second",
                                        "Coordinator, Monitor / auditor (read-only)",
                                        "must change password"]


def test_a_new_account_without_a_role_is_refused(
        qtbot: QtBot, window: AdminWindow, messages: RecordingMessages) -> None:
    dialog = open_new_account(qtbot, window)
    fill(qtbot, dialog, "nora", "Nora Noroles")
    click(qtbot, dialog.ok_button)
    assert errors(messages) == [("Account not created", "Choose at least one role.")]
    assert dialog.isVisible()
    assert window.accounts_tab.model.row_of("nora") is None


def test_edit_changes_name_and_roles_everywhere_they_show(
        qtbot: QtBot, window: AdminWindow, ivy: str, delegations: DelegationService,
        admin: Actor) -> None:
    delegations.add(admin, "ivy", TRIALS[0][0], date(2026, 1, 5), None)
    window.accounts_tab.refresh()
    window.delegations_tab.refresh()
    select(window, "ivy")
    click(qtbot, window.accounts_tab.edit_button)
    dialog = window.accounts_tab.dialog
    assert dialog is not None
    assert dialog.user_id.isReadOnly()
    assert dialog.full_name.text() == "Ivy Investigator"
    dialog.full_name.clear()
    qtbot.keyClicks(dialog.full_name, "Ivy Ivanova")
    toggle(qtbot, dialog.roles[Role.COORDINATOR])
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, dialog.ok_button)

    assert row_texts(window, "ivy")[1:3] == ["Ivy Ivanova", "Coordinator, Investigator"]
    log = window.delegations_tab.model
    assert log.index(0, 1).data() == "Ivy Ivanova (ivy)"


def test_the_last_administrator_keeps_the_role(
        qtbot: QtBot, window: AdminWindow, messages: RecordingMessages) -> None:
    select(window, "admin")
    click(qtbot, window.accounts_tab.edit_button)
    dialog = window.accounts_tab.dialog
    assert dialog is not None
    toggle(qtbot, dialog.roles[Role.ADMIN])
    toggle(qtbot, dialog.roles[Role.MONITOR])
    click(qtbot, dialog.ok_button)
    assert errors(messages) == [("Account not changed", "This is the last active "
                                 "administrator: make another account an administrator "
                                 "first.")]
    assert dialog.isVisible()
    assert dialog.chosen_roles() == frozenset({Role.MONITOR})
    assert row_texts(window, "admin")[2] == "Administrator"


def test_reset_password_shows_a_new_one_time_password(
        qtbot: QtBot, window: AdminWindow, ivy: str, accounts: AccountService,
        messages: RecordingMessages) -> None:
    window.accounts_tab.refresh()
    assert row_texts(window, "ivy")[3] == "active"
    select(window, "ivy")
    click(qtbot, window.accounts_tab.reset_button)

    (asked,) = messages.messages
    assert asked.kind == "confirm"
    assert asked.title == "Reset password"
    assert "Ivy Investigator (ivy)" in asked.text
    assert "stops working" in asked.text
    shown = shown_password(qtbot, window)
    assert "was reset" in shown.findChild(QWidget, "heading").text()
    password = shown.password.text()
    assert ONE_TIME.fullmatch(password)
    assert row_texts(window, "ivy")[3] == "must change password"
    with pytest.raises(LoginRefused):
        accounts.login("ivy", IVY_PASSWORD)
    assert accounts.login("ivy", password).one_time


def test_reset_password_answered_no_changes_nothing(
        qtbot: QtBot, window: AdminWindow, ivy: str, accounts: AccountService,
        messages: RecordingMessages) -> None:
    messages.answer = False
    window.accounts_tab.refresh()
    select(window, "ivy")
    click(qtbot, window.accounts_tab.reset_button)
    assert window.accounts_tab.password_dialog is None
    assert not accounts.login("ivy", IVY_PASSWORD).one_time


def test_resetting_your_own_password_is_refused_by_the_service(
        qtbot: QtBot, window: AdminWindow, messages: RecordingMessages) -> None:
    select(window, "admin")
    click(qtbot, window.accounts_tab.reset_button)
    assert errors(messages) == [("Password not reset", "Change your own password from the "
                                 "account menu; an administrator resets other users' "
                                 "passwords.")]
    assert window.accounts_tab.password_dialog is None


def test_a_locked_account_is_shown_and_unlock_lets_them_in_again(
        qtbot: QtBot, open_window: OpenWindow, ivy: str, accounts: AccountService) -> None:
    for _attempt in range(5):
        with pytest.raises(LoginRefused):
            accounts.login("ivy", "not the password")
    window = open_window()
    assert row_texts(window, "ivy")[3] == "locked after failed logins"
    status = window.accounts_tab.model.index(window.accounts_tab.model.row_of("ivy"), 3)
    assert "5 failed logins" in status.data(Qt.ItemDataRole.ToolTipRole)
    with pytest.raises(LoginRefused, match="locked"):
        accounts.login("ivy", IVY_PASSWORD)

    select(window, "ivy")
    tab = window.accounts_tab
    click(qtbot, tab.unlock_button)

    assert row_texts(window, "ivy")[3] == "active"
    assert not tab.unlock_button.isEnabled()
    assert tab.unlock_button.toolTip() == "Ivy Investigator (ivy) is not locked."
    assert tab.status.text() == "Account ivy unlocked."
    assert accounts.login("ivy", IVY_PASSWORD).user_id == "ivy"


def test_deactivating_the_last_administrator_shows_the_services_refusal(
        qtbot: QtBot, window: AdminWindow, messages: RecordingMessages,
        accounts: AccountService, admin: Actor) -> None:
    select(window, "admin")
    assert window.accounts_tab.active_button.text() == "&Deactivate…"
    click(qtbot, window.accounts_tab.active_button)

    asked = messages.messages[0]
    assert asked.kind == "confirm"
    assert "never deleted" in asked.text
    assert "never reused" in asked.text
    assert errors(messages) == [("Account not deactivated", "This is the last active "
                                 "administrator: make another account an administrator "
                                 "first.")]
    assert row_texts(window, "admin")[3] == "active"
    assert all(a.active for a in accounts.accounts(admin))


def test_deactivate_then_reactivate_an_account(
        qtbot: QtBot, window: AdminWindow, ivy: str, accounts: AccountService) -> None:
    window.accounts_tab.refresh()
    select(window, "ivy")
    tab = window.accounts_tab
    click(qtbot, tab.active_button)
    assert row_texts(window, "ivy")[3] == "deactivated"
    assert tab.active_button.text() == "&Reactivate…"
    with pytest.raises(LoginRefused, match="deactivated"):
        accounts.login("ivy", IVY_PASSWORD)

    click(qtbot, tab.active_button)
    assert row_texts(window, "ivy")[3] == "active"
    assert accounts.login("ivy", IVY_PASSWORD).user_id == "ivy"


# -- the delegation log -----------------------------------------------------------------

def open_add(qtbot: QtBot, window: AdminWindow) -> AddDelegationDialog:
    window.tabs.setCurrentWidget(window.delegations_tab)
    click(qtbot, window.delegations_tab.add_button)
    dialog = window.delegations_tab.dialog
    assert isinstance(dialog, AddDelegationDialog)
    qtbot.waitExposed(dialog)
    return dialog


def log_row(window: AdminWindow, row: int = 0) -> list[str]:
    model = window.delegations_tab.model
    return [model.index(row, column).data() for column in range(model.columnCount())]


def test_add_a_delegation_then_revoke_it(
        qtbot: QtBot, window: AdminWindow, ivy: str, accounts: AccountService,
        delegations: DelegationService, admin: Actor, messages: RecordingMessages) -> None:
    add_account(accounts, admin, "cody", "Cody Coordinator", Role.COORDINATOR)
    add_account(accounts, admin, "olaf", "Olaf Old", Role.INVESTIGATOR)
    accounts.set_active(admin, "olaf", False)

    dialog = open_add(qtbot, window)
    offered = [dialog.investigator.itemText(i) for i in range(dialog.investigator.count())]
    assert offered == ["Ivy Investigator (ivy)"]  # active investigators only
    trials = [dialog.trial.itemText(i) for i in range(dialog.trial.count())]
    assert trials == [f"{nct} — {title}" for nct, title in TRIALS]
    assert dialog.start.date() == QDate.currentDate()
    assert dialog.open_ended.isChecked()
    assert not dialog.end.isEnabled()
    dialog.trial.setCurrentIndex(1)
    dialog.start.setDate(QDate(2026, 3, 2))
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, dialog.ok_button)

    row = log_row(window)
    assert row[:6] == ["1", "Ivy Investigator (ivy)", "NCT07011004", "Investigator",
                           "2026-03-02", "open-ended"]
    assert re.fullmatch(rf"Ada Admin \(admin\), {STAMP}", row[6])
    assert row[7] == ""
    assert delegations.in_force("ivy", "NCT07011004", date(2030, 1, 1))
    assert window.delegations_tab.status.text() == "Line 1 added to the log."

    tab = window.delegations_tab
    assert tab.selected() is not None  # the new line is selected
    click(qtbot, tab.revoke_button)
    revoke = tab.dialog
    assert isinstance(revoke, RevokeDialog)
    assert "Line 1: Ivy Investigator (ivy) for NCT07011004" in revoke.intro.text()
    click(qtbot, revoke.ok_button)  # no reason yet
    assert errors(messages) == [("Delegation not revoked",
                                 "Say why the delegation is revoked.")]
    assert revoke.isVisible()
    qtbot.keyClicks(revoke.reason, "Left the site")
    with qtbot.waitSignal(revoke.finished):
        click(qtbot, revoke.ok_button)

    assert re.fullmatch(rf"Ada Admin \(admin\), {STAMP} — Left the site", log_row(window)[7])
    assert not delegations.in_force("ivy", "NCT07011004", date(2030, 1, 1))
    assert not tab.revoke_button.isEnabled()
    assert tab.revoke_button.toolTip() == "Line 1 is revoked already."


def test_a_delegation_ending_before_it_starts_is_refused_and_kept_in_the_dialog(
        qtbot: QtBot, window: AdminWindow, ivy: str, delegations: DelegationService,
        admin: Actor, messages: RecordingMessages) -> None:
    dialog = open_add(qtbot, window)
    dialog.start.setDate(QDate(2026, 3, 2))
    toggle(qtbot, dialog.open_ended)
    assert dialog.end.isEnabled()
    dialog.end.setDate(QDate(2026, 3, 1))
    click(qtbot, dialog.ok_button)

    assert errors(messages) == [("Delegation not added", "The delegation ends before it "
                                 "starts.")]
    assert dialog.isVisible()
    assert dialog.until() == date(2026, 3, 1)
    assert delegations.lines(admin) == []
    dialog.end.setDate(QDate(2026, 6, 30))
    with qtbot.waitSignal(dialog.finished):
        click(qtbot, dialog.ok_button)
    assert log_row(window)[4:6] == ["2026-03-02", "2026-06-30"]


def test_with_no_investigator_the_dialog_says_what_to_do(
        qtbot: QtBot, window: AdminWindow) -> None:
    dialog = open_add(qtbot, window)
    assert not dialog.ok_button.isEnabled()
    assert "investigator role" in dialog.ok_button.toolTip()
    assert dialog.empty_note.isVisible()


def wait_export(qtbot: QtBot, window: AdminWindow) -> None:
    qtbot.waitUntil(lambda: not window.delegations_tab.export.running, timeout=30_000)


def test_export_csv_writes_the_log_for_a_spreadsheet(
        qtbot: QtBot, window: AdminWindow, accounts: AccountService,
        delegations: DelegationService, admin: Actor, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, registry: Registry) -> None:
    add_account(accounts, admin, "asa", "Åsa Öberg", Role.INVESTIGATOR)
    delegations.add(admin, "asa", TRIALS[0][0], date(2026, 1, 5), date(2026, 12, 31),
                    "Sub-investigator")
    target = tmp_path / "log.csv"
    asked: list[tuple[str, str]] = []

    def save_as(parent: QWidget, caption: str, suggested: str,
                filters: str) -> tuple[str, str]:
        asked.append((suggested, filters))
        return str(target), "CSV files (*.csv)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    window.tabs.setCurrentWidget(window.delegations_tab)
    click(qtbot, window.delegations_tab.export_button)
    wait_export(qtbot, window)

    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: a spreadsheet reads UTF-8
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("Line,User id,Name,Trial,Duty,From,Until,")
    assert lines[1].startswith("1,asa,Åsa Öberg,NCT06138587,Sub-investigator,2026-01-05,"
                               "2026-12-31,admin,")
    [(suggested, filters)] = asked
    assert suggested.endswith(".pdf")
    assert filters == "PDF files (*.pdf);;CSV files (*.csv)"
    status = window.delegations_tab.status.text()
    assert status.startswith("Delegation log DL-")
    assert status.endswith(f"(1 line) exported to {target}.")
    with registry.read() as conn:
        actions = [row[0] for row in conn.execute("SELECT action FROM audit_event")]
    assert actions.count("delegation_log.export") == 1


def test_export_pdf_writes_the_log_for_the_site_binder(
        qtbot: QtBot, window: AdminWindow, accounts: AccountService,
        delegations: DelegationService, admin: Actor, tmp_path: Path,
        registry: Registry) -> None:
    add_account(accounts, admin, "asa", "Åsa Öberg", Role.INVESTIGATOR)
    delegations.add(admin, "asa", TRIALS[0][0], date(2026, 1, 5), None, "Sub-investigator")
    target = tmp_path / "log.pdf"
    tab = window.delegations_tab
    tab.choose_path = lambda _parent, _suggested: str(target)
    click(qtbot, tab.export_button)
    wait_export(qtbot, window)
    assert target.read_bytes().startswith(b"%PDF")
    text = " ".join((page.extract_text() or "") for page in PdfReader(target).pages)
    assert "Delegation of authority log" in text
    assert "NCT06138587" in text
    with registry.read() as conn:
        actions = [row[0] for row in conn.execute("SELECT action FROM audit_event")]
    assert "delegation_log.export" in actions


def test_a_role_without_export_sees_the_export_disabled(
        qtbot: QtBot, accounts: AccountService, delegations: DelegationService,
        registry: Registry, messages: RecordingMessages) -> None:
    nobody = Actor("nemo", "Nemo Nobody", frozenset())
    tab = DelegationsTab(delegations, accounts, nobody, TRIALS, messages,
                         logs=LogService(registry, nobody))
    qtbot.addWidget(tab)
    assert not tab.export_button.isEnabled()
    assert tab.export_button.toolTip() == ("Logged in as no role: you may not export "
                                           "worksheets and logs.")
    tab.choose_path = lambda _parent, _suggested: pytest.fail("not asked")
    assert tab.export_log() is False


def test_export_cancelled_writes_nothing(
        qtbot: QtBot, window: AdminWindow, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: ("", ""))
    click(qtbot, window.delegations_tab.export_button)
    assert not window.delegations_tab.export.running
    assert list(tmp_path.glob("*.csv")) == []
    assert list(tmp_path.glob("*.pdf")) == []
    assert window.delegations_tab.status.text() == ""


def test_export_to_an_unwritable_place_says_so(
        qtbot: QtBot, window: AdminWindow, tmp_path: Path, messages: RecordingMessages,
        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "missing folder" / "log.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), ""))
    click(qtbot, window.delegations_tab.export_button)
    wait_export(qtbot, window)
    ((title, text),) = errors(messages)
    assert title == "Delegation log not exported"
    assert str(target) in text
    assert "could not be written" in text


# -- opening from the main window -----------------------------------------------------

def test_opening_from_the_menu_builds_one_window_for_an_administrator(
        qtbot: QtBot, context: ScreeningContext, admin: Actor) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    context.actor = admin  # the session's actor, set at login
    shown = open_admin_window(parent, context)
    assert shown is not None
    assert shown.isVisible()
    assert shown.windowTitle() == "Administration — NK Screen"
    # The trial chooser offers the installation's library, each with its title.
    offered = dict(trial_choices(context))
    assert offered == {trial_id: trial.title for trial_id, trial in context.trials.items()}
    parent.admin_window = shown  # as the main window keeps it
    assert open_admin_window(parent, context) is shown


def test_opening_for_a_non_administrator_shows_the_refusal(
        qtbot: QtBot, context: ScreeningContext, accounts: AccountService, admin: Actor,
        messages: RecordingMessages) -> None:
    add_account(accounts, admin, "mona", "Mona Monitor", Role.MONITOR)
    parent = QWidget()
    qtbot.addWidget(parent)
    context.actor = accounts.login("mona", IVY_PASSWORD)
    assert open_admin_window(parent, context) is None
    assert errors(messages) == [("Administration not opened", "Mona Monitor (Monitor / "
                                 "auditor (read-only)) may not manage accounts, delegations "
                                 "and site settings.")]
