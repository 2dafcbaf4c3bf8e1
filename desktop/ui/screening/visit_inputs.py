"""The visit form's entry rows: a planned date, a result, a patient fact, a question.

Each row is a small widget that holds what was typed and says when it changes:
``edited`` on every keystroke or click (the form re-evaluates), ``committed`` when a
field is finished (focus leaves it, Enter, a choice clicked: the form saves). Rows show
messages they are given (``show_error``) and decide nothing: parsing a typed result,
units, windows and freshness belong to :mod:`desktop.domain`, saving to the form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.record import RecordError, parse_datetime
from desktop.domain.trial import Criterion
from desktop.ui.common.widgets import named
from desktop.ui.screening.visit_style import ERROR_COLOUR, HINT_COLOUR

WHEN_FORMAT: Final = "%Y-%m-%d %H:%M"
WHEN_HINT: Final = "YYYY-MM-DD HH:MM"
LABEL_WIDTH: Final = 170
#: Widths of the result columns, shared with the header over them.
VALUE_WIDTH: Final = 72
UNIT_WIDTH: Final = 92
AT_WIDTH: Final = 136
ULN_WIDTH: Final = 60
INVALID_STYLE: Final = f"QLineEdit {{ border: 2px solid {ERROR_COLOUR}; }}"


def when_text(at: datetime | None) -> str:
    return "" if at is None else at.strftime(WHEN_FORMAT)


def parse_when(text: str, field: str = "at") -> datetime | None:
    """A typed date-time (None when blank); a bare date means 00:00, as in the record."""
    if not text.strip():
        return None
    try:
        return parse_datetime(text, field)
    except RecordError:
        raise RecordError(field, f"Enter the date and time as {WHEN_HINT}, "
                                 f"e.g. 2026-11-01 07:30 ({text.strip()!r} is not one)") from None


def _message_label(name: str) -> QLabel:
    label = named(QLabel(), name)
    label.setWordWrap(True)
    label.setStyleSheet(f"color:{ERROR_COLOUR};")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


class _Messages:
    """Inline messages of a row: one label, and the offending field outlined."""

    def __init__(self, label: QLabel, fields: dict[str, QWidget]) -> None:
        self.label = label
        self.fields = fields
        self.shown: dict[str, str] = {}

    def show(self, errors: dict[str, str]) -> None:
        if errors == self.shown:
            return  # nothing to repaint: keeps a keystroke cheap
        self.shown = dict(errors)
        text = " ".join(errors.values())
        self.label.setText(text)
        self.label.setVisible(bool(text))
        for name, widget in self.fields.items():
            message = errors.get(name, "")
            if isinstance(widget, QLineEdit):
                widget.setStyleSheet(INVALID_STYLE if message else "")
            widget.setAccessibleDescription(message)


class EventRow(QWidget):
    """A planned event date ("Planned NK cell infusion") as typed text."""

    edited = Signal()
    committed = Signal()

    def __init__(self, name: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.field = named(QLineEdit(), f"event_{name}")
        self.field.setPlaceholderText(WHEN_HINT)
        self.field.setAccessibleName(f"Planned {label}")
        self.field.setFixedWidth(150)
        self.field.textEdited.connect(self.edited)
        self.field.editingFinished.connect(self.committed)
        title = QLabel(f"Planned {label}")
        title.setBuddy(self.field)
        title.setFixedWidth(LABEL_WIDTH)
        self.error = _message_label(f"event_{name}_error")
        self._messages = _Messages(self.error, {"at": self.field})
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
        self.field.setReadOnly(read_only)


class ResultRow(QWidget):
    """One observation code: value, unit (the accepted ones only), time taken, ULN.

    Below the entry line: its message, and the patient's earlier results of the code with
    whether each counts for this stage. ``uln`` is None where no criterion of the stage
    compares the code with an upper limit of normal.
    """

    edited = Signal()
    committed = Signal()

    def __init__(self, code: str, label: str, units: tuple[str, ...], with_uln: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code = code
        self.label = label
        self._site_uln = ""  # the site ULN's text in the chosen unit, while shown
        self._tag_text = ""
        self.title = named(QLabel(label), f"result_{code}_label")
        self.title.setFixedWidth(LABEL_WIDTH)
        self.title.setWordWrap(True)
        self.value = named(QLineEdit(), f"result_{code}_value")
        self.value.setPlaceholderText("value")
        self.value.setAccessibleName(f"{label} value")
        self.value.setFixedWidth(VALUE_WIDTH)
        self.title.setBuddy(self.value)
        self.unit = named(QComboBox(), f"result_{code}_unit")
        self.unit.addItems(list(units))
        self.unit.setAccessibleName(f"{label} unit")
        self.unit.setFixedWidth(UNIT_WIDTH)
        if len(units) == 1:
            self.unit.setToolTip(f"{label} is entered in {units[0]} only")
        self.at = named(QLineEdit(), f"result_{code}_at")
        self.at.setPlaceholderText(WHEN_HINT)
        self.at.setAccessibleName(f"{label} taken at")
        self.at.setFixedWidth(AT_WIDTH)
        self.uln: QLineEdit | None = None
        self.uln_tag: QLabel | None = None
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.title)
        row.addWidget(self.value)
        row.addWidget(self.unit)
        row.addWidget(self.at)
        if with_uln:
            self.uln = named(QLineEdit(), f"result_{code}_uln")
            self.uln.setPlaceholderText("ULN")
            self.uln.setAccessibleName(f"{label} upper limit of normal")
            self.uln.setFixedWidth(ULN_WIDTH)
            self.uln_tag = named(QLabel(), f"result_{code}_uln_tag")
            self.uln_tag.setStyleSheet(f"color:{HINT_COLOUR};")
            uln_label = QLabel("ULN")
            uln_label.setBuddy(self.uln)
            row.addSpacing(4)
            row.addWidget(uln_label)
            row.addWidget(self.uln)
            row.addWidget(self.uln_tag)
            self.uln.textEdited.connect(self._uln_typed)
            self.uln.editingFinished.connect(self.committed)
        row.addStretch(1)
        self.error = _message_label(f"result_{code}_error")
        fields: dict[str, QWidget] = {"value": self.value, "unit": self.unit, "at": self.at}
        if self.uln is not None:
            fields["uln"] = self.uln
        self._messages = _Messages(self.error, fields)
        self.earlier = named(QLabel(), f"result_{code}_earlier")
        self.earlier.setWordWrap(True)
        self.earlier.setTextFormat(Qt.TextFormat.RichText)
        self.earlier.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 2, 0, 2)
        column.setSpacing(2)
        column.addLayout(row)
        for below in (self.error, self.earlier):
            indented = QHBoxLayout()
            indented.addSpacing(LABEL_WIDTH + 6)
            indented.addWidget(below, 1)
            column.addLayout(indented)
        self.value.textEdited.connect(self.edited)
        self.value.editingFinished.connect(self.committed)
        self.at.textEdited.connect(self.edited)
        self.at.editingFinished.connect(self.committed)
        self.unit.activated.connect(self._unit_chosen)
        self._earlier_html = ""

    # -- what was typed ----------------------------------------------------------

    def value_text(self) -> str:
        return self.value.text()

    def unit_text(self) -> str:
        return self.unit.currentText()

    def at_text(self) -> str:
        return self.at.text()

    def uln_text(self) -> str | None:
        """The result's own ULN as typed; None while the field shows the site's ULN."""
        if self.uln is None or self.uln_is_site():
            return None
        return self.uln.text().strip() or None

    def uln_is_site(self) -> bool:
        return self.uln is not None and bool(self._site_uln) and \
            self.uln.text().strip() == self._site_uln

    # -- what the form sets --------------------------------------------------------

    def set_values(self, value: str, unit: str, at: datetime | None,
                   uln: str | None) -> None:
        self.value.setText(value)
        index = self.unit.findText(unit)
        if index >= 0:
            self.unit.setCurrentIndex(index)
            self._tag()
        self.at.setText(when_text(at))
        if self.uln is not None and uln:
            self._site_uln = ""
            self.uln.setText(uln)
            self._tag("")

    def clear_values(self) -> None:
        """Empty the value, time and ULN (the unit stays): nothing saved for the row."""
        self.value.setText("")
        self.at.setText("")
        if self.uln is not None:
            self._site_uln = ""
            self.uln.setText("")
            self._tag("")

    def set_site_uln(self, text: str, tooltip: str = "") -> None:
        """Pre-fill the ULN with the site's, in the chosen unit ("" where none is set)."""
        if self.uln is None:
            return
        own = self.uln.text().strip() and not self.uln_is_site()
        if own:
            return  # a ULN typed for this result stays
        self._site_uln = text
        self.uln.setText(text)
        self.uln.setToolTip(tooltip)
        self._tag("site ULN" if text else "no site ULN")
        if not text:
            self.uln.setToolTip("No upper limit of normal is configured for this site: "
                                "enter the lab's ULN printed with the result.")

    def show_errors(self, errors: dict[str, str]) -> None:
        self._messages.show(errors)

    def set_earlier(self, html: str) -> None:
        if html == self._earlier_html:
            return
        self._earlier_html = html
        self.earlier.setText(html)
        self.earlier.setVisible(bool(html))

    def set_read_only(self, read_only: bool) -> None:
        for field in (self.value, self.at, self.uln):
            if field is not None:
                field.setReadOnly(read_only)
        self.unit.setEnabled(not read_only)

    # -- internals -------------------------------------------------------------

    def _tag(self, text: str | None = None) -> None:
        """The ULN's unit (always the result's unit), and whether it is the site's."""
        if text is not None:
            self._tag_text = text
        if self.uln_tag is not None:
            words = [self.unit.currentText(), self._tag_text]
            self.uln_tag.setText(" · ".join(w for w in words if w))

    def _uln_typed(self, _text: str) -> None:
        self._tag("" if not self.uln_is_site() else "site ULN")
        self.edited.emit()

    def _unit_chosen(self, _index: int) -> None:
        self._tag()
        self.edited.emit()
        self.committed.emit()


