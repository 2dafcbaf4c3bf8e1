"""The Trials view: read a protocol's checklist, stage by stage, before screening anyone.

Left, the trial library as a tree (each trial, its stages under it); right, the chosen
stage's header (trial, sponsor, protocol version, the protocol's heading, any override,
the trial's notes), its criteria in a table, and the selected criterion in full below.

``TrialsView`` is handed the trials and reads no files; ``open_trials_window`` loads the
library and shows the view in its own non-modal window, or tells the user which file,
criterion and field is wrong. Every word about a rule comes from the domain
(``engine.describe`` / ``engine.inputs`` through :mod:`desktop.ui.trials.criteria_model`).

This module holds the view, its window and ``open_trials_window``; the criterion text's
delegate is :mod:`.criteria_delegate`, the tree labels and the panes' HTML
:mod:`.trials_text`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.domain.trial import Stage, Trial
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named
from desktop.ui.trials.criteria_delegate import GroupedTextDelegate
from desktop.ui.trials.criteria_model import (
    ALTERNATIVES,
    DECIDED,
    KIND,
    NOTE,
    NUMBER,
    READS,
    RULE,
    TEXT,
    WINDOW,
    CriteriaTableModel,
)
from desktop.ui.trials.trials_text import (
    criteria_count,
    details_html,
    header_html,
    stage_label,
    wrapped_title,
)

#: Tree item data: (trial index, stage index); stage index -1 on a trial's own row.
ItemRole: Final = Qt.ItemDataRole.UserRole + 1
# Fixed widths for the short columns; the protocol text takes the rest.
COLUMN_WIDTHS: Final = {NUMBER: 42, KIND: 74, DECIDED: 98, RULE: 160, WINDOW: 96,
                        READS: 96, ALTERNATIVES: 94, NOTE: 170}
OPTIONAL_COLUMNS: Final = (WINDOW, READS, ALTERNATIVES, NOTE)


class TrialsView(QWidget):
    """The trial library, read-only: pick a trial's stage and read its criteria.

    Arrow keys move through trials and stages in the tree; a trial's own row shows its
    first stage. Ctrl+F goes to the filter box, which filters the criteria by text.
    """

    def __init__(self, trials: list[Trial], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._trials = list(trials)
        self._trial: Trial | None = None

        self.tree = named(QTreeWidget(), "trials_tree")
        self.tree.setColumnCount(2)  # title | criteria count, so a long title never hides it
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName("Trials and stages")
        # A trial's row holds its whole title on several lines, so rows differ in height.
        self.tree.setUniformRowHeights(False)
        self.tree.setMinimumWidth(260)
        self._trial_items: list[QTreeWidgetItem] = []
        for t, trial in enumerate(self._trials):
            item = QTreeWidgetItem([f"{trial.id}\n{wrapped_title(trial.title)}", ""])
            item.setData(0, ItemRole, (t, -1))
            item.setToolTip(0, f"{trial.id}: {trial.title}")
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            for s, stage in enumerate(trial.stages):
                child = QTreeWidgetItem([stage_label(stage), criteria_count(stage)])
                child.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
                child.setData(0, ItemRole, (t, s))
                tip = f"{stage.title}: {stage.heading}" if stage.heading else stage.title
                child.setToolTip(0, tip)
                item.addChild(child)
            self.tree.addTopLevelItem(item)
            self._trial_items.append(item)
        self.tree.expandAll()
        tree_columns = self.tree.header()
        tree_columns.setStretchLastSection(False)
        tree_columns.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        tree_columns.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)

        self.header = named(QTextBrowser(), "stage_header")
        self.header.setAccessibleName("Trial and stage")
        self.header.setOpenExternalLinks(False)
        self.header.setOpenLinks(False)

        self.filter = named(QLineEdit(), "criteria_filter")
        self.filter.setPlaceholderText("Filter criteria by text  (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter criteria")
        self.count_label = named(QLabel(), "criteria_count")

        self.model = CriteriaTableModel(self)
        self.table = named(QTableView(), "criteria_table")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Criteria")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.setItemDelegateForColumn(TEXT, GroupedTextDelegate(self.table))
        columns = self.table.horizontalHeader()
        columns.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        columns.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        columns.setMinimumSectionSize(40)
        for column, width in COLUMN_WIDTHS.items():
            columns.resizeSection(column, width)

        self.details = named(QTextBrowser(), "criterion_details")
        self.details.setAccessibleName("Selected criterion")
        self.details.setOpenLinks(False)

        # Rows are as tall as their wrapped text, which depends on the column widths.
        self._fit_rows = QTimer(self)
        self._fit_rows.setSingleShot(True)
        self._fit_rows.setInterval(0)
        self._fit_rows.timeout.connect(self.table.resizeRowsToContents)
        columns.sectionResized.connect(lambda *_args: self._fit_rows.start())

        filter_row = QHBoxLayout()
        filter_row.setContentsMargins(0, 0, 0, 0)
        filter_row.addWidget(self.filter, 1)
        filter_row.addWidget(self.count_label)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addLayout(filter_row)
        middle_layout.addWidget(self.table, 1)

        right = named(QSplitter(Qt.Orientation.Vertical), "right_splitter")
        right.addWidget(self.header)
        right.addWidget(middle)
        right.addWidget(self.details)
        right.setStretchFactor(0, 0)
        right.setStretchFactor(1, 1)
        right.setStretchFactor(2, 0)
        right.setSizes([150, 540, 150])
        right.setChildrenCollapsible(False)

        split = named(QSplitter(Qt.Orientation.Horizontal), "trials_splitter")
        split.addWidget(self.tree)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([320, 1080])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        shortcut = QShortcut(QKeySequence.StandardKey.Find, self)
        shortcut.activated.connect(self.focus_filter)

        self.tree.currentItemChanged.connect(lambda current, _previous: self._show(current))
        self.filter.textChanged.connect(self.model.set_filter)
        self.model.modelReset.connect(self._after_reset)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._show_details(current.row()))

        first = self._trial_items[0].child(0) if self._trial_items else None
        if first is not None:
            self.tree.setCurrentItem(first)
        else:
            self.header.setHtml("<p>No trials in the library.</p>")
            self._update_count()
        self.tree.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- what tests and the window use -------------------------------------------

    @property
    def trials(self) -> list[Trial]:
        return list(self._trials)

    @property
    def current_trial(self) -> Trial | None:
        return self._trial

    @property
    def current_stage(self) -> Stage | None:
        return self.model.stage

    def listed(self) -> dict[str, list[str]]:
        """What the tree shows: each trial id with its stage ids, in order."""
        shown: dict[str, list[str]] = {}
        for item in self._trial_items:
            t, _ = item.data(0, ItemRole)
            trial = self._trials[t]
            shown[trial.id] = [trial.stages[s].id for _t, s in self._children(item)]
        return shown

    def select_stage(self, trial_id: str, stage_id: str) -> bool:
        """Make the tree's current item that stage; False if no such trial or stage."""
        for item in self._trial_items:
            for j, (t, s) in enumerate(self._children(item)):
                trial = self._trials[t]
                child = item.child(j)
                if trial.id == trial_id and trial.stages[s].id == stage_id and child:
                    self.tree.setCurrentItem(child)
                    return True
        return False

    def select_criterion(self, criterion_id: str) -> bool:
        """Select that criterion's row in the table (if shown) and show it in full below."""
        row = self.model.row_of(criterion_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, TEXT),
                            QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def focus_filter(self) -> None:
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()

    # -- internals -------------------------------------------------------------

    @staticmethod
    def _children(item: QTreeWidgetItem) -> list[tuple[int, int]]:
        """The (trial, stage) indexes of a trial item's stage rows, top to bottom."""
        found: list[tuple[int, int]] = []
        for j in range(item.childCount()):
            child = item.child(j)
            if child is not None:
                found.append(child.data(0, ItemRole))
        return found

    def _show(self, item: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        t, s = item.data(0, ItemRole)
        trial = self._trials[t]
        stage = trial.stages[max(s, 0)]
        self._trial = trial
        self.header.setHtml(header_html(trial, stage))
        self.model.set_stage(stage)

    def _after_reset(self) -> None:
        # A column blank for the whole stage (no windows in a screening visit, say) only
        # takes width from the protocol text; the details pane still says "none set".
        unused = self.model.unused_columns()
        for column in OPTIONAL_COLUMNS:
            self.table.setColumnHidden(column, column in unused)
        self.table.resizeRowsToContents()
        self.table.scrollToTop()
        self._update_count()
        if self.model.rowCount() > 0:
            self.table.selectRow(0)
        else:
            self._show_details(-1)

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        noun = "criterion" if total == 1 else "criteria"
        self.count_label.setText(f"{total} {noun}" if shown == total and not
                                 self.model.filter_text else f"{shown} of {total} {noun} match")

    def _show_details(self, row: int) -> None:
        shown = self.model.row_at(row)
        if shown is None:
            self.details.setHtml("<p><i>No criterion selected.</i></p>"
                                 if self.model.rowCount() else
                                 "<p><i>No criterion matches the filter.</i></p>")
            return
        self.details.setHtml(details_html(shown))


class TrialsWindow(QDialog):
    """The Trials view in its own non-modal window; deleted when closed."""

    def __init__(self, trials: list[Trial], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Trial library — {APP_NAME}")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.view = TrialsView(trials, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.resize(1400, 850)


def open_trials_window(parent: QWidget | None, *, messages: MessageService | None = None,
                       directory: Path | None = None) -> QWidget | None:
    """Load the trial library and show it in a non-modal window.

    A window already open over ``parent`` is raised instead of opening a second one.
    If a trial file is broken, says which file, criterion and field in a message box
    (through ``messages``, so tests can record it) and returns None.
    """
    from desktop.library import TrialFileError, load_library

    if parent is not None:
        # A closed window lingers until its deferred delete: only a visible one counts.
        existing = next((w for w in parent.findChildren(TrialsWindow) if w.isVisible()), None)
        if existing is not None:
            existing.show()
            existing.raise_()
            existing.activateWindow()
            return existing
    try:
        trials = load_library(directory)
    except TrialFileError as exc:
        (messages or MessageService()).error(
            parent, "Trial library not opened",
            f"A trial file could not be read, so the trial library cannot be shown.\n\n"
            f"{exc}\n\nCorrect that file (or ask whoever maintains the trial files) and "
            f"open the trial library again.")
        return None
    window = TrialsWindow(trials, parent)
    window.show()
    window.activateWindow()
    return window
