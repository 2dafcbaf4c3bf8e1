"""The patient view: every trial the patient is screened for, its stages, and what is due.

Top, one row per screening (trial, each stage's state, the next step); middle, the
chosen screening's stages with who completed them, overrides and screen failures;
bottom, the timeline of the stages against the planned event dates. "Open stage"
opens a visit form (starting the visit when the stage may start); a stage that may not
start yet says why instead.

For someone who may not enter data (a monitor, an administrator alone: the screening
service's ``may_enter_data``), everything still shows and every stage already started
opens (read-only); starting a screening or a stage is disabled, and a line under the
header and the buttons' tooltips say why. The service refuses those writes whatever
this view offers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.domain.calc import age_years
from desktop.services.rows import PatientRow, RegistryError, VisitRow
from desktop.services.signing import Standing
from desktop.ui.common.context import ContextError, ScreeningContext
from desktop.ui.common.widgets import named
from desktop.ui.screening import trial_chooser
from desktop.ui.screening.next_stage_panel import NextStagePanel
from desktop.ui.screening.other_trials import OtherTrialsPanel
from desktop.ui.screening.role_words import refusal
from desktop.ui.screening.schedule_text import mark_overdue
from desktop.ui.screening.screening_models import (
    ScreeningsModel,
    SlotsModel,
    screening_table,
)
from desktop.ui.screening.screening_summary import ScreeningSummary, SlotView, summarise
from desktop.ui.screening.stage_export import StageExport
from desktop.ui.screening.stage_gate import start_refusal
from desktop.ui.screening.timeline_view import TimelineView
from desktop.ui.screening.why import offer, scrolled, show_reasons, why_line

if TYPE_CHECKING:
    from desktop.ui.screening.visit_form import VisitForm


def patient_title(patient: PatientRow) -> str:
    return f"{patient.family_name.upper()}, {patient.given_name} (MRN {patient.mrn})"


class PatientView(QWidget):
    """A patient's screenings. ``changed`` fires after anything in them was saved."""

    changed = Signal()

    def __init__(self, context: ScreeningContext, patient: PatientRow,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.context = context
        self.patient = patient
        self.forms: dict[int, VisitForm] = {}
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1100, 760)

        self.header = named(QLabel(), "patient_header")
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self._show_patient()
        font = self.header.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.header.setFont(font)
        self.role_line = named(QLabel(), "role_line")
        self.role_line.setWordWrap(True)
        self.role_line.setStyleSheet("background:#eef3f8; border:1px solid #b0bec5; "
                                     "border-radius:4px; padding:4px;")
        self.role_line.hide()

        self.trial_choice = named(QComboBox(), "trial_choice")
        self.trial_choice.setAccessibleName("Trial to start screening for")
        self.trial_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.trial_choice.setMinimumContentsLength(28)
        self.trial_choice.currentIndexChanged.connect(self._trial_choice_tip)
        self.start_button = named(QPushButton("Start screening"), "start_screening")
        self.start_button.clicked.connect(self.start_screening)
        self._screened: set[str] = set()
        self.trial_choice.currentIndexChanged.connect(lambda _index: self._offer_start())
        self.log_button = named(QPushButton("Screening log"), "screening_log")
        self.log_button.clicked.connect(self.open_log)

        self.screenings_model = ScreeningsModel(self)
        self.screenings = screening_table("screenings", self.screenings_model, "Screenings")
        header = self.screenings.horizontalHeader()
        header.resizeSection(0, 260)
        header.resizeSection(1, 430)
        self.screenings.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.screenings.setWordWrap(True)

        self.slots_model = SlotsModel(self)
        self.slots = screening_table("stages", self.slots_model, "Stages of the chosen screening")
        self.slots.horizontalHeader().resizeSection(0, 280)
        self.slots.horizontalHeader().resizeSection(1, 150)
        self.open_button = named(QPushButton("Open stage"), "open_stage")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_selected_stage)
        self.slots.activated.connect(lambda _index: self.open_selected_stage())
        #: "Export worksheet…" of the chosen stage (:mod:`.stage_export`).
        self.stage_export = StageExport(self, context.worksheets, context.messages)
        self.due_label = named(QLabel(), "due_next")
        self.due_label.setWordWrap(True)
        #: The next stage's draw list and lab-order sheet (:mod:`.next_stage_panel`).
        self.next_stage = NextStagePanel(self, context)

        self.timeline = named(TimelineView(), "timeline")
        #: Trials not screened for yet, from what the registry holds (:mod:`.other_trials`).
        self.other_trials = OtherTrialsPanel(context)
        self.other_trials.start_requested.connect(self.start_trial)

        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.log_button)
        # The chooser has a row of its own, so a trial's short title is read whole.
        start_row = QHBoxLayout()
        choose_label = QLabel("Start screening for:")
        choose_label.setBuddy(self.trial_choice)
        start_row.addWidget(choose_label)
        start_row.addWidget(self.trial_choice, 1)
        start_row.addWidget(self.start_button)

        stage_bar = QHBoxLayout()
        stage_bar.addWidget(self.due_label, 1)
        stage_bar.addWidget(self.stage_export.button)
        stage_bar.addWidget(self.stage_export.print_button)
        stage_bar.addWidget(self.open_button)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addLayout(stage_bar)
        middle_layout.addWidget(self.slots)
        self.why_line = why_line("stage_why")  # why the chosen stage is not offered
        middle_layout.addWidget(self.why_line)
        middle_layout.addWidget(self.stage_export.status)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.screenings)
        splitter.addWidget(middle)
        # Below the stages, one pane at a time, so each gets the room on a laptop screen
        # (each scrolls rather than squeezing): the next stage's draws, the timeline, and
        # the trials the patient is not screened for yet.
        self.lower_tabs = named(QTabWidget(), "patient_lower_tabs")
        self.lower_tabs.addTab(scrolled(self.next_stage), "Next stage")
        self.lower_tabs.addTab(scrolled(self.timeline), "Timeline")
        self.lower_tabs.addTab(self.other_trials, "Other trials")
        splitter.addWidget(self.lower_tabs)
        splitter.setSizes([130, 190, 300])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(start_row)
        layout.addWidget(self.role_line)
        layout.addWidget(splitter, 1)

        self.screenings.selectionModel().currentRowChanged.connect(
            lambda _current, _previous: self._show_selected())
        self.slots.selectionModel().currentRowChanged.connect(
            lambda _current, _previous: self._update_buttons())
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)
        self._show_role()
        self.reload()

    # -- data ----------------------------------------------------------------------

    def entry_refusal(self) -> str | None:
        """Why the logged-in user may not start screenings or stages (None: they may),
        as the screening service says."""
        service = self.context.screenings
        return refusal(service.actor, service.may_enter_data)

    def _show_role(self) -> None:
        why = self.entry_refusal()
        self.role_line.setText(why or "")
        self.role_line.setVisible(why is not None)

    def _show_patient(self) -> None:
        patient = self.patient
        self.setWindowTitle(f"{patient_title(patient)} — {APP_NAME}")
        self.header.setText(
            f"{patient_title(patient)}   ·   born {patient.birth_date:%Y-%m-%d} "
            f"({age_years(patient.birth_date, self.context.clock().date())} y)   ·   "
            f"{patient.sex}")

    def set_patient(self, patient: PatientRow) -> None:
        """The patient was edited: show the new details, read the screenings again
        (a completed stage shows a date of birth or sex changed after it), and let
        every open visit form re-evaluate with them."""
        self._use_patient(patient)
        self.reload()

    def _use_patient(self, patient: PatientRow) -> None:
        self.patient = patient
        self._show_patient()
        for form in list(self.forms.values()):
            form.set_patient(patient)

    def _refresh_patient(self) -> None:
        """The patient as the registry holds it now (edited in the patient list, or in
        another NK Screen window)."""
        try:
            current = self.context.patients.get(self.patient.id)
        except RegistryError:
            return  # the screenings' own read reports what is wrong
        if current != self.patient:
            self._use_patient(current)

    def reload(self, keep_screening: int | None = None) -> None:
        """Read the patient and screenings again (after a save); keep the selection."""
        self._refresh_patient()
        current = self.selected_summary()
        keep = keep_screening or (current.screening.id if current else None)
        slot_row = self.slots.currentIndex().row()
        try:
            summaries = self._load()
        except (RegistryError, ContextError) as exc:
            self.context.messages.error(self, "Screenings not shown", str(exc))
            summaries = []
        self.screenings_model.set_summaries(summaries, self.context.clock())
        row = self.screenings_model.row_of(keep) if keep is not None else None
        self.screenings.selectRow(row if row is not None else 0)
        self._show_selected()  # chooses the stage to work on next
        if self.selected_slot() is None and 0 <= slot_row < self.slots_model.rowCount():
            self.slots.selectRow(slot_row)  # nothing left to do: keep the user's place
        self._fill_trial_choice(summaries)
        self.other_trials.show_for(self.patient.id, self.entry_refusal(), self.patient.archived)
        self.lower_tabs.setTabText(self.lower_tabs.indexOf(self.other_trials),
                                   f"Other trials ({self.other_trials.model.rowCount()})")
        if not summaries:  # nothing screened yet: what the patient could join comes first
            self.lower_tabs.setCurrentWidget(self.other_trials)

    def _load(self) -> list[ScreeningSummary]:
        repo = self.context.screenings
        result = []
        changes = repo.patient_changes(self.patient.id)
        names = repo.attribution()
        for screening in repo.screenings(self.patient.id):
            trial = self.context.trial(screening.trial_id)
            visits = repo.visits(screening.id)
            events = {v.id: repo.events(v.id) for v in visits}
            result.append(summarise(screening, trial, visits,
                                    repo.screen_failures(screening.id), events, changes,
                                    names, self._standings(visits)))
        return result

    def _standings(self, visits: list[VisitRow]) -> dict[int, Standing]:
        """Whether the signatures of each signed visit still hold (one re-run each); a
        visit whose standing cannot be read says so, the others are shown."""
        signing = self.context.signing
        found: dict[int, Standing] = {}
        for visit in visits:
            if visit.status != "completed" or not visit.signed_actions:
                continue
            try:
                found[visit.id] = signing.standing(visit.id)
            except RegistryError as exc:
                found[visit.id] = Standing(None, problem=str(exc))
        return found

    def _trial_choice_tip(self) -> None:
        """The chooser's tooltip: why it is disabled, else the chosen trial's whole title."""
        why_not = self.entry_refusal()
        chosen = self.trial_choice.currentIndex()
        title = self.trial_choice.itemData(chosen, Qt.ItemDataRole.ToolTipRole) \
            if chosen >= 0 else None
        self.trial_choice.setToolTip(why_not or (title if isinstance(title, str) else ""))

    def _fill_trial_choice(self, summaries: list[ScreeningSummary]) -> None:
        """Every trial, those screened for marked; stays on the trial chosen before."""
        self._screened = {s.trial.id for s in summaries}
        keep = self.trial_choice.currentData()
        try:
            trials = self.context.trials
        except ContextError as exc:
            self.context.messages.error(self, "Trial library not read", str(exc))
            trials = {}
        trial_chooser.fill(self.trial_choice, trials, self._screened,
                           keep if isinstance(keep, str) else None)
        # The list opens wide enough for every item whole, whatever the closed box shows.
        metrics = self.trial_choice.fontMetrics()
        widest = max((metrics.horizontalAdvance(self.trial_choice.itemText(i))
                      for i in range(self.trial_choice.count())), default=0)
        self.trial_choice.view().setMinimumWidth(widest + 4 * metrics.averageCharWidth())
        why_not = self.entry_refusal()
        self.trial_choice.setEnabled(why_not is None)
        self._trial_choice_tip()
        self._offer_start()

    def _offer_start(self) -> None:
        offer(self.start_button, self.entry_refusal() or trial_chooser.start_refusal(
            self.trial_choice, self._screened, patient_title(self.patient),
            self.patient.archived))

    # -- selection ------------------------------------------------------------------

    def selected_summary(self) -> ScreeningSummary | None:
        index = self.screenings.currentIndex()
        return self.screenings_model.summary_at(index.row()) if index.isValid() else None

    def selected_slot(self) -> SlotView | None:
        index = self.slots.currentIndex()
        return self.slots_model.slot_at(index.row()) if index.isValid() else None

    def _show_selected(self) -> None:
        summary = self.selected_summary()
        self.slots_model.set_slots(summary.slots if summary else [])
        if summary is None:
            self.due_label.setText(
                "Not screened for any trial yet." if self.entry_refusal() is not None else
                "Not screened for any trial yet: choose a trial above and start screening.")
            mark_overdue(self.due_label, False)
            self.timeline.clear_timeline()
        else:
            now = self.context.clock()
            self.due_label.setText(f"Next: {summary.due_text(now)}")
            mark_overdue(self.due_label, summary.overdue(now))
            upcoming = summary.next
            if upcoming is not None:
                self.slots.selectRow(summary.slots.index(upcoming))
            self._show_timeline(summary)
        self.next_stage.show_for(summary)
        self._update_buttons()

    def _show_timeline(self, summary: ScreeningSummary) -> None:
        states = {(v.slot.stage.id, v.slot.repeat): v.state for v in summary.slots
                  if v.visit is not None}
        flags = {(v.slot.stage.id, v.slot.repeat): ", ".join(
                     word for word, on in (("data changed since signing",
                                            v.standing.data_changed),
                                           ("verdict would differ today",
                                            v.standing.verdict_differs)) if on)
                 for v in summary.slots if v.standing is not None
                 and (v.standing.data_changed or v.standing.verdict_differs)}
        self.timeline.set_data(summary.trial, dict(summary.visit_events), states,
                               self.context.clock(), fallback=summary.events, flags=flags)

    def _update_buttons(self) -> None:
        self.log_button.setEnabled(self.selected_summary() is not None)
        view, summary = self.selected_slot(), self.selected_summary()
        self.stage_export.show_for(summary.trial.id if summary else None,
                                   view.visit if view else None)
        self.open_button.setEnabled(view is not None)
        self.open_button.setToolTip("")
        self.why_line.clear()
        if view is None:
            return
        label = ("Open stage" if view.visit is not None else "Start stage")
        self.open_button.setText(f"{label}: {view.title}")
        offer(self.open_button, start_refusal(self.context, summary, view)
              if summary is not None else None)
        show_reasons(self.why_line, [self.open_button], f"{label} not offered: ")

    # -- actions ----------------------------------------------------------------------

    def start_screening(self) -> None:
        trial_id = self.trial_choice.currentData()
        if not isinstance(trial_id, str):
            return
        if not self.start_button.isEnabled():  # a shortcut path: say what the button says
            self.context.messages.error(self, "Screening not started",
                                        self.start_button.toolTip())
            return
        self.start_trial(trial_id)

    def start_trial(self, trial_id: str) -> None:
        """Start screening the patient for ``trial_id`` (the screening service decides)."""
        why_not = self.entry_refusal()
        if why_not is not None:
            self.context.messages.error(self, "Screening not started", why_not)
            return
        try:
            trial = self.context.trial(trial_id)
            screening = self.context.screenings.start(self.patient.id, trial)
        except (RegistryError, ContextError) as exc:
            self.context.messages.error(self, "Screening not started", str(exc))
            return
        self.reload(keep_screening=screening.id)
        self.changed.emit()

    def show_trial(self, trial_id: str) -> None:
        """Show the patient at ``trial_id``: its screening, else its row of Other trials
        (and the trial chosen to start)."""
        for row in range(self.screenings_model.rowCount()):
            summary = self.screenings_model.summary_at(row)
            if summary is not None and summary.trial.id == trial_id:
                self.screenings.selectRow(row)
                return
        found = self.trial_choice.findData(trial_id)
        if found >= 0:
            self.trial_choice.setCurrentIndex(found)
        if self.other_trials.select_trial(trial_id):
            self.lower_tabs.setCurrentWidget(self.other_trials)

    def open_selected_stage(self) -> QWidget | None:
        """Open the chosen stage's visit form, starting the visit if it may start."""
        summary, view = self.selected_summary(), self.selected_slot()
        if summary is None or view is None:
            return None
        visit = view.visit
        if visit is None:
            why_not = start_refusal(self.context, summary, view)
            if why_not is not None:  # the button is disabled and says why; a double click
                title = "Stage not started" if self.entry_refusal() else "Stage not open yet"
                self.context.messages.error(self, title, why_not)
                return None
            try:
                visit = self.context.screenings.start_visit(summary.screening.id, summary.trial,
                                                            view.slot.stage.id)
            except RegistryError as exc:
                self.context.messages.error(self, "Stage not started", str(exc))
                return None
            self.reload()
            self.changed.emit()
        return self._open_form(summary, visit.id)

    def _open_form(self, summary: ScreeningSummary, visit_id: int) -> QWidget | None:
        existing = self.forms.get(visit_id)
        if existing is not None and existing.isVisible():
            existing.raise_()
            existing.activateWindow()
            return existing
        from desktop.ui.screening.visit_form import VisitForm

        try:
            visit = self.context.screenings.visit(visit_id)
            form = VisitForm(repository=self.context.screenings, trial=summary.trial,
                             patient=self.patient, visit=visit,
                             site_uln=self.context.site_uln, messages=self.context.messages,
                             clock=self.context.clock, signing=self.context.signing,
                             worksheets=self.context.worksheets, parent=self)
        except (RegistryError, ContextError) as exc:
            self.context.messages.error(self, "Stage not opened", str(exc))
            return None
        form.changed.connect(self._form_changed)
        self.forms[visit_id] = form
        form.show()
        form.activateWindow()
        return form

    def _form_changed(self, _visit_id: int) -> None:
        self.reload()
        self.changed.emit()

    def open_log(self) -> QWidget | None:
        summary = self.selected_summary()
        if summary is None:
            return None
        from desktop.ui.screening.screening_log import open_screening_log

        return open_screening_log(self, self.context, summary.trial)

    def closeEvent(self, event: QCloseEvent) -> None:
        for form in list(self.forms.values()):
            form.close()
        super().closeEvent(event)
