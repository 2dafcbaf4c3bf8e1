"""Proceeding after a not-eligible stage, where the protocol allows it after review.

The dialog shows the protocol's own words for the override and who must agree
(``Stage.override``), and asks for the rationale and the names of those who agreed.
It checks nothing itself: ``submit`` (the repository's ``override``) does, and each
``ValidationFailed`` message appears in red under its field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.trial import Override
from desktop.services.rows import RegistryError, ValidationFailed, VisitRow
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named
from desktop.ui.screening.visit_style import ERROR_COLOUR

FIELDS: Final = ("rationale", "agreed_by")


class OverrideDialog(QDialog):
    """Window-modal; ``saved`` holds the visit once the override was recorded."""

    def __init__(self, parent: QWidget | None, override: Override,
                 submit: Callable[[str, str], VisitRow], messages: MessageService) -> None:
        super().__init__(parent)
        self.setObjectName("override_dialog")
        self.setWindowTitle("Override: proceed after review")
        self.setModal(True)
        self._submit = submit
        self._messages = messages
        self.saved: VisitRow | None = None

        protocol = named(QLabel(f"<b>Protocol:</b> “{override.text}”"), "override_text")
        protocol.setWordWrap(True)
        protocol.setStyleSheet("background:#fff6d5; border-left:3px solid #c9a227; padding:6px;")
        roles = ", ".join(override.agreed_by)
        who = QLabel(f"Every one of these must agree and be named: <b>{roles}</b>.")
        who.setWordWrap(True)

        self.rationale = named(QPlainTextEdit(), "override_rationale")
        self.rationale.setPlaceholderText("Which parameters were reviewed, and why proceeding "
                                          "is safe")
        self.rationale.setAccessibleName("Rationale")
        self.rationale.setTabChangesFocus(True)
        self.agreed_by = named(QLineEdit(), "override_agreed_by")
        example = "; ".join(f"Dr … ({role})" for role in override.agreed_by)
        self.agreed_by.setPlaceholderText(f"e.g. {example}")
        self.agreed_by.setAccessibleName("Agreed by")
        self.errors: dict[str, QLabel] = {}
        inputs: dict[str, QWidget] = {"rationale": self.rationale, "agreed_by": self.agreed_by}
        self._inputs = inputs
        form = QFormLayout()
        for name, label in (("rationale", "&Rationale"), ("agreed_by", "&Agreed by")):
            error = named(QLabel(), f"override_{name}_error")
            error.setStyleSheet(f"color:{ERROR_COLOUR};")
            error.setWordWrap(True)
            error.hide()
            self.errors[name] = error
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(inputs[name])
            column.addWidget(error)
            title = QLabel(label)
            title.setBuddy(inputs[name])
            form.addRow(title, column)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.record = named(buttons.addButton("Record override",
                                              QDialogButtonBox.ButtonRole.AcceptRole),
                            "override_record")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(protocol)
        layout.addWidget(who)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def submit(self) -> None:
        rationale = self.rationale.toPlainText().strip()
        agreed_by = self.agreed_by.text().strip()
        try:
            self.saved = self._submit(rationale, agreed_by)
        except ValidationFailed as exc:
            self.show_errors(exc.errors)
            return
        except RegistryError as exc:
            self._messages.error(self, "Override not recorded", str(exc))
            return
        self.show_errors({})
        self.accept()

    def show_errors(self, errors: dict[str, str]) -> None:
        first: QWidget | None = None
        for name in FIELDS:
            message = errors.get(name, "")
            self.errors[name].setText(message)
            self.errors[name].setVisible(bool(message))
            self._inputs[name].setAccessibleDescription(message)
            if message and first is None:
                first = self._inputs[name]
        unplaced = [text for name, text in errors.items() if name not in FIELDS]
        if unplaced:
            self._messages.error(self, "Override not recorded", " ".join(unplaced))
        if first is not None:
            first.setFocus()
