"""The delegation dialogs: add a line to the log, and revoke one with a reason.

What may be delegated (only an active investigator, an end not before the start, a
reason to revoke) is the delegation service's to say; these forms collect and hand over,
and stay open with what was chosen when it refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStyle,
    QWidget,
)

from desktop.services.delegations import MAX_DUTY, DelegationRow
from desktop.ui.admin import admin_text as text
from desktop.ui.admin.admin_dialog import ServiceDialog
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named

#: (user id, NCT id, from, until or None, duty) -> the line recorded.
AddLine = Callable[[str, str, date, date | None, str], DelegationRow]
DATE_FORMAT = "yyyy-MM-dd"


def _date_edit(name: str, day: QDate) -> QDateEdit:
    edit = named(QDateEdit(day), name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(DATE_FORMAT)
    edit.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    return edit


def day_of(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _row(*widgets: QWidget) -> QHBoxLayout:
    """Widgets side by side, at their own width."""
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    return row


def fit_items(combo: QComboBox, limit: int) -> None:
    """Make the box and its drop-down list as wide as the longest item (up to ``limit``
    pixels, past which the item's tooltip has it whole), so an NCT id's title shows in
    full instead of cut off."""
    metrics = combo.fontMetrics()
    longest = max((metrics.horizontalAdvance(combo.itemText(i)) for i in range(combo.count())),
                  default=0)
    # Room for the frame and the arrow, and for the list's scroll bar.
    extra = combo.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) + 48
    width = min(longest + extra, limit)
    combo.setMinimumWidth(width)
    combo.view().setMinimumWidth(width)


class AddDelegationDialog(ServiceDialog[DelegationRow]):
    """Delegate a trial to an investigator from a day, until a day or open-ended.

    ``investigators`` are (user id, name) of the accounts to offer.
    """

    def __init__(self, parent: QWidget | None, messages: MessageService, add: AddLine,
                 investigators: Sequence[tuple[str, str]], trials: Sequence[tuple[str, str]],
                 today: QDate | None = None) -> None:
        super().__init__(parent, messages, title="Add delegation",
                         intro="The investigator may sign for the trial on every day from "
                               "the first date until the last (both included), unless the "
                               "line is revoked.",
                         ok_text="Add to the log", failed="Delegation not added")
        self._add = add
        start = today or QDate.currentDate()
        self.investigator = named(QComboBox(), "investigator")
        for user_id, name in investigators:
            self.investigator.addItem(text.labelled(user_id, name), user_id)
        self.trial = named(QComboBox(), "trial")
        for trial_id, title in trials:
            self.trial.addItem(text.trial_choice(trial_id, title), trial_id)
            self.trial.setItemData(self.trial.count() - 1, text.trial_choice(trial_id, title),
                                   Qt.ItemDataRole.ToolTipRole)
        self.duty = named(QLineEdit("Investigator"), "duty")
        self.duty.setMaxLength(MAX_DUTY)
        self.duty.setPlaceholderText("e.g. Principal investigator, Sub-investigator")
        self.start = _date_edit("start", start)
        self.end = _date_edit("end", start)
        self.open_ended = named(QCheckBox("open-ended (until revoked)"), "open_ended")
        self.open_ended.toggled.connect(lambda on: self.end.setEnabled(not on))
        self.open_ended.setChecked(True)
        self.form.addRow("&Investigator", self.investigator)
        self.form.addRow("&Trial", self.trial)
        self.form.addRow("&Duty", self.duty)
        # A row holding a layout gets no buddy from addRow: name the field for its label.
        for label, field, row in (("&From", self.start, _row(self.start)),
                                  ("&Until", self.end, _row(self.end, self.open_ended))):
            shown = QLabel(label)
            shown.setBuddy(field)
            self.form.addRow(shown, row)
        screen = self.screen().availableGeometry().width() if self.screen() else 1280
        for combo in (self.investigator, self.trial):
            fit_items(combo, max(480, screen - 240))
        self.empty_note = named(QLabel(), "empty_note")
        self.empty_note.setWordWrap(True)
        self.empty_note.hide()
        self.form.addRow(self.empty_note)
        missing = ("No active account has the investigator role: give one the role on the "
                   "Accounts tab first." if not investigators else
                   "No trial is in the trial library of this installation." if not trials
                   else "")
        if missing:
            self.empty_note.setText(missing)
            self.empty_note.show()
            self.ok_button.setEnabled(False)
            self.ok_button.setToolTip(missing)

    def until(self) -> date | None:
        return None if self.open_ended.isChecked() else day_of(self.end.date())

    def save(self) -> DelegationRow:
        return self._add(str(self.investigator.currentData() or ""),
                         str(self.trial.currentData() or ""), day_of(self.start.date()),
                         self.until(),
                         self.duty.text())


class RevokeDialog(ServiceDialog[int]):
    """Revoke one line, saying why; the line stays in the log, marked revoked."""

    def __init__(self, parent: QWidget | None, messages: MessageService,
                 revoke: Callable[[int, str], None], line: DelegationRow,
                 names: dict[str, str]) -> None:
        super().__init__(parent, messages, title=f"Revoke delegation — line {line.id}",
                         intro=text.line_summary(line, names) + " From now on it no "
                               "longer lets them sign; the line stays in the log, marked "
                               "revoked, with your reason.",
                         ok_text="Revoke", failed="Delegation not revoked")
        self._revoke = revoke
        self._line = line
        self.reason = named(QLineEdit(), "reason")
        self.reason.setPlaceholderText("e.g. left the site; delegated in error")
        self.form.addRow("&Reason", self.reason)

    def save(self) -> int:
        self._revoke(self._line.id, self.reason.text())
        return self._line.id
