"""The audit view: the audit trail by patient, user, entity, action and days, old and new
values side by side, and the CSV export. For administrators (a tab of the administration
window) and monitors (Account > Audit trail…); the service refuses anyone else.

The filters apply when "Show" is pressed (or Enter in the MRN box); the rows come a page
at a time, newest first. Selecting a row shows its field changes (changed row, field, old
value, new value) and, for a row without any (a login), its details. Exporting asks where
to save (``choose_path``, which tests replace) and writes every row the filters list, on
a worker thread (``export``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final

import shiboken6
from PySide6.QtCore import QDate, QModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.services.audit_log import (
    AuditChoices,
    AuditFilter,
    AuditLogService,
    AuditRow,
)
from desktop.services.rows import RegistryError
from desktop.ui.admin.admin_dialog import attempt
from desktop.ui.admin.admin_table import AdminTable
from desktop.ui.admin.audit_models import AuditTableModel, ChangesModel, flags
from desktop.ui.common.messages import MessageService
from desktop.ui.common.operations import Operation
from desktop.ui.common.widgets import named, push_button

if TYPE_CHECKING:
    from desktop.ui.common.context import ScreeningContext

PAGE: Final = 200
ANY: Final = "(any)"
NOT_SHOWN: Final = "Audit trail not shown"
#: (parent, suggested path) -> the path chosen, or "" when cancelled.
ChoosePath = Callable[[QWidget, str], str]


def choose_csv_path(parent: QWidget, suggested: str) -> str:
    """Ask where to save the CSV (the platform's save dialog)."""
    path, _filter = QFileDialog.getSaveFileName(parent, "Export the audit trail",
                                                suggested, "CSV files (*.csv)")
    return path


def _combo(name: str, accessible: str) -> QComboBox:
    combo = named(QComboBox(), name)
    combo.setAccessibleName(accessible)
    combo.setMinimumContentsLength(14)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    return combo


def _day(name: str, label: str) -> tuple[QCheckBox, QDateEdit]:
    box = named(QCheckBox(label), f"{name}_on")
    edit = named(QDateEdit(), name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setDate(QDate.currentDate())
    edit.setEnabled(False)
    edit.setAccessibleName(f"{label} date")
    box.toggled.connect(edit.setEnabled)
    return box, edit


class AuditView(QWidget):
    def __init__(self, service: AuditLogService, messages: MessageService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audit_view")
        self._service = service
        self._messages = messages
        self.choose_path: ChoosePath = choose_csv_path
        self.filters = AuditFilter()
        self.offset = 0
        self.total = 0
        #: The export running on a worker thread, if any (tests wait on it).
        self.export: Operation[int] | None = None

        self.mrn = named(QLineEdit(), "audit_mrn")
        self.mrn.setPlaceholderText("MRN")
        self.mrn.setAccessibleName("Patient MRN")
        self.mrn.setClearButtonEnabled(True)
        self.mrn.returnPressed.connect(self.apply)
        self.user = _combo("audit_user", "User")
        self.entity = _combo("audit_entity", "Entity")
        self.action = _combo("audit_action", "Action")
        self.from_on, self.from_date = _day("audit_from", "From")
        self.to_on, self.to_date = _day("audit_to", "To")
        self.show_button = push_button("&Show", "audit_show", self.apply)
        self.clear_button = push_button("C&lear", "audit_clear", self.clear)
        self.export_button = push_button("E&xport CSV…", "audit_export", self.export_csv)
        self.export_button.setToolTip("Save every row the filters list, one line per field "
                                      "change, as a CSV file (the export is itself audited).")

        filters = QGridLayout()
        for column, (label, widget) in enumerate((
                ("Patient MRN", self.mrn), ("User", self.user), ("Entity", self.entity),
                ("Action", self.action))):
            caption = QLabel(f"{label}:")
            caption.setBuddy(widget)
            filters.addWidget(caption, 0, column)
            filters.addWidget(widget, 1, column)
        for column, (box, edit) in enumerate(((self.from_on, self.from_date),
                                              (self.to_on, self.to_date)), start=4):
            filters.addWidget(box, 0, column)
            filters.addWidget(edit, 1, column)
        filters.addWidget(self.show_button, 1, 6)
        filters.addWidget(self.clear_button, 1, 7)
        filters.setColumnStretch(8, 1)
        filters.addWidget(self.export_button, 1, 9)

        self.model = AuditTableModel(self)
        self.table = AdminTable(self.model, "audit_table", "Audit trail",
                                (56, 190, 110, 150, 110, 56, 160))
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.older_button = push_button("&Older", "audit_older", self.older)
        self.newer_button = push_button("&Newer", "audit_newer", self.newer)
        self.position = named(QLabel(), "audit_position")
        note = named(QLabel("Times are the workstation clock when each row was written, "
                            "with its UTC offset."), "audit_clock_note")
        paging = QHBoxLayout()
        paging.addWidget(note)
        paging.addStretch(1)
        paging.addWidget(self.position)
        paging.addWidget(self.newer_button)
        paging.addWidget(self.older_button)

        self.summary = named(QLabel("Select a row to see what it changed."), "audit_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.changes_model = ChangesModel(self)
        self.changes = AdminTable(self.changes_model, "audit_changes", "Field changes",
                                  (170, 140, 220))
        self.changes.setSelectionMode(AdminTable.SelectionMode.NoSelection)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.summary)
        detail_layout.addWidget(self.changes, 1)
        split = named(QSplitter(Qt.Orientation.Vertical), "audit_split")
        split.addWidget(self.table)
        split.addWidget(detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([420, 180])

        self.status = named(QLabel(), "audit_status")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(paging)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self.refresh_choices()
        self._load()

    # -- filters ------------------------------------------------------------------

    def refresh_choices(self) -> None:
        done, choices = attempt(self._messages, self, NOT_SHOWN, self._service.choices)
        if not done or choices is None:
            choices = AuditChoices((), (), ())
        for combo, values in ((self.user, choices.actors), (self.entity, choices.entities),
                              (self.action, choices.actions)):
            chosen = combo.currentText()
            combo.clear()
            combo.addItem(ANY)
            combo.addItems(list(values))
            combo.setCurrentIndex(max(0, combo.findText(chosen)))

    def _chosen(self, combo: QComboBox) -> str | None:
        text = combo.currentText()
        return None if combo.currentIndex() <= 0 or not text else text

    def _day_of(self, box: QCheckBox, edit: QDateEdit) -> date | None:
        if not box.isChecked():
            return None
        day = edit.date()
        return date(day.year(), day.month(), day.day())

    def apply(self) -> None:
        """Read the filters (the MRN through the service) and show the first page."""
        patient_id: int | None = None
        mrn = self.mrn.text().strip()
        if mrn:
            done, found = attempt(self._messages, self, NOT_SHOWN,
                                  lambda: self._service.patient_by_mrn(mrn))
            if not done or found is None:
                return
            patient_id = found.id
            self.status.setText(f"Rows of {found.family_name}, {found.given_name} "
                                f"(MRN {found.mrn}).")
        else:
            self.status.setText("")
        self.filters = AuditFilter(
            patient_id=patient_id, actor=self._chosen(self.user),
            entity=self._chosen(self.entity), action=self._chosen(self.action),
            start=self._day_of(self.from_on, self.from_date),
            end=self._day_of(self.to_on, self.to_date))
        self.offset = 0
        self._load()

    def clear(self) -> None:
        self.mrn.clear()
        for combo in (self.user, self.entity, self.action):
            combo.setCurrentIndex(0)
        self.from_on.setChecked(False)
        self.to_on.setChecked(False)
        self.apply()

    # -- pages --------------------------------------------------------------------

    def older(self) -> None:
        if self.offset + PAGE < self.total:
            self.offset += PAGE
            self._load()

    def newer(self) -> None:
        if self.offset > 0:
            self.offset = max(0, self.offset - PAGE)
            self._load()

    def _load(self) -> None:
        filters, offset = self.filters, self.offset
        done, found = attempt(self._messages, self, NOT_SHOWN,
                              lambda: self._service.listing(filters, offset, PAGE))
        total, rows = found if done and found is not None else (0, [])
        self.total = total
        self.model.set_rows(rows)
        self._show_detail(None)
        if total:
            self.position.setText(f"Rows {offset + 1:,}–{offset + len(rows):,} of {total:,}")
        else:
            self.position.setText("No rows")
        self.newer_button.setEnabled(offset > 0)
        self.older_button.setEnabled(offset + len(rows) < total)
        self.export_button.setEnabled(total > 0 and not (self.export and self.export.running))
        if rows:
            self.table.selectRow(0)

    def select_action(self, action: str) -> bool:
        """Select the newest row of ``action`` on this page; whether there is one."""
        for number, row in enumerate(self.model.rows):
            if row.action == action:
                self.table.selectRow(number)
                return True
        return False

    # -- the detail ---------------------------------------------------------------

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_detail(self.model.row_at(current.row()) if current.isValid() else None)

    def _show_detail(self, row: AuditRow | None) -> None:
        if row is None:
            self.summary.setText("Select a row to see what it changed.")
            self.changes_model.set_rows([])
            return
        lines = [f"Row {row.id}: {row.action} on {row.entity} {row.entity_id} by "
                 f"{row.actor}, {row.clock} workstation clock ({row.time_zone})."]
        if row.reason:
            lines.append(f"Reason: {row.reason}")
        if row.clock_back:
            lines.append("Clock set back: this row's time is earlier than a row written "
                         "before it.")
        if row.anomaly:
            lines.append(f"Anomaly: {row.anomaly}")
        if not row.changes:
            lines.append(f"No field changes. Details: {row.details or 'none'}")
        self.summary.setText("\n".join(lines))
        self.summary.setAccessibleDescription(flags(row))
        self.changes_model.set_rows(row.changes)

    # -- export -------------------------------------------------------------------

    def export_csv(self) -> None:
        """Ask where, then write the CSV on a worker thread (a whole trail takes a while);
        the button stays disabled until it is done."""
        if self.export is not None and self.export.running:
            return
        suggested = str(Path.home() / f"audit-trail-{date.today().isoformat()}.csv")
        chosen = self.choose_path(self, suggested)
        if not chosen:
            return
        path, filters = Path(chosen), self.filters
        self.export_button.setEnabled(False)
        self.status.setText(f"Exporting {self.total:,} audit rows to {path}…")
        self.export = Operation(lambda: self._service.export_csv(path, filters),
                                on_success=lambda count: self._exported(path, count),
                                on_failure=self._export_failed).start()

    def _exported(self, path: Path, count: int) -> None:
        if not shiboken6.isValid(self.export_button):  # the window closed meanwhile
            return
        self.export_button.setEnabled(self.total > 0)
        self.status.setText(f"{count:,} audit rows exported to {path}.")
        self.refresh_choices()  # the export's own row: "audit.export" is an action now

    def _export_failed(self, error: BaseException) -> None:
        if not shiboken6.isValid(self.export_button):
            return
        self.export_button.setEnabled(self.total > 0)
        self.status.setText("")
        text = str(error) if isinstance(error, RegistryError) else (
            f"The export stopped unexpectedly ({type(error).__name__}: {error}); no file "
            "was written.")
        self._messages.error(self, "Audit trail not exported", text)


class AuditWindow(QWidget):
    """The audit view in a window of its own (for a monitor, from the Account menu)."""

    def __init__(self, view: AuditView, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("audit_window")
        self.setWindowTitle(f"Audit trail — {APP_NAME}")
        self.view = view
        layout = QVBoxLayout(self)
        layout.addWidget(view)
        self.resize(1200, 720)


def open_audit_window(parent: QWidget, context: ScreeningContext) -> AuditWindow | None:
    """The audit view for ``context.actor``, shown; None (the service's sentence shown)
    for anyone but an administrator or a monitor."""
    actor = context.actor
    if actor is None:
        return None
    service = AuditLogService(context.registry, actor)
    try:
        service.choices()  # the service decides who may be here
    except RegistryError as exc:
        context.messages.error(parent, NOT_SHOWN, str(exc))
        return None
    window = AuditWindow(AuditView(service, context.messages), parent)
    window.show()
    window.activateWindow()
    return window
