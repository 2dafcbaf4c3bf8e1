"""Qt table models of the patient view: the patient's screenings, and one screening's stages.

Both are read-only views over summaries built by :mod:`desktop.ui.screening_summary`;
states show a mark and words, with colour only as a second cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop.domain.visits import StageState
from desktop.ui.screening_summary import ScreeningSummary, SlotView

_Index = QModelIndex | QPersistentModelIndex

#: Light backgrounds that keep black text readable, also when printed in grey.
STATE_COLOUR: Final[dict[StageState, str]] = {
    StageState.NOT_STARTED: "",
    StageState.IN_PROGRESS: "#fff4cc",
    StageState.ELIGIBLE: "#dff3e0",
    StageState.NOT_ELIGIBLE: "#fbe0e0",
    StageState.OVERRIDDEN: "#e8e0f8",
    StageState.SIGNED: "#cdeccf",
}


class ScreeningsModel(QAbstractTableModel):
    """One row per trial the patient is screened for."""

    HEADERS: Final = ("Trial", "Stages", "Next")

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self._rows: list[ScreeningSummary] = []

    def set_summaries(self, rows: Sequence[ScreeningSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def summary_at(self, row: int) -> ScreeningSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, screening_id: int) -> int | None:
        return next((i for i, s in enumerate(self._rows) if s.screening.id == screening_id),
                    None)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        summary = self.summary_at(index.row())
        if summary is None or not index.isValid():
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{summary.trial.id}\n{summary.trial.title}"
            if column == 1:
                return summary.stages_text()
            return summary.due_text()
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                return (f"{summary.trial.title}\nProtocol: {summary.trial.protocol_version}\n"
                        f"Screening started {summary.screening.started_at.astimezone():%Y-%m-%d}"
                        f" by {summary.screening.started_by}")
            if column == 1:
                return "\n".join(f"{v.title}: {v.state.value}"
                                 + (f" — {v.detail()}" if v.visit is not None else "")
                                 for v in summary.slots)
            return summary.due_text()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        return None


class SlotsModel(QAbstractTableModel):
    """One row per visit slot (stage, or repeat of a stage) of the chosen screening."""

    HEADERS: Final = ("Stage", "State", "Details")

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self._rows: list[SlotView] = []

    def set_slots(self, rows: Sequence[SlotView]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def slot_at(self, row: int) -> SlotView | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        view = self.slot_at(index.row())
        if view is None or not index.isValid():
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (view.title, view.state_text(), view.detail())[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            stage = view.slot.stage
            text = stage.heading or stage.title
            if stage.override is not None:
                text += f"\n\nThe protocol allows proceeding after review: {stage.override.text}"
            if view.failure is not None:
                text += "\n\nScreen failure:\n" + "\n".join(
                    f"• {cid}: {reason}" for cid, reason in view.failure.reasons)
            return text
        if role == Qt.ItemDataRole.BackgroundRole and column == 1:
            colour = STATE_COLOUR[view.state]
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and STATE_COLOUR[view.state]:
            return QBrush(QColor("#000000"))
        return None
