"""The "Delegation log" tab: every line recorded, adding and revoking lines, and the CSV.

The lines, the names they are shown with and the investigators offered are read from
the services after every change. Exporting asks where to save (``choose_path``, which
tests replace) and writes the service's CSV as UTF-8 with a byte order mark, so a
spreadsheet opened by double-click reads accented names right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.accounts import Actor, Permission, Role
from desktop.services.accounts import AccountService
from desktop.services.delegations import DelegationRow, DelegationService
from desktop.ui.admin.admin_dialog import attempt
from desktop.ui.admin.admin_models import DelegationTableModel
from desktop.ui.admin.admin_table import AdminTable
from desktop.ui.admin.delegation_dialogs import AddDelegationDialog, RevokeDialog
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named, push_button

NO_SELECTION = "Select a line of the log first."
#: (parent, suggested path) -> the path chosen, or "" when cancelled.
ChoosePath = Callable[[QWidget, str], str]


def choose_csv_path(parent: QWidget, suggested: str) -> str:
    """Ask where to save the CSV (the platform's save dialog)."""
    path, _filter = QFileDialog.getSaveFileName(parent, "Export the delegation log",
                                                suggested, "CSV files (*.csv)")
    return path


class DelegationsTab(QWidget):
    def __init__(self, service: DelegationService, accounts: AccountService, actor: Actor,
                 trials: Sequence[tuple[str, str]], messages: MessageService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._accounts = accounts
        self._actor = actor
        self._trials = list(trials)
        self._messages = messages
        self.choose_path: ChoosePath = choose_csv_path
        #: The open add or revoke dialog, if any (tests look here).
        self.dialog: AddDelegationDialog | RevokeDialog | None = None
        self._names: dict[str, str] = {}

        self.model = DelegationTableModel(self)
        self.table = AdminTable(self.model, "delegations", "Delegation log",
                                 (48, 160, 100, 110, 90, 90, 200), wrap=True)
        self.add_button = push_button("&Add delegation…", "add_delegation", self.add_line)
        self.add_button.setToolTip("Delegate a trial to an investigator.")
        self.revoke_button = push_button("Re&voke…", "revoke", self.revoke_selected)
        self.export_button = push_button("E&xport CSV…", "export_csv", self.export_csv)
        self.export_button.setToolTip("Save the whole log, revoked lines included, as a "
                                      "CSV file for the site binder.")
        self.status = named(QLabel(), "delegations_status")
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        for button in (self.add_button, self.revoke_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
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

    def export_csv(self) -> None:
        suggested = str(Path.home() / f"delegation-log-{date.today().isoformat()}.csv")
        chosen = self.choose_path(self, suggested)
        if not chosen:
            return
        path = Path(chosen)
        done, content = attempt(self._messages, self, "Delegation log not exported",
                                lambda: self._service.csv(self._actor))
        if not done or content is None:
            return
        try:
            # newline="": the service's CSV already ends its rows with CRLF.
            with path.open("w", encoding="utf-8-sig", newline="") as out:
                out.write(content)
        except OSError as exc:
            self._messages.error(self, "Delegation log not exported",
                                 f"{path} could not be written: {exc.strerror or exc}.")
            return
        self.status.setText(f"Delegation log exported to {path}.")
