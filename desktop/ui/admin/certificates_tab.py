"""The "Certificates" tab: each account's signing certificate, issuing the pending ones,
giving the site CA to another administrator, making a new CA when nobody can unlock the
current one, and the site CA certificate exported for the binder and sponsors.

The keys service holds every rule (only an admin holding the site CA issues, with their
password; a one-time password never gets a key); its refusal is shown word for word.
Issuing asks the admin's password (``ask_password``) and exporting where to save
(``save_file``): both injectable, so tests need no dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.accounts import Actor
from desktop.services.keys import CertificateState, KeyService
from desktop.ui.admin.admin_dialog import attempt
from desktop.ui.admin.admin_table import AdminTable
from desktop.ui.common.messages import MessageService
from desktop.ui.common.row_model import RowTableModel
from desktop.ui.common.widgets import named, push_button

AskPassword = Callable[[QWidget, str], str | None]
SaveFile = Callable[[QWidget], str | None]

STATE_WORDS: Final = {
    "issued": "Issued by the site CA",
    "imported": "Imported (institution's certificate)",
    "pending": "Pending: an administrator issues it",
    "retired": "Retired after a password reset: a new key comes with their own password",
    "none": "No key yet: one is made when they set their own password",
}
PEM_FILTER = "PEM certificates (*.pem *.crt);;All files (*)"
NEW_CA_HELP: Final = (
    "No administrator can unlock the current CA any more (each one's password was reset "
    "or recovered): make a new one. The old CA is kept: what was signed under it still "
    "verifies; the binder needs the new CA certificate too.")


def _ask_password(parent: QWidget, prompt: str) -> str | None:
    text, ok = QInputDialog.getText(parent, "Your password", prompt,
                                    QLineEdit.EchoMode.Password)
    return text if ok and text else None


def _save_file(parent: QWidget) -> str | None:
    name, _ = QFileDialog.getSaveFileName(parent, "Export the site CA certificate",
                                          "site-ca.pem", PEM_FILTER)
    return name or None


class CertificateTableModel(RowTableModel[CertificateState]):
    HEADERS = ("User id", "Name", "Certificate", "Issuer", "Valid until", "Holds the CA")

    def cell(self, value: CertificateState, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            until = "" if value.not_after is None else f"{value.not_after:%Y-%m-%d}"
            return (value.user_id, value.full_name, STATE_WORDS.get(value.state, value.state),
                    value.issuer, until, "yes" if value.holds_ca else "")[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 2 and value.subject:
            return f"{value.subject}\nserial {value.serial}"
        return None


class CertificatesTab(QWidget):
    def __init__(self, service: KeyService, actor: Actor, messages: MessageService,
                 parent: QWidget | None = None, *, ask_password: AskPassword = _ask_password,
                 save_file: SaveFile = _save_file) -> None:
        super().__init__(parent)
        self._service = service
        self._actor = actor
        self._messages = messages
        self._ask_password, self._save_file = ask_password, save_file
        self.model = CertificateTableModel(self)
        self.table = AdminTable(self.model, "certificates", "Certificates",
                                (110, 200, 260, 200, 90))
        self.issue_button = push_button("&Issue certificate…", "issue_certificate",
                                        self.issue_selected)
        self.grant_button = push_button("&Give the CA to this administrator…", "grant_ca",
                                        self.grant_selected)
        self.new_ca_button = push_button("Make a &new site CA…", "new_ca", self.make_new_ca)
        self.export_button = push_button("E&xport site CA certificate…", "export_ca",
                                         self.export_ca)
        self.export_button.setToolTip("Save the site CA certificate (PEM) for the binder "
                                      "and sponsors: with it anyone checks the worksheets' "
                                      "signatures.")
        self.fingerprint = named(QLabel(), "ca_fingerprint")
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = named(QLabel(), "certificates_status")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.issue_button, self.grant_button, self.new_ca_button,
                       self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.fingerprint)
        layout.addWidget(self.status)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_buttons())
        self.model.modelReset.connect(self.update_buttons)
        self.refresh()

    def selected(self) -> CertificateState | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select(self, user_id: str) -> None:
        for number, row in enumerate(self.model.rows):
            if row.user_id == user_id:
                self.table.selectRow(number)

    def refresh(self) -> None:
        current = self.selected()
        done, rows = attempt(self._messages, self, "Certificates not read",
                             lambda: self._service.states(self._actor))
        if done and rows is not None:
            self.model.set_rows(rows)
        if current is not None:
            self.select(current.user_id)
        print_ = self._service.ca_fingerprint()
        self.export_button.setEnabled(print_ is not None)
        if print_ is not None:
            self.fingerprint.setText("Site CA SHA-256 fingerprint (publish it for sponsors "
                                     f"and the binder): {print_}")
        problem = self._service.new_ca_problem()
        self.new_ca_button.setEnabled(problem is None)
        self.new_ca_button.setToolTip(problem or NEW_CA_HELP)

    def update_buttons(self) -> None:
        row = self.selected()
        pending = row is not None and row.state == "pending"
        self.issue_button.setEnabled(pending)
        self.issue_button.setToolTip(
            "Select an account in the list first." if row is None else
            f"Issue {row.full_name}'s certificate from the site CA (your password unlocks "
            "it)." if pending else STATE_WORDS.get(row.state, row.state) + ".")
        grantable = row is not None and not row.holds_ca and row.user_id != self._actor.user_id
        self.grant_button.setEnabled(grantable)
        self.grant_button.setToolTip(
            "Select another administrator in the list first." if row is None
            or row.user_id == self._actor.user_id else
            f"{row.full_name} holds the site CA already." if row.holds_ca else
            f"{row.full_name} types their own password beside you; then they too can issue "
            "certificates.")

    def issue_selected(self) -> None:
        row = self.selected()
        if row is None or row.state != "pending":
            return
        password = self._ask_password(
            self, f"Your password unlocks the site CA to issue {row.full_name}'s "
                  "certificate:")
        if password is None:
            return
        done, _ = attempt(self._messages, self, "Certificate not issued",
                          lambda: self._service.issue(self._actor, password, row.user_id))
        if done:
            self.status.setText(f"Certificate issued to {row.full_name} ({row.user_id}).")
            self.refresh()

    def grant_selected(self) -> None:
        row = self.selected()
        if row is None or row.holds_ca:
            return
        mine = self._ask_password(self, "Your password unlocks the site CA:")
        if mine is None:
            return
        theirs = self._ask_password(
            self, f"{row.full_name} ({row.user_id}) types their own password:")
        if theirs is None:
            return
        done, _ = attempt(self._messages, self, "Site CA not given",
                          lambda: self._service.grant_ca(self._actor, mine, row.user_id,
                                                         theirs))
        if done:
            self.status.setText(f"{row.full_name} now holds the site CA too.")
            self.refresh()

    def make_new_ca(self) -> None:
        if not self._messages.confirm(
                self, "Make a new site CA",
                "A new signing authority replaces the current one for every certificate "
                "issued from now on. The old one is kept, so what was signed under it still "
                "verifies, but sponsors and the binder need the new CA certificate. Do this "
                "only when no administrator can unlock the current CA.", "Make a new CA"):
            return
        password = self._ask_password(self, "Your password will hold the new site CA:")
        if password is None:
            return
        done, _ = attempt(self._messages, self, "New site CA not made",
                          lambda: self._service.new_ca(self._actor, password))
        if done:
            self.status.setText("A new site CA is made and held by you; export its "
                                "certificate for the binder and sponsors.")
            self.refresh()

    def export_ca(self) -> None:
        done, pem = attempt(self._messages, self, "Site CA not exported",
                            self._service.ca_pem)
        if not done or pem is None:
            return
        name = self._save_file(self)
        if name is None:
            return
        try:
            Path(name).write_bytes(pem)
        except OSError as exc:
            self._messages.error(self, "Site CA not exported", f"{name}: {exc.strerror}")
            return
        self.status.setText(f"Site CA certificate saved to {name}.")
