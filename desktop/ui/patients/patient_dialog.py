"""Dialogs: one small base class, and the add/edit patient form built on it.

``BaseDialog`` handles what every dialog needs the same way (window modality and
remembered geometry), after Picard's ``PicardDialog``. The patient form checks nothing
itself: it asks the repository to ``validate`` (the domain's MRN and name rules, the
site's allowed characters, the MRN already taken) as you type, shows each message under
its field, and keeps Save disabled while anything is wrong. The repository checks again
when it saves. Where the service says a change needs a reason (the date of birth or sex
of a patient with a completed stage), Save asks for it first; Cancel saves nothing.
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

from desktop.ui.common.messages import MessageService
from desktop.ui.common.settings import UiSettings, dialog_geometry_key
from desktop.ui.common.widgets import named

if TYPE_CHECKING:
    from desktop.services.patients import PatientInput, PatientRow, PatientService

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

    Nothing is written until the repository finds no error. The form is validated as
    you type: each error appears in red under its field (once that field has been typed
    in, or Save tried; every field at once when editing) and as that field's accessible
    description, so a screen reader announces it with the field; Save stays disabled,
    its tooltip saying what is still missing, until there is none. A voided patient is
    shown read-only.
    """

    def __init__(self, parent: QWidget | None, settings: UiSettings,
                 repository: PatientService, messages: MessageService,
                 patient: PatientRow | None = None) -> None:
        super().__init__(parent, settings)
        from desktop.services.rows import SEXES

        self._repository = repository
        self._messages = messages
        self._patient = patient
        self.saved: PatientRow | None = None
        #: Fields whose errors are shown as you type: those typed in (all when editing).
        self._touched: set[str] = set(FIELDS) if patient is not None else set()
        self.setWindowTitle("Edit patient" if patient else "New patient")

        self.mrn = named(QLineEdit(), "mrn")
        self.family_name = named(QLineEdit(), "family_name")
        self.given_name = named(QLineEdit(), "given_name")
        self.birth_date = named(QLineEdit(), "birth_date")
        self.birth_date.setPlaceholderText(DATE_FORMAT_HINT)
        self.sex = named(QComboBox(), "sex")
        self.sex.addItem("", "")  # blank, so a missing answer can be shown as such
        self.sex.setAccessibleName("Sex assigned at birth")
        self.sex.setToolTip("Sex assigned at birth: the Cockcroft-Gault creatinine "
                            "clearance uses it (× 0.85 for female).")
        for value in SEXES:
            self.sex.addItem(value.capitalize(), value)

        self._inputs: dict[str, QWidget] = {
            "mrn": self.mrn, "family_name": self.family_name,
            "given_name": self.given_name, "birth_date": self.birth_date, "sex": self.sex,
        }
        labels = {"mrn": "&MRN", "family_name": "&Family name", "given_name": "&Given name",
                  "birth_date": "&Date of birth",
                  "sex": "&Sex assigned at birth\n(for Cockcroft-Gault)"}
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
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)  # Enter in any field submits (while enabled)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.voided_note = named(QLabel(), "voided_note")
        self.voided_note.setWordWrap(True)
        self.voided_note.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(self.voided_note)
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

        for name, line in (("mrn", self.mrn), ("family_name", self.family_name),
                           ("given_name", self.given_name), ("birth_date", self.birth_date)):
            line.textEdited.connect(lambda _text, field=name: self._edited(field))
        self.sex.currentIndexChanged.connect(lambda _index: self._edited("sex"))
        if patient is not None and patient.voided:
            self.voided_note.setText(f"This patient was voided ({patient.void_reason}); the "
                                     "record is kept as it was and cannot be changed.")
            self.voided_note.show()
            for line in (self.mrn, self.family_name, self.given_name, self.birth_date):
                line.setReadOnly(True)
            self.sex.setEnabled(False)
            self.save_button.setEnabled(False)
            self.save_button.setToolTip("A voided patient cannot be changed.")
        else:
            self.revalidate()

    def collect(self) -> tuple[PatientInput, dict[str, str]]:
        """The form as repository input, plus errors the form itself can tell (date format)."""
        from desktop.services.rows import PatientInput

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

    def current_errors(self) -> dict[str, str]:
        """Every problem with the form as it is now (the repository's, and the date's)."""
        from desktop.services.rows import RegistryError

        data, errors = self.collect()
        patient_id = self._patient.id if self._patient else None
        try:
            found = self._repository.validate(data, patient_id)
        except RegistryError as exc:  # the registry is busy or gone: say so, save nothing
            found = {"mrn": str(exc)} if "mrn" not in errors else {}
        return {**found, **errors}  # an unreadable date beats "required"

    def _edited(self, field: str) -> None:
        self._touched.add(field)
        self.revalidate()

    def revalidate(self) -> dict[str, str]:
        """Validate as typed: show the errors of the fields typed in, and enable Save only
        when there are none at all; the errors."""
        errors = self.current_errors()
        self._show(errors, self._touched, focus=False)
        self.save_button.setEnabled(not errors)
        self.save_button.setToolTip(
            "" if not errors else "Not saved yet: "
            + " ".join(errors[name] for name in FIELDS if name in errors))
        return errors

    def submit(self) -> None:
        from desktop.services.rows import RegistryError, ValidationFailed

        if self._patient is not None and self._patient.voided:
            return
        self._touched.update(FIELDS)
        data, _ = self.collect()
        patient_id = self._patient.id if self._patient else None
        errors = self.current_errors()
        if not errors:
            try:
                if patient_id is None:
                    self.saved = self._repository.add(data)
                else:
                    reason = self._reason(patient_id, data)
                    if reason is None:
                        return  # cancelled: nothing saved, the form stays as typed
                    self.saved = self._repository.update(patient_id, data, reason)
            except ValidationFailed as exc:  # e.g. another window took the MRN meanwhile
                errors = dict(exc.errors)
            except RegistryError as exc:
                self._messages.error(self, "Patient not saved", str(exc))
                return
        self.show_errors(errors)
        self.save_button.setEnabled(not errors)
        if not errors:
            self.accept()

    def _reason(self, patient_id: int, data: PatientInput) -> str | None:
        """"" if the service saves ``data`` without a reason; else the reason the user
        gives for changing the date of birth or sex (None: cancelled)."""
        from desktop.ui.common.reason_dialog import COVERED_CHANGE

        if not self._repository.needs_reason(patient_id, data):
            return ""
        shown = self._patient
        assert shown is not None  # editing
        changed = [f"the {what} from {old} to {new}" for what, old, new in (
            ("date of birth", shown.birth_date.isoformat(),
             data.birth_date.isoformat() if data.birth_date else ""),
            ("sex", shown.sex, data.sex)) if old != new]
        text = f"Saving changes {' and '.join(changed) or 'the patient'}. {COVERED_CHANGE}"
        return self._messages.ask_reason(self, "Reason for the change", text)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Show every error (after Save): under its field, the first field focused."""
        self._show(errors, set(FIELDS), focus=True)
        unplaced = [text for name, text in errors.items() if name not in self._inputs]
        if unplaced:
            self._messages.error(self, "Patient not saved", " ".join(unplaced))

    def _show(self, errors: dict[str, str], fields: set[str], focus: bool) -> None:
        first: QWidget | None = None
        for name in FIELDS:
            message = errors.get(name, "") if name in fields else ""
            label = self.errors[name]
            if label.text() != message:
                label.setText(message)
            label.setVisible(bool(message))
            self._inputs[name].setAccessibleDescription(message)
            if message and first is None:
                first = self._inputs[name]
        if focus and first is not None:
            first.setFocus()
        self._fit_messages()

    def _fit_messages(self) -> None:
        """Grow the dialog to show every message under its field whole, never clipped."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() \
            else layout.totalSizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)
