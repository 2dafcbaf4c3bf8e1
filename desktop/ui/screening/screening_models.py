"""Qt table models of the patient view: the patient's screenings, and one screening's stages.

Both are read-only views over summaries built by :mod:`desktop.ui.screening.screening_summary`;
states show a mark and words, with colour only as a second cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QTableView

from desktop.domain.units import display_text
from desktop.domain.visits import StageState
from desktop.domain.wording import criterion_ref
from desktop.ui.common.row_model import RowTableModel
from desktop.ui.common.widgets import named
from desktop.ui.screening.screening_summary import ScreeningSummary, SlotView
from desktop.ui.screening.visit_style import ERROR_COLOUR

#: Light backgrounds that keep black text readable, also when printed in grey.
STATE_COLOUR: Final[dict[StageState, str]] = {
    StageState.NOT_STARTED: "",
    StageState.IN_PROGRESS: "#fff4cc",
    StageState.ELIGIBLE: "#dff3e0",
    StageState.AWAITING_SIGNATURE: "#ffe3b3",
    StageState.NOT_ELIGIBLE: "#fbe0e0",
    StageState.OVERRIDDEN: "#e8e0f8",
    StageState.SIGNED: "#cdeccf",
}


class ScreeningsModel(RowTableModel[ScreeningSummary]):
    """One row per trial the patient is screened for."""

    HEADERS = ("Trial", "Stages", "Next")
    _now: datetime | None = None

    def set_summaries(self, rows: Sequence[ScreeningSummary],
                      now: datetime | None = None) -> None:
        """``now``: the view's clock, for "— overdue" (red, bold) on a passed due time."""
        self._now = now
        self.set_rows(rows)

    def summary_at(self, row: int) -> ScreeningSummary | None:
        return self.row_at(row)

    def row_of(self, screening_id: int) -> int | None:
        return next((i for i, s in enumerate(self._rows) if s.screening.id == screening_id),
                    None)

    def cell(self, summary: ScreeningSummary, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{summary.trial.id}\n{summary.trial.title}"
            if column == 1:
                return summary.stages_text()
            return summary.due_text(self._now)
        overdue = column == 2 and self._now is not None and summary.overdue(self._now)
        if role == Qt.ItemDataRole.ForegroundRole and overdue:
            return QBrush(QColor(ERROR_COLOUR))
        if role == Qt.ItemDataRole.FontRole and overdue:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                return (f"{summary.trial.title}\nProtocol: {summary.trial.protocol_version}\n"
                        f"Screening started {summary.screening.started_at.astimezone():%Y-%m-%d}"
                        f" by {summary.screening.started_by}")
            if column == 1:
                return "\n".join(f"{v.title}: {v.state.value}"
                                 + (f" — {v.detail()}" if v.visit is not None else "")
                                 for v in summary.slots)
            return summary.due_text(self._now)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        return None


class SlotsModel(RowTableModel[SlotView]):
    """One row per visit slot (stage, or repeat of a stage) of the chosen screening."""

    HEADERS = ("Stage", "State", "Details")

    def set_slots(self, rows: Sequence[SlotView]) -> None:
        self.set_rows(rows)

    def slot_at(self, row: int) -> SlotView | None:
        return self.row_at(row)

    def cell(self, view: SlotView, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return (view.title, view.state_text(), view.detail())[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            stage = view.slot.stage
            text = stage.heading or stage.title
            if stage.override is not None:
                text += f"\n\nThe protocol allows proceeding after review: {stage.override.text}"
            if view.failure is not None:
                text += "\n\nScreen failure:\n" + "\n".join(
                    f"• {criterion_ref(stage, cid)}: {display_text(reason)}"
                    for cid, reason in view.failure.reasons)
            return text
        if role == Qt.ItemDataRole.BackgroundRole and column == 1:
            colour = STATE_COLOUR[view.state]
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and STATE_COLOUR[view.state]:
            return QBrush(QColor("#000000"))
        return None


def screening_table(name: str, model: ScreeningsModel | SlotsModel, accessible: str) -> QTableView:
    """A read-only table of one of the view's models, one row selected at a time."""
    table = named(QTableView(), name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setDefaultAlignment(
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    table.setAccessibleName(accessible)
    return table
