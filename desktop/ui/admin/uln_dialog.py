"""The "Add ULN" dialog: a new upper limit of normal for one observation, from a date on.

A ULN is only ever added. Results taken before its date keep the ULN in force on the
day they were taken, so recording a new value never changes how an older result was
judged. Whether the number is a number, its unit accepted and the value plausible is the
site settings service's to say; a refusal leaves the dialog open with what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QLineEdit, QWidget

from desktop.domain.units import CODES
from desktop.ui.admin import admin_text as text
from desktop.ui.admin.admin_dialog import ServiceDialog
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named

#: (code, value as typed, unit, effective from) -> nothing; raises the service's refusal.
#: (code, value, unit, effective from, why backdated ("" when not)).
AddUln = Callable[[str, str, str, date, str], None]
#: code -> a sentence on the ULN in force today ("" when none is).
InForce = Callable[[str], str]
DATE_FORMAT = "yyyy-MM-dd"
NOTE = "Results taken before this date keep the ULN in force then."
BACKDATED = ("From today or earlier: results already taken from this date on will be "
             "judged against the new value too, so say why it is backdated (kept in the "
             "audit trail).")


def uln_codes() -> list[str]:
    """The observations that carry a ULN, in the order the forms list them."""
    return [code for code, info in CODES.items() if info.carries_uln]


def day_of(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class AddUlnDialog(ServiceDialog[tuple[str, date]]):
    """On success ``outcome`` is (code, effective from) of the ULN recorded."""

    def __init__(self, parent: QWidget | None, messages: MessageService, add: AddUln,
                 in_force: InForce, today: QDate | None = None) -> None:
        super().__init__(parent, messages, title="Add an upper limit of normal (ULN)",
                         intro="The new value is added to the site's ULN table; no value "
                               "is ever changed or removed. Each result is judged against "
                               "the ULN in force on the day it was taken.",
                         ok_text="Add ULN", failed="ULN not added")
        self._add = add
        self._in_force = in_force
        self._today = today or QDate.currentDate()
        self.code = named(QComboBox(), "uln_code")
        for code in uln_codes():
            self.code.addItem(text.code_label(code), code)
        self.value = named(QLineEdit(), "uln_value")
        self.value.setPlaceholderText("e.g. 40 (as printed by the laboratory)")
        self.unit = named(QComboBox(), "uln_unit")
        # ULNs hold by day: the first day that changes no result already taken is tomorrow.
        self.effective_from = named(QDateEdit(self._today.addDays(1)), "effective_from")
        self.effective_from.setCalendarPopup(True)
        self.effective_from.setDisplayFormat(DATE_FORMAT)
        self.current = named(QLabel(), "uln_in_force")
        self.current.setWordWrap(True)
        self.note = named(QLabel(NOTE), "uln_note")
        self.note.setWordWrap(True)
        self.reason = named(QLineEdit(), "backdated_because")
        self.reason.setPlaceholderText("why it is backdated, e.g. the lab's value was "
                                       "entered wrongly")
        self.form.addRow("&Observation", self.code)
        self.form.addRow("", self.current)
        self.form.addRow("&Value", self.value)
        self.form.addRow("U&nit", self.unit)
        self.form.addRow("In force &from", self.effective_from)
        self.form.addRow("", self.note)
        self.form.addRow("&Backdated because", self.reason)
        self.code.currentIndexChanged.connect(lambda _index: self._code_changed())
        self.effective_from.dateChanged.connect(lambda _day: self._date_changed())
        self._code_changed()
        self._date_changed()
        self.value.setFocus()

    def chosen_code(self) -> str:
        return str(self.code.currentData() or "")

    def _code_changed(self) -> None:
        """Offer the chosen observation's units (its canonical unit first)."""
        code = self.chosen_code()
        self.unit.clear()
        if code in CODES:
            self.unit.addItems(list(CODES[code].units))
        self.unit.setEnabled(self.unit.count() > 1)
        self.current.setText(self._in_force(code) or "No site ULN is in force today.")

    def backdated(self) -> bool:
        """From today or earlier: results already taken would be judged by it."""
        return self.effective_from.date() <= self._today

    def _date_changed(self) -> None:
        backdated = self.backdated()
        self.note.setText(f"{NOTE} {BACKDATED}" if backdated else NOTE)
        self.reason.setEnabled(backdated)
        self.reason.setToolTip("" if backdated else "Only a ULN in force from today or "
                               "earlier needs a reason.")

    def save(self) -> tuple[str, date]:
        """The service refuses a backdated ULN without a reason (said in the dialog)."""
        code, effective = self.chosen_code(), day_of(self.effective_from.date())
        self._add(code, self.value.text(), self.unit.currentText(), effective,
                  self.reason.text() if self.backdated() else "")
        return code, effective
