"""The audit view's tables: the audit rows, and the field changes of the row selected.

Times are the workstation's clock when the row was written, with its UTC offset (the
header says so). A row written with the clock set back, or one the writer noted an anomaly
on, says so in words in the "Flags" column (tinted too, never by colour alone).
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from desktop.services.audit_log import CLOCK_BACK, AuditRow, FieldChange
from desktop.ui.common.row_model import RowTableModel

ROW, CLOCK, USER, ACTION, ENTITY, ENTITY_ID, REASON, FLAGS = range(8)
CHANGED_ROW, FIELD, OLD, NEW = range(4)
CLOCK_HEADER: Final = "Workstation clock"
ANOMALY: Final = "anomaly"
#: Longest text a cell shows; the tooltip and the detail pane have the rest.
CELL_LIMIT: Final = 200

_DISPLAY: Final = Qt.ItemDataRole.DisplayRole
_TOOLTIP: Final = Qt.ItemDataRole.ToolTipRole
_BACKGROUND: Final = Qt.ItemDataRole.BackgroundRole
_ALIGN: Final = Qt.ItemDataRole.TextAlignmentRole
_WARN: Final = QColor(255, 236, 179)  # amber, light: readable with the default text colour


def flags(row: AuditRow) -> str:
    """The words of the "Flags" column: clock set back, anomaly (empty for neither)."""
    words = ([CLOCK_BACK] if row.clock_back else []) + ([ANOMALY] if row.anomaly else [])
    return ", ".join(words)


def shown(text: str | None) -> str:
    """A value in one cell: on one line, cut at ``CELL_LIMIT`` characters."""
    if text is None:
        return ""
    one_line = " ".join(text.split()) if ("\n" in text or "\r" in text) else text
    return one_line if len(one_line) <= CELL_LIMIT else one_line[:CELL_LIMIT] + "…"


class AuditTableModel(RowTableModel[AuditRow]):
    """One audit row per line, newest first (as the service lists them)."""

    HEADERS = ("Row", CLOCK_HEADER, "User", "Action", "Entity", "Id", "Reason", "Flags")

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = _DISPLAY) -> object:
        if orientation == Qt.Orientation.Horizontal and role == _TOOLTIP:
            if section == CLOCK:
                return ("The workstation's clock when the row was written, with its UTC "
                        "offset; the time zone is in the detail below.")
            if section == FLAGS:
                return (f"'{CLOCK_BACK}': written at a time earlier than a row before it; "
                        f"'{ANOMALY}': the writer found the trail not as expected.")
        return super().headerData(section, orientation, role)

    def cell(self, value: AuditRow, column: int, role: int) -> object:
        if role == _DISPLAY:
            return (str(value.id), value.clock, value.actor, value.action, value.entity,
                    str(value.entity_id), shown(value.reason), flags(value))[column]
        if role == _TOOLTIP:
            if column == CLOCK:
                return f"{value.clock} ({value.time_zone})"
            if column == REASON and value.reason:
                return value.reason
            if column == FLAGS and value.anomaly:
                return f"Anomaly: {value.anomaly}"
        if role == _BACKGROUND and column == FLAGS and flags(value):
            return QBrush(_WARN)
        if role == _ALIGN and column in (ROW, ENTITY_ID):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def row_of(self, audit_id: int) -> int | None:
        for number, row in enumerate(self._rows):
            if row.id == audit_id:
                return number
        return None


class ChangesModel(RowTableModel[FieldChange]):
    """The selected row's field changes: field, old value, new value side by side."""

    HEADERS = ("Changed row", "Field", "Old value", "New value")

    def cell(self, value: FieldChange, column: int, role: int) -> object:
        if role == _DISPLAY:
            return (_changed_row(value), value.field, shown(value.old),
                    shown(value.new))[column]
        if role == _TOOLTIP:
            if column == OLD and value.old:
                return value.old
            if column == NEW and value.new:
                return value.new
            if column == CHANGED_ROW:
                return _OPS.get(value.op, value.op)
        return None


_OPS: Final = {"insert": "added", "update": "changed", "delete": "removed",
               "baseline": "as it stood when the audit chain began"}


def _changed_row(change: FieldChange) -> str:
    return f"{change.table} {change.key} ({_OPS.get(change.op, change.op)})"
