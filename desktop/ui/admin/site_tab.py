"""The "Site settings" tab: the site's settings, its confirm thresholds and its ULN table.

Everything is read from and written through the site settings service, which checks
every value and names the setting it refuses; a refusal is shown word for word and the
form keeps what was typed. ULNs are only ever added, each from a date on, so a new value
never changes the ULN of a result taken before that date.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from zoneinfo import available_timezones

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.accounts import Actor
from desktop.services.site_settings import PAPER_SIZES, SiteSettingsService, SiteValues
from desktop.ui.admin import admin_text as text
from desktop.ui.admin.admin_dialog import attempt
from desktop.ui.admin.admin_models import UlnTableModel
from desktop.ui.admin.admin_table import AdminTable
from desktop.ui.admin.confirm_editor import ConfirmEditor, ConfirmEntries
from desktop.ui.admin.uln_dialog import AddUlnDialog
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named

ULN_NOTE = ("A ULN is only ever added, in force from its date on: a new value never "
            "changes the ULN of a result taken before that date, and every row stays here.")
APPLIES = ("Running workstations take up the site name, time zone and idle lock when NK "
           "Screen is next started.")
NAME_LENGTH = 120


def _group(title: str, name: str, layout: QVBoxLayout) -> QGroupBox:
    box = named(QGroupBox(title), name)
    box.setLayout(layout)
    return box


class SiteSettingsTab(QWidget):
    def __init__(self, service: SiteSettingsService, actor: Actor, messages: MessageService,
                 names: Callable[[], Mapping[str, str]], parent: QWidget | None = None,
                 today: Callable[[], date] = date.today) -> None:
        super().__init__(parent)
        self._service = service
        self._actor = actor
        self._messages = messages
        self._names = names
        self._today = today
        #: The open Add ULN dialog, if any (tests look here).
        self.dialog: AddUlnDialog | None = None

        self.site_name = named(QLineEdit(), "site_name")
        self.site_name.setMaxLength(NAME_LENGTH)
        self.site_name.setPlaceholderText("e.g. Clinic North, cell therapy unit")
        self.time_zone = named(QComboBox(), "time_zone")
        self.time_zone.setEditable(True)
        self.time_zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.time_zone.addItems(["", *sorted(available_timezones())])
        line = self.time_zone.lineEdit()
        if line is not None:  # editable: it has one
            line.setPlaceholderText("blank: each workstation's own time zone")
        self.paper_size = named(QComboBox(), "paper_size")
        self.paper_size.addItems(list(PAPER_SIZES))
        self.idle_lock = named(QSpinBox(), "idle_lock_minutes")
        self.idle_lock.setRange(1, 240)
        self.idle_lock.setSuffix(" minutes")
        self.password_expiry = named(QSpinBox(), "password_expiry_days")
        self.password_expiry.setRange(0, 3650)
        self.password_expiry.setSuffix(" days")
        self.password_expiry.setSpecialValueText("never")
        self.mrn_characters = named(QLineEdit(), "mrn_characters")
        self.mrn_characters.setPlaceholderText("blank: the default rules; e.g. A-Z0-9")
        self.mrn_characters.setToolTip("The characters an MRN may hold, as the inside of a "
                                       "regular expression's [ ]: A-Z0-9 for capitals and "
                                       "digits.")
        self.open_before_signature = named(
            QCheckBox("Let the next stage open before the investigator confirms this one"),
            "open_before_signature")
        self.open_before_signature.setToolTip(
            "Off (the default): a stage completed eligible waits for the investigator's "
            "'Eligibility confirmed by' signature before the next stage can start. On: the "
            "next stage may start once this one is completed eligible; the signature is "
            "still asked for.")
        self.save_button = named(QPushButton("Save settin&gs"), "save_settings")
        self.save_button.clicked.connect(lambda _checked=False: self.save_settings())
        self.status = named(QLabel(), "site_status")
        self.status.setWordWrap(True)
        applies = named(QLabel(APPLIES), "site_applies")
        applies.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Site &name", self.site_name)
        form.addRow("&Time zone", self.time_zone)
        form.addRow("&Paper size", self.paper_size)
        form.addRow("&Idle lock after", self.idle_lock)
        form.addRow("Passwords e&xpire after", self.password_expiry)
        form.addRow("&MRN characters", self.mrn_characters)
        form.addRow("Signatures", self.open_before_signature)
        save_row = QHBoxLayout()
        save_row.addWidget(self.status, 1)
        save_row.addWidget(self.save_button)
        settings = QVBoxLayout()
        settings.addLayout(form)
        settings.addWidget(applies)
        settings.addLayout(save_row)

        self.confirm = named(ConfirmEditor(messages, self._save_confirm), "confirm_editor")
        self.uln_model = UlnTableModel(self)
        self.uln_table = AdminTable(self.uln_model, "uln_history", "ULN history",
                                    (120, 56, 64, 96))
        self.add_uln_button = named(QPushButton("Add &ULN…"), "add_uln")
        self.add_uln_button.setToolTip("Record a new ULN for an observation, from a date on.")
        self.add_uln_button.clicked.connect(lambda _checked=False: self.add_uln())
        uln_note = named(QLabel(ULN_NOTE), "uln_note")
        uln_note.setWordWrap(True)
        uln_buttons = QHBoxLayout()
        uln_buttons.addWidget(self.add_uln_button)
        uln_buttons.addStretch(1)
        uln = QVBoxLayout()
        uln.addWidget(uln_note)
        uln.addLayout(uln_buttons)
        uln.addWidget(self.uln_table, 1)
        self.uln_status = named(QLabel(), "uln_status")
        self.uln_status.setWordWrap(True)
        uln.addWidget(self.uln_status)

        left = QVBoxLayout()
        left.addWidget(_group("Settings", "settings_group", settings))
        confirm = QVBoxLayout()
        confirm.addWidget(self.confirm)
        left.addWidget(_group("Confirm thresholds", "confirm_group", confirm), 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(_group("Upper limits of normal (ULN)", "uln_group", uln), 1)
        self.refresh()

    # -- reading ----------------------------------------------------------------------

    def refresh(self) -> None:
        """Read every setting and the ULN table again from the service."""
        values = self._service.values()
        self.show_values(values)
        self.confirm.load(values.confirm)
        self.refresh_uln()

    def show_values(self, values: SiteValues) -> None:
        self.site_name.setText(values.site_name)
        self.time_zone.setCurrentText(values.time_zone or "")
        self.paper_size.setCurrentText(values.paper_size)
        self.idle_lock.setValue(values.idle_lock_minutes)
        self.password_expiry.setValue(values.password_expiry_days)
        self.mrn_characters.setText(values.mrn_characters or "")
        self.open_before_signature.setChecked(values.open_before_signature)

    def refresh_uln(self, select: tuple[str, date] | None = None) -> None:
        self.uln_model.set_history(self._service.uln_rows(), self._names(), self._today())
        for number, row in enumerate(self.uln_model.rows):
            if select == (row.code, row.effective_from):
                self.uln_table.selectRow(number)  # the last of that code and day

    # -- saving -----------------------------------------------------------------------

    def typed(self) -> dict[str, Any]:
        """The form as ``update`` takes it; blanks stand for "the default"."""
        return {"site_name": self.site_name.text(),
                "time_zone": self.time_zone.currentText().strip() or None,
                "paper_size": self.paper_size.currentText(),
                "idle_lock_minutes": self.idle_lock.value(),
                "password_expiry_days": self.password_expiry.value(),
                "mrn_characters": self.mrn_characters.text().strip() or None,
                "open_before_signature": self.open_before_signature.isChecked()}

    def save_settings(self) -> None:
        changes = self.typed()
        done, values = attempt(self._messages, self, "Site settings not saved",
                               lambda: self._service.update(self._actor, **changes))
        if done and values is not None:
            self.show_values(values)
            self.status.setText("Site settings saved.")
        else:
            self.status.setText("")

    def _save_confirm(self, entries: ConfirmEntries) -> SiteValues:
        return self._service.update(self._actor, confirm=entries)

    # -- ULNs -------------------------------------------------------------------------

    def in_force(self, code: str) -> str:
        """The ULN of ``code`` in force today as recorded (value and unit as typed), as a
        sentence; "" when none is."""
        since = self._service.values().uln.since(code, self._today())
        rows = [row for row in self._service.uln_rows()
                if row.code == code and row.effective_from == since]
        if not rows:
            return ""
        row = rows[-1]  # a later entry for the same day replaces an earlier one
        return f"In force today: {row.value} {row.unit}, from {text.day(row.effective_from)}."

    def add_uln(self) -> None:
        if self.dialog is not None:
            return

        def add(code: str, value: str, unit: str, effective_from: date,
                backdated_because: str) -> None:
            self._service.add_uln(self._actor, code, value, unit, effective_from,
                                  backdated_because=backdated_because)

        today = self._today()
        dialog = AddUlnDialog(self, self._messages, add, self.in_force,
                              QDate(today.year, today.month, today.day))
        self.dialog = dialog
        dialog.finished.connect(lambda result: self._dialog_finished(dialog, result))
        dialog.open()

    def _dialog_finished(self, dialog: AddUlnDialog, result: int) -> None:
        self.dialog = None
        dialog.deleteLater()
        if result != QDialog.DialogCode.Accepted.value or dialog.outcome is None:
            return
        code, effective_from = dialog.outcome
        self.refresh_uln(select=(code, effective_from))
        self.uln_status.setText(f"ULN of {text.code_label(code)} from "
                            f"{text.day(effective_from)} added.")
