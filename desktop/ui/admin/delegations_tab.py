"""The "Delegation log" tab: every line recorded, adding and revoking lines, and the export.

The lines, the names they are shown with and the investigators offered are read from
the services after every change. Exporting asks where to save (``choose_path``, which
tests replace) and has the log service write the whole log, PDF or CSV by the file's
suffix (the CSV in UTF-8 with a byte order mark, so a spreadsheet opened by double-click
reads accented names right), off the GUI thread, whole or not at all and audited.
"Print…" previews the log as its PDF and prints it (audited too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.accounts import Actor, Permission, Role
from desktop.services.accounts import AccountService
from desktop.services.delegations import DelegationRow, DelegationService
from desktop.services.logs import LogExported, LogService
from desktop.ui.admin.admin_dialog import attempt
from desktop.ui.admin.admin_models import DelegationTableModel
from desktop.ui.admin.admin_table import AdminTable
from desktop.ui.admin.delegation_dialogs import AddDelegationDialog, RevokeDialog
from desktop.ui.common.exporting import (
    PDF_OR_CSV,
    ChoosePath,
    Export,
    export_refusal,
    save_dialog,
)
from desktop.ui.common.messages import MessageService
from desktop.ui.common.printing import Printing
from desktop.ui.common.widgets import named, push_button

NO_SELECTION = "Select a line of the log first."
EXPORT_TIP = ("Save the whole log, revoked lines included, as a PDF for the site binder "
              "or a CSV file for a spreadsheet.")
PRINT_TIP = "Print the whole log, revoked lines included, with a preview first."


class DelegationsTab(QWidget):
    def __init__(self, service: DelegationService, accounts: AccountService, actor: Actor,
                 trials: Sequence[tuple[str, str]], messages: MessageService,
                 parent: QWidget | None = None, *, logs: LogService) -> None:
        super().__init__(parent)
        self._service = service
        self._accounts = accounts
        self._actor = actor
        self._trials = list(trials)
        self._messages = messages
        self._logs = logs
        self.choose_path: ChoosePath = save_dialog("Export the delegation log", PDF_OR_CSV)
        #: The open add or revoke dialog, if any (tests look here).
        self.dialog: AddDelegationDialog | RevokeDialog | None = None
        self._names: dict[str, str] = {}

        self.model = DelegationTableModel(self)
        self.table = AdminTable(self.model, "delegations", "Delegation log",
                                 (48, 160, 100, 110, 90, 90, 200), wrap=True)
        self.add_button = push_button("&Add delegation…", "add_delegation", self.add_line)
        self.add_button.setToolTip("Delegate a trial to an investigator.")
        self.revoke_button = push_button("Re&voke…", "revoke", self.revoke_selected)
        self.export_button = push_button("E&xport PDF or CSV…", "export_log", self.export_log)
        self.print_button = push_button("&Print…", "print_log", self.print_log)
        self.status = named(QLabel(), "delegations_status")
        self.status.setWordWrap(True)
        self.export: Export[LogExported] = Export(self, messages, self.status,
                                                  [self.export_button], self._gate_export)
        self.printing = Printing(self, messages, logs.printable_delegation_log,
                                 logs.record_print, self.status.setText)
        self._gate_export()

        buttons = QHBoxLayout()
        for button in (self.add_button, self.revoke_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_buttons())
        self.model.modelReset.connect(self.update_buttons)
        self.refresh()

    # -- the log --------------------------------------------------------------------

    def selected(self) -> DelegationRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def refresh(self, select: int | None = None) -> None:
        """Read the log and the account names again, keeping (or moving) the selection."""
        current = self.selected()
        keep = select or (current.id if current else None)
        done, lines = attempt(self._messages, self, "Delegation log not read",
                              lambda: self._service.lines(self._actor))
        if done and lines is not None:
            self._names = self._accounts.names()
            self.model.set_log(lines, self._names, dict(self._trials))
        row = self.model.row_of(keep) if keep is not None else None
        if row is not None:
            self.table.selectRow(row)

    def update_buttons(self) -> None:
        line = self.selected()
        if not self._actor.may(Permission.ADMINISTER):  # a monitor, say: read and export
            why = "Only an administrator records or revokes delegations."
            for button in (self.add_button, self.revoke_button):
                button.setEnabled(False)
                button.setToolTip(why)
            return
        if line is None:
            self.revoke_button.setEnabled(False)
            self.revoke_button.setToolTip(NO_SELECTION)
        elif line.revoked_at is not None:
            self.revoke_button.setEnabled(False)
            self.revoke_button.setToolTip(f"Line {line.id} is revoked already.")
        else:
            self.revoke_button.setEnabled(True)
            self.revoke_button.setToolTip(f"End line {line.id} now, saying why.")

    # -- the actions ----------------------------------------------------------------

    def investigators(self) -> list[tuple[str, str]]:
        """(user id, name) of the active accounts with the investigator role."""
        done, rows = attempt(self._messages, self, "Accounts not read",
                             lambda: self._accounts.accounts(self._actor))
        return [(row.user_id, row.full_name) for row in rows or []
                if done and row.active and Role.INVESTIGATOR in row.roles]

    def add_line(self) -> None:
        if self.dialog is not None:
            return

        def add(user_id: str, trial_id: str, start: date, end: date | None,
                duty: str) -> DelegationRow:
            return self._service.add(self._actor, user_id, trial_id, start, end, duty)

        self._open(AddDelegationDialog(self, self._messages, add, self.investigators(),
                                       self._trials))

    def revoke_selected(self) -> None:
        line = self.selected()
        if line is None or self.dialog is not None:
            return

        def revoke(line_id: int, reason: str) -> None:
            self._service.revoke(self._actor, line_id, reason)

        self._open(RevokeDialog(self, self._messages, revoke, line, self._names))

    def _open(self, dialog: AddDelegationDialog | RevokeDialog) -> None:
        self.dialog = dialog
        dialog.finished.connect(lambda result: self._dialog_finished(dialog, result))
        dialog.open()

    def _dialog_finished(self, dialog: AddDelegationDialog | RevokeDialog,
                         result: int) -> None:
        self.dialog = None
        dialog.deleteLater()
        if result != QDialog.DialogCode.Accepted.value:
            return
        outcome = dialog.outcome
        if isinstance(outcome, DelegationRow):
            self.status.setText(f"Line {outcome.id} added to the log.")
            self.refresh(select=outcome.id)
        elif isinstance(outcome, int):
            self.status.setText(f"Line {outcome} revoked.")
            self.refresh(select=outcome)

    def _gate_export(self) -> None:
        why_not = export_refusal(self._logs.actor)
        self.export_button.setEnabled(why_not is None)
        self.export_button.setToolTip(why_not or EXPORT_TIP)
        self.print_button.setEnabled(why_not is None)
        self.print_button.setToolTip(why_not or PRINT_TIP)

    def print_log(self) -> bool:
        """Preview the whole log to print it; whether the preview opened."""
        if export_refusal(self._logs.actor) is not None:
            return False
        return self.printing.start()

    def export_log(self) -> bool:
        """Ask where, then have the log service write the log (PDF or CSV by the chosen
        file's suffix); whether the export started."""
        service = self._logs
        if export_refusal(service.actor) is not None:
            return False
        suggested = Path.home() / f"delegation-log-{date.today().isoformat()}.pdf"
        return self.export.run(self.choose_path, suggested, service.export_delegation_log,
                               title="Delegation log not exported", done=_exported_text)


def _exported_text(done: LogExported) -> str:
    lines = "line" if done.rows == 1 else "lines"
    return f"Delegation log {done.document_id} ({done.rows} {lines}) exported to {done.path}."
