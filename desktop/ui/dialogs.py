"""Dialogs: one small base class, and the add/edit patient form built on it.

``BaseDialog`` handles what every dialog needs the same way (window modality and
remembered geometry), after Picard's ``PicardDialog``. The patient form checks nothing
itself: it asks the repository to ``validate`` and shows each message under its field.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Final

from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.messages import MessageService
from desktop.ui.settings import UiSettings, dialog_geometry_key
from desktop.ui.widgets import named

if TYPE_CHECKING:
    from desktop.registry.patients import PatientInput, PatientRepository, PatientRow

FIELDS: Final = ("mrn", "family_name", "given_name", "birth_date", "sex")
DATE_FORMAT_HINT: Final = "YYYY-MM-DD"
ERROR_STYLE: Final = "color: #b00020;"


class BaseDialog(QDialog):
    """A window-modal dialog that restores its size and position from the settings."""

    def __init__(self, parent: QWidget | None, settings: UiSettings) -> None:
        super().__init__(parent)
        self._settings = settings
        self._geometry_key = dialog_geometry_key(type(self).__name__)
        self.setModal(True)
        self._restored = False

    def showEvent(self, event: QShowEvent) -> None:
        if not self._restored:
            self._restored = True
            geometry = self._settings.geometry(self._geometry_key)
            if not geometry.isEmpty():
                self.restoreGeometry(geometry)
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        # accept(), reject() and close() all end in a hide: save here, once.
        self._settings.set_geometry(self._geometry_key, self.saveGeometry())
        super().hideEvent(event)


class PatientDialog(BaseDialog):
    """Add a patient (``patient`` is None) or edit one; ``saved`` holds the result.

    Nothing is written until the repository finds no error. Each error appears in red
    under its field and as that field's accessible description, so a screen reader
    announces it with the field.
    """

    def __init__(self, parent: QWidget | None, settings: UiSettings,
                 repository: PatientRepository, messages: MessageService,
                 patient: PatientRow | None = None) -> None:
        super().__init__(parent, settings)
        from desktop.registry.patients import SEXES

        self._repository = repository
        self._messages = messages
        self._patient = patient
        self.saved: PatientRow | None = None
        self.setWindowTitle("Edit patient" if patient else "New patient")

        self.mrn = named(QLineEdit(), "mrn")
        self.family_name = named(QLineEdit(), "family_name")
        self.given_name = named(QLineEdit(), "given_name")
        self.birth_date = named(QLineEdit(), "birth_date")
        self.birth_date.setPlaceholderText(DATE_FORMAT_HINT)
        self.sex = named(QComboBox(), "sex")
        self.sex.addItem("", "")  # blank, so a missing answer can be shown as such
        for value in SEXES:
            self.sex.addItem(value.capitalize(), value)

        self._inputs: dict[str, QWidget] = {
            "mrn": self.mrn, "family_name": self.family_name,
            "given_name": self.given_name, "birth_date": self.birth_date, "sex": self.sex,
        }
        labels = {"mrn": "&MRN", "family_name": "&Family name", "given_name": "&Given name",
                  "birth_date": "&Date of birth", "sex": "&Sex"}
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()
        for name in FIELDS:
            field = self._inputs[name]
            error = named(QLabel(), f"{name}_error")
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            self.errors[name] = error
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(field)
            column.addWidget(error)
            label = QLabel(labels[name])
            label.setBuddy(field)
            form.addRow(label, column)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        save = buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setDefault(True)  # Enter in any field submits
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)

        if patient is not None:
            self.mrn.setText(patient.mrn)
            self.family_name.setText(patient.family_name)
            self.given_name.setText(patient.given_name)
            self.birth_date.setText(patient.birth_date.isoformat())
            self.sex.setCurrentIndex(max(0, self.sex.findData(patient.sex)))

    def collect(self) -> tuple[PatientInput, dict[str, str]]:
        """The form as repository input, plus errors the form itself can tell (date format)."""
        from desktop.registry.patients import PatientInput

        errors: dict[str, str] = {}
        birth_date: date | None = None
        text = self.birth_date.text().strip()
        if text:
            try:
                birth_date = date.fromisoformat(text)
            except ValueError:
                errors["birth_date"] = f"Enter the date as {DATE_FORMAT_HINT}, e.g. 1961-04-23."
        data = PatientInput(mrn=self.mrn.text().strip(),
                            family_name=self.family_name.text().strip(),
                            given_name=self.given_name.text().strip(),
                            birth_date=birth_date, sex=str(self.sex.currentData() or ""))
        return data, errors

    def submit(self) -> None:
        from desktop.registry.database import RegistryError
        from desktop.registry.patients import ValidationFailed

        data, errors = self.collect()
        patient_id = self._patient.id if self._patient else None
        found = self._repository.validate(data, patient_id)
        errors = {**found, **errors}  # an unreadable date beats "required"
        if not errors:
            try:
                if patient_id is None:
                    self.saved = self._repository.add(data)
                else:
                    self.saved = self._repository.update(patient_id, data)
            except ValidationFailed as exc:  # e.g. another window took the MRN meanwhile
                errors = dict(exc.errors)
            except RegistryError as exc:
                self._messages.error(self, "Patient not saved", str(exc))
                return
        self.show_errors(errors)
        if not errors:
            self.accept()

    def show_errors(self, errors: dict[str, str]) -> None:
        first: QWidget | None = None
        for name in FIELDS:
            message = errors.get(name, "")
            label = self.errors[name]
            label.setText(message)
            label.setVisible(bool(message))
            self._inputs[name].setAccessibleDescription(message)
            if message and first is None:
                first = self._inputs[name]
        unplaced = [text for name, text in errors.items() if name not in self._inputs]
        if unplaced:
            self._messages.error(self, "Patient not saved", " ".join(unplaced))
        if first is not None:
            first.setFocus()
