"""The table view both admin tabs use: whole rows, one at a time, read-only, sized to fit.

Columns widen to their longest cell (names, dates, user ids show whole, up to a limit
past which the tooltip has the text); with ``wrap`` the last column's long text (a
revoke reason) wraps and its row grows, refitted whenever the table or a column changes
width.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

#: No column grows past this to fit its longest cell; the cell's tooltip has it whole.
MAX_COLUMN_WIDTH = 340
ROW_PADDING = 10
CELL_PADDING = 16


class AdminTable(QTableView):
    def __init__(self, model: QAbstractItemModel, name: str, accessible: str,
                 widths: Sequence[int], *, wrap: bool = False,
                 parent: QWidget | None = None) -> None:
        """``widths`` are the first columns' least widths (the last stretches)."""
        super().__init__(parent)
        self.setObjectName(name)
        self._least = list(widths)
        self._wrap = wrap
        self._rows_due = False
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setTabKeyNavigation(False)
        self.setWordWrap(wrap)
        self.setAccessibleName(accessible)
        rows = self.verticalHeader()
        rows.hide()
        rows.setDefaultSectionSize(self._row_height())
        header = self.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        model.modelReset.connect(self.fit_columns)
        if wrap:
            header.sectionResized.connect(lambda *_: self._fit_rows_soon())
        self.fit_columns()

    def _row_height(self) -> int:
        return self.fontMetrics().height() + ROW_PADDING

    def fit_columns(self) -> None:
        """Widen each column but the last to its longest cell (from its least width, up
        to ``MAX_COLUMN_WIDTH``)."""
        header = self.horizontalHeader()
        for column in range(self.model().columnCount() - 1):
            wanted = max(self.sizeHintForColumn(column), header.sectionSizeHint(column))
            floor = self._least[column] if column < len(self._least) else 0
            header.resizeSection(column, min(max(wanted + CELL_PADDING, floor),
                                             MAX_COLUMN_WIDTH))
        self._fit_rows_soon()

    def fit_rows(self) -> None:
        """Give each row the height of its tallest (wrapped) cell, with the padding."""
        self._rows_due = False
        if not self._wrap:
            return
        rows = self.verticalHeader()
        least = self._row_height()
        for row in range(self.model().rowCount()):
            rows.resizeSection(row, max(least, self.sizeHintForRow(row) + ROW_PADDING // 2))

    def _fit_rows_soon(self) -> None:
        """Once the widths have settled (a resize moves several sections at once)."""
        if self._wrap and not self._rows_due:
            self._rows_due = True
            QTimer.singleShot(0, self, self.fit_rows)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_rows_soon()
