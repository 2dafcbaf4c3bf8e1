"""The one way the interface tells the user something in a message box.

Widgets receive a ``MessageService`` and never call ``QMessageBox`` themselves, so tests
swap in ``RecordingMessages`` and assert on what the user would have read, and smoke runs
use ``StderrMessages`` so no modal box can hang an unattended install check
(after Picard's ``user_dialog_service`` and qutebrowser's ``misc/msgbox``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

from PySide6.QtWidgets import QMessageBox, QWidget


class MessageService:
    """Shows errors and questions as real message boxes."""

    def error(self, parent: QWidget | None, title: str, text: str,
              details: str | None = None) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, title, text,
                          QMessageBox.StandardButton.Ok, parent)
        if details:
            box.setDetailedText(details)
        box.exec()

    def inform(self, parent: QWidget | None, title: str, text: str) -> None:
        """Say that something was done (a box with OK)."""
        QMessageBox(QMessageBox.Icon.Information, title, text,
                    QMessageBox.StandardButton.Ok, parent).exec()

    def confirm(self, parent: QWidget | None, title: str, text: str, action: str) -> bool:
        """Ask before a change; ``action`` labels the button that goes ahead."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Cancel, parent)
        go = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is go

    def ask_reason(self, parent: QWidget | None, title: str, text: str,
                   action: str = "Save with this reason") -> str | None:
        """Ask why a change is made (``ReasonDialog``); the reason, or None if cancelled."""
        from desktop.ui.common.reason_dialog import ask_reason

        return ask_reason(parent, title, text, action)


@dataclass
class Message:
    """One message as the user would have seen it."""

    kind: str
    title: str
    text: str
    details: str | None = None


@dataclass
class RecordingMessages(MessageService):
    """Records messages instead of showing them; answers questions with ``answer``, and
    a request for a reason with ``reason`` (None: cancelled)."""

    answer: bool = True
    messages: list[Message] = field(default_factory=list)
    reason: str | None = "Checked against the source document"

    def error(self, parent: QWidget | None, title: str, text: str,
              details: str | None = None) -> None:
        self.messages.append(Message("error", title, text, details))

    def inform(self, parent: QWidget | None, title: str, text: str) -> None:
        self.messages.append(Message("info", title, text))

    def confirm(self, parent: QWidget | None, title: str, text: str, action: str) -> bool:
        self.messages.append(Message("confirm", title, text))
        return self.answer

    def ask_reason(self, parent: QWidget | None, title: str, text: str,
                   action: str = "Save with this reason") -> str | None:
        self.messages.append(Message("reason", title, text))
        return self.reason


class StderrMessages(MessageService):
    """For ``--smoke``: errors go to standard error; questions are answered "no"."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def error(self, parent: QWidget | None, title: str, text: str,
              details: str | None = None) -> None:
        print(f"{title}: {text}", file=self._stream or sys.stderr)

    def inform(self, parent: QWidget | None, title: str, text: str) -> None:
        print(f"{title}: {text}", file=self._stream or sys.stderr)

    def confirm(self, parent: QWidget | None, title: str, text: str, action: str) -> bool:
        return False

    def ask_reason(self, parent: QWidget | None, title: str, text: str,
                   action: str = "Save with this reason") -> str | None:
        return None
