"""A stage's live outcomes as a Qt table model: one row per criterion, in protocol order.

A thin adapter over the engine's :class:`~desktop.domain.engine.Verdict`: the outcome
(icon, word and background together, never colour alone), the criterion (kind, id and
the start of its text) and the engine's reason, which already shows computed values
with their inputs (CrCl with its Cockcroft-Gault inputs). The protocol's verbatim text
and any reading note are the tooltip.

``set_verdict`` is called on every keystroke in the visit form, so it compares the new
results with the shown ones and signals ``dataChanged`` only for rows that changed; it
returns those rows so the view can re-measure just them.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.domain.engine import CriterionResult, Verdict
from desktop.ui.visit_style import LOOKS, status_icon

ModelIndex = QModelIndex | QPersistentModelIndex

COLUMNS: Final = ("Outcome", "Criterion", "Reason")
OUTCOME, CRITERION, REASON = range(len(COLUMNS))
SHORT_TEXT: Final = 110  # characters of the protocol text shown in the Criterion column

#: The criterion id of a row.
CriterionIdRole: Final = Qt.ItemDataRole.UserRole + 1
#: The outcome word of a row ("pass", "fail", "unknown").
OutcomeRole: Final = Qt.ItemDataRole.UserRole + 2


def short_text(text: str, limit: int = SHORT_TEXT) -> str:
    """The protocol text on one line, cut at a word boundary (the full text is the tooltip)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(" ,:;-") + "…"


@dataclass(frozen=True)
class _Row:
    """What one row shows; rows compare equal when nothing on screen would change."""

    criterion_id: str
    kind: str
    outcome: str
    reason: str
    title: str
    tooltip: str


def _row(result: CriterionResult, number: int) -> _Row:
    criterion = result.criterion
    kind = criterion.kind.capitalize()
    how = "answered" if criterion.attested else "computed"
    title = f"{number}. {kind} · {how}\n{short_text(criterion.text)}"
    tip = f"<p><b>{escape(kind)} {escape(criterion.id)}</b> (protocol text)</p>" \
          f"<p>{escape(criterion.text)}</p>"
    if criterion.note:
        tip += f"<p><b>Reading note:</b> {escape(criterion.note)}</p>"
    return _Row(criterion.id, kind, result.outcome, result.reason, title, tip)


class OutcomesTableModel(QAbstractTableModel):
    """The outcomes of one verdict; ``set_verdict`` updates them in place."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._bold = QFont()
        self._bold.setBold(True)
        self._backgrounds = {k: QBrush(QColor(v.pale)) for k, v in LOOKS.items()}
        self._foregrounds = {k: QBrush(QColor(v.text)) for k, v in LOOKS.items()}

    def set_verdict(self, verdict: Verdict | None) -> list[int]:
        """Show ``verdict``'s results; returns the rows whose content changed."""
        rows = [] if verdict is None else [_row(r, n) for n, r in
                                           enumerate(verdict.results, start=1)]
        same_shape = [r.criterion_id for r in rows] == [r.criterion_id for r in self._rows]
        if not same_shape:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
            return list(range(len(rows)))
        changed = [i for i, (old, new) in enumerate(zip(self._rows, rows, strict=True))
                   if old != new]
        for i in changed:
            self._rows[i] = rows[i]
        # One signal per run of adjacent changed rows: a keystroke usually changes one.
        start = 0
        while start < len(changed):
            end = start
            while end + 1 < len(changed) and changed[end + 1] == changed[end] + 1:
                end += 1
            self.dataChanged.emit(self.index(changed[start], 0),
                                  self.index(changed[end], len(COLUMNS) - 1))
            start = end + 1
        return changed

    def row_of(self, criterion_id: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.criterion_id == criterion_id),
                    None)

    def outcome(self, criterion_id: str) -> str | None:
        row = self.row_of(criterion_id)
        return None if row is None else self._rows[row].outcome

    def reason(self, criterion_id: str) -> str | None:
        row = self.row_of(criterion_id)
        return None if row is None else self._rows[row].reason

    # -- QAbstractTableModel ---------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | \
            Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == OUTCOME:
                return LOOKS[row.outcome].word
            return row.title if column == CRITERION else row.reason
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.tooltip
        if role == Qt.ItemDataRole.AccessibleTextRole and column == OUTCOME:
            return f"{LOOKS[row.outcome].word}: {row.criterion_id}"
        if role == CriterionIdRole:
            return row.criterion_id
        if role == OutcomeRole:
            return row.outcome
        if column == OUTCOME:
            if role == Qt.ItemDataRole.DecorationRole:
                return status_icon(row.outcome)
            if role == Qt.ItemDataRole.BackgroundRole:
                return self._backgrounds[row.outcome]
            if role == Qt.ItemDataRole.ForegroundRole:
                return self._foregrounds[row.outcome]
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole:
            vertical = Qt.AlignmentFlag.AlignVCenter if column == OUTCOME else \
                Qt.AlignmentFlag.AlignTop
            return Qt.AlignmentFlag.AlignLeft | vertical
        return None
