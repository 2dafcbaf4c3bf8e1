"""The one pattern every admin dialog follows: a form, OK and Cancel, and a service call.

OK hands what was typed to the service (``save``); if it refuses, its sentence is shown
through the ``MessageService`` (titled with what failed) and the dialog stays open with
everything typed, so nothing is lost. On success ``outcome`` holds what the service
returned and the dialog accepts. The dialogs check nothing themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.rows import RegistryError
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named

T = TypeVar("T")


def attempt(messages: MessageService, parent: QWidget | None, failed: str,
            call: Callable[[], T]) -> tuple[bool, T | None]:
    """Run a service call; on a refusal tell the user (``failed`` titles the message).

    ``(True, result)`` when it went through, ``(False, None)`` when it was refused.
    The call runs with a busy cursor: hashing a password takes a moment.
    """
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        result = call()
    except RegistryError as exc:
        QApplication.restoreOverrideCursor()
        messages.error(parent, failed, str(exc))
        return False, None
    QApplication.restoreOverrideCursor()
    return True, result


class ServiceDialog(QDialog, Generic[T]):
    """A window-modal form whose OK button (``ok_button``) calls ``save``."""

    def __init__(self, parent: QWidget | None, messages: MessageService, *, title: str,
                 intro: str, ok_text: str, failed: str) -> None:
        super().__init__(parent)
        self._messages = messages
        self._failed = failed
        self.outcome: T | None = None
        self.setWindowTitle(title)
        self.setModal(True)
        self.intro = named(QLabel(intro), "intro")
        self.intro.setWordWrap(True)
        # The least width is the intro's, not the dialog's: a dialog with a minimum width
        # of its own would no longer grow to fit a wide field (e.g. a trial's title).
        self.intro.setMinimumWidth(420)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = self.buttons.addButton(
            ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    def save(self) -> T:
        """Hand the form to the service; raise its error to refuse."""
        raise NotImplementedError

    def submit(self) -> None:
        done, result = attempt(self._messages, self, self._failed, self.save)
        if done:
            self.outcome = result
            self.accept()
