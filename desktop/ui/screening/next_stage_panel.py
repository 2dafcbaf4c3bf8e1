"""The patient view's "Next stage" panel: planned dates against the protocol's schedule,
and each blood test with the result that still counts and until when, or the time it
must be drawn by (overdue in red and bold); and "Lab-order sheet…", the short PDF for
phlebotomy. (When the stage's labs are due is the view's "Next:" line.)

Everything shown comes from the lab-order service (``LabOrderService.next_stage``, as of
the view's clock); the sheet is written by it (audited) after a save dialog
(``choose_path``, which tests replace), as the other exports are.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.validity import Draw
from desktop.services.rows import RegistryError
from desktop.ui.common.exporting import PDF_FILTER, ChoosePath, Export, export_refusal, save_dialog
from desktop.ui.common.widgets import named, push_button
from desktop.ui.screening.schedule_text import warning_lines
from desktop.ui.screening.visit_style import ERROR_COLOUR, HINT_COLOUR, SECTION_STYLE

if TYPE_CHECKING:
    from datetime import datetime

    from desktop.services.lab_orders import LabOrderExported, LabOrderService, NextStage
    from desktop.ui.common.context import ScreeningContext
    from desktop.ui.screening.screening_summary import ScreeningSummary

NOT_EXPORTED: Final = "Lab-order sheet not written"
NOTHING: Final = "No stage to screen next: there is nothing to draw."
EXPORT_TIP: Final = ("The blood tests of the next stage with their draw-by times, for "
                     "phlebotomy (PDF; the export is recorded in the audit trail).")

_Index = QModelIndex | QPersistentModelIndex


class DrawsModel(QAbstractTableModel):
    """One row per blood test of the next stage: test, when, what it rests on."""

    COLUMNS: Final = ("Test", "When", "Details")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Draw] = []
        self._now: datetime | None = None

    def set_draws(self, draws: tuple[Draw, ...], now: datetime | None) -> None:
        self.beginResetModel()
        self._rows, self._now = list(draws), now
        self.endResetModel()

    def draw_at(self, row: int) -> Draw | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None

    def _overdue(self, draw: Draw) -> bool:
        return self._now is not None and draw.overdue(self._now)

    def when(self, draw: Draw) -> str:
        if draw.status == "draw":
            late = " — overdue" if self._overdue(draw) else ""
            return f"draw by {draw.by_words()}{late}"
        if draw.status == "reuse" and draw.valid is not None:
            return f"valid until {draw.valid.until.words()}"
        if draw.status == "needs_event":
            return "planned date needed"
        return "no time window"

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        draw = self.draw_at(index.row()) if index.isValid() else None
        if draw is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (draw.label, self.when(draw), draw.text)[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and self._overdue(draw):
            return QColor(ERROR_COLOUR)
        if role == Qt.ItemDataRole.FontRole and column == 1 and self._overdue(draw):
            font = QFont()
            font.setBold(True)
            return font
        return None


class NextStagePanel(QWidget):
    """What the next stage needs drawn by when, and its lab-order sheet."""

    def __init__(self, parent: QWidget, context: ScreeningContext) -> None:
        super().__init__(parent)
        self._context = context
        self._chosen: tuple[int, str] | None = None  # screening id, trial id
        self._service: LabOrderService | None = None
        self.found: NextStage | None = None
        self.title = named(QLabel("Next stage"), "next_stage_title")
        self.title.setStyleSheet(SECTION_STYLE)
        self.note = named(QLabel(), "next_stage_note")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color:{HINT_COLOUR};")
        self.warnings = named(QLabel(), "schedule_warnings")
        self.warnings.setWordWrap(True)
        self.warnings.setTextFormat(Qt.TextFormat.RichText)
        self.model = DrawsModel(self)
        self.table = named(QTableView(), "next_draws")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Blood tests of the next stage")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.resizeSection(0, 170)
        header.resizeSection(1, 230)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().height() + 8)
        self.button = push_button("Lab-order sheet…", "export_lab_order", self.export)
        self.status = named(QLabel(), "lab_order_status")
        self.status.setWordWrap(True)
        self.choose_path: ChoosePath = save_dialog("Save the lab-order sheet", PDF_FILTER)
        self.job: Export[LabOrderExported] = Export(parent, context.messages, self.status,
                                                    [self.button], self._gate)
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addWidget(self.note, 1)
        bar.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.warnings)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        self.show_for(None)

    @property
    def service(self) -> LabOrderService:
        """Built on first use, for the view's user and clock."""
        if self._service is None:
            self._service = self._context.lab_orders
        return self._service

    def show_for(self, summary: ScreeningSummary | None) -> None:
        """Read the chosen screening's next stage again (None: no screening chosen)."""
        self.found = None
        self._chosen = None if summary is None else (summary.screening.id, summary.trial.id)
        problem = ""
        if summary is not None:
            try:
                self.found = self.service.next_stage(summary.screening.id, summary.trial)
            except RegistryError as exc:
                problem = f"Not read: {exc}"
        found = self.found
        if found is None:
            self.title.setText("Next stage")
            self.note.setText(problem or ("" if summary is None else NOTHING))
            self.warnings.setText("")
            self.model.set_draws((), None)
        else:
            self.title.setText(f"Next stage: {found.title}")
            self.note.setText("" if found.draws else "No blood tests in this stage.")
            self.warnings.setText(warning_lines(found.warnings))
            self.model.set_draws(found.draws, found.now)
        self.warnings.setVisible(bool(self.warnings.text()))
        self.table.setVisible(self.model.rowCount() > 0)
        if not self.job.running:
            self._gate()

    def _gate(self) -> None:
        why_not = export_refusal(self.service.actor) or (
            None if self.found is not None else NOTHING)
        self.button.setEnabled(why_not is None)
        self.button.setToolTip(why_not or EXPORT_TIP)

    def export(self) -> bool:
        """Ask where, then write the next stage's lab-order sheet; whether it started."""
        found = self.found
        if found is None or self._chosen is None:
            return False
        service = self.service
        if export_refusal(service.actor) is not None:
            return False
        screening_id, trial = found.screening_id, found.trial
        name = f"lab-order-{trial.id}-{found.stage.id}-screening{screening_id}.pdf"
        return self.job.run(
            self.choose_path, Path.home() / name,
            lambda path: service.export(screening_id, trial, path), title=NOT_EXPORTED,
            done=lambda done: (f"Lab-order sheet written to {done.path} "
                               f"({done.tests} test{'s' if done.tests != 1 else ''} to draw)."),
            progress=lambda path: f"Writing the lab-order sheet to {path}…")