def results_header() -> QWidget:
    """Column titles over the result rows, aligned with their fields."""
    header = QWidget()
    row = QHBoxLayout(header)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(6)
    for text, width in (("", LABEL_WIDTH), ("Value", VALUE_WIDTH), ("Unit", UNIT_WIDTH),
                        (f"Taken ({WHEN_HINT})", AT_WIDTH + 60)):
        label = QLabel(text)
        label.setStyleSheet(f"color:{HINT_COLOUR};")
        label.setFixedWidth(width)
        row.addWidget(label)
    row.addStretch(1)
    return header


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
        self.error = _message_label(f"fact_{name}_error")
        below = QHBoxLayout()
        below.addSpacing(LABEL_WIDTH + 6)
        below.addWidget(self.error, 1)
        column.addLayout(below)
        self._messages = _Messages(self.error, {})
        self._value: bool | None = None

    def value(self) -> bool | None:
        return next((v for v, b in self.buttons.items() if b.isChecked()), None)

    def set_value(self, value: bool | None) -> None:
        self._value = value
        self.buttons[value].setChecked(True)

    def revert(self) -> None:
        """Back to the last saved value (a save failed)."""
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
        heading = QLabel(f"<b>{number}. {criterion.kind.capitalize()}</b> "
                         f"<span style='color:{HINT_COLOUR}'>{cid}</span>")
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
            button.setAccessibleName(f"{cid}: {label}")
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
        self.note.setAccessibleName(f"{cid}: note")
        self.source = named(QLineEdit(), f"question_{cid}_source")
        self.source.setPlaceholderText("Source document, e.g. BM biopsy report 2026-10-30")
        self.source.setAccessibleName(f"{cid}: source document")
        details = QHBoxLayout()
        details.addWidget(self.note, 2)
        details.addWidget(self.source, 3)
        layout.addLayout(details)
        self.error = _message_label(f"question_{cid}_error")
        layout.addWidget(self.error)
        self._messages = _Messages(self.error, {"note": self.note,
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
        self.note.setReadOnly(read_only)
        self.source.setReadOnly(read_only)

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
