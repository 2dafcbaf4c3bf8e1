"""A trial's screening log: every patient screened for it, how far they got, and why not.

What a sponsor's screening log asks for: the patient, when screening started, the last
activity, the furthest stage reached and its outcome, and each screen failure's
failing criteria with the engine's reasons (in full on hover).

"Print…" previews the log as its PDF and prints it (audited, :mod:`desktop.ui.common.printing`);
"Export PDF…" / "Export CSV…" write the log through the log service (audited, whole or
not at all), off the GUI thread; "Sponsor copy" shows patients by initials and
screening number, without the MRN or the date of birth. Where to save is asked by
``choose_path`` (tests replace it).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.domain.log_lines import criterion_ref, outcome_words, stage_label
from desktop.domain.trial import Trial
from desktop.domain.visits import StageState
from desktop.services.rows import LogRow, RegistryError
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.exporting import (
    ChoosePath,
    Export,
    export_refusal,
    save_dialog_by_suffix,
)
from desktop.ui.common.printing import Printing
from desktop.ui.common.row_model import RowTableModel
from desktop.ui.common.widgets import named, push_button
from desktop.ui.screening.screening_summary import STATE_MARK

if TYPE_CHECKING:
    from desktop.services.logs import LogExported
    from desktop.services.printing import Printable

SPONSOR_COPY: Final = "Sponsor copy (initials, no MRN or date of birth)"
EXPORT_TIP: Final = "Save the whole screening log of {trial} as a {kind} file."
NOT_EXPORTED: Final = "Screening log not exported"
PRINT_TIP: Final = "Print the whole screening log of {trial}, with a preview first."


def outcome_text(trial: Trial, row: LogRow) -> str:
    """The outcome's words (``log_lines``) after the stage state's mark."""
    words = outcome_words(trial, row.furthest_stage, row.furthest_repeat, row.furthest_state)
    state = row.furthest_state
    return words if state is None or row.furthest_stage is None \
        else f"{STATE_MARK[state]} {words}"


class ScreeningLogModel(RowTableModel[LogRow]):
    HEADERS = ("MRN", "Patient", "Started", "Last activity", "Furthest stage", "Outcome",
               "Screen-fail reasons")

    def __init__(self, trial: Trial, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.trial = trial

    def cell(self, row: LogRow, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == 6 and row.failures:
            return "\n\n".join(
                f"{stage_label(self.trial, f.stage_id, f.repeat)} "
                f"({f.recorded_at.astimezone():%Y-%m-%d} by {f.recorded_by}):\n"
                + "\n".join(f"• {criterion_ref(self.trial, f.stage_id, cid)} — {reason}"
                            for cid, reason in f.reasons)
                for f in row.failures)
        return None

    def _text(self, row: LogRow, column: int) -> str:
        if column == 0:
            return row.mrn
        if column == 1:
            return f"{row.family_name.upper()}, {row.given_name}"
        if column == 2:
            return f"{row.started_at.astimezone():%Y-%m-%d}"
        if column == 3:
            return f"{row.last_activity.astimezone():%Y-%m-%d %H:%M}"
        if column == 4:
            return stage_label(self.trial, row.furthest_stage, row.furthest_repeat)
        if column == 5:
            return outcome_text(self.trial, row)
        return "; ".join(criterion_ref(self.trial, f.stage_id, cid)
                         for f in row.failures for cid, _ in f.reasons)


@runtime_checkable
class PatientOpener(Protocol):
    """What opens a patient's screenings (the main window)."""

    def open_patient(self, patient_id: int, screening_id: int | None = None
                     ) -> QWidget | None: ...


