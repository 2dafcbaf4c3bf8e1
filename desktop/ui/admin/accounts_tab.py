"""The "Accounts" tab: every account, and what an administrator does to one.

Each button hands the selected account to the accounts service and then reads the list
back from it: the service holds every rule (the last administrator stays, user ids are
never reused, a reset is not for your own password) and its refusal is shown word for
word. A button that cannot apply to the selection is disabled, its tooltip saying why.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.domain.accounts import Actor, Role
from desktop.services.accounts import AccountRow, AccountService, NewAccount
from desktop.ui.admin import admin_text as text
from desktop.ui.admin.account_dialogs import AccountDialog, OneTimePasswordDialog
from desktop.ui.admin.admin_dialog import attempt
from desktop.ui.admin.admin_models import AccountTableModel
from desktop.ui.admin.admin_table import AdminTable
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named, push_button

NO_SELECTION = "Select an account in the list first."


class AccountsTab(QWidget):
    """Emits ``changed`` after any account changed (names and roles show elsewhere)."""

    changed = Signal()

    def __init__(self, service: AccountService, actor: Actor, messages: MessageService,
                 rows: list[AccountRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._actor = actor
        self._messages = messages
        #: The open account dialog or one-time password, if any (tests look here).
        self.dialog: AccountDialog | None = None
        self.password_dialog: OneTimePasswordDialog | None = None

        self.model = AccountTableModel(self)
        self.model.set_rows(rows)
        self.table = AdminTable(self.model, "accounts", "Accounts", (110, 220, 260))
        self.new_button = push_button("&New account…", "new_account", self.new_account)
        self.new_button.setToolTip("Add an account with a one-time password.")
        self.edit_button = push_button("&Edit…", "edit_account", self.edit_selected)
        self.reset_button = push_button("&Reset password…", "reset_password",
                                         self.reset_selected)
        self.unlock_button = push_button("&Unlock", "unlock", self.unlock_selected)
        self.active_button = push_button("&Deactivate…", "set_active",
                                          self.toggle_selected)
        self.status = named(QLabel(), "accounts_status")
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.reset_button,
                       self.unlock_button, self.active_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_buttons())
        self.model.modelReset.connect(self.update_buttons)
        self.table.activated.connect(lambda _index: self.edit_selected())
        self.update_buttons()

    # -- the list -------------------------------------------------------------------

    def selected(self) -> AccountRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select(self, user_id: str) -> None:
        row = self.model.row_of(user_id)
        if row is not None:
            self.table.selectRow(row)

    def refresh(self, select: str | None = None) -> None:
        """Read every account again from the service, keeping (or moving) the selection."""
        current = self.selected()
        keep = select or (current.user_id if current else None)
        done, rows = attempt(self._messages, self, "Accounts not read",
                             lambda: self._service.accounts(self._actor))
        if done and rows is not None:
            self.model.set_rows(rows)
        if keep:
            self.select(keep)

    def update_buttons(self) -> None:
        """Enable what applies to the selected account; a disabled button says why."""
        row = self.selected()
        for button in (self.edit_button, self.reset_button, self.unlock_button,
                       self.active_button):
            button.setEnabled(row is not None)
            button.setToolTip(NO_SELECTION if row is None else "")
        self.active_button.setText("&Reactivate…" if row is not None and not row.active
                                   else "&Deactivate…")
        if row is None:
            return
        who = text.account_person(row)
        self.edit_button.setToolTip(f"Change the printed name or the roles of {who}.")
        self.reset_button.setToolTip(f"Give {who} a new one-time password (this also "
                                     "unlocks the account).")
        if row.locked:
            self.unlock_button.setToolTip(f"Let {who} try their password again.")
        else:
            self.unlock_button.setEnabled(False)
            self.unlock_button.setToolTip(f"{who} is not locked.")
        self.active_button.setToolTip(
            f"{who} can no longer log in; the account is kept." if row.active
            else f"{who} can log in again with their password.")

    def _done(self, message: str, user_id: str) -> None:
        self.status.setText(message)
        self.refresh(select=user_id)
        self.changed.emit()

    # -- the actions ----------------------------------------------------------------

    def new_account(self) -> None:
        if self.dialog is not None:
            return

        def create(user_id: str, full_name: str, roles: frozenset[Role]) -> NewAccount:
            return self._service.create_account(self._actor, user_id, full_name, roles)

        self._open(AccountDialog(self, self._messages, create))

    def edit_selected(self) -> None:
        row = self.selected()
        if row is None or self.dialog is not None:
            return

        def save(_user_id: str, full_name: str, roles: frozenset[Role]) -> AccountRow:
            return self._service.set_details(self._actor, row.user_id, full_name, roles)

        self._open(AccountDialog(self, self._messages, save, row))

    def _open(self, dialog: AccountDialog) -> None:
        self.dialog = dialog
        dialog.finished.connect(lambda _result: self._dialog_finished(dialog))
        dialog.open()

    def _dialog_finished(self, dialog: AccountDialog) -> None:
        self.dialog = None
        dialog.deleteLater()
        outcome = dialog.outcome
        if isinstance(outcome, NewAccount):
            self._done(f"Account {outcome.account.user_id} created.",
                       outcome.account.user_id)
            self.show_password(outcome, reset=False)
        elif isinstance(outcome, AccountRow):
            self._done(f"Account {outcome.user_id} changed.", outcome.user_id)

    def show_password(self, made: NewAccount, *, reset: bool) -> None:
        dialog = OneTimePasswordDialog(made, self, reset=reset)
        self.password_dialog = dialog
        dialog.finished.connect(lambda _result: self._password_closed(dialog))
        dialog.open()

    def _password_closed(self, dialog: OneTimePasswordDialog) -> None:
        if self.password_dialog is dialog:
            self.password_dialog = None
        dialog.deleteLater()

    def reset_selected(self) -> None:
        row = self.selected()
        if row is None:
            return
        who = text.account_person(row)
        if not self._messages.confirm(
                self, "Reset password",
                f"Reset the password of {who}? Their current password stops working at "
                "once; you will be shown a one-time password to hand them, which they must "
                "change at their next login.", "Reset password"):
            return
        done, made = attempt(self._messages, self, "Password not reset",
                             lambda: self._service.reset_password(self._actor, row.user_id))
        if done and made is not None:
            self._done(f"Password of {row.user_id} reset.", row.user_id)
            self.show_password(made, reset=True)

    def unlock_selected(self) -> None:
        row = self.selected()
        if row is None:
            return
        done, _ = attempt(self._messages, self, "Account not unlocked",
                          lambda: self._service.unlock(self._actor, row.user_id))
        if done:
            self._done(f"Account {row.user_id} unlocked.", row.user_id)

    def toggle_selected(self) -> None:
        row = self.selected()
        if row is None:
            return
        who = text.account_person(row)
        activate = not row.active
        if activate:
            title, action, failed = "Reactivate account", "Reactivate", "Account not reactivated"
            question = (f"Reactivate {who}? They can log in again with their password "
                        "(reset it if they have forgotten it).")
        else:
            title, action, failed = "Deactivate account", "Deactivate", "Account not deactivated"
            question = (f"Deactivate {who}? They can no longer log in. Accounts are never "
                        "deleted and user ids are never reused: everything they recorded "
                        "keeps their name, and the account can be reactivated later.")
        if not self._messages.confirm(self, title, question, action):
            return
        done, _ = attempt(self._messages, self, failed,
                          lambda: self._service.set_active(self._actor, row.user_id,
                                                           activate))
        if done:
            self._done(f"Account {row.user_id} {'reactivated' if activate else 'deactivated'}.",
                       row.user_id)
