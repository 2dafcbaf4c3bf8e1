"""Trials → Find candidates…: which registered patients a trial's first stage could
take, from the results and facts already entered.

Choose a trial and Find: every active patient is screened against its first stage on a
worker thread (:mod:`.candidates_search`), with a progress bar, running counts and
Cancel. The table is hidden while the search runs and filled once, sorted eligible so
far first, when it ends (or is cancelled): painting a Python model calls back into
Python for every cell, and each call would wait for the worker to let go of the
interpreter, so the GUI thread paints nothing of it meanwhile. The table
(:mod:`.candidates_model`) sorts by any column and filters by name or MRN and by
decision; patients already screened for the trial are marked, not hidden. Export CSV…
writes the rows shown through the candidate export service (audited, with who);
double-click a row to open the patient at that trial (``open_patient``). Nothing here
decides or writes a verdict: the decisions are the prescreen service's.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.services.candidate_export import CandidatesExported, export_rows
from desktop.services.rows import RegistryError
from desktop.ui.common.context import ContextError, ScreeningContext
from desktop.ui.common.exporting import CSV_FILTER, ChoosePath, save_dialog
from desktop.ui.common.operations import Operation
from desktop.ui.common.widgets import named
from desktop.ui.trials.candidates_model import (
    FILTERS,
    CandidateRow,
    CandidatesFilter,
    CandidatesModel,
)
from desktop.ui.trials.candidates_search import CandidateSearch

#: The column the list is sorted by when a search ends: "First stage so far".
_DECISION_COLUMN = 4


class CandidatesDialog(QDialog):
    """Find candidates for a trial; ``open_patient(patient_id, trial_id)`` on a
    double-click."""

    open_patient = Signal(int, str)
    #: A search ended (cancelled or not, or failed).
    search_done = Signal()

    def __init__(self, context: ScreeningContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(f"Find candidates — {APP_NAME}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1280, 700)
        self.context = context
        self.search: CandidateSearch | None = None
        #: The rows of the search under way, shown when it ends.
        self._pending: list[CandidateRow] = []
        #: Running counts of the search: decisions ("so far"), "now", "screened".
        self._counts: Counter[str] = Counter()
        self.choose_path: ChoosePath = save_dialog("Export candidate list", CSV_FILTER)
        self._export: Operation[CandidatesExported] | None = None

        self.trial_choice = named(QComboBox(), "candidates_trial")
        self.trial_choice.setAccessibleName("Trial to find candidates for")
        try:
            for trial_id, trial in context.trials.items():
                self.trial_choice.addItem(f"{trial_id} — {_short(trial.title)}", trial_id)
                self.trial_choice.setItemData(self.trial_choice.count() - 1, trial.title,
                                              Qt.ItemDataRole.ToolTipRole)
        except ContextError as exc:
            context.messages.error(self, "Trial library not read", str(exc))
        self.find_button = named(QPushButton("Find candidates"), "candidates_find")
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self.start)
        self.cancel_button = named(QPushButton("Cancel"), "candidates_cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = named(QProgressBar(), "candidates_progress")
        self.progress.setRange(0, 1)  # "0 of 100 patients" before any search would mislead
        self.progress.setValue(0)
        self.progress.setFormat("not searched yet")
        self.status = named(QLabel("Choose a trial and find: each active patient's results "
                                   "and facts against its first stage. Nothing is saved."),
                            "candidates_status")
        self.status.setWordWrap(True)

        self.filter_text = named(QLineEdit(), "candidates_filter")
        self.filter_text.setPlaceholderText("Filter by name or MRN")
        self.filter_text.setClearButtonEnabled(True)
        self.decision_filter = named(QComboBox(), "candidates_decision_filter")
        self.decision_filter.addItems(list(FILTERS))
        self.decision_filter.setAccessibleName("Show patients")
        self.export_button = named(QPushButton("Export CSV…"), "candidates_export")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export)

        self.model = CandidatesModel(self)
        self.proxy = CandidatesFilter(self.model, self)
        self.filter_text.textChanged.connect(self._filter_changed)
        self.decision_filter.currentTextChanged.connect(self._filter_changed)
        self.table = named(QTableView(), "candidates_table")
        self.table.setAccessibleName("Candidates")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        for column, width in enumerate((190, 100, 90, 110, 150, 150, 60, 60)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._open)
        self.searching = named(QLabel(), "candidates_searching")
        self.searching.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.searching.setWordWrap(True)
        self.searching.hide()

        top = QHBoxLayout()
        top.addWidget(QLabel("Trial:"))
        top.addWidget(self.trial_choice, 1)
        top.addWidget(self.find_button)
        running = QHBoxLayout()
        running.addWidget(self.progress, 1)
        running.addWidget(self.cancel_button)
        filters = QHBoxLayout()
        filters.addWidget(self.filter_text, 1)
        filters.addWidget(QLabel("Show:"))
        filters.addWidget(self.decision_filter)
        filters.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(running)
        layout.addWidget(self.status)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.searching, 1)

    # -- the search -----------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.search is not None

    def choose_trial(self, trial_id: str) -> None:
        found = self.trial_choice.findData(trial_id)
        if found >= 0:
            self.trial_choice.setCurrentIndex(found)

    def start(self) -> None:
        trial_id = self.trial_choice.currentData()
        if self.running or not isinstance(trial_id, str):
            return
        try:
            trial = self.context.trial(trial_id)
            service = self.context.prescreens
        except ContextError as exc:
            self.context.messages.error(self, "Candidates not found", str(exc))
            return
        self.model.clear()
        self._pending, self._counts = [], Counter()
        self._set_indicator(-1)
        self.progress.setRange(0, 0)  # busy until the patients are counted
        self.progress.setFormat("%v of %m patients")
        self.status.setText(f"Screening the active patients against {trial.id}'s first "
                            f"stage…")
        search = CandidateSearch(service, trial, self)
        search.progress.connect(self._progress)
        search.found.connect(self._found)
        search.finished_ok.connect(self._finished)
        search.failed.connect(self._failed)
        search.finished.connect(search.deleteLater)
        self.search = search
        self._set_running(True)
        search.start()

    def cancel(self) -> None:
        if self.search is not None:
            self.search.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling after the batch under way…")

    def _found(self, rows: list[CandidateRow]) -> None:
        self._pending.extend(rows)
        counts = self._counts
        for row in rows:
            counts[row.decision] += 1
            counts["now:" + row.provisional] += 1
            counts["screened"] += row.screened

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        counts = self._counts
        self.searching.setText(
            f"Screening… {done} of {total} patients: nothing fails so far "
            f"{counts['eligible'] + counts['incomplete']}, not eligible "
            f"{counts['not_eligible']}. The list shows when the search ends (or is "
            f"cancelled).")

    def _finished(self, cancelled: bool) -> None:
        """Fill the table, then show it, each step its own turn of the event loop."""
        search = self.search
        trial_id = search.trial.id if search is not None else ""
        total = search.total if search is not None else len(self._pending)
        self.status.setText(_summary(trial_id, len(self._pending), total, self._counts,
                                     cancelled))
        self.model.set_rows(self._pending, _DECISION_COLUMN)
        self._pending = []
        self._set_indicator(_DECISION_COLUMN)
        QTimer.singleShot(0, self, lambda: self._shown(search))

    def _shown(self, search: CandidateSearch | None) -> None:
        self.search = None
        self._set_running(False)
        self.search_done.emit()

    def _failed(self, message: str) -> None:
        self.search = None
        self._pending = []
        self._set_running(False)
        self.status.setText(f"The search stopped: {message}")
        self.context.messages.error(self, "Candidates not found", message)
        self.search_done.emit()

    def _set_indicator(self, column: int) -> None:
        """The header's sort mark, without sorting again."""
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(column, Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)
        header.viewport().update()

    def _set_running(self, running: bool) -> None:
        self.table.setVisible(not running)
        self.searching.setVisible(running)
        self.find_button.setEnabled(not running)
        self.trial_choice.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.export_button.setEnabled(not running and self.model.rowCount() > 0)

    def _filter_changed(self) -> None:
        self.proxy.set_text(self.filter_text.text())
        self.proxy.set_decision(self.decision_filter.currentText())

    # -- rows -------------------------------------------------------------------------

    def _open(self, index: QModelIndex) -> None:
        row = self.proxy.row_at(index.row())
        if row is not None:
            self.open_patient.emit(row.patient_id, row.trial_id)

    def export(self) -> None:
        rows = [r.export for r in self.proxy.shown()]
        first = self.model.row_at(0)
        if not rows or first is None or self._export is not None:
            return
        try:
            trial = self.context.trial(first.trial_id)
        except ContextError as exc:
            self.context.messages.error(self, "Candidate list not exported", str(exc))
            return
        suggested = str(self.context.data_dir / f"candidates-{trial.id}-"
                        f"{datetime.now():%Y%m%d-%H%M}.csv")
        chosen = self.choose_path(self, suggested)
        if not chosen:
            return
        registry, actor = self.context.registry, self.context.actor or self.context.user
        self.export_button.setEnabled(False)
        self._export = Operation(
            lambda: export_rows(registry, actor, trial, rows, Path(chosen)),
            on_success=self._exported, on_failure=self._export_failed).start()

    def _exported(self, done: CandidatesExported) -> None:
        self._export = None
        self._set_running(False)
        self.status.setText(f"Exported {done.rows} patient{'s' if done.rows != 1 else ''} "
                            f"to {done.path}.")

    def _export_failed(self, exc: BaseException) -> None:
        self._export = None
        self._set_running(False)
        message = str(exc) if isinstance(exc, RegistryError) else \
            f"The list could not be exported: {type(exc).__name__}: {exc}"
        self.context.messages.error(self, "Candidate list not exported", message)

    def closeEvent(self, event: QCloseEvent) -> None:
        search = self.search
        if search is not None:
            search.cancel()
            search.wait()
        super().closeEvent(event)


def _short(title: str, limit: int = 90) -> str:
    """``title`` cut at a word, with an ellipsis, when longer than ``limit``."""
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"


def _summary(trial_id: str, count: int, total: int, counts: Counter[str],
             cancelled: bool) -> str:
    head = (f"Cancelled: {count} of {total} patients screened against {trial_id}. "
            if cancelled else f"{count} active patients screened against {trial_id}. ")
    text = (f"{head}Nothing fails so far: {counts['eligible'] + counts['incomplete']}; "
            f"not eligible: {counts['not_eligible']}. If screened now, nothing fails: "
            f"{counts['now:eligible'] + counts['now:incomplete']}. Already screened for "
            f"it: {counts['screened']}.")
    if counts[""]:
        text += f" Could not be worked out (see Needs): {counts['']}."
    return text