class ScreeningLogWindow(QWidget):
    def __init__(self, context: ScreeningContext, trial: Trial,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.context = context
        self.trial = trial
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Screening log — {trial.id} — {APP_NAME}")
        self.resize(1100, 480)
        self.heading = named(QLabel(), "log_heading")
        self.heading.setWordWrap(True)
        self.model = ScreeningLogModel(trial, self)
        self.table = named(QTableView(), "screening_log")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((100, 180, 90, 120, 200, 200)):
            header.resizeSection(column, width)
        self.table.setAccessibleName(f"Screening log of {trial.id}")

        self.sponsor_copy = named(QCheckBox(SPONSOR_COPY), "sponsor_copy")
        self.sponsor_copy.setToolTip("Export the copy for the sponsor: each patient by "
                                     "initials and screening number only.")
        self.pdf_button = push_button("Export &PDF…", "export_log_pdf",
                                      lambda: self.export_log(".pdf"))
        self.csv_button = push_button("Export &CSV…", "export_log_csv",
                                      lambda: self.export_log(".csv"))
        self.print_button = push_button("P&rint…", "print_log", self.print_log)
        self.status = named(QLabel(), "log_status")
        self.status.setWordWrap(True)
        self.choose_path: ChoosePath = save_dialog_by_suffix("Export the screening log")
        self.export: Export[LogExported] = Export(
            self, context.messages, self.status, [self.pdf_button, self.csv_button],
            self._gate_export)
        self.printing = Printing(self, context.messages, self._printable,
                                 context.logs.record_print, self.status.setText)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.sponsor_copy)
        bar.addWidget(self.print_button)
        bar.addWidget(self.pdf_button)
        bar.addWidget(self.csv_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addLayout(bar)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)
        self.table.activated.connect(lambda index: self.open_patient(index.row()))
        self.table.setToolTip("Double-click a patient (or press Enter) to open their "
                              "screening for this trial.")
        self._gate_export()
        self.reload()

    def reload(self) -> None:
        try:
            rows = self.context.screenings.screening_log(self.trial)
        except RegistryError as exc:
            self.context.messages.error(self, "Screening log not shown", str(exc))
            rows = []
        self.model.set_rows(rows)
        failed = sum(1 for r in rows if r.furthest_state is StageState.NOT_ELIGIBLE)
        noun = "patient" if len(rows) == 1 else "patients"
        self.heading.setText(f"{self.trial.id} — {self.trial.title}\n"
                             f"{len(rows)} {noun} screened, {failed} screen "
                             f"failure{'' if failed == 1 else 's'}.")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:  # a window of its own, closed like a dialog
            self.close()
            return
        super().keyPressEvent(event)

    def open_patient(self, row: int) -> QWidget | None:
        """Open the patient of log row ``row`` at this trial's screening, through the
        window that opens patients (the main window, an ancestor of this one)."""
        found = self.model.row_at(row)
        opener = self.parentWidget()
        while found is not None and opener is not None:
            if isinstance(opener, PatientOpener):
                return opener.open_patient(found.patient_id, found.screening_id)
            opener = opener.parentWidget()
        return None

    # -- export ---------------------------------------------------------------------

    def _gate_export(self) -> None:
        why_not = export_refusal(self.context.logs.actor)
        for button, kind in ((self.pdf_button, "PDF"), (self.csv_button, "CSV")):
            button.setEnabled(why_not is None)
            button.setToolTip(why_not or EXPORT_TIP.format(trial=self.trial.id, kind=kind))
        self.sponsor_copy.setEnabled(why_not is None)
        self.print_button.setEnabled(why_not is None)
        self.print_button.setToolTip(why_not or PRINT_TIP.format(trial=self.trial.id))

    def print_log(self) -> bool:
        """Preview the log (the sponsor copy if it is ticked) to print it; whether the
        preview opened."""
        if export_refusal(self.context.logs.actor) is not None:
            return False
        return self.printing.start()

    def _printable(self) -> Printable:
        return self.context.logs.printable_screening_log(self.trial,
                                                         self.sponsor_copy.isChecked())

    def export_log(self, suffix: str) -> bool:
        """Ask where, then write the log as ``suffix`` (".pdf" / ".csv"), the sponsor
        copy if it is ticked; whether the export started."""
        service = self.context.logs
        if export_refusal(service.actor) is not None:
            return False
        sponsor = self.sponsor_copy.isChecked()
        copy = "-sponsor" if sponsor else ""
        suggested = Path.home() / (f"screening-log-{self.trial.id}{copy}-"
                                   f"{date.today().isoformat()}{suffix}")
        trial = self.trial
        return self.export.run(
            self.choose_path, suggested,
            lambda path: service.export_screening_log(trial, path, sponsor),
            title=NOT_EXPORTED, done=lambda done: _exported_text(done, sponsor))


def _exported_text(done: LogExported, sponsor: bool) -> str:
    rows = "row" if done.rows == 1 else "rows"
    what = "Sponsor copy" if sponsor else "Screening log"
    return f"{what} {done.document_id} ({done.rows} {rows}) exported to {done.path}."


def open_screening_log(parent: QWidget | None, context: ScreeningContext,
                       trial: Trial) -> ScreeningLogWindow:
    """Show the trial's log, raising an open one over ``parent`` instead of a second."""
    if parent is not None:
        for window in parent.findChildren(ScreeningLogWindow):
            if window.isVisible() and window.trial.id == trial.id:
                window.reload()
                window.raise_()
                window.activateWindow()
                return window
    window = ScreeningLogWindow(context, trial, parent)
    window.show()
    window.activateWindow()
    return window
