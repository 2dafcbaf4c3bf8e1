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
    QRect,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from desktop.domain.engine import Verdict
from desktop.domain.trial import Criterion, Stage
from desktop.domain.units import display_text
from desktop.domain.wording import shorten
from desktop.ui.screening.visit_style import LOOKS, status_icon

ModelIndex = QModelIndex | QPersistentModelIndex

COLUMNS: Final = ("Outcome", "Criterion", "Reason")
OUTCOME, CRITERION, REASON = range(len(COLUMNS))
SHORT_TEXT: Final = 110  # characters of the protocol text shown in the Criterion column

#: The criterion id of a row.
CriterionIdRole: Final = Qt.ItemDataRole.UserRole + 1
#: The outcome word of a row ("pass", "fail", "unknown").
OutcomeRole: Final = Qt.ItemDataRole.UserRole + 2


def short_text(text: str, limit: int = SHORT_TEXT) -> str:
    """The protocol text on one line, cut at a word boundary and never inside a quantity
    (``wording.shorten``); the full text is the tooltip."""
    return shorten(text, limit)


@dataclass(frozen=True)
class _Row:
    """What one row shows; rows compare equal when nothing on screen would change."""

    criterion_id: str
    outcome: str
    reason: str
    title: str
    tooltip: str
    #: "criterion 3": how a screen reader names the row.
    spoken: str


def _static(criterion: Criterion, number: int) -> tuple[str, str, str]:
    """The words of a row that never change with the record: title, tooltip, spoken."""
    kind = criterion.kind.capitalize()
    how = "answered" if criterion.attested else "computed"
    title = f"{number}. {kind} · {how}\n{short_text(criterion.text)}"
    tip = f"<p><b>{escape(kind)} #{number}</b> (protocol text)</p>" \
          f"<p>{escape(criterion.text)}</p>"
    if criterion.note:
        tip += f"<p><b>Reading note:</b> {escape(criterion.note)}</p>"
    return title, tip, f"criterion {number}"


_FLAGS: Final = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | \
    Qt.ItemFlag.ItemNeverHasChildren
_ALIGN_OUTCOME: Final = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ALIGN_TEXT: Final = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
_DISPLAY: Final = Qt.ItemDataRole.DisplayRole
_TOOLTIP: Final = Qt.ItemDataRole.ToolTipRole
_ALIGNMENT: Final = Qt.ItemDataRole.TextAlignmentRole
_DECORATION: Final = Qt.ItemDataRole.DecorationRole
_BACKGROUND: Final = Qt.ItemDataRole.BackgroundRole
_FOREGROUND: Final = Qt.ItemDataRole.ForegroundRole
_FONT: Final = Qt.ItemDataRole.FontRole
_ACCESSIBLE: Final = Qt.ItemDataRole.AccessibleTextRole


class OutcomesTableModel(QAbstractTableModel):
    """The outcomes of one verdict; ``set_verdict`` updates them in place."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._stage: Stage | None = None
        self._words: dict[str, tuple[str, str, str]] = {}
        self._icons = {k: status_icon(k) for k in LOOKS}
        self._words_of = {k: v.word for k, v in LOOKS.items()}
        self._bold = QFont()
        self._bold.setBold(True)
        self._backgrounds = {k: QBrush(QColor(v.pale)) for k, v in LOOKS.items()}
        self._foregrounds = {k: QBrush(QColor(v.text)) for k, v in LOOKS.items()}

    def set_verdict(self, verdict: Verdict | None) -> list[int]:
        """Show ``verdict``'s results; returns the rows whose content changed."""
        results = () if verdict is None else verdict.results
        if verdict is not None and verdict.stage is not self._stage:
            self._stage = verdict.stage
            self._words = {c.id: _static(c, n)
                           for n, c in enumerate(verdict.stage.criteria, start=1)}
        rows = [_Row(r.criterion.id, r.outcome, display_text(r.reason),
                     *self._words[r.criterion.id]) for r in results]
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
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called a few hundred times per repaint: cheapest checks first, no allocation.
        if not index.isValid():
            return None
        r = index.row()
        if not 0 <= r < len(self._rows):
            return None
        row = self._rows[r]
        column = index.column()
        if role == _DISPLAY:
            if column == OUTCOME:
                return self._words_of[row.outcome]
            return row.title if column == CRITERION else row.reason
        if role == _ALIGNMENT:
            return _ALIGN_OUTCOME if column == OUTCOME else _ALIGN_TEXT
        if column == OUTCOME:
            if role == _DECORATION:
                return self._icons[row.outcome]
            if role == _BACKGROUND:
                return self._backgrounds[row.outcome]
            if role == _FOREGROUND:
                return self._foregrounds[row.outcome]
            if role == _FONT:
                return self._bold
            if role == _ACCESSIBLE:
                return f"{self._words_of[row.outcome]}: {row.spoken}"
        if role == _TOOLTIP:
            return row.tooltip
        if role == CriterionIdRole:
            return row.criterion_id
        if role == OutcomeRole:
            return row.outcome
        return None


class CachedCellDelegate(QStyledItemDelegate):
    """Paints each cell once into a pixmap and re-uses it until the cell changes.

    Laying out wrapped reasons is most of a repaint's cost; on a keystroke one or two
    rows change, so the others are copied from the cache. The key holds everything the
    picture depends on (text, outcome, size, state), so a stale picture cannot be shown.
    """

    LIMIT: Final = 2000  # pictures kept; far above 3 columns x the largest stage

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: dict[tuple[object, ...], QPixmap] = {}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: ModelIndex) -> None:
        rect = option.rect
        state = option.state
        ratio = painter.device().devicePixelRatioF()
        key = (index.column(), index.data(_DISPLAY), index.data(OutcomeRole), rect.width(),
               rect.height(), int(state.value), ratio)
        picture = self._cache.get(key)
        if picture is None:
            if len(self._cache) >= self.LIMIT:
                self._cache.clear()
            picture = QPixmap(max(1, round(rect.width() * ratio)),
                              max(1, round(rect.height() * ratio)))
            picture.setDevicePixelRatio(ratio)
            picture.fill(Qt.GlobalColor.transparent)
            local = QStyleOptionViewItem(option)
            local.rect = QRect(0, 0, rect.width(), rect.height())
            cell = QPainter(picture)
            super().paint(cell, local, index)
            cell.end()
            self._cache[key] = picture
        painter.drawPixmap(rect.topLeft(), picture)
