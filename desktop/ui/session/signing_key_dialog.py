"""Your signing key: its standing, its certificate issued by an administrator beside you,
or your institution's key imported from a PKCS#12 file.

Shown from Account → Your signing key…, and after a new user's first own password when
their certificate is pending (an administrator who holds the site CA types their id and
password on this screen; "Later" leaves it pending for Administration → Certificates).
The keys service holds every rule; its refusal is shown here word for word. Choosing the
PKCS#12 file (``open_file``) is injectable, so tests need no file dialog.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Final

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.accounts import Actor
from desktop.services.keys import CertificateState, KeyService
from desktop.services.rows import RegistryError
from desktop.ui.admin.certificates_tab import STATE_WORDS
from desktop.ui.common.widgets import named, push_button

OpenFile = Callable[[QWidget], str | None]
P12_FILTER: Final = "PKCS#12 files (*.p12 *.pfx);;All files (*)"
#: A PKCS#12 file is a key and a few certificates: anything far larger is not one.
P12_LIMIT: Final = 1_000_000


def _open_file(parent: QWidget) -> str | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Your institution's signing key",
                                          "", P12_FILTER)
    return name or None


def _common_name(subject: str) -> str:
    found = re.search(r"(?:^|,)CN=((?:[^,\\]|\\.)+)", subject)
    return found.group(1).replace("\\", "") if found else subject


def standing_text(state: CertificateState) -> str:
    words = STATE_WORDS.get(state.state, state.state)
    if state.state in ("issued", "imported"):
        until = "" if state.not_after is None else f"; valid until {state.not_after:%Y-%m-%d}"
        return (f"{words}: {_common_name(state.subject)} ({state.user_id}); issuer "
                f"{_common_name(state.issuer)}{until}.")
    return words + "."


def _password() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class SigningKeyDialog(QDialog):
    def __init__(self, keys: KeyService, actor: Actor, parent: QWidget | None = None, *,
                 first_login: bool = False, open_file: OpenFile = _open_file) -> None:
        super().__init__(parent)
        self._keys, self._actor, self._open_file = keys, actor, open_file
        self.setWindowTitle("Your signing key")
        self.setMinimumWidth(480)
        self.standing = named(QLabel(), "key_standing")
        self.standing.setWordWrap(True)
        intro = QLabel("Your signature on a worksheet is made with your own key, sealed "
                       "under your password; the site's signing authority (CA) certifies "
                       "it. Until your certificate is issued you cannot sign.")
        intro.setWordWrap(True)

        self.beside = QGroupBox("An administrator beside you issues it now")
        self.admin_id = named(QLineEdit(), "admin_id")
        self.admin_password = named(_password(), "admin_password")
        self.issue_button = push_button("&Issue my certificate", "issue_now", self.issue_now)
        beside = QFormLayout(self.beside)
        beside.addRow("Administrator's user id:", self.admin_id)
        beside.addRow("Administrator's password:", self.admin_password)
        beside.addRow("", self.issue_button)

        imported = QGroupBox("Or import your institution's key (PKCS#12 file)")
        self.file_label = named(QLabel("No file chosen."), "p12_file")
        self.file_label.setWordWrap(True)
        choose = push_button("C&hoose file…", "choose_p12", self.choose_file)
        row = QHBoxLayout()
        row.addWidget(self.file_label, 1)
        row.addWidget(choose)
        self.file_password = named(_password(), "p12_password")
        self.file_password.setPlaceholderText("empty if the file has none")
        self.own_password = named(_password(), "own_password")
        self.import_button = push_button("I&mport key", "import_p12", self.import_file)
        form = QFormLayout(imported)
        form.addRow(row)
        form.addRow("The file's password:", self.file_password)
        form.addRow("Your NK Screen password:", self.own_password)
        form.addRow("", self.import_button)

        self.status = named(QLabel(), "key_status")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() * 2)
        buttons = QDialogButtonBox()
        close = buttons.addButton("Later" if first_login else "Close",
                                  QDialogButtonBox.ButtonRole.RejectRole)
        close.setObjectName("close")
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.standing)
        layout.addWidget(self.beside)
        layout.addWidget(imported)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._path: Path | None = None
        self.refresh()

    def refresh(self) -> None:
        try:
            state = self._keys.own_state(self._actor)
        except (RegistryError, StopIteration):
            self.standing.setText("Your signing standing could not be read.")
            self.beside.setVisible(False)
            return
        self.standing.setText(standing_text(state))
        self.beside.setVisible(state.state == "pending")
        self.import_button.setEnabled(not self._actor.one_time)
        self.import_button.setToolTip("Set your own password first." if self._actor.one_time
                                      else "Replaces your current key; its certificate is "
                                      "kept, so what you signed still verifies.")

    def _refused(self, exc: Exception) -> None:
        self.status.setText(str(exc))

    def issue_now(self) -> None:
        admin_id = self.admin_id.text().strip()
        if not admin_id or not self.admin_password.text():
            self.status.setText("Type the administrator's user id and password.")
            return
        try:
            self._keys.issue_beside(admin_id, self.admin_password.text(),
                                    self._actor.user_id)
        except RegistryError as exc:
            self._refused(exc)
            return
        finally:
            self.admin_password.clear()
        self.status.setText("Your certificate is issued: you can sign.")
        self.refresh()

    def choose_file(self) -> None:
        name = self._open_file(self)
        if name is not None:
            self._path = Path(name)
            self.file_label.setText(name)

    def import_file(self) -> None:
        if self._path is None:
            self.status.setText("Choose your institution's PKCS#12 file first.")
            return
        if not self.own_password.text():
            self.status.setText("Type your NK Screen password: your key is sealed under it.")
            return
        try:
            if self._path.stat().st_size > P12_LIMIT:
                self.status.setText(f"{self._path.name} is too large to be a PKCS#12 key "
                                    "file.")
                return
            data = self._path.read_bytes()
        except OSError as exc:
            self.status.setText(f"{self._path.name}: {exc.strerror or exc}")
            return
        secret = self.file_password.text().encode() or None
        try:
            row = self._keys.import_pkcs12(self._actor, self.own_password.text(), data,
                                           secret)
        except RegistryError as exc:
            self._refused(exc)
            return
        finally:
            self.own_password.clear()
            self.file_password.clear()
        self.status.setText(f"Imported: {row.subject}. Your signatures now use this key.")
        self.refresh()


def offer_after_first_password(keys: KeyService, actor: Actor,
                               parent: QWidget | None) -> SigningKeyDialog | None:
    """The dialog when ``actor``'s fresh certificate is pending and the site has a CA
    (None otherwise: nothing to do)."""
    try:
        if keys.ca_certificate() is None or keys.own_state(actor).state != "pending":
            return None
    except (RegistryError, StopIteration):
        return None
    return SigningKeyDialog(keys, actor, parent, first_login=True)
