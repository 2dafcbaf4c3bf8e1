"""Find candidates' table: one row per patient, sortable and filterable.

``rows_of`` works out each row's cells and sort keys once (on the search's worker
thread: pure Python, no Qt); ``CandidatesModel`` takes them all at once when the
search ends (``set_rows``: one reset, no Python work per row on the GUI thread). It
sorts itself (``sort``: one Python sort of precomputed keys, never a comparison per
cell through Qt), so sorting 10,000 rows keeps the GUI thread free.
``CandidatesFilter`` narrows the view by name or MRN and by decision, and passes
sorting on to the model. Words only: the decisions are the prescreen service's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from desktop.services.candidate_export import candidate_cells
from desktop.services.prescreening import Candidate
from desktop.ui.screening.visit_style import LOOKS

COLUMNS: Final = ("Patient", "MRN", "Born", "Already screened", "First stage so far",
                  "If screened now", "Failing", "Missing", "Needs")
_Index = QModelIndex | QPersistentModelIndex
_LOOK_OF: Final = {"eligible": "pass", "incomplete": "unknown", "not_eligible": "fail"}
_ORDER: Final = {"eligible": 0, "incomplete": 1, "not_eligible": 2}
_OPEN: Final = ("eligible", "incomplete")


@dataclass(frozen=True)
class CandidateRow:
    """What one row shows and exports, in words and sort keys only: the verdicts it was
    worked out from are let go (10,000 of them would keep millions of objects alive for
    the cyclic collector to walk, with the GIL held, while the GUI waits)."""

    patient_id: int
    trial_id: str
    mrn: str
    #: The decisions ("" when it could not be worked out).
    decision: str
    provisional: str
    screened: bool
    failing: int
    missing: int
    cells: tuple[str, ...]
    #: The CSV's cells (``candidate_export.candidate_cells``).
    export: tuple[str, ...]
    keys: tuple[object, ...]
    search: str


#: The decision filters offered: label -> which rows pass.
FILTERS: Final[dict[str, Callable[[CandidateRow], bool]]] = {
    "All patients": lambda r: True,
    "Nothing fails so far": lambda r: r.decision in _OPEN,
    "Nothing fails if screened now": lambda r: r.provisional in _OPEN,
    "Not eligible": lambda r: r.decision == "not_eligible",
    "Not screened for this trial": lambda r: not r.screened,
}


_ALL: Final = FILTERS["All patients"]


def rows_of(candidates: Sequence[Candidate]) -> list[CandidateRow]:
    """The rows of ``candidates``, each worked out once (any thread)."""
    return [_row(c) for c in candidates]


def _row(candidate: Candidate) -> CandidateRow:
    words = candidate_cells(candidate)
    result = candidate.result
    missing = len(result.missing_inputs)
    failing = result.failing_count
    cells = (words[0], words[1], words[2], "screened" if result.screened else "",
             words[5], words[6], str(failing) if result.entry else "—",
             str(missing) if result.entry else "—",
             "; ".join(part for part in (words[9], words[10]) if part))
    keys: tuple[object, ...] = (
        (candidate.family_name.casefold(), candidate.given_name.casefold()), candidate.mrn,
        candidate.birth_date, result.screened,
        (_ORDER.get(result.decision or "", 3), failing, missing),
        (_ORDER.get(result.provisional_decision or "", 3), failing, missing),
        failing, missing, words[9])
    return CandidateRow(
        candidate.patient_id, result.trial.id, candidate.mrn, result.decision or "",
        result.provisional_decision or "", result.screened, failing, missing, cells, words,
        keys, f"{candidate.family_name} {candidate.given_name} {candidate.mrn}".casefold())


class CandidatesModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CandidateRow] = []
        self._brushes = {k: QBrush(QColor(LOOKS[v].pale)) for k, v in _LOOK_OF.items()}

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.endResetModel()

    def set_rows(self, rows: list[CandidateRow], column: int | None = None) -> None:
        """Show ``rows`` (from ``rows_of``), sorted by ``column``'s key if given."""
        if column is not None:
            rows = sorted(rows, key=lambda r: r.keys[column])  # type: ignore[arg-type,return-value]
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> CandidateRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list[CandidateRow]:
        return list(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row, column = self._rows[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.cells[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.cells[column] or None
        if role == Qt.ItemDataRole.BackgroundRole and column in (4, 5):
            return self._brushes.get(row.decision if column == 4 else row.provisional)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (6, 7):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """By ``column``'s precomputed key (decisions: eligible so far first)."""
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        before = list(self.persistentIndexList())
        positions = {id(r): i for i, r in enumerate(self._rows)}
        self._rows.sort(key=lambda r: r.keys[column],  # type: ignore[arg-type,return-value]
                        reverse=order == Qt.SortOrder.DescendingOrder)
        moved = {positions[id(r)]: i for i, r in enumerate(self._rows)}
        self.changePersistentIndexList(
            before, [self.index(moved[i.row()], i.column()) for i in before])
        self.layoutChanged.emit()


class CandidatesFilter(QSortFilterProxyModel):
    """Rows whose name or MRN contains the text and whose decision passes the filter;
    sorting is the model's own."""

    def __init__(self, model: CandidatesModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.setSourceModel(model)
        self._text = ""
        self._passes: Callable[[CandidateRow], bool] = _ALL

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = " ".join(text.split()).casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_decision(self, label: str) -> None:
        self.beginFilterChange()
        self._passes = FILTERS[label]
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @property
    def active(self) -> bool:
        return bool(self._text) or self._passes is not _ALL

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if not self._text and self._passes is _ALL:
            return True
        row = self._model.row_at(source_row)
        if row is None or not self._passes(row):
            return False
        return not self._text or self._text in row.search

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._model.sort(column, order)

    def row_at(self, row: int) -> CandidateRow | None:
        return self._model.row_at(self.mapToSource(self.index(row, 0)).row())

    def shown(self) -> list[CandidateRow]:
        """The rows as the view shows them (filtered, in order)."""
        found = [self.row_at(r) for r in range(self.rowCount())]
        return [r for r in found if r is not None]
