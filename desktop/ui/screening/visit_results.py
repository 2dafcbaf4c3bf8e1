"""The result rows of the visit form: one observation code's value, unit, time and ULN.

``ResultRow`` holds what was typed for one code and the patient's earlier results of it;
``results_header`` titles its columns. Parsing, units and freshness are the domain's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.domain.units import display_unit
from desktop.ui.common.widgets import named
from desktop.ui.screening.visit_entry import (
    LABEL_WIDTH,
    WHEN_HINT,
    WHEN_TIP,
    Messages,
    message_label,
    set_field_read_only,
    when_text,
)
from desktop.ui.screening.visit_style import HINT_COLOUR

#: Widths of the result columns, shared with the header over them.
VALUE_WIDTH: Final = 72
UNIT_WIDTH: Final = 92
AT_WIDTH: Final = 136
ULN_WIDTH: Final = 60


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
        for unit in units:  # shown as people write it, kept as the registry spells it
            self.unit.addItem(display_unit(unit), unit)
        self.unit.setAccessibleName(f"{label} unit")
        self.unit.setFixedWidth(UNIT_WIDTH)
        if len(units) == 1:
            self.unit.setToolTip(f"{label} is entered in {display_unit(units[0])} only")
        self.at = named(QLineEdit(), f"result_{code}_at")
        self.at.setPlaceholderText(WHEN_HINT)
        self.at.setToolTip(WHEN_TIP)
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
        self.error = message_label(f"result_{code}_error")
        fields: dict[str, QWidget] = {"value": self.value, "unit": self.unit, "at": self.at}
        if self.uln is not None:
            fields["uln"] = self.uln
        self._messages = Messages(self.error, fields)
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
        """The chosen unit as the registry spells it (``umol/L``; shown ``µmol/L``)."""
        data = self.unit.currentData()
        return data if isinstance(data, str) else self.unit.currentText()

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
        index = self.unit.findData(unit)
        if index < 0:
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
                set_field_read_only(field, read_only)
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
