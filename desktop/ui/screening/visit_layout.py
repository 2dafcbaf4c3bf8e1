"""The visit form's layout: the input sections (planned dates, results, patient facts,
questions) on the left, the decision banner, completion record and outcomes table on
the right, and the buttons below; and the header naming the patient.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.freshness import (
    code_windows,
    needs_time,
    stage_codes,
    stage_facts,
    uln_codes,
)
from desktop.domain.trial import EVENTS, FACTS, STAGE_TITLES, Stage, Trial
from desktop.domain.units import CODES
from desktop.domain.visits import events_of
from desktop.services.rows import (
    PatientRow,
    VisitRow,
)
from desktop.services.signing import Action
from desktop.ui.common.widgets import named, push_button
from desktop.ui.screening.decision_banner import DecisionBanner
from desktop.ui.screening.outcomes_model import (
    CRITERION,
    OUTCOME,
    REASON,
    CachedCellDelegate,
    OutcomesTableModel,
)
from desktop.ui.screening.visit_base import (
    COMPLETE_TIP,
    VisitFormState,
)
from desktop.ui.screening.visit_entry import DATE_TIP, READ_ONLY_STYLE, WHEN_TIP
from desktop.ui.screening.visit_inputs import (
    EventRow,
    FactRow,
    QuestionCard,
    ResultRow,
    results_header,
)
from desktop.ui.screening.visit_style import HINT_COLOUR, SECTION_STYLE
from desktop.ui.screening.why import why_line


def visit_title(trial: Trial, stage: Stage, visit: VisitRow, patient: PatientRow) -> str:
    """E.g. "Screening #1 — NCT06152809 — DOE, Jane (MRN 123) — visit 12" (the number
    the headless ``nkscreen worksheet`` takes)."""
    name = STAGE_TITLES.get(stage.id, stage.title)
    if stage.repeat > 1:
        name += f" ({visit.repeat} of {stage.repeat})"
    return (f"{name} — {trial.id} — {patient.family_name.upper()}, {patient.given_name} "
            f"(MRN {patient.mrn}) — visit {visit.id}")



def section(title: str, hint: str = "") -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 10, 0, 2)
    layout.setSpacing(1)
    heading = QLabel(title)
    heading.setStyleSheet(SECTION_STYLE)
    layout.addWidget(heading)
    if hint:
        words = QLabel(hint)
        words.setWordWrap(True)
        words.setStyleSheet(f"color:{HINT_COLOUR};")
        layout.addWidget(words)
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    layout.addWidget(line)
    return box


class OutcomesView(QTableView):
    """The outcomes table: reasons wrap, so rows are re-measured when the width changes."""

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Only a new width re-wraps the reasons. Measuring every row is tens of ms on the
        # GUI thread, and the table's height changes whenever a line under the form does
        # (a status message during an export): re-measured then, it stalled the window.
        if event.size().width() != event.oldSize().width():
            self.resizeRowsToContents()


class VisitLayout(VisitFormState):
    """Builds the visit form's widgets (part of ``VisitForm``)."""

    def _build(self) -> None:
        stage = self._stage
        header = self.header = named(QLabel(), "visit_header")
        header.setWordWrap(True)
        self._show_patient()
        self.due = named(QLabel(), "visit_due")
        self.due.setWordWrap(True)
        self.due.setStyleSheet(f"color:{HINT_COLOUR};")

        form = QWidget()
        form.setObjectName("visit_fields")
        form.setStyleSheet(READ_ONLY_STYLE)
        column = QVBoxLayout(form)
        column.setContentsMargins(10, 6, 14, 10)
        column.setSpacing(4)
        column.addWidget(header)
        column.addWidget(self.due)

        self.event_rows: dict[str, EventRow] = {}
        events = events_of(stage)
        if events:
            column.addWidget(section("Planned dates",
                                      "The time windows of this stage count back from these."))
            for name in events:
                event_row = EventRow(name, EVENTS[name])
                event_row.edited.connect(lambda n=name: self._event_edited(n))
                event_row.committed.connect(lambda n=name: self._event_committed(n))
                self.event_rows[name] = event_row
                column.addWidget(event_row)

        self.result_rows: dict[str, ResultRow] = {}
        codes = stage_codes(stage)
        with_uln = uln_codes(stage)
        if codes:
            column.addWidget(section(
                "Results", "Value, unit, and when the sample was taken. Earlier results of "
                           "the patient are reused while inside the stage's window."))
            column.addWidget(results_header())
            for code in codes:
                info = CODES[code]
                row = ResultRow(code, info.label, info.units, code in with_uln)
                row.at.setToolTip(WHEN_TIP if needs_time(stage, code) else DATE_TIP)
                row.edited.connect(lambda c=code: self._result_edited(c))
                row.committed.connect(lambda c=code: self._result_committed(c))
                self.result_rows[code] = row
                self._windows[code] = code_windows(stage, code)
                column.addWidget(row)

        self.fact_rows: dict[str, FactRow] = {}
        facts = stage_facts(stage)
        if facts:
            column.addWidget(section("Patient facts",
                                      "Recorded for the patient, in every screening."))
            for name in facts:
                fact_row = FactRow(name, FACTS[name])
                fact_row.chosen.connect(lambda n=name: self._fact_chosen(n))
                self.fact_rows[name] = fact_row
                column.addWidget(fact_row)

        self.questions: dict[str, QuestionCard] = {}
        attested = [(n, c) for n, c in enumerate(stage.criteria, start=1) if c.attested]
        if attested:
            column.addWidget(section(
                "Questions", "Each is answered by a person from the source documents."))
            for number, criterion in attested:
                card = QuestionCard(number, criterion)
                card.chosen.connect(lambda c=criterion.id: self._answer_chosen(c))
                card.committed.connect(lambda c=criterion.id: self._answer_committed(c))
                self.questions[criterion.id] = card
                column.addWidget(card)
        column.addStretch(1)

        self.fields_area = named(QScrollArea(), "visit_fields_area")
        self.fields_area.setWidget(form)
        self.fields_area.setWidgetResizable(True)
        self.fields_area.setFrameShape(QFrame.Shape.NoFrame)
        self.fields_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        # Right: decision, completion record, outcomes.
        self.banner = DecisionBanner()
        self.record_box = named(QLabel(), "visit_record")
        self.record_box.setWordWrap(True)
        self.record_box.setTextFormat(Qt.TextFormat.RichText)
        self.record_box.setStyleSheet("background:#eef3f8; border:1px solid #b0bec5; "
                                      "border-radius:4px; padding:6px;")
        self.record_box.hide()
        self.model = OutcomesTableModel(self)
        self.table = named(OutcomesView(), "outcomes")
        self.table.setModel(self.model)
        self.table.setItemDelegate(CachedCellDelegate(self.table))
        self.table.setWordWrap(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setAccessibleName("Criteria outcomes")
        self.table.verticalHeader().hide()
        header_view = self.table.horizontalHeader()
        header_view.setSectionResizeMode(OUTCOME, QHeaderView.ResizeMode.Fixed)
        header_view.setSectionResizeMode(CRITERION, QHeaderView.ResizeMode.Interactive)
        header_view.setSectionResizeMode(REASON, QHeaderView.ResizeMode.Stretch)
        header_view.resizeSection(OUTCOME, 92)
        header_view.resizeSection(CRITERION, 185)
        header_view.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        legend = QLabel("Hover a criterion for the protocol's full text and reading note.")
        legend.setStyleSheet(f"color:{HINT_COLOUR};")
        legend.setWordWrap(True)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 6, 6, 0)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(self.record_box)
        right_layout.addWidget(self.table, 1)
        right_layout.addWidget(legend)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.fields_area)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self._sized = False

        self.status = named(QLabel(), "visit_status")
        self.status.setStyleSheet(f"color:{HINT_COLOUR};")
        self.status.setWordWrap(True)  # a long line wraps; it never widens the window
        # Room for two lines from the start: a message of one or two lines ("Exporting
        # the worksheet to …", then where it went) changes no height, so the form is not
        # laid out again (every visible row's delegate, on the GUI thread, while an export
        # runs on a worker: 60-100 ms of stalls before).
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing())
        self.complete_button = named(QPushButton("Complete stage…"), "complete")
        self.complete_button.setToolTip(COMPLETE_TIP)
        self.complete_button.clicked.connect(self.complete)
        # The signing buttons: shown for the signing service's available actions.
        self.prepare_button = push_button("Prepare…", "prepare",
                                          lambda: self.open_signing(Action.PREPARE))
        self.sign_button = push_button("Confirm…", "sign",
                                       lambda: self.open_signing(Action.CONFIRM))
        self.override_button = push_button("Approve to proceed…", "override",
                                           lambda: self.open_signing(Action.OVERRIDE))
        self.correction_button = push_button("Open correction…", "open_correction",
                                             self.open_correction)
        for button in (self.prepare_button, self.sign_button, self.override_button,
                       self.correction_button):
            button.hide()
        self.export_button = push_button("Export worksheet…", "export_worksheet",
                                         self.export_worksheet)
        self.verify_button = push_button("Verify worksheet…", "verify_worksheet",
                                         self.verify_worksheet)
        self.print_button = push_button("Print worksheet…", "print_worksheet",
                                        self.print_worksheet)
        self.close_button = named(QPushButton("Close"), "close")
        self.close_button.clicked.connect(self.close)
        #: Why a shown action is disabled (the services' reasons, :mod:`.why`).
        self.why_line = why_line("visit_why")
        lines = QVBoxLayout()
        lines.setSpacing(0)
        lines.addWidget(self.status)
        lines.addWidget(self.why_line)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(10, 4, 10, 8)
        bottom.addLayout(lines, 1)
        bottom.addWidget(self.complete_button)
        bottom.addWidget(self.correction_button)
        bottom.addWidget(self.prepare_button)
        bottom.addWidget(self.sign_button)
        bottom.addWidget(self.override_button)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.print_button)
        bottom.addWidget(self.verify_button)
        bottom.addWidget(self.close_button)

        self.role_note = named(QLabel(), "visit_role_note")
        self.role_note.setWordWrap(True)
        self.role_note.setStyleSheet("background:#eef3f8; border:1px solid #b0bec5; "
                                     "border-radius:4px; padding:6px; margin:6px 10px 0 10px;")
        self.role_note.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.role_note)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)

    def _show_patient(self) -> None:
        stage, patient = self._stage, self._patient
        heading = f"<br><span style='color:{HINT_COLOUR}'>{escape(stage.heading)}</span>" \
            if stage.heading else ""
        self.header.setText(
            f"<span style='font-size:13pt; font-weight:700'>{escape(stage.title)}</span>"
            f"{heading}<br>{escape(patient.family_name.upper())}, "
            f"{escape(patient.given_name)} · MRN {escape(patient.mrn)} · born "
            f"{patient.birth_date.isoformat()} · {escape(patient.sex)} · "
            f"{escape(self._trial.id)}")
        self.setWindowTitle(visit_title(self._trial, stage, self._visit, patient))
