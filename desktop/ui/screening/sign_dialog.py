"""The investigator's confirmation of a completed stage's decision.

The investigator reviews the recorded outcomes in the visit form, then signs as the
logged-in user: the registry records their printed name, user id and the time, once the
service has checked that they are an investigator delegated for the trial today. A
signed not-eligible stage stays a screen failure: signing confirms, never overturns.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.services.rows import RegistryError, ValidationFailed, VisitRow
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named
from desktop.ui.screening.visit_style import ERROR_COLOUR


class SignDialog(QDialog):
    """Window-modal; ``saved`` holds the visit once the signature was recorded."""

    def __init__(self, parent: QWidget | None, statement: str,
                 submit: Callable[[], VisitRow], messages: MessageService,
                 signer: str) -> None:
        super().__init__(parent)
        self.setObjectName("sign_dialog")
        self.setWindowTitle("Sign the stage's decision")
        self.setModal(True)
        self._submit = submit
        self._messages = messages
        self.saved: VisitRow | None = None

        text = named(QLabel(statement), "sign_statement")
        text.setWordWrap(True)
        self.investigator = named(QLineEdit(signer), "sign_investigator")
        self.investigator.setReadOnly(True)  # the logged-in user, never a typed name
        self.investigator.setAccessibleName("Investigator")
        self.error = named(QLabel(), "sign_investigator_error")
        self.error.setStyleSheet(f"color:{ERROR_COLOUR};")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        column = QVBoxLayout()
        column.setSpacing(2)
        column.addWidget(self.investigator)
        column.addWidget(self.error)
        title = QLabel("&Investigator")
        title.setBuddy(self.investigator)
        form.addRow(title, column)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_button = buttons.addButton("Sign", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_button.setObjectName("sign_button")
        buttons.accepted.connect(self._sign)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def _sign(self) -> None:
        try:
            self.saved = self._submit()
        except ValidationFailed as exc:
            self.error.setText(exc.errors.get("investigator", str(exc)))
            self.error.show()
            self.investigator.setFocus()
            return
        except RegistryError as exc:
            self._messages.error(self, "Not signed", str(exc))
            return
        self.accept()
