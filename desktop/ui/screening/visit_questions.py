"""The question cards of the visit form: an attested criterion answered Yes / No / N/A.

``QuestionCard`` shows a criterion's protocol text with its answer, note and source
document; ``answer_text`` and ``answer_hint`` are the words for an answer and for what
Yes means (the engine's reading of answers).
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.trial import Criterion
from desktop.ui.common.widgets import named
from desktop.ui.screening.visit_entry import Messages, message_label, set_field_read_only
from desktop.ui.screening.visit_style import HINT_COLOUR

ANSWER_LABELS: Final = (("yes", "Yes"), ("no", "No"), ("n/a", "N/A"))


def answer_text(value: str | None, note: str = "", source: str = "") -> str:
    """An answer as chosen, for a message: "Yes (note: ...; source: ...)"."""
    words = dict(ANSWER_LABELS).get(value or "", "no answer")
    details = "; ".join(f"{what}: {text}" for what, text in (("note", note),
                                                             ("source", source)) if text)
    return f"{words} ({details})" if details else words


def answer_hint(criterion: Criterion) -> str:
    """What Yes means for this criterion, in the engine's reading of answers."""
    if criterion.kind == "inclusion":
        return "Inclusion: Yes = criterion met · No = not met · N/A = does not apply"
    return "Exclusion: Yes = condition present (excludes) · No = absent · N/A = does not apply"


class QuestionCard(QFrame):
    """An attested criterion: its protocol text, Yes / No / N/A, note and source document."""

    chosen = Signal()
    committed = Signal()

    def __init__(self, number: int, criterion: Criterion, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.criterion = criterion
        cid = criterion.id
        self.setObjectName(f"question_{cid}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.number = number
        heading = QLabel(f"<b>{number}. {criterion.kind.capitalize()}</b>")
        text = named(QLabel(criterion.text), f"question_{cid}_text")
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(heading)
        if criterion.group:
            group = QLabel(criterion.group)
            group.setWordWrap(True)
            group.setStyleSheet(f"color:{HINT_COLOUR};")
            layout.addWidget(group)
        layout.addWidget(text)
        if criterion.note:
            note = named(QLabel(f"ℹ Reading note: {criterion.note}"), f"question_{cid}_note")
            note.setWordWrap(True)
            note.setStyleSheet("background:#fff6d5; border-left:3px solid #c9a227; "
                               "padding:3px; font-style:italic;")
            layout.addWidget(note)

        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        answers = QHBoxLayout()
        for value, label in ANSWER_LABELS:
            button = named(QRadioButton(label), f"question_{cid}_{value.replace('/', '')}")
            button.setAccessibleName(f"Criterion {number}: {label}")
            self.group.addButton(button)
            self.buttons[value] = button
            answers.addWidget(button)
        self.clear = named(QPushButton("Clear"), f"question_{cid}_clear")
        self.clear.setToolTip("Remove the answer: the criterion is unknown again")
        self.clear.setEnabled(False)
        answers.addWidget(self.clear)
        hint = QLabel(answer_hint(criterion))
        hint.setStyleSheet(f"color:{HINT_COLOUR};")
        hint.setWordWrap(True)
        answers.addSpacing(8)
        answers.addWidget(hint, 1)
        layout.addLayout(answers)

        self.note = named(QLineEdit(), f"question_{cid}_note_field")
        self.note.setPlaceholderText("Note")
        self.note.setAccessibleName(f"Criterion {number}: note")
        self.source = named(QLineEdit(), f"question_{cid}_source")
        self.source.setPlaceholderText("Source document, e.g. BM biopsy report 2026-10-30")
        self.source.setAccessibleName(f"Criterion {number}: source document")
        details = QHBoxLayout()
        details.addWidget(self.note, 2)
        details.addWidget(self.source, 3)
        layout.addLayout(details)
        self.error = message_label(f"question_{cid}_error")
        layout.addWidget(self.error)
        self._messages = Messages(self.error, {"note": self.note,
                                                "source_document": self.source})
        self._saved: tuple[str | None, str, str] = (None, "", "")

        self.group.buttonClicked.connect(self._clicked)
        self.clear.clicked.connect(self._cleared)
        self.note.editingFinished.connect(self.committed)
        self.source.editingFinished.connect(self.committed)

    def value(self) -> str | None:
        return next((v for v, b in self.buttons.items() if b.isChecked()), None)

    def typed(self) -> tuple[str | None, str, str]:
        return self.value(), self.note.text().strip(), self.source.text().strip()

    def is_saved(self) -> bool:
        return self.typed() == self._saved

    def set_saved(self, value: str | None, note: str, source: str) -> None:
        """Show (and remember as saved) an answer as the registry holds it."""
        self._set_choice(value)
        self.note.setText(note)
        self.source.setText(source)
        self._saved = (value, note.strip(), source.strip())

    def mark_saved(self) -> None:
        self._saved = self.typed()

    def revert_choice(self) -> None:
        self._set_choice(self._saved[0])

    def show_errors(self, errors: dict[str, str]) -> None:
        self._messages.show(errors)

    def set_read_only(self, read_only: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(not read_only)
        self.clear.setEnabled(not read_only and self.value() is not None)
        set_field_read_only(self.note, read_only)
        set_field_read_only(self.source, read_only)

    def _set_choice(self, value: str | None) -> None:
        self.group.setExclusive(False)  # an exclusive group cannot uncheck its last button
        for key, button in self.buttons.items():
            button.setChecked(key == value)
        self.group.setExclusive(True)
        self.clear.setEnabled(value is not None and self.buttons["yes"].isEnabled())

    def _clicked(self, _button: QAbstractButton) -> None:
        self.clear.setEnabled(True)
        if self.value() != self._saved[0]:
            self.chosen.emit()

    def _cleared(self) -> None:
        self._set_choice(None)
        self.chosen.emit()
