"""MRN problems found at start: one dialog listing them, with the tools to resolve them.

A registry from before the MRN rules may hold patients whose MRNs are one MRN now
(``AB 17`` and ``AB  17``) or break the rules (a zero-width space). Once the registry is
open, ``MrnCheck`` asks ``PatientService.mrn_problems`` off the GUI thread and, if
there are any, opens ``MrnProblemsDialog``: each problem with its patients. Nothing was
changed; the administrator picks a patient and, with a reason, merges it into another
patient sharing its MRN (its screenings and results move) or voids it. An MRN or name
breaking the rules is corrected with Patient → Edit. Every change is the repository's,
audited; the list is read again after each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.common.messages import MessageService
from desktop.ui.common.operations import Operation
from desktop.ui.common.widgets import named

if TYPE_CHECKING:
    from desktop.services.patients import MrnProblem, PatientRow, PatientService

ERROR_STYLE: Final = "color: #b00020;"
#: Item data: the patient's id (on a patient row), or the problem's index (on a problem row).
PatientIdRole: Final = Qt.ItemDataRole.UserRole
ProblemRole: Final = Qt.ItemDataRole.UserRole + 1
COLUMNS: Final = ("MRN", "Family name", "Given name", "Date of birth", "Sex")


def _who(patient: PatientRow) -> str:
    from desktop.services.rows import visible

    return (f"{visible(patient.family_name, quotes=False)}, "
            f"{visible(patient.given_name, quotes=False)} "
            f"(MRN {visible(patient.mrn, quotes=False)})")


class MrnProblemsDialog(QDialog):
    """The problems, and merge / void for the patient selected. ``changed`` fires after
    each merge or void (the patient list should be read again)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None, repository: PatientService,
                 messages: MessageService, problems: list[MrnProblem]) -> None:
        super().__init__(parent)
        self._repository = repository
        self._messages = messages
        self.problems: list[MrnProblem] = []
        self.setWindowTitle("MRN problems in the registry")
        self.setMinimumWidth(640)

        self.intro = named(QLabel(), "intro")
        self.intro.setWordWrap(True)
        self.tree = named(QTreeWidget(), "problems")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.itemSelectionChanged.connect(self._update_actions)

        self.reason = named(QLineEdit(), "reason")
        self.reason.setPlaceholderText("Reason, e.g. registered twice at admission")
        self.reason.textChanged.connect(self._update_actions)
        reason_label = QLabel("&Reason")
        reason_label.setBuddy(self.reason)
        self.keep = named(QComboBox(), "keep")
        keep_label = QLabel("&Keep")
        keep_label.setBuddy(self.keep)
        self.merge_button = named(QPushButton("&Merge into kept patient"), "merge")
        self.merge_button.clicked.connect(self.merge_selected)
        self.void_button = named(QPushButton("&Void patient"), "void")
        self.void_button.clicked.connect(self.void_selected)
        self.outcome = named(QLabel(), "outcome")
        self.outcome.setWordWrap(True)

        actions = QHBoxLayout()
        actions.addWidget(reason_label)
        actions.addWidget(self.reason, 2)
        actions.addWidget(keep_label)
        actions.addWidget(self.keep, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.merge_button)
        buttons.addWidget(self.void_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.tree, 1)
        layout.addLayout(actions)
        layout.addLayout(buttons)
        layout.addWidget(self.outcome)
        layout.addWidget(close)
        self._fill(problems)

    # -- what is shown -----------------------------------------------------------

    def _fill(self, problems: list[MrnProblem]) -> None:
        self.problems = problems
        self.tree.clear()
        for index, problem in enumerate(problems):
            top = QTreeWidgetItem([problem.message])
            top.setData(0, ProblemRole, index)
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            top.setToolTip(0, problem.message)
            self.tree.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)
            for patient in problem.patients:
                from desktop.services.rows import visible

                child = QTreeWidgetItem([visible(patient.mrn, quotes=False),
                                         visible(patient.family_name, quotes=False),
                                         visible(patient.given_name, quotes=False),
                                         patient.birth_date.isoformat(),
                                         patient.sex.capitalize()])
                child.setData(0, PatientIdRole, patient.id)
                child.setData(0, ProblemRole, index)
                if patient.archived:
                    child.setToolTip(0, "Archived")
                top.addChild(child)
            top.setExpanded(True)
        for column in range(1, len(COLUMNS)):
            self.tree.resizeColumnToContents(column)
        duplicates = sum(problem.kind == "duplicate" for problem in problems)
        if not problems:
            self.intro.setText("No MRN problems remain: every MRN names one patient, and "
                               "the registry itself now refuses a second patient with one.")
        else:
            self.intro.setText(
                f"NK Screen found {len(problems)} MRN "
                f"{'problem' if len(problems) == 1 else 'problems'} in records saved before "
                "its MRN rules. Nothing has been changed. Where patients share an MRN, "
                "select the duplicate, choose the patient to keep, and merge (its "
                "screenings and results move to the kept patient) or void it; a reason is "
                "required and both are audited. Correct an MRN or name that breaks the "
                "rules with Patient → Edit, or void the record."
                + (f" While {duplicates} shared "
                   f"{'MRN remains' if duplicates == 1 else 'MRNs remain'}, the registry "
                   "refuses any new patient with it." if duplicates else ""))
        self._update_actions()

    def selected(self) -> tuple[MrnProblem, PatientRow] | None:
        """The problem and patient of the selected patient row, if one is selected."""
        items = self.tree.selectedItems()
        if not items or items[0].data(0, PatientIdRole) is None:
            return None
        problem = self.problems[int(items[0].data(0, ProblemRole))]
        patient_id = int(items[0].data(0, PatientIdRole))
        return problem, next(p for p in problem.patients if p.id == patient_id)

    def select(self, patient_id: int) -> None:
        """Select the (first) row of the patient ``patient_id``."""
        for top in range(self.tree.topLevelItemCount()):
            parent = self.tree.topLevelItem(top)
            children = [] if parent is None else [parent.child(i)
                                                  for i in range(parent.childCount())]
            for child in children:
                if child is not None and child.data(0, PatientIdRole) == patient_id:
                    self.tree.setCurrentItem(child)
                    return

    def _update_actions(self) -> None:
        chosen = self.selected()
        current = self.keep.currentData()
        self.keep.clear()
        if chosen is not None and chosen[0].kind == "duplicate":
            for patient in chosen[0].patients:
                if patient.id != chosen[1].id:
                    self.keep.addItem(_who(patient), patient.id)
            found = self.keep.findData(current)
            if found >= 0:
                self.keep.setCurrentIndex(found)
        has_reason = bool(self.reason.text().strip())
        self.keep.setEnabled(self.keep.count() > 0)
        self.merge_button.setEnabled(chosen is not None and self.keep.count() > 0
                                     and has_reason)
        self.void_button.setEnabled(chosen is not None and has_reason)

    def _say(self, text: str, error: bool = False) -> None:
        self.outcome.setStyleSheet(ERROR_STYLE if error else "")
        self.outcome.setText(text)

    # -- actions -------------------------------------------------------------------

    def void_selected(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        patient = chosen[1]
        if not self._messages.confirm(
                self, "Void patient",
                f"Void {_who(patient)}?\n\nThe record and everything attached to it are "
                "kept, marked voided with your reason, and hidden from the patient list. A "
                "voided record cannot be changed or restored.", "Void"):
            return
        self._apply(lambda: self._repository.void(patient.id, self.reason.text()),
                    f"Voided {_who(patient)}.")

    def merge_selected(self) -> None:
        chosen = self.selected()
        kept_id = self.keep.currentData()
        if chosen is None or kept_id is None:
            return
        duplicate = chosen[1]
        kept = next(p for p in chosen[0].patients if p.id == kept_id)
        if not self._messages.confirm(
                self, "Merge patients",
                f"Merge {_who(duplicate)} into {_who(kept)}?\n\nIts screenings, results and "
                "patient facts move to the kept patient, and the duplicate is voided with "
                "your reason. Nothing is deleted.", "Merge"):
            return
        self._apply(lambda: self._repository.merge(duplicate.id, int(kept_id),
                                                   self.reason.text()),
                    f"Merged {_who(duplicate)} into {_who(kept)}.")

    def _apply(self, change: Callable[[], object], done: str) -> None:
        from desktop.services.rows import RegistryError, ValidationFailed

        try:
            change()
        except ValidationFailed as exc:
            self._say(" ".join(exc.errors.values()), error=True)
            return
        except RegistryError as exc:  # refused (merge), busy, voided meanwhile...
            self._say(str(exc), error=True)
            return
        self.reason.clear()
        try:
            problems = self._repository.mrn_problems()
        except RegistryError as exc:
            self._say(f"{done} The list could not be read again: {exc}", error=True)
            return
        self._fill(problems)
        self._say(done)
        self.changed.emit()


class MrnCheck:
    """At start: the MRN problems read off the GUI thread; the dialog opened if any.

    ``on_changed`` runs after each merge or void made in the dialog.
    """

    def __init__(self, parent: QWidget, repository: PatientService,
                 messages: MessageService, on_changed: Callable[[], None]) -> None:
        self._parent = parent
        self._repository = repository
        self._messages = messages
        self._on_changed = on_changed
        self.dialog: MrnProblemsDialog | None = None
        self.problems: list[MrnProblem] | None = None
        self._operation = Operation(repository.mrn_problems, on_success=self._found,
                                    on_failure=self._failed)

    def start(self) -> MrnCheck:
        self._operation.start()
        return self

    def wait(self) -> None:
        self._operation.wait()

    @property
    def running(self) -> bool:
        return self._operation.running

    def _found(self, problems: list[MrnProblem]) -> None:
        self.problems = problems
        if not problems:
            return
        dialog = MrnProblemsDialog(self._parent, self._repository, self._messages, problems)
        dialog.changed.connect(self._on_changed)
        self.dialog = dialog
        dialog.open()  # window-modal, returns at once

    def _failed(self, error: BaseException) -> None:
        self._messages.error(self._parent, "MRNs not checked",
                             f"The registry's MRNs could not be checked at start: {error}")
