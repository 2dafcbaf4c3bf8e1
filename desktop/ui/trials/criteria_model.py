"""One stage's criteria as a Qt table model, for the Trials view.

A thin adapter over the :class:`~desktop.domain.trial.Stage` the view hands it: one row
per criterion, in protocol order, with the words the domain already has for each
(``engine.describe`` for the rule, ``engine.inputs`` for what it reads). The model
decides nothing about eligibility.

A filter (case-insensitive, on the criterion text) hides rows but keeps each row's
protocol number, so "#12" means the same criterion filtered or not.
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
from PySide6.QtGui import QColor, QFont

from desktop.domain.engine import describe, inputs
from desktop.domain.trial import EVENTS, FACTS, Criterion, Stage
from desktop.domain.units import CODES

ModelIndex = QModelIndex | QPersistentModelIndex

COLUMNS: Final = ("#", "Kind", "Criterion (protocol text)", "How decided", "Rule in words",
                  "Time window", "Reads", "Alternatives", "Reading note")
NUMBER, KIND, TEXT, DECIDED, RULE, WINDOW, READS, ALTERNATIVES, NOTE = range(len(COLUMNS))

#: The Criterion object of a row.
CriterionRole: Final = Qt.ItemDataRole.UserRole + 1
#: The protocol's group heading, on the first shown row of each group (else None).
GroupHeadingRole: Final = Qt.ItemDataRole.UserRole + 2

NOTE_MARK: Final = "ℹ"  # U+2139: in DejaVu Sans and Segoe UI, unlike ⓘ
NONE: Final = "—"
_KIND_COLOURS: Final = {"inclusion": QColor("#1b5e20"), "exclusion": QColor("#8e1b1b")}

_OTHER_INPUTS: Final = {"birth_date": "Date of birth", "sex": "Sex"}


def input_label(name: str) -> str:
    """A readable name for one of ``engine.inputs``: observation, fact, event or field."""
    if name in CODES:
        return CODES[name].label
    if name in FACTS:
        return FACTS[name].capitalize()
    if name in EVENTS:
        return f"Time of {EVENTS[name]}"
    return _OTHER_INPUTS.get(name, name)


@dataclass(frozen=True)
class CriterionRow:
    """One criterion with its protocol number and the words shown for it."""

    number: int
    criterion: Criterion
    group_heading: str | None
    rule: str
    window: str
    reads: list[str]
    alternatives: list[str]

    @property
    def kind(self) -> str:
        return self.criterion.kind.capitalize()

    @property
    def decided(self) -> str:
        return "Attested" if self.criterion.attested else "Computed"


class CriteriaTableModel(QAbstractTableModel):
    """The criteria of one stage (``set_stage``), optionally filtered by text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stage: Stage | None = None
        self._filter = ""
        self._rows: list[CriterionRow] = []

    # -- what the view sets ----------------------------------------------------

    @property
    def stage(self) -> Stage | None:
        return self._stage

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def total(self) -> int:
        """Criteria in the stage, shown or filtered out."""
        return len(self._stage.criteria) if self._stage is not None else 0

    def set_stage(self, stage: Stage | None) -> None:
        self._stage = stage
        self._rebuild()

    def set_filter(self, text: str) -> None:
        """Show only criteria whose text contains ``text``, ignoring case."""
        self._filter = text.strip()
        self._rebuild()

    def unused_columns(self) -> set[int]:
        """Optional columns blank for every criterion of the stage (filter or not)."""
        criteria = self._stage.criteria if self._stage is not None else []
        used = {
            WINDOW: any(c.window is not None for c in criteria),
            READS: any(not c.attested for c in criteria),
            ALTERNATIVES: any(c.alternatives for c in criteria),
            NOTE: any(c.note for c in criteria),
        }
        return {column for column, is_used in used.items() if not is_used}

    def row_at(self, row: int) -> CriterionRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def criteria(self) -> list[Criterion]:
        """The criteria shown, top to bottom."""
        return [r.criterion for r in self._rows]

    def row_of(self, criterion_id: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.criterion.id == criterion_id),
                    None)

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
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == CriterionRole:
            return row.criterion
        if role == GroupHeadingRole:
            return row.group_heading if column == TEXT else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == Qt.ItemDataRole.ForegroundRole and column == KIND:
            return _KIND_COLOURS[row.criterion.kind]
        if role == Qt.ItemDataRole.FontRole and column == NOTE and row.criterion.note:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column == NUMBER:
                return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
            return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        return None

    # -- internals -------------------------------------------------------------

    def _rebuild(self) -> None:
        self.beginResetModel()
        self._rows = []
        stage = self._stage
        if stage is not None:
            numbers = {c.id: n for n, c in enumerate(stage.criteria, start=1)}
            needle = self._filter.casefold()
            previous_group: str | None = None
            for number, criterion in enumerate(stage.criteria, start=1):
                if needle and needle not in criterion.text.casefold():
                    continue
                group = criterion.group
                heading = group if group and group != previous_group else None
                previous_group = group
                self._rows.append(CriterionRow(
                    number=number,
                    criterion=criterion,
                    group_heading=heading,
                    rule=describe(criterion),
                    window=criterion.window.describe() if criterion.window else "",
                    reads=[input_label(name) for name in inputs(criterion, stage)],
                    alternatives=[f"#{numbers[a]} {a}" for a in criterion.alternatives],
                ))
        self.endResetModel()

    @staticmethod
    def _display(row: CriterionRow, column: int) -> str:
        criterion = row.criterion
        if column == NUMBER:
            return f"{NOTE_MARK} {row.number}" if criterion.note else str(row.number)
        if column == KIND:
            return row.kind
        if column == TEXT:
            return criterion.text
        if column == DECIDED:
            return row.decided
        if column == RULE:
            return row.rule
        if column == WINDOW:
            return row.window or NONE
        if column == READS:
            return ", ".join(row.reads) or NONE
        if column == ALTERNATIVES:
            return "or " + ", ".join(row.alternatives) if row.alternatives else NONE
        if column == NOTE:
            return f"{NOTE_MARK} {criterion.note}" if criterion.note else ""
        return ""

    @staticmethod
    def _tooltip(row: CriterionRow) -> str | None:
        # Rich text, so Qt wraps a long note instead of one screen-wide line.
        note = row.criterion.note
        return f"<p><b>Reading note:</b> {escape(note)}</p>" if note else None
