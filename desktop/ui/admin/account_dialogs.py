"""The account dialogs: a new account or its details, and the one-time password shown once.

``AccountDialog`` collects a user id, the full printed name and the roles and hands them
to the accounts service (``save``), which holds every rule: what a user id may be, that
it was never used before, that the last administrator keeps the role. A refusal leaves
the dialog open with what was typed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.accounts import Role
from desktop.services.accounts import AccountRow, NewAccount
from desktop.ui.admin.admin_dialog import ServiceDialog
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named

#: (user id, full name, roles) -> what the service returned.
SaveAccount = Callable[[str, str, frozenset[Role]], object]


class AccountDialog(ServiceDialog[object]):
    """A new account (``account`` None: the user id is typed) or an account's details."""

    def __init__(self, parent: QWidget | None, messages: MessageService, save: SaveAccount,
                 account: AccountRow | None = None) -> None:
        new = account is None
        super().__init__(
            parent, messages,
            title="New account" if account is None else f"Edit account — {account.user_id}",
            intro=("A new account logs in first with a one-time password, shown once "
                   "you create it." if new else
                   "The name is printed on what this user signs from now on; what they "
                   "signed before keeps the name it was signed with."),
            ok_text="Create account" if new else "Save",
            failed="Account not created" if new else "Account not changed")
        self._save = save
        self.user_id = named(QLineEdit(), "user_id")
        self.user_id.setPlaceholderText("e.g. jsmith (lower-case; never reused)")
        self.full_name = named(QLineEdit(), "full_name")
        self.full_name.setPlaceholderText("as printed on signed worksheets")
        self.roles: dict[Role, QCheckBox] = {
            role: named(QCheckBox(role.label), f"role_{role.value}") for role in Role}
        boxes = QVBoxLayout()
        boxes.setSpacing(4)
        for box in self.roles.values():
            boxes.addWidget(box)
        self.form.addRow("&User id", self.user_id)
        self.form.addRow("Full printed &name", self.full_name)
        self.form.addRow("Roles", boxes)
        if account is not None:
            self.user_id.setText(account.user_id)
            self.user_id.setReadOnly(True)
            self.user_id.setToolTip("User ids never change.")
            self.full_name.setText(account.full_name)
            for role, box in self.roles.items():
                box.setChecked(role in account.roles)
            self.full_name.setFocus()

    def chosen_roles(self) -> frozenset[Role]:
        return frozenset(role for role, box in self.roles.items() if box.isChecked())

    def save(self) -> object:
        return self._save(self.user_id.text(), self.full_name.text(), self.chosen_roles())


class OneTimePasswordDialog(QDialog):
    """Shows a one-time password once, with what the person handing it over must say."""

    def __init__(self, made: NewAccount, parent: QWidget | None = None, *,
                 reset: bool = False) -> None:
        super().__init__(parent)
        account = made.account
        who = f"{account.full_name} ({account.user_id})"
        self.setWindowTitle(f"One-time password — {account.user_id}")
        self.setModal(True)
        heading = named(QLabel(
            (f"The password of {who} was reset." if reset else f"The account {who} was "
             "created.") + " Hand this one-time password to them in person:"), "heading")
        heading.setWordWrap(True)
        self.password = named(QLabel(made.one_time_password), "one_time_password")
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.password.setFont(font)
        self.password.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.password.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.password.setAccessibleName("One-time password")
        self.note = named(QLabel(
            "It is shown only now and cannot be read again (reset the password to get a "
            "new one). It works for the first login only: they must change it then, and "
            "until they have, they cannot sign anything."), "note")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Handed over")
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addSpacing(8)
        layout.addWidget(self.password)
        layout.addSpacing(8)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)
