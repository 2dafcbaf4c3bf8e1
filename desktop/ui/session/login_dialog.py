"""The login window, also the lock screen: user id and password, checked off the GUI thread.

The dialog holds no rule: it hands what was typed to ``check`` (the accounts service's
login) on a worker thread, since an argon2id verify takes a noticeable fraction of a
second, and shows the service's refusal word for word. The user id stays; the password
is cleared after every attempt.

As the lock screen (``locked_by`` given) the user id is fixed to the locked session's
owner and a second button lets someone else log in instead (which logs the first user
out). Nothing of any patient is on it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
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
from desktop.domain.accounts import Actor
from desktop.ui.common.operations import Operation
from desktop.ui.common.widgets import named

Check = Callable[[str, str], Actor]


class LoginDialog(QDialog):
    """Emits ``logged_in(actor)`` once ``check`` accepts; ``switch_user`` on the lock
    screen's "Log in as someone else"."""

    logged_in = Signal(object)
    switch_user = Signal()
    recover = Signal()

    def __init__(self, check: Check, parent: QWidget | None = None, *,
                 locked_by: Actor | None = None, banner: str = "") -> None:
        super().__init__(parent)
        self._check = check
        self._operation: Operation[Actor] | None = None
        self.locked_by = locked_by
        #: Set when the application quits, so the lock screen may close then.
        self.may_close = False
        self.setObjectName("lock_screen" if locked_by else "login")
        self.setWindowTitle(f"{APP_NAME} — locked" if locked_by else f"{APP_NAME} — log in")
        self.setMinimumWidth(520 if banner else 420)

        heading = QLabel(f"Locked: {locked_by.full_name} was away. Enter the password to "
                         "resume, or log in as someone else." if locked_by
                         else "Log in with your NK Screen user id and password.")
        heading.setWordWrap(True)
        self.user_id = named(QLineEdit(), "user_id")
        self.user_id.setAccessibleName("User id")
        self.password = named(QLineEdit(), "password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        if locked_by is not None:
            self.user_id.setText(locked_by.user_id)
            self.user_id.setReadOnly(True)
        self.error = named(QLabel(""), "login_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: palette(highlighted-text); background: #8b0000; "
                                 "padding: 4px;")
        self.error.hide()

        form = QFormLayout()
        form.addRow("User id", self.user_id)
        form.addRow("Password", self.password)

        buttons = QDialogButtonBox()
        self.login_button = named(QPushButton("Resume" if locked_by else "Log in"), "login")
        self.login_button.setDefault(True)
        buttons.addButton(self.login_button, QDialogButtonBox.ButtonRole.AcceptRole)
        if locked_by is not None:
            other = named(QPushButton("Log in as someone else…"), "switch_user")
            other.setToolTip(f"Logs {locked_by.full_name} out; their entries are kept as "
                             "a draft under their name.")
            other.clicked.connect(self.switch_user)
            buttons.addButton(other, QDialogButtonBox.ButtonRole.ActionRole)
        else:
            forgot = named(QPushButton("Recovery code…"), "recovery")
            forgot.setToolTip("An administrator locked out uses the site's recovery code.")
            forgot.clicked.connect(self.recover)
            buttons.addButton(forgot, QDialogButtonBox.ButtonRole.ActionRole)
        self.login_button.clicked.connect(self.attempt)

        layout = QVBoxLayout(self)
        if banner:
            note = named(QLabel(banner), "demo_banner")
            note.setWordWrap(True)
            note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            note.setStyleSheet("background: #fff3b0; color: black; padding: 6px;")
            layout.addWidget(note)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        (self.password if locked_by else self.user_id).setFocus()

    @property
    def busy(self) -> bool:
        return self._operation is not None and self._operation.running

    def attempt(self) -> None:
        """Check what was typed (on a worker thread)."""
        if self.busy:
            return
        user_id, password = self.user_id.text(), self.password.text()
        self.password.clear()
        if not user_id.strip() or not password:
            self._refused("Enter your user id and password.")
            return
        self.login_button.setEnabled(False)
        self.login_button.setText("Checking…")
        self._operation = Operation(lambda: self._check(user_id, password),
                                    on_success=self._accepted,
                                    on_failure=self._failed).start()

    def wait(self) -> None:
        """Block until a running check is done (tests, and before closing)."""
        if self._operation is not None:
            self._operation.wait()

    def _accepted(self, actor: Actor) -> None:
        self._reset_button()
        self.error.hide()
        self.logged_in.emit(actor)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._reset_button()
        from desktop.services.rows import RegistryError

        if isinstance(error, RegistryError):
            self._refused(str(error))
        else:  # an unexpected failure: say so without a traceback
            self._refused(f"The login could not be checked ({type(error).__name__}).")

    def _refused(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.password.setFocus()

    def _reset_button(self) -> None:
        self.login_button.setEnabled(True)
        self.login_button.setText("Resume" if self.locked_by else "Log in")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Escape must not dismiss a login or lock screen.
        if event.key() == Qt.Key.Key_Escape:
            event.ignore()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.wait()
        if self.locked_by is not None and not self.may_close:
            event.ignore()  # the lock screen goes only by a login
            return
        super().closeEvent(event)

    def reject(self) -> None:
        if self.locked_by is not None and not self.may_close:
            return
        super().reject()
