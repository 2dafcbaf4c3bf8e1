"""Asking why a change is made: a short question, a box for the reason, OK and Cancel.

Widgets ask through ``MessageService.ask_reason`` (which shows ``ReasonDialog``), never
the dialog directly, so tests answer it as they answer every other question. The
dialog decides nothing: the caller asks because a service said a reason is needed, and
passes the reason on; the service checks it (OK is only kept disabled while the box is
blank, a reason nobody can save).
"""

from __future__ import annotations

from typing import Final

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.common.widgets import named

#: What a change to data a completed stage was decided on means, said when asking why.
COVERED_CHANGE: Final = ("This patient has a completed stage; the change will be shown "
                         "against its signatures. Say why.")


class ReasonDialog(QDialog):
    """Window-modal: ``text`` says what is changed; ``reason()`` is what was typed,
    trimmed. OK (labelled ``action``) is disabled while the reason is blank."""

    def __init__(self, parent: QWidget | None, title: str, text: str,
                 action: str = "Save with this reason") -> None:
        super().__init__(parent)
        self.setObjectName("reason_dialog")
        self.setWindowTitle(title)
        self.setModal(True)
        self.question = named(QLabel(text), "reason_question")
        self.question.setWordWrap(True)
        self.text = named(QPlainTextEdit(), "reason_text")
        self.text.setAccessibleName("Reason")
        self.text.setPlaceholderText("Why the change is made (kept in the audit trail)")
        self.text.setTabChangesFocus(True)
        self.question.setBuddy(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = named(
            buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole), "reason_ok")
        self.cancel_button = named(buttons.button(QDialogButtonBox.StandardButton.Cancel),
                                   "reason_cancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        self.text.textChanged.connect(self._typed)
        self._typed()
        self.text.setFocus()

    def reason(self) -> str:
        return self.text.toPlainText().strip()

    def accept(self) -> None:
        if self.reason():  # never accepted blank, whatever key was pressed
            super().accept()

    def _typed(self) -> None:
        blank = not self.reason()
        self.ok_button.setEnabled(not blank)
        self.ok_button.setToolTip("Say why first." if blank else "")


def ask_reason(parent: QWidget | None, title: str, text: str,
               action: str = "Save with this reason") -> str | None:
    """Show a ``ReasonDialog``; the reason given, or None if cancelled."""
    dialog = ReasonDialog(parent, title, text, action)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.reason()
    finally:
        dialog.deleteLater()
