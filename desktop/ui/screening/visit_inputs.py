"""The visit form's entry rows: a planned date, a result, a patient fact, a question.

Each row is a small widget that holds what was typed and says when it changes:
``edited`` on every keystroke or click (the form re-evaluates), ``committed`` when a
field is finished (focus leaves it, Enter, a choice clicked: the form saves). Rows show
messages they are given (``show_error``) and decide nothing: parsing a typed result,
units, windows and freshness belong to :mod:`desktop.domain`, saving to the form.

This module holds the event and fact rows; the result rows are :mod:`.visit_results`,
the question cards :mod:`.visit_questions`, what they share :mod:`.visit_entry`. Every
name the form uses is importable from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.typed_time import EXAMPLES, FORMATS
from desktop.ui.common.widgets import named
from desktop.ui.screening.visit_entry import (
    LABEL_WIDTH,
    WHEN_HINT,
    Messages,
    message_label,
    parse_when,
    set_field_read_only,
    when_text,
)
from desktop.ui.screening.visit_questions import QuestionCard, answer_text
from desktop.ui.screening.visit_results import ResultRow, results_header

#: A planned date's tooltip: the formats; a date alone is the day's start.
EVENT_TIP: Final = (f"Date and time as {FORMATS} ({EXAMPLES}), or the date alone "
                    f"(YYYY-MM-DD, meaning 00:00).")

__all__ = ["FACT_WORDS", "EventRow", "FactRow", "QuestionCard", "ResultRow", "answer_text",
           "parse_when", "results_header", "when_text"]


class EventRow(QWidget):
    """A planned event date ("Planned NK cell infusion") as typed text."""

    edited = Signal()
    committed = Signal()

    def __init__(self, name: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.field = named(QLineEdit(), f"event_{name}")
        self.field.setPlaceholderText(WHEN_HINT)
        self.field.setToolTip(EVENT_TIP)
        self.field.setAccessibleName(f"Planned {label}")
        self.field.setFixedWidth(150)
        self.field.textEdited.connect(self.edited)
        self.field.editingFinished.connect(self.committed)
        title = QLabel(f"Planned {label}")
        title.setBuddy(self.field)
        title.setFixedWidth(LABEL_WIDTH)
        title.setWordWrap(True)  # "Planned venetoclax initiation" on two lines, never cut
        self.error = message_label(f"event_{name}_error")
        self._messages = Messages(self.error, {"at": self.field})
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(title, 0, 0)
        grid.addWidget(self.field, 0, 1)
        grid.setColumnStretch(2, 1)
        grid.addWidget(self.error, 1, 1, 1, 2)

    def text(self) -> str:
        return self.field.text()

    def set_value(self, at: datetime | None) -> None:
        self.field.setText(when_text(at))

    def show_errors(self, errors: dict[str, str]) -> None:
        self._messages.show(errors)

    def set_read_only(self, read_only: bool) -> None:
        set_field_read_only(self.field, read_only)



#: How a fact's choice reads (in a message).
FACT_WORDS: Final[dict[bool | None, str]] = {True: "Yes", False: "No", None: "Not recorded"}


class FactRow(QWidget):
    """A patient fact: yes / no / not recorded, and a message below when there is one."""

    chosen = Signal()

    def __init__(self, name: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        title = QLabel(label[:1].upper() + label[1:])
        title.setFixedWidth(LABEL_WIDTH)
        self.group = QButtonGroup(self)
        self.buttons: dict[bool | None, QRadioButton] = {}
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        layout = QHBoxLayout()
        column.addLayout(layout)
        layout.addWidget(title)
        for value, text in FACT_WORDS.items():
            key = {True: "yes", False: "no", None: "unset"}[value]
            button = named(QRadioButton(text), f"fact_{name}_{key}")
            button.setAccessibleName(f"{label}: {text}")
            self.group.addButton(button)
            self.buttons[value] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.buttons[None].setChecked(True)
        self.group.buttonClicked.connect(self._clicked)
        self.error = message_label(f"fact_{name}_error")
        below = QHBoxLayout()
        below.addSpacing(LABEL_WIDTH + 6)
        below.addWidget(self.error, 1)
        column.addLayout(below)
        self._messages = Messages(self.error, {})
        self._value: bool | None = None

    def value(self) -> bool | None:
        return next((v for v, b in self.buttons.items() if b.isChecked()), None)

    def set_value(self, value: bool | None) -> None:
        self._value = value
        self.buttons[value].setChecked(True)

    @property
    def saved_value(self) -> bool | None:
        """The value last saved (or read), whatever is chosen now."""
        return self._value

    def revert(self) -> None:
        """Back to the last saved value (a save failed, or was cancelled)."""
        self.set_value(self._value)

    def saved(self) -> None:
        self._value = self.value()

    def show_errors(self, errors: dict[str, str]) -> None:
        self._messages.show(errors)

    def set_read_only(self, read_only: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(not read_only)

    def _clicked(self, _button: QAbstractButton) -> None:
        if self.value() != self._value:
            self.chosen.emit()
