"""The patient view's "Other trials": every trial the patient is not screened for yet,
with what the registry already holds says of its first stage.

One row per trial, eligible-so-far first: the first stage's decision on the results and
facts entered (strict: a windowed lab with no planned date is unknown), the decision
"if screened now" (each missing planned date taken as today), the failing criteria by
number and protocol text, and what is still needed ("needs: LVEF, CD123 expression").
Each row has its own "Start screening" button; the patient view starts it through the
screening service. The decisions are the prescreen service's (the engine's); this
module only shows them, and nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.services.prescreening import (
    DECISION_WORDS,
    TrialPrescreen,
    failing_lines,
    needs_text,
)
from desktop.services.rows import RegistryError
from desktop.ui.common.context import ContextError, ScreeningContext
from desktop.ui.common.widgets import named
from desktop.ui.screening.outcomes_model import short_text
from desktop.ui.screening.visit_style import LOOKS, status_icon

COLUMNS: Final = ("Trial", "First stage so far", "If screened now", "Failing criteria",
                  "Needs", "")
#: The look of each decision (the visit form's outcome colours).
_LOOK_OF: Final = {"eligible": "pass", "incomplete": "unknown", "not_eligible": "fail"}
_Index = QModelIndex | QPersistentModelIndex


def decision_words(decision: str | None) -> str:
    return DECISION_WORDS.get(decision or "", "cannot be worked out")


@dataclass(frozen=True)
class _Row:
    result: TrialPrescreen
    cells: tuple[str, ...]
    tips: tuple[str, ...]


def _row(result: TrialPrescreen) -> _Row:
    trial = result.trial
    strict, later = failing_lines(result), failing_lines(result, provisional=True)
    lines = strict + [f"{line} (if screened now)" for line in later]
    shown = [short_text(line, 70) for line in strict] + \
        [f"{short_text(line, 50)} (if screened now)" for line in later]
    needs = needs_text(result.missing_inputs)
    note = result.problem or result.caution
    cells = (f"{trial.id}\n{short_text(trial.title, 60)}",
             decision_words(result.decision),
             decision_words(result.provisional_decision),
             "\n".join(shown) or "none",
             (f"needs: {needs}" if needs else "no result missing") +
             (f"\nNote: {note}" if note else ""),
             "")
    tips = (trial.title, "From the results and facts entered; a lab that must be taken "
            "within a window of a planned date is unknown until the date is entered.",
            "As if each planned date of the first stage were today.",
            "\n".join(lines), note or needs, "")
    return _Row(result, cells, tips)


class OtherTrialsModel(QAbstractTableModel):
    """The trials the patient is not screened for, in the order given."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._backgrounds = {k: QBrush(QColor(LOOKS[v].pale)) for k, v in _LOOK_OF.items()}
        self._icons = {k: status_icon(v) for k, v in _LOOK_OF.items()}

    def set_results(self, results: list[TrialPrescreen]) -> None:
        self.beginResetModel()
        self._rows = [_row(r) for r in results]
        self.endResetModel()

    def result_at(self, row: int) -> TrialPrescreen | None:
        return self._rows[row].result if 0 <= row < len(self._rows) else None

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
        decision = (row.result.decision if column == 1 else
                    row.result.provisional_decision if column == 2 else None)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.cells[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.tips[column] or None
        if role == Qt.ItemDataRole.BackgroundRole and decision is not None:
            return self._backgrounds.get(decision)
        if role == Qt.ItemDataRole.DecorationRole and decision is not None:
            return self._icons.get(decision)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        return None


class OtherTrialsPanel(QGroupBox):
    """"Other trials" for one patient; ``start_requested(trial_id)`` when a row's
    "Start screening" is clicked."""

    start_requested = Signal(str)

    def __init__(self, context: ScreeningContext, parent: QWidget | None = None) -> None:
        super().__init__("Other trials: first stage from the results and facts already "
                         "entered (nothing is saved)", parent)
        self.setObjectName("other_trials")
        self.context = context
        self.model = OtherTrialsModel(self)
        self.table = named(QTableView(), "other_trials_table")
        self.table.setAccessibleName("Other trials")
        self.table.setModel(self.model)
        self.table.setWordWrap(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        for column, width in enumerate((170, 125, 125, 280)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.ResizeToContents)
        self.status = named(QLabel(), "other_trials_status")
        self.status.setWordWrap(True)
        self.status.hide()
        self.buttons: dict[str, QPushButton] = {}
        # Never squeezed below the header and about two trials' rows.
        self.table.setMinimumHeight(self.fontMetrics().height() * 9)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.table)

    def show_for(self, patient_id: int, why_not: str | None, archived: bool) -> None:
        """Read the patient's prescreens again; ``why_not``: why the user may not start
        a screening (the buttons are disabled with it as their tooltip)."""
        try:
            found = self.context.prescreens.for_patient(patient_id)
        except (RegistryError, ContextError) as exc:
            self._say(f"Other trials not shown: {exc}")
            self.model.set_results([])
            return
        others = sorted((r for r in found if not r.screened), key=lambda r: r.rank())
        self.model.set_results(others)
        self._say("" if others else "The patient is being screened for every trial.")
        self.buttons = {}
        for row, result in enumerate(others):
            button = named(QPushButton("Start screening"), f"start_{result.trial.id}")
            button.setAccessibleName(f"Start screening for {result.trial.id}")
            refusal = why_not or ("The patient is archived; restore them first."
                                  if archived else None)
            button.setEnabled(refusal is None)
            button.setToolTip(refusal or f"Start screening for {result.trial.id}")
            button.clicked.connect(lambda _c=False, t=result.trial.id: self.start_requested.emit(t))
            self.table.setIndexWidget(self.model.index(row, 5), button)
            self.buttons[result.trial.id] = button
        self.table.resizeRowsToContents()

    def select_trial(self, trial_id: str) -> bool:
        for row in range(self.model.rowCount()):
            result = self.model.result_at(row)
            if result is not None and result.trial.id == trial_id:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
                return True
        return False

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
