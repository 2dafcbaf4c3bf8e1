"""The admin tables as thin models over the services' rows: accounts, the delegation log
and the site's dated ULNs. They show what the services returned and nothing else; the
tabs set fresh rows after every change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Final

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from desktop.services.accounts import AccountRow
from desktop.services.delegations import DelegationRow
from desktop.services.site_settings import UlnRow
from desktop.ui.admin import admin_text as text
from desktop.ui.common.row_model import RowTableModel

USER_ID, NAME, ROLES, STATUS = range(4)
(LINE, INVESTIGATOR, TRIAL, DUTY, FROM, UNTIL, RECORDED, REVOKED) = range(8)
ULN_CODE, ULN_VALUE, ULN_UNIT, ULN_FROM, ULN_BY = range(5)

_DISPLAY: Final = Qt.ItemDataRole.DisplayRole
_TOOLTIP: Final = Qt.ItemDataRole.ToolTipRole
_FOREGROUND: Final = Qt.ItemDataRole.ForegroundRole
#: The standing of a row set without ``set_history`` (none is worked out).
_UNKNOWN: Final = (True, "")


def _dimmed() -> object:
    return QApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)


class AccountTableModel(RowTableModel[AccountRow]):
    """Every account, deactivated ones included (dimmed), in the service's order."""

    HEADERS = ("User id", "Name", "Roles", "Status")

    def cell(self, value: AccountRow, column: int, role: int) -> object:
        if role == _DISPLAY:
            return (value.user_id, value.full_name, text.roles_label(value.roles),
                    text.account_status(value))[column]
        if role == _TOOLTIP:
            if column == STATUS:
                return text.status_detail(value)
            if column == ROLES:
                return text.roles_label(value.roles)
            if column == NAME:
                return f"{value.full_name} (printed on what they sign)"
        if role == _FOREGROUND and not value.active:
            return _dimmed()
        return None

    def row_of(self, user_id: str) -> int | None:
        for number, row in enumerate(self._rows):
            if row.user_id == user_id:
                return number
        return None


class DelegationTableModel(RowTableModel[DelegationRow]):
    """Every line of the delegation log, revoked ones included (dimmed), as recorded."""

    HEADERS = ("Line", "Investigator", "Trial", "Duty", "From", "Until", "Recorded by, at",
               "Revoked (by, when, reason)")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._names: dict[str, str] = {}
        self._titles: dict[str, str] = {}

    def set_log(self, rows: list[DelegationRow], names: Mapping[str, str],
                titles: Mapping[str, str]) -> None:
        """The lines, with user id -> printed name and NCT id -> title to show them by."""
        self._names = dict(names)
        self._titles = dict(titles)
        self.set_rows(rows)

    def cell(self, value: DelegationRow, column: int, role: int) -> object:
        if role == _DISPLAY:
            return self._text(value, column)
        if role == _TOOLTIP:
            if column == TRIAL:
                return text.trial_choice(value.trial_id, self._titles.get(value.trial_id, ""))
            if column in (RECORDED, REVOKED, INVESTIGATOR, DUTY):
                return self._text(value, column) or None
            if column == UNTIL and value.end is None:
                return "No end date: in force until revoked."
        if role == Qt.ItemDataRole.TextAlignmentRole and column == LINE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == _FOREGROUND and value.revoked_at is not None:
            return _dimmed()
        return None

    def _text(self, value: DelegationRow, column: int) -> str:
        if column == LINE:
            return str(value.id)
        if column == INVESTIGATOR:
            return text.person(value.user_id, self._names)
        if column == TRIAL:
            return value.trial_id
        if column == DUTY:
            return value.duty
        if column == FROM:
            return text.day(value.start)
        if column == UNTIL:
            return text.until_text(value)
        if column == RECORDED:
            return text.recorded_text(value, self._names)
        return text.revoked_text(value, self._names)

    def row_of(self, line_id: int) -> int | None:
        for number, row in enumerate(self._rows):
            if row.id == line_id:
                return number
        return None


class UlnTableModel(RowTableModel[UlnRow]):
    """Every dated ULN ever recorded, by observation and date; those not in force today
    (superseded, or from a later date) dimmed, the "In force from" tooltip saying why."""

    HEADERS = ("Observation", "Value", "Unit", "In force from", "Recorded by")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._names: dict[str, str] = {}
        #: id(row) -> (in force today, why): rows are held, so their ids stay theirs.
        self._standing: dict[int, tuple[bool, str]] = {}

    def set_history(self, rows: Sequence[UlnRow], names: Mapping[str, str],
                    today: date) -> None:
        self._names = dict(names)
        following = [rows[i + 1] if i + 1 < len(rows) and rows[i + 1].code == row.code
                     else None for i, row in enumerate(rows)]
        self._standing = {id(row): text.uln_standing(row, after, today)
                          for row, after in zip(rows, following, strict=True)}
        self.set_rows(rows)

    def in_force(self, row: int) -> bool:
        value = self.row_at(row)
        return value is not None and self._standing.get(id(value), _UNKNOWN)[0]

    def cell(self, value: UlnRow, column: int, role: int) -> object:
        if role == _DISPLAY:
            return (text.code_label(value.code), value.value, value.unit,
                    text.day(value.effective_from),
                    text.person(value.recorded_by, self._names))[column]
        in_force, why = self._standing.get(id(value), _UNKNOWN)
        if role == _TOOLTIP:
            if column == ULN_CODE:
                return f"{text.code_label(value.code)} (code {value.code})"
            if column == ULN_FROM:
                return why
            if column == ULN_BY:
                return text.person(value.recorded_by, self._names)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == ULN_VALUE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == _FOREGROUND and not in_force:
            return _dimmed()
        return None
