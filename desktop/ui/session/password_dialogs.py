"""Setting a password: the first administrator at first run, a user's own change, and
the recovery code shown once to be printed.

The dialogs collect what is typed and hand it to the accounts service, which holds every
rule (length, not the user id or name, never reusing a user id); a refusal is shown in
the dialog and what was typed stays, except the passwords.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.domain.accounts import MIN_PASSWORD_LENGTH
from desktop.ui.common.widgets import named


def _password_field(name: str) -> QLineEdit:
    field = named(QLineEdit(), name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class _PasswordDialog(QDialog):
    """Shared layout: a form, an error line, OK/Cancel; ``submit`` does the work."""

    def __init__(self, parent: QWidget | None, title: str, intro: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.error = named(QLabel(""), "password_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: white; background: #8b0000; padding: 4px;")
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def submit(self) -> None:  # pragma: no cover - each dialog defines it
        raise NotImplementedError

    def refuse(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.adjustSize()  # grow for the message instead of squeezing the fields

    def _attempt(self, first: QLineEdit, second: QLineEdit,
                 call: Callable[[str], str]) -> str | None:
        """The new password typed twice alike, handed to ``call`` (the service); its
        result (the caller keeps it, then accepts). A refusal is shown, the passwords
        cleared, and None returned."""
        from desktop.services.rows import RegistryError

        password = self._matching(first, second)
        if password is None:
            return None
        try:
            result = call(password)
        except RegistryError as exc:
            self.refuse(str(exc))
            first.clear()
            second.clear()
            return None
        return result

    def _matching(self, first: QLineEdit, second: QLineEdit) -> str | None:
        """The new password once typed twice alike; else says so and None."""
        if first.text() != second.text():
            self.refuse("The two passwords differ; type the same password twice.")
            first.clear()
            second.clear()
            first.setFocus()
            return None
        return first.text()


class FirstAdminDialog(_PasswordDialog):
    """First run: the site's first account, an administrator. ``create(user_id, name,
    password)`` returns the recovery code (or raises the service's error)."""

    def __init__(self, create: Callable[[str, str, str], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, f"{APP_NAME} — first run: the first administrator",
                         "This registry has no accounts yet. Create the first "
                         "administrator: they add every other account (coordinators, "
                         "investigators, monitors) and record who may sign for which "
                         "trial. Entries already in the registry keep the name they were "
                         "recorded with, marked \"before accounts\".")
        self._create = create
        self.recovery_code: str | None = None
        self.user_id = named(QLineEdit(), "user_id")
        self.user_id.setPlaceholderText("e.g. jsmith")
        self.full_name = named(QLineEdit(), "full_name")
        self.full_name.setPlaceholderText("as printed on signed worksheets")
        self.password = _password_field("password")
        self.password.setPlaceholderText(f"at least {MIN_PASSWORD_LENGTH} characters")
        self.again = _password_field("password_again")
        self.form.addRow("User id", self.user_id)
        self.form.addRow("Full name", self.full_name)
        self.form.addRow("Password", self.password)
        self.form.addRow("Password again", self.again)

    def submit(self) -> None:
        self.recovery_code = self._attempt(self.password, self.again, lambda password: (
            self._create(self.user_id.text(), self.full_name.text(), password)))
        if self.recovery_code is not None:
            self.accept()


class ChangePasswordDialog(_PasswordDialog):
    """The user's own change; ``forced`` after a one-time or expired password.
    ``change(old, new)`` raises the service's error when refused."""

    def __init__(self, change: Callable[[str, str], object], parent: QWidget | None = None,
                 *, forced: bool = False) -> None:
        super().__init__(parent, f"{APP_NAME} — change password",
                         "Your password was set by an administrator or has expired: choose "
                         "your own before going on. It must be at least "
                         f"{MIN_PASSWORD_LENGTH} characters and not your user id or name."
                         if forced else "Choose a new password of at least "
                         f"{MIN_PASSWORD_LENGTH} characters, not your user id or name.")
        self._change = change
        self.result_value: object = None
        self.current = _password_field("current_password")
        self.new = _password_field("new_password")
        self.again = _password_field("new_password_again")
        self.form.addRow("Current password", self.current)
        self.form.addRow("New password", self.new)
        self.form.addRow("New password again", self.again)

    def submit(self) -> None:
        from desktop.services.rows import RegistryError

        new = self._matching(self.new, self.again)
        if new is None:
            return
        try:
            self.result_value = self._change(self.current.text(), new)
        except RegistryError as exc:
            self.refuse(str(exc))
            for field in (self.current, self.new, self.again):
                field.clear()
            self.current.setFocus()
            return
        self.accept()


class RecoveryCodeDialog(QDialog):
    """The recovery code, shown once: print it (or write it down) and keep it locked away."""

    def __init__(self, code: str, user_id: str, parent: QWidget | None = None,
                 site: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME} — recovery code")
        self.code = code
        self._user_id = user_id
        self._site = site
        intro = QLabel("This is the site's recovery code. With it, an administrator who is "
                       "locked out or has forgotten the password can set a new one. It is "
                       "shown only now and stored only as a hash: print it or write it "
                       "down, and keep it where the site keeps its keys. Using it replaces "
                       "it with a new one.")
        intro.setWordWrap(True)
        shown = named(QLabel(code), "recovery_code")
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(font.pointSize() + 6)
        shown.setFont(font)
        shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        shown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.kept = named(QCheckBox("I have printed or written down the recovery code"),
                          "recovery_kept")
        self.print_button = named(QPushButton("Print…"), "print_recovery")
        self.print_button.clicked.connect(self.print_code)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setEnabled(False)
        self.ok.setToolTip("Tick the box once the code is printed or written down.")
        self.kept.toggled.connect(self.ok.setEnabled)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(shown)
        layout.addWidget(self.kept)
        layout.addWidget(buttons)

    def document(self) -> QTextDocument:
        """What is printed: the code, for whom, and what it is for."""
        doc = QTextDocument()
        site = f" — {self._site}" if self._site else ""
        doc.setHtml(f"<h2>{APP_NAME} recovery code{site}</h2>"
                    f"<p>Administrator: <b>{self._user_id}</b></p>"
                    f"<p style='font-size:20pt; font-family:monospace'>{self.code}</p>"
                    "<p>Lets an administrator who is locked out set a new password "
                    "(login window, Recovery code…). Keep it locked away; using it "
                    "replaces it with a new code.</p>")
        return doc

    def print_code(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter()
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.document().print_(printer)

    def reject(self) -> None:
        # It goes only by OK, once the code is kept.
        if self.kept.isChecked():
            super().reject()


class RecoverDialog(_PasswordDialog):
    """An administrator locked out: user id, the site's recovery code, a new password.
    ``recover(code, user_id, password)`` returns the new recovery code."""

    def __init__(self, recover: Callable[[str, str, str], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, f"{APP_NAME} — recovery code",
                         "For an administrator who is locked out or has forgotten the "
                         "password: enter the site's printed recovery code and choose a new "
                         "password. The code is then replaced by a new one, to print.")
        self._recover = recover
        self.new_code: str | None = None
        self.user_id = named(QLineEdit(), "user_id")
        self.code = named(QLineEdit(), "code")
        self.password = _password_field("password")
        self.again = _password_field("password_again")
        self.form.addRow("Administrator's user id", self.user_id)
        self.form.addRow("Recovery code", self.code)
        self.form.addRow("New password", self.password)
        self.form.addRow("New password again", self.again)

    def submit(self) -> None:
        self.new_code = self._attempt(self.password, self.again, lambda password: (
            self._recover(self.code.text(), self.user_id.text(), password)))
        if self.new_code is not None:
            self.accept()
