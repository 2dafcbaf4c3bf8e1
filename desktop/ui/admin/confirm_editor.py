"""The site's "confirm below / above" thresholds as a small editable table.

One row per observation: a value entered below "confirm below" or above "confirm above"
must be confirmed by whoever enters it. The whole table is handed to the site settings
service (``update(confirm=...)``), which checks every number; a refusal is shown word
for word and the table keeps what was typed. The service holds the values in the
observation's canonical unit, so a row is shown back in the first of its units in which
both numbers are exact decimals (a value typed as 17.68 umol/L comes back as 0.2 mg/dL).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.numbers import decimal_places, fmt_number
from desktop.domain.units import CODES, convert
from desktop.services.rows import DEFAULT_LIMITS
from desktop.services.site_settings import SiteValues
from desktop.ui.admin import admin_text as text
from desktop.ui.admin.admin_dialog import attempt
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named, push_button

#: code -> {"below": text | None, "above": text | None, "unit": unit}: what update() takes.
ConfirmEntries = dict[str, dict[str, str | None]]
SaveConfirm = Callable[[ConfirmEntries], SiteValues]
HEADERS = ("Observation", "Confirm below", "Confirm above", "Unit")
OBSERVATION, BELOW, ABOVE, UNIT = range(4)
#: The most decimals a threshold is shown with before another unit is tried.
MAX_PLACES = 6


def shown_limits(code: str, below: Fraction | None,
                 above: Fraction | None) -> tuple[str, str, str]:
    """(below, above, unit) as text: in the first unit of ``code`` that writes both
    exactly, else in the canonical unit rounded."""
    info = CODES[code]
    for unit in info.units:
        values = [convert(code, v, info.canonical, unit) if v is not None else None
                  for v in (below, above)]
        places = [decimal_places(v) for v in values if v is not None]
        if all(p is not None and p <= MAX_PLACES for p in places):
            low, high = (fmt_number(v, MAX_PLACES) if v is not None else "" for v in values)
            return low, high, unit
    low, high = (fmt_number(v) if v is not None else "" for v in (below, above))
    return low, high, info.canonical


def built_in_note() -> str:
    """What applies whatever the site sets, from the built-in table."""
    parts = []
    for code, limit in DEFAULT_LIMITS.items():
        low, high, unit = shown_limits(code, limit.below, limit.above)
        sides = [f"below {low}" if low else "", f"above {high}" if high else ""]
        parts.append(f"{text.code_label(code)} {' or '.join(s for s in sides if s)} {unit}")
    built_in = f"The built-in limits ({'; '.join(parts)}) always apply: " if parts else ""
    return (f"A value entered past a threshold must be confirmed by whoever enters it. "
            f"{built_in}a site adds and tightens limits, never loosens them.")


class ConfirmEditor(QWidget):
    def __init__(self, messages: MessageService, save: SaveConfirm,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._messages = messages
        self._save = save
        self.table = named(QTableWidget(0, len(HEADERS)), "confirm_table")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setAccessibleName("Confirm thresholds")
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(OBSERVATION, QHeaderView.ResizeMode.Stretch)
        for column in (BELOW, ABOVE, UNIT):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.add_button = push_button("Add thres&hold", "add_threshold", self.add_row)
        self.remove_button = push_button("Remo&ve threshold", "remove_threshold",
                                          self.remove_selected)
        self.save_button = push_button("Save thresh&olds", "save_thresholds", self.submit)
        self.note = named(QLabel(built_in_note()), "confirm_note")
        self.note.setWordWrap(True)
        self.status = named(QLabel(), "confirm_status")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()

    # -- the rows -------------------------------------------------------------------

    def load(self, confirm: Mapping[str, tuple[Fraction | None, Fraction | None]]) -> None:
        """The service's thresholds, in the order the forms list the observations."""
        self.table.setRowCount(0)
        for code in CODES:
            if code in confirm:
                self.add_row(code, *shown_limits(code, *confirm[code]))
        self.table.clearSelection()
        self._update_buttons()

    def add_row(self, code: str | None = None, below: str = "", above: str = "",
                unit: str | None = None) -> int:
        """A row (a new one: the first observation not listed yet); its number."""
        listed = set(self.entries_codes())
        code = code or next((c for c in CODES if c not in listed), next(iter(CODES)))
        row = self.table.rowCount()
        self.table.insertRow(row)
        chooser = QComboBox()
        for each in CODES:
            chooser.addItem(text.code_label(each), each)
        chooser.setCurrentIndex(chooser.findData(code))
        chooser.setAccessibleName("Observation")
        self.table.setCellWidget(row, OBSERVATION, chooser)
        units = QComboBox()
        units.setAccessibleName("Unit")
        self.table.setCellWidget(row, UNIT, units)
        self._offer_units(chooser, units, unit)
        chooser.currentIndexChanged.connect(lambda _i: self._offer_units(chooser, units, None))
        for column, value in ((BELOW, below), (ABOVE, above)):
            item = QTableWidgetItem(value)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)
        self.table.selectRow(row)
        return row

    @staticmethod
    def _offer_units(chooser: QComboBox, units: QComboBox, unit: str | None) -> None:
        code = str(chooser.currentData())
        units.clear()
        units.addItems(list(CODES[code].units))
        units.setCurrentIndex(max(0, units.findText(unit or CODES[code].canonical)))
        units.setEnabled(units.count() > 1)

    def remove_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.table.removeRow(rows[0].row())
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = bool(self.table.selectionModel().selectedRows())
        self.remove_button.setEnabled(chosen)
        self.remove_button.setToolTip("" if chosen else "Select a threshold first.")

    def _combo(self, row: int, column: int) -> QComboBox:
        widget = self.table.cellWidget(row, column)
        assert isinstance(widget, QComboBox)
        return widget

    def _text(self, row: int, column: int) -> str | None:
        item = self.table.item(row, column)
        typed = item.text().strip() if item is not None else ""
        return typed or None

    def entries_codes(self) -> list[str]:
        return [str(self._combo(row, OBSERVATION).currentData())
                for row in range(self.table.rowCount())]

    def entries(self) -> ConfirmEntries:
        """The table as ``update(confirm=...)`` takes it."""
        return {code: {"below": self._text(row, BELOW), "above": self._text(row, ABOVE),
                       "unit": self._combo(row, UNIT).currentText()}
                for row, code in enumerate(self.entries_codes())}

    # -- saving ---------------------------------------------------------------------

    def submit(self) -> None:
        codes = self.entries_codes()
        twice = next((code for code in codes if codes.count(code) > 1), None)
        if twice is not None:
            self._messages.error(self, "Confirm thresholds not saved",
                                 f"{text.code_label(twice)} is listed twice: keep one row.")
            return
        done, values = attempt(self._messages, self, "Confirm thresholds not saved",
                               lambda: self._save(self.entries()))
        if done and values is not None:
            self.load(values.confirm)
            self.status.setText("Confirm thresholds saved.")
