"""The main window: a search box over the paged patient table, and patient actions.

The window paints before any registry code is imported; ``app`` hands it a repository
once the registry is open (``set_repository``). Until then actions are disabled and the
status bar says what is happening. Keyboard first: the search box has focus at start,
Down moves into the table, Enter opens the selected patient.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QTableView,
    QToolBar,
    QWidget,
)

from desktop import APP_NAME
from desktop.ui.common.messages import MessageService
from desktop.ui.common.settings import MAIN_WINDOW_GEOMETRY, SHOW_ARCHIVED, UiSettings
from desktop.ui.common.widgets import named
from desktop.ui.patients.patient_dialog import PatientDialog
from desktop.ui.patients.patient_model import PatientTableModel, count_wording
from desktop.ui.patients.session_window import SessionWindow

if TYPE_CHECKING:
    from desktop.services.about import About
    from desktop.services.patients import PatientRow, PatientService
    from desktop.ui.common.context import ScreeningContext
    from desktop.ui.common.verifying import Verifier
    from desktop.ui.screening.patient_view import PatientView
    from desktop.ui.session.account_menu import AccountMenu
    from desktop.ui.session.controller import SessionController


class MainWindow(SessionWindow, QMainWindow):
    """The patient list. ``first_painted`` fires once, after the window first paints."""

    first_painted = Signal()

    def __init__(self, settings: UiSettings, messages: MessageService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._messages = messages
        self._repository: PatientService | None = None
        self._context: ScreeningContext | None = None
        self._verifier: Verifier | None = None
        #: Where Verify asks for the file (tests replace it); None: the platform dialog.
        self.choose_pdf: Callable[[QWidget], str] | None = None
        self.patient_views: dict[int, PatientView] = {}
        self._painted = False
        self.dialog: PatientDialog | None = None  # the open patient dialog, if any
        self.session: SessionController | None = None
        self.account_menu: AccountMenu | None = None
        self.admin_window: QWidget | None = None
        self.setWindowTitle(APP_NAME)
        self.resize(900, 560)

        self.search = named(QLineEdit(), "search")
        self.search.setPlaceholderText("Search by MRN or name  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search patients")
        self.search.installEventFilter(self)

        self.model = PatientTableModel(self)
        self.table = named(QTableView(), "patients")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        self.table.setShowGrid(False)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((130, 180, 180, 120, 60)):
            header.resizeSection(column, width)
        self.table.setAccessibleName("Patients")
        self.setCentralWidget(self.table)

        self.new_action = self._action("&New patient…", QKeySequence.StandardKey.New,
                                       self.new_patient)
        self.edit_action = self._action("&Edit patient…", QKeySequence("Ctrl+E"),
                                        self.edit_selected)
        self.screening_action = self._action("&Screening…", QKeySequence.StandardKey.Open,
                                             self.open_selected)
        self.screening_action.setToolTip("The patient's trials, stages and what is due "
                                         "(Enter on a patient)")
        self.archive_action = self._action("&Archive…", None, self.archive_selected)
        self.show_archived_action = self._action("Show a&rchived", None, None)
        self.show_archived_action.setCheckable(True)
        self.show_archived_action.setChecked(settings.flag(SHOW_ARCHIVED))
        self.show_archived_action.toggled.connect(self.set_show_archived)
        find = self._action("&Find", QKeySequence.StandardKey.Find, self.focus_search)
        quit_ = self._action("&Quit", QKeySequence.StandardKey.Quit, self.close)
        self.verify_action = self._action("&Verify a worksheet PDF…", None, self.verify_pdf)
        self.verify_action.setToolTip("Check a signed worksheet's signatures (and, once "
                                      "logged in, that it matches this registry)")
        self.trials_action = self._action("&Trial library", QKeySequence("Ctrl+T"),
                                          self.open_trials)

        bar = named(QToolBar("Patients"), "patients_toolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addWidget(self.search)
        bar.addSeparator()
        for action in (self.screening_action, self.new_action, self.edit_action,
                       self.archive_action, self.show_archived_action):
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.trials_action)
        self.addToolBar(bar)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.verify_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_)
        patient_menu = menu.addMenu("&Patient")
        for action in (self.screening_action, self.new_action, self.edit_action,
                       self.archive_action):
            patient_menu.addAction(action)
        view_menu = menu.addMenu("&View")
        view_menu.addAction(find)
        view_menu.addAction(self.show_archived_action)
        trials_menu = menu.addMenu("T&rials")
        trials_menu.addAction(self.trials_action)
        self.log_menu = trials_menu.addMenu("Screening &log")
        self.candidates_action = trials_menu.addAction("Find &candidates…")
        self.candidates_action.setToolTip("Which registered patients a trial's first stage "
                                          "could take, from the results already entered")
        self.candidates_action.triggered.connect(lambda _checked=False: self.open_candidates())
        self.delegation_action = trials_menu.addAction("&Delegation log…")
        self.delegation_action.setToolTip("Who may sign for which trial, from and until when "
                                          "(read and export; an administrator records it)")
        self.delegation_action.triggered.connect(self.open_delegation_log)
        self.log_menu.aboutToShow.connect(self._fill_log_menu)
        from desktop.ui.patients.help_menu import HelpMenu

        self.help_menu = HelpMenu(self, self._about)

        self.count_label = QLabel()
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().showMessage("Opening registry…")

        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self.open_selected)
        self.table.activated.connect(lambda _index: self.open_selected())
        self.table.selectionModel().currentRowChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)  # the next matches, fetched
        self.model.load_failed.connect(self.statusBar().showMessage)

        geometry = settings.geometry(MAIN_WINDOW_GEOMETRY)
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        self._update_actions()

    def _action(self, text: str, shortcut: QKeySequence | QKeySequence.StandardKey | None,
                slot: object) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        if callable(slot):
            action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # shortcuts work even when no menu shows the action
        return action

    # -- registry --------------------------------------------------------------

    @property
    def repository(self) -> PatientService | None:
        return self._repository

    def set_repository(self, repository: PatientService, where: str = "",
                       context: ScreeningContext | None = None) -> None:
        """The registry is open: list its patients and enable the actions.

        ``context`` (repositories, trial library, site settings) enables screening.
        """
        self._repository = repository
        self._context = context
        actor = getattr(repository, "actor", None)
        if self.account_menu is not None:
            self.account_menu.update(actor)
        if actor is not None:
            self.setWindowTitle(f"{APP_NAME} — {actor.full_name} ({actor.roles_label})")
        self.statusBar().showMessage(f"Registry: {where}" if where else "Registry open", 5000)
        self.model.set_filter(self.search.text(), self.show_archived_action.isChecked())
        self.model.set_repository(repository)
        self._update_actions()

    # -- actions ---------------------------------------------------------------

    def selected_patient(self) -> PatientRow | None:
        index = self.table.currentIndex()
        return self.model.patient_at(index.row()) if index.isValid() else None

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def new_patient(self) -> None:
        self._open_dialog(None)

    def edit_selected(self) -> None:
        patient = self.selected_patient()
        if patient is not None:
            self._open_dialog(patient)

    def open_selected(self) -> PatientView | None:
        """Enter on a patient: the patient's screenings (one window per patient)."""
        if self.selected_patient() is None and self.model.rowCount() == 1:
            self.table.selectRow(0)
        patient = self.selected_patient()
        if patient is None or self._context is None:
            return None
        return self._patient_view(patient)

    def open_patient(self, patient_id: int, screening_id: int | None = None
                     ) -> PatientView | None:
        """The patient's screenings (a double click in a screening log), at
        ``screening_id`` when given."""
        if self._repository is None or self._context is None:
            return None
        from desktop.services.rows import RegistryError

        try:
            patient = self._repository.get(patient_id)
        except RegistryError as exc:
            self._messages.error(self, "Patient not shown", str(exc))
            return None
        view = self._patient_view(patient)
        if screening_id is not None:
            view.reload(keep_screening=screening_id)
        return view

    def _patient_view(self, patient: PatientRow) -> PatientView:
        assert self._context is not None
        existing = self.patient_views.get(patient.id)
        if existing is not None and existing.isVisible():
            existing.raise_()
            existing.activateWindow()
            return existing
        from desktop.ui.screening.patient_view import PatientView

        view = PatientView(self._context, patient, self)
        self.patient_views[patient.id] = view
        view.destroyed.connect(lambda _obj=None, pid=patient.id: self.patient_views.pop(pid, None))
        view.show()
        view.activateWindow()
        return view

    def open_candidates(self) -> QWidget | None:
        """Trials → Find candidates…: every active patient against a trial's first stage."""
        if self._context is None:
            return None
        from desktop.ui.trials.candidates_dialog import CandidatesDialog

        dialog = CandidatesDialog(self._context, self)
        dialog.open_patient.connect(self.open_patient_at)
        dialog.show()
        return dialog

    def open_patient_at(self, patient_id: int, trial_id: str) -> PatientView | None:
        """The patient's view at ``trial_id`` (from the candidate list)."""
        if self._context is None:
            return None
        from desktop.services.rows import RegistryError

        try:
            patient = self._context.patients.get(patient_id)
        except RegistryError as exc:
            self._messages.error(self, "Patient not opened", str(exc))
            return None
        view = self._patient_view(patient)
        view.show_trial(trial_id)
        return view

    def verify_pdf(self) -> bool:
        """Ask for a PDF and check it (against the registry once logged in)."""
        from desktop.ui.common.verifying import Verifier, choose_pdf

        chosen = (self.choose_pdf or choose_pdf)(self)
        if not chosen:
            return False
        from desktop.services.verification import verify_open

        registry = None if self._context is None else self._context.registry
        if self._verifier is None:
            self._verifier = Verifier(self, self._messages)
        return self._verifier.run(lambda: verify_open(Path(chosen), registry))

    def open_log(self, trial_id: str) -> QWidget | None:
        """The screening log of a trial: every patient screened for it."""
        if self._context is None:
            return None
        from desktop.ui.common.context import ContextError
        from desktop.ui.screening.screening_log import open_screening_log

        try:
            trial = self._context.trial(trial_id)
        except ContextError as exc:
            self._messages.error(self, "Screening log not shown", str(exc))
            return None
        return open_screening_log(self, self._context, trial)

    def _about(self) -> About:
        from desktop.services.about import about

        registry = None if self._context is None else self._context.registry.path
        return about(self._settings.path.parent, registry)

    def _fill_log_menu(self) -> None:
        from desktop.ui.screening.log_menu import fill_log_menu

        fill_log_menu(self.log_menu, self._context, self._messages, self.open_log)

    def archive_selected(self) -> None:
        patient = self.selected_patient()
        if patient is None or self._repository is None:
            return
        name = f"{patient.family_name}, {patient.given_name} ({patient.mrn})"
        if not patient.archived and not self._messages.confirm(
                self, "Archive patient",
                f"Archive {name}?\n\nArchived patients are hidden from the list "
                "unless “Show archived” is on. Nothing is deleted.", "Archive"):
            return
        from desktop.services.rows import RegistryError

        try:
            self._repository.set_archived(patient.id, not patient.archived)
        except RegistryError as exc:
            self._messages.error(self, "Patient not changed", str(exc))
            return
        self._reload(patient.id)

    def open_trials(self) -> None:
        """The protocols' checklists, readable before anyone is screened."""
        from desktop.ui.trials.trials_view import open_trials_window  # loads the library on demand

        open_trials_window(self, messages=self._messages)

    def set_show_archived(self, show: bool) -> None:
        self._settings.set_flag(SHOW_ARCHIVED, show)
        self.model.set_filter(self.search.text(), show)

    # -- internals -------------------------------------------------------------

    def _open_dialog(self, patient: PatientRow | None) -> None:
        if self._repository is None or self.dialog is not None:
            return
        dialog = PatientDialog(self, self._settings, self._repository, self._messages,
                               patient)
        self.dialog = dialog
        dialog.finished.connect(lambda _result: self._dialog_finished(dialog))
        dialog.open()

    def _dialog_finished(self, dialog: PatientDialog) -> None:
        self.dialog = None
        dialog.deleteLater()
        if dialog.saved is not None:
            self._reload(dialog.saved.id)
            view = self.patient_views.get(dialog.saved.id)
            if view is not None:  # its stages and open visits follow the edit
                view.set_patient(dialog.saved)
        self.table.setFocus()

    def _reload(self, patient_id: int) -> None:
        """Read the list again and keep ``patient_id`` selected if it is still listed."""
        self.model.refresh()
        row = self.model.row_of(patient_id)
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    def _search_changed(self, text: str) -> None:
        self.model.set_filter(text)

    def _update_count(self) -> None:
        self.count_label.setText(count_wording(self.model.rowCount(), self.model.more,
                                               self.model.filter_text))
        self._update_actions()

    def _update_actions(self) -> None:
        ready = self._repository is not None
        patient = self.selected_patient() if ready else None
        may_change = ready and bool(getattr(self._repository, "may_change", True))
        actor = getattr(self._repository, "actor", None)
        why = "" if may_change or not ready or actor is None else (
            f"Logged in as {actor.roles_label}: you can see patients but not change them.")
        self.new_action.setEnabled(may_change)
        self.edit_action.setEnabled(patient is not None and may_change)
        self.screening_action.setEnabled(patient is not None and self._context is not None)
        self.delegation_action.setEnabled(self._context is not None
                                          and self._context.actor is not None)
        self.candidates_action.setEnabled(self._context is not None)
        self.archive_action.setEnabled(patient is not None and may_change)
        for action in (self.new_action, self.edit_action, self.archive_action):
            action.setToolTip(why or action.text().replace("&", "").rstrip("…"))
        self.archive_action.setText("&Restore" if patient and patient.archived
                                    else "&Archive…")

    # -- Qt events -------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.search and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down
                and self.model.rowCount() > 0):
            if not self.table.currentIndex().isValid():
                self.table.selectRow(0)
            self.table.setFocus(Qt.FocusReason.TabFocusReason)
            return True
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._painted:  # first show: start in the search box
            self.search.setFocus(Qt.FocusReason.OtherFocusReason)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._settings.set_geometry(MAIN_WINDOW_GEOMETRY, self.saveGeometry())
        self._settings.sync()
        super().closeEvent(event)
