"""The visit form: one stage of one patient's screening, generated from the trial file.

Left, what the stage reads, in the order a coordinator fills it in: the planned dates
its time windows hang on, one row per observation code (value, accepted units, time
taken, ULN where a criterion uses one, and the patient's earlier results of that code
with whether each still counts), the patient facts it reads, and each attested
criterion as a question (Yes / No / N/A, note, source document). Right, the decision
banner and every criterion's live outcome and reason.

Live: every keystroke rebuilds the engine's record from the saved results plus what is
typed (``desktop.domain.draft``) and re-evaluates it as of now. A typed value that does
not pass ``draft.observation`` shows its message at the field and is left out; nothing
is guessed (no default time, no default unit conversion), and the criteria reading it
are unknown while it is there (``desktop.domain.pending``): an earlier result never
stands in for an entry being corrected.

Autosave: a field is saved when it is finished (focus leaves it, Enter, a choice is
clicked). Results through ``add_observation`` the first time in this visit, then
``update_observation`` for corrections of that same result; emptying a saved result
withdraws it (``retract_observation``) after a confirmation. Answers, events and facts
are saved as they are set. Completing the stage first saves every pending field, then
asks the registry to complete it: the registry evaluates what it holds (not what the
screen holds) and stores that decision, which the form then shows.

Two windows on one visit: the form reads every entry with its version
(``ScreeningService.entries``) and each save expects the version it showed. A save
over an entry another window changed meanwhile is refused by the registry
(``EntryChanged``); the form then shows that entry as the registry holds it, with the
refusal (who changed it, when, and what this window had typed) at the field. When the
window is activated, entries not being edited here are read again.

No clinical logic lives here: windows and freshness come from
:mod:`desktop.domain.freshness`, units from :mod:`desktop.domain.units`, checks from
:mod:`desktop.domain.draft`, outcomes from the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from fractions import Fraction
from html import escape
from typing import Final, cast

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QResizeEvent, QShortcut, QShowEvent
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

from desktop.domain.draft import Draft, observation
from desktop.domain.engine import CriterionResult, Outcome, Verdict, evaluate
from desktop.domain.freshness import (
    code_windows,
    freshness,
    stage_codes,
    stage_facts,
    uln_codes,
)
from desktop.domain.pending import with_pending
from desktop.domain.record import Observation, RecordError
from desktop.domain.text import fmt_number
from desktop.domain.trial import EVENTS, FACTS, STAGE_TITLES, Stage, Trial, Window
from desktop.domain.units import CODES, convert
from desktop.domain.visits import can_complete, due_next, events_of
from desktop.services.rows import (
    EntryKind,
    ObservationInput,
    ObservationRow,
    PatientChangeRow,
    PatientRow,
    RegistryError,
    ValidationFailed,
    VisitEntries,
    VisitRow,
    changed_after_completion,
    unusual,
)
from desktop.services.screening import EntryChanged, ScreeningService, signed_refusal
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named
from desktop.ui.screening.decision_banner import DecisionBanner
from desktop.ui.screening.outcomes_model import (
    CRITERION,
    OUTCOME,
    REASON,
    CachedCellDelegate,
    OutcomesTableModel,
)
from desktop.ui.screening.override_dialog import OverrideDialog
from desktop.ui.screening.screening_summary import changes_text
from desktop.ui.screening.sign_dialog import SignDialog
from desktop.ui.screening.visit_inputs import (
    FACT_WORDS,
    EventRow,
    FactRow,
    QuestionCard,
    ResultRow,
    answer_text,
    parse_when,
    results_header,
    when_text,
)
from desktop.ui.screening.visit_style import ERROR_COLOUR, HINT_COLOUR, LOOKS, SECTION_STYLE
from desktop.zone import site_zone

EARLIER_SHOWN: Final = 3  # earlier results listed under a result row
_WORD: Final = {"eligible": "eligible", "not_eligible": "not eligible"}
_DECISION_WORDS: Final = {**_WORD, "incomplete": "incomplete"}


def visit_title(trial: Trial, stage: Stage, visit: VisitRow, patient: PatientRow) -> str:
    """E.g. "Screening #1 — NCT06152809 — DOE, Jane (MRN 123)"."""
    name = STAGE_TITLES.get(stage.id, stage.title)
    if stage.repeat > 1:
        name += f" ({visit.repeat} of {stage.repeat})"
    return (f"{name} — {trial.id} — {patient.family_name.upper()}, {patient.given_name} "
            f"(MRN {patient.mrn})")


def _local(at: datetime | None) -> str:
    """A bookkeeping time (UTC-aware) in local wall-clock time, to the minute."""
    if at is None:
        return "—"
    shown = at.astimezone() if at.tzinfo is not None else at
    return shown.strftime("%Y-%m-%d %H:%M")


def _section(title: str, hint: str = "") -> QWidget:
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
        self.resizeRowsToContents()


class VisitForm(QWidget):
    """One visit of one stage, in its own window. ``changed(visit_id)`` after any save."""

    changed = Signal(int)

    def __init__(self, *, repository: ScreeningService, trial: Trial, patient: PatientRow,
                 visit: VisitRow, site_uln: Mapping[str, Fraction], messages: MessageService,
                 clock: Callable[[], datetime] = datetime.now,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        stage = trial.stage(visit.stage_id)
        if stage is None:
            raise ValueError(f"visit {visit.id}: stage {visit.stage_id!r} is not in {trial.id}")
        self.setWindowFlag(Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self._repository = repository
        self._trial = trial
        self._stage = stage
        self._patient = patient
        self._visit = visit
        self._site_uln = dict(site_uln)
        #: Spans in hours are elapsed time in the site's zone, as the engine counts them.
        self._zone = site_zone()
        self._messages = messages
        self._clock = clock
        self._loaded = False
        self.override_dialog: OverrideDialog | None = None
        self.sign_dialog: SignDialog | None = None
        self.verdict: Verdict | None = None

        # What the registry holds (the patient's results refreshed after each save).
        self._saved: list[ObservationRow] = []
        self._parsed: dict[int, Observation] = {}
        #: This visit's result shown in each result row (with the version it was read
        #: or saved at): changed only by this form's saves and by reading that row again.
        self._own: dict[str, ObservationRow] = {}
        self._events_saved: dict[str, datetime] = {}
        #: The version of each entry as this form last read or saved it (0: unchanged
        #: since the visit started); every save expects it.
        self._versions: dict[tuple[EntryKind, str], int] = {}
        #: While flushing: entries refused because another window changed them first.
        self._refusals: list[str] | None = None
        # What is typed, parsed once per edit of its row (None: blank or invalid).
        self._typed: dict[str, Observation | None] = {}
        self._row_errors: dict[str, dict[str, str]] = {}
        # Typed values unusual enough to need confirming, not confirmed yet (code -> why),
        # and what the coordinator confirmed in this form (code -> (value text, unit)).
        self._unconfirmed: dict[str, str] = {}
        self._confirmed: dict[str, tuple[str, str]] = {}
        self._events_typed: dict[str, datetime | None] = {}
        self._windows: dict[str, list[Window | None]] = {}
        self._earlier_keys: dict[str, object] = {}
        self._closed = False

        self.resize(1280, 800)
        self._build()
        self._load()
        self._refresh_mode()

    # ------------------------------------------------------------------ building

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
        column = QVBoxLayout(form)
        column.setContentsMargins(10, 6, 14, 10)
        column.setSpacing(4)
        column.addWidget(header)
        column.addWidget(self.due)

        self.event_rows: dict[str, EventRow] = {}
        events = events_of(stage)
        if events:
            column.addWidget(_section("Planned dates",
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
            column.addWidget(_section(
                "Results", "Value, unit, and when the sample was taken. Earlier results of "
                           "the patient are reused while inside the stage's window."))
            column.addWidget(results_header())
            for code in codes:
                info = CODES[code]
                row = ResultRow(code, info.label, info.units, code in with_uln)
                row.edited.connect(lambda c=code: self._result_edited(c))
                row.committed.connect(lambda c=code: self._result_committed(c))
                self.result_rows[code] = row
                self._windows[code] = code_windows(stage, code)
                column.addWidget(row)

        self.fact_rows: dict[str, FactRow] = {}
        facts = stage_facts(stage)
        if facts:
            column.addWidget(_section("Patient facts",
                                      "Recorded for the patient, in every screening."))
            for name in facts:
                fact_row = FactRow(name, FACTS[name])
                fact_row.chosen.connect(lambda n=name: self._fact_chosen(n))
                self.fact_rows[name] = fact_row
                column.addWidget(fact_row)

        self.questions: dict[str, QuestionCard] = {}
        attested = [(n, c) for n, c in enumerate(stage.criteria, start=1) if c.attested]
        if attested:
            column.addWidget(_section(
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
        self.complete_button = named(QPushButton("Complete stage…"), "complete")
        self.complete_button.setToolTip("Record the decision. Possible once the stage is "
                                        "eligible or not eligible; it cannot be changed after.")
        self.complete_button.clicked.connect(self.complete)
        self.override_button = named(QPushButton("Override…"), "override")
        self.override_button.clicked.connect(self.open_override)
        self.override_button.setVisible(stage.override is not None)
        self.sign_button = named(QPushButton("Sign…"), "sign")
        self.sign_button.setToolTip("The investigator confirms the recorded decision")
        self.sign_button.clicked.connect(self.open_sign)
        self.close_button = named(QPushButton("Close"), "close")
        self.close_button.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(10, 4, 10, 8)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.complete_button)
        bottom.addWidget(self.override_button)
        bottom.addWidget(self.sign_button)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
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

    @property
    def patient(self) -> PatientRow:
        return self._patient

    def set_patient(self, patient: PatientRow) -> None:
        """The patient was edited (date of birth, sex, name): shown at once. A draft
        re-evaluates with the new values (age, Cockcroft-Gault, a result's time against
        the date of birth); a completed visit keeps its stored decision and shows what
        changed after it was completed."""
        if patient == self._patient:
            return
        self._patient = patient
        self._show_patient()
        if self._visit.status == "draft":
            if self._loaded:
                for code in self.result_rows:
                    self._parse_row(code)
                self._evaluate()
        else:
            self._show_completed()

    def refresh_patient(self) -> None:
        """Read the patient again (it may have been edited in another window)."""
        try:
            current = self._repository.patient(self._patient.id)
        except RegistryError:
            return  # the next save or completion reports what is wrong
        self.set_patient(current)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow() \
                and self._loaded:
            self.refresh_patient()
            self.refresh_entries()
        super().changeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        self._closed = False
        if not self._sized:  # a splitter ignores sizes set before it is shown
            self._sized = True
            width = max(self.width(), 800)
            left = min(max(int(width * 0.58), 560), 760)
            self.splitter.setSizes([left, width - left])
        super().showEvent(event)

    # ------------------------------------------------------------------ loading

    def _load(self) -> None:
        """Fill the form with what the registry holds for this visit (one read: every
        value with its version)."""
        try:
            entries = self._repository.entries(self._visit.id)
        except RegistryError as exc:
            self._messages.error(self, "Visit not opened", str(exc))
            return
        self._take_observations(entries.observations)
        for name in self.event_rows:
            self._adopt("event", name, entries)
        for name in self.fact_rows:
            self._adopt("fact", name, entries)
        for cid in self.questions:
            self._adopt("answer", cid, entries)
        for code in self.result_rows:
            self._adopt("result", code, entries)
        self._loaded = True

    def _reload_observations(self) -> None:
        """The patient's results again (for the earlier results and the evaluation).
        The rows' own results stay as this form saved or last read them."""
        self._take_observations(self._repository.observations(self._patient.id))

    def _take_observations(self, saved: list[ObservationRow] | tuple[ObservationRow, ...]
                           ) -> None:
        self._saved = list(saved)
        self._parsed = {}
        for row in saved:
            try:
                self._parsed[row.id] = observation(row.code, row.value, row.unit, row.at,
                                                   uln=row.uln, source=row.source or None)
            except RecordError:
                continue  # cannot be read as a result: left out, never guessed

    def _adopt(self, kind: EntryKind, name: str, entries: VisitEntries) -> None:
        """Show one entry as ``entries`` holds it, and remember the version read with
        it: the next save of the entry expects that version."""
        self._versions[kind, name] = entries.version(kind, name)
        if kind == "event":
            at = entries.events.get(name)
            event_row = self.event_rows[name]
            event_row.set_value(at)
            event_row.show_errors({})
            self._events_typed[name] = at
            if at is None:
                self._events_saved.pop(name, None)
            else:
                self._events_saved[name] = at
        elif kind == "fact":
            fact_row = self.fact_rows[name]
            fact_row.set_value(entries.facts.get(name))
            fact_row.show_errors({})
        elif kind == "answer":
            card = self.questions[name]
            answer = entries.answers.get(name)
            if answer is None:
                card.set_saved(None, "", "")
            else:
                card.set_saved(answer.value, answer.note, answer.source_document)
            card.show_errors({})
        else:
            row = self.result_rows[name]
            own = entries.own_result(name)
            self._confirmed.pop(name, None)  # confirmed for what this form had typed
            row.clear_values()
            if own is None:
                self._own.pop(name, None)
            else:
                self._own[name] = own
                row.set_values(own.value, own.unit, own.at, own.uln)
            self._prefill_uln(row)
            self._parse_row(name)

    def _stale(self, kind: EntryKind, name: str, entries: VisitEntries) -> bool:
        """Whether the entry changed in the registry since this form read or saved it."""
        if entries.version(kind, name) != self._versions.get((kind, name), 0):
            return True
        if kind != "result":
            return False
        own, shown = entries.own_result(name), self._own.get(name)
        return (None if own is None else (own.id, own.version)) != \
            (None if shown is None else (shown.id, shown.version))

    def _editing(self, kind: EntryKind, name: str) -> bool:
        """Whether the entry holds something typed here and not saved yet."""
        if kind == "event":
            text = self.event_rows[name].text().strip()
            typed = self._events_typed.get(name)
            return typed != self._events_saved.get(name) or bool(text and typed is None)
        if kind == "answer":
            return not self.questions[name].is_saved()
        if kind == "result":
            return self._result_dirty(name)
        return False  # a fact is saved as it is chosen

    def refresh_entries(self) -> None:
        """Read the entries again (another window may have saved some): each one not
        being edited here shows what the registry holds now. One being edited keeps
        what is typed; saving it is refused if the registry's changed meanwhile. A
        visit completed in another window turns read-only."""
        if self.read_only:
            return
        try:
            entries = self._repository.entries(self._visit.id)
        except RegistryError:
            return  # the next save or completion reports what is wrong
        if entries.visit.status != self._visit.status:
            self._visit = entries.visit
            self._refresh_mode()
            return
        self._take_observations(entries.observations)
        fields: list[tuple[EntryKind, list[str]]] = [
            ("event", list(self.event_rows)), ("fact", list(self.fact_rows)),
            ("answer", list(self.questions)), ("result", list(self.result_rows))]
        for kind, names in fields:
            for name in names:
                if self._stale(kind, name, entries) and not self._editing(kind, name):
                    self._adopt(kind, name, entries)
        self._update_due()
        self._evaluate()

    def _entry_label(self, kind: EntryKind, name: str) -> str:
        if kind == "event":
            return f"Planned {EVENTS[name]}"
        if kind == "fact":
            return FACTS[name][:1].upper() + FACTS[name][1:]
        if kind == "answer":
            return f"Answer to {name}"
        return self.result_rows[name].label

    def _entry_changed(self, exc: EntryChanged, mine: str) -> None:
        """A save was refused: another window changed the entry first. Show the entry
        as the registry holds it now, and at it why, and what this window had typed."""
        kind, name = exc.kind, exc.name
        try:
            entries = self._repository.entries(self._visit.id)
        except RegistryError as read_exc:
            self._messages.error(self, "Not saved", f"{exc} {read_exc}")
            return
        self._take_observations(entries.observations)
        self._adopt(kind, name, entries)
        message = f"{exc} The field shows that value now; yours was {mine}."
        if self._refusals is not None:  # while flushing: say so with what was not saved
            by = "" if exc.changed_by is None else f" by {exc.changed_by}"
            at = "" if exc.changed_at is None else f" at {_local(exc.changed_at)}"
            self._refusals.append(f"{self._entry_label(kind, name)} (changed in another "
                                  f"window{by}{at}; yours was {mine})")
        if kind == "event":
            self.event_rows[name].show_errors({"at": message})
        elif kind == "fact":
            self.fact_rows[name].show_errors({"value": message})
        elif kind == "answer":
            self.questions[name].show_errors({"value": message})
        else:
            self.result_rows[name].show_errors({"value": message})
        self.status.setText(f"Not saved: {exc}")
        self._update_due()
        self._evaluate()

    def _prefill_uln(self, row: ResultRow) -> None:
        if row.uln is None:
            return
        site = self._site_uln.get(row.code)
        if site is None:
            row.set_site_uln("")
            return
        unit = row.unit_text()
        value = convert(row.code, site, CODES[row.code].canonical, unit)
        text = fmt_number(value)
        exact = Fraction(text) == value
        tip = "The site's upper limit of normal, converted to the result's unit."
        if not exact:
            tip += (f" Shown rounded; the exact value ({float(value):.6g} {unit}) is used "
                    f"unless you type the lab's own ULN.")
        row.set_site_uln(text, tip)

    # ------------------------------------------------------------------ state

    @property
    def visit(self) -> VisitRow:
        return self._visit

    @property
    def read_only(self) -> bool:
        return self._visit.status != "draft" or not self._loaded

    def _refresh_mode(self) -> None:
        """Draft: live and editable. Completed: read-only, with its record and decision."""
        read_only = self.read_only
        for event_row in self.event_rows.values():
            event_row.set_read_only(read_only)
        for row in self.result_rows.values():
            row.set_read_only(read_only)
        for fact_row in self.fact_rows.values():
            fact_row.set_read_only(read_only)
        for card in self.questions.values():
            card.set_read_only(read_only)
        self._update_due()
        if self._visit.status == "draft":
            self.record_box.hide()
            self._evaluate()
        else:
            self._show_completed()
        self._update_buttons()

    def _update_buttons(self) -> None:
        draft = self._visit.status == "draft" and self._loaded
        decided = self.verdict is not None and can_complete(self.verdict.decision)
        self.complete_button.setEnabled(draft and decided)
        self.complete_button.setVisible(self._visit.status == "draft")
        stage_allows = self._stage.override is not None
        self.override_button.setVisible(stage_allows)
        why_not = self.override_refusal()
        self.override_button.setEnabled(stage_allows and why_not is None)
        self.override_button.setToolTip(
            why_not or "Proceed after review: record the rationale and who agreed.")
        self.sign_button.setVisible(self._visit.status == "completed")
        self.sign_button.setEnabled(self._visit.status == "completed"
                                    and self._visit.signed_by is None)

    def override_refusal(self) -> str | None:
        """Why the stage cannot be overridden now (None: it can), as the registry says."""
        visit = self._visit
        title = self._stage.title
        if self._stage.override is None:
            return f"The protocol does not allow proceeding after a not-eligible {title}."
        if visit.status != "completed":
            return "An override is possible once the stage is completed not eligible."
        if visit.decision != "not_eligible":
            return f"Only a {title} visit completed not eligible can be overridden."
        if visit.override is not None:
            return f"{title} has already been overridden."
        return signed_refusal(visit, title)

    def _show_completed(self) -> None:
        visit = self._visit
        results = self._snapshot_results()
        self.verdict = Verdict(self._trial, self._stage, tuple(results))
        self._apply(self.verdict)
        word = _WORD.get(visit.decision or "", "—")
        lines = [f"<b>Completed: {escape(word)}</b> — by {escape(visit.completed_by or '—')} "
                 f"on {_local(visit.completed_at)}; assessed as of "
                 f"{_local(visit.assessed_at)}. Read-only."]
        if visit.signed_by:
            lines.append(f"Signed by {escape(visit.signed_by)} on {_local(visit.signed_at)}.")
            if self._stage.override is not None and visit.decision == "not_eligible" \
                    and visit.override is None:
                lines.append("The signature confirms the screen failure: the stage can "
                             "no longer be overridden.")
        if visit.override is not None:
            o = visit.override
            lines.append(f"<b>Overridden</b>: proceeding after review, agreed by "
                         f"{escape(o.agreed_by)}; recorded by {escape(o.recorded_by)} on "
                         f"{_local(o.recorded_at)}.<br>Rationale: {escape(o.rationale)}")
        changes = self._changes_after_completion()
        if changes:
            lines.append(f"<span style='color:{ERROR_COLOUR}; font-weight:600'>"
                         f"{escape(changes_text(changes))}.</span> The stored decision was "
                         f"assessed with the earlier value.")
        self.record_box.setText("<br>".join(lines))
        self.record_box.show()
        self.status.setText("This visit is completed and cannot be changed.")

    def _changes_after_completion(self) -> list[PatientChangeRow]:
        """Date of birth or sex changed after this visit was completed (the audit)."""
        try:
            changes = self._repository.patient_changes(self._patient.id)
        except RegistryError as exc:
            self._messages.error(self, "Patient changes not read", str(exc))
            return []
        return changed_after_completion(changes, self._visit)

    def _snapshot_results(self) -> list[CriterionResult]:
        """The outcomes stored at completion (what was decided), in protocol order."""
        snapshot: dict[str, object] | None = None
        try:
            snapshot = self._repository.verdict_snapshot(self._visit.id)
        except RegistryError as exc:
            self._messages.error(self, "Stored decision not read", str(exc))
        stored: dict[str, tuple[str, str]] = {}
        criteria = snapshot.get("criteria") if snapshot else None
        if isinstance(criteria, list):
            for item in criteria:
                if isinstance(item, dict):
                    stored[str(item.get("id"))] = (str(item.get("outcome")),
                                                   str(item.get("reason")))
        results = []
        for criterion in self._stage.criteria:
            outcome, reason = stored.get(criterion.id, ("unknown", "Not in the stored "
                                                                   "decision"))
            if outcome not in LOOKS:
                outcome, reason = "unknown", f"Stored outcome {outcome!r} not understood"
            results.append(CriterionResult(criterion, cast(Outcome, outcome), reason))
        return results

    # ------------------------------------------------------------------ live evaluation

    def _parse_row(self, code: str) -> None:
        """Check one typed result; keep it (or None) and show its message at the field."""
        row = self.result_rows[code]
        value, at_text = row.value_text(), row.at_text()
        errors: dict[str, str] = {}
        parsed: Observation | None = None
        if value.strip() or at_text.strip():
            try:
                at = parse_when(at_text)
                parsed = observation(code, value, row.unit_text(), at, uln=row.uln_text(),
                                     now=self._clock(), birth_date=self._patient.birth_date)
            except RecordError as exc:
                errors[exc.field] = exc.message[:1].upper() + exc.message[1:] + "."
        self._unconfirmed.pop(code, None)
        shown = errors
        if parsed is not None:
            why = unusual(code, parsed.value, parsed.unit, value,
                          self._repository.confirm_limits)
            if why is not None and not self._is_confirmed(code, value, parsed.unit):
                # Not saved, not evaluated until the coordinator confirms it.
                self._unconfirmed[code] = why
                parsed = None
                shown = {"value": f"{why}, which is rarely a real result: check it. It is "
                                  f"saved and counted once you confirm it (Enter, or leave "
                                  f"the field)."}
        self._typed[code] = parsed
        self._row_errors[code] = errors
        row.show_errors(shown)

    def _is_confirmed(self, code: str, value: str, unit: str) -> bool:
        """Whether this value was confirmed: in this form, or when it was saved."""
        typed = (value.strip(), unit)
        if self._confirmed.get(code) == typed:
            return True
        own = self._own.get(code)
        return own is not None and own.confirmation is not None and \
            (own.value, own.unit) == typed

    def _draft(self, as_of: datetime) -> Draft:
        # The rows' own results count as typed; every other result as saved (own
        # results of codes this stage has no row for among them: still the patient's).
        own_ids = {row.id for row in self._own.values()}
        observations = [o for oid, o in self._parsed.items() if oid not in own_ids]
        observations.extend(o for o in self._typed.values() if o is not None)
        answers = {cid: v for cid, card in self.questions.items()
                   if (v := card.value()) is not None}
        facts = {name: fact for name, row in self.fact_rows.items()
                 if (fact := row.value()) is not None}
        events = {name: at for name, at in self._events_typed.items() if at is not None}
        return Draft(birth_date=self._patient.birth_date, sex=self._patient.sex,
                     events=events, facts=facts, observations=observations, answers=answers)

    def _evaluate(self) -> None:
        """Re-evaluate what is on screen, as of now, and repaint what changed."""
        if self._visit.status != "draft":
            return
        as_of = self._clock()
        try:
            verdict = evaluate(self._trial, self._stage.id,
                               self._draft(as_of).record(as_of, self._zone), self._site_uln)
        except RecordError as exc:  # the form only builds valid records: a bug, said plainly
            self.status.setText(f"Cannot evaluate: {exc}")
            return
        # A row holding an entry that cannot be read leaves the criteria reading it
        # unknown: an earlier result never stands in for what is being typed.
        invalid = {code for code, errors in self._row_errors.items() if errors}
        verdict = with_pending(verdict, invalid, set(self._unconfirmed))
        self.verdict = verdict
        self._apply(verdict)
        self._update_earlier(verdict, as_of)
        self._update_buttons()

    def _apply(self, verdict: Verdict) -> None:
        for row in self.model.set_verdict(verdict):
            self.table.resizeRowToContents(row)
        self.banner.set_verdict(verdict)

    def _update_earlier(self, verdict: Verdict, as_of: datetime) -> None:
        """Under each result row: this result's and earlier results' freshness."""
        used = {o for r in verdict.results for o in r.used}
        events = {n: at for n, at in self._events_typed.items() if at is not None}
        event_key = tuple(sorted(events.items()))
        for code, row in self.result_rows.items():
            typed = self._typed.get(code)
            own_row = self._own.get(code)
            earlier = [r for r in self._saved if r.code == code
                       and (own_row is None or r.id != own_row.id)]
            key = (event_key, typed, typed is not None and typed.at > as_of,
                   tuple((r, self._parsed.get(r.id) in used, r.at > as_of)
                         for r in earlier[:EARLIER_SHOWN]), len(earlier))
            if self._earlier_keys.get(code) == key:
                continue  # nothing this row shows has changed: no text to lay out again
            self._earlier_keys[code] = key
            lines: list[str] = []
            windows = self._windows[code]
            if typed is not None:
                own = freshness(self._stage, code, events, typed.at, as_of, windows,
                                self._zone)
                if not own.counts:
                    lines.append(self._flag_line("This result", own.status, own.text))
            for saved in earlier[:EARLIER_SHOWN]:
                found = freshness(self._stage, code, events, saved.at, as_of, windows,
                                  self._zone)
                parsed = self._parsed.get(saved.id)
                value = f"{saved.value} {saved.unit}"
                if found.counts and parsed is not None and parsed in used:
                    label = "reused: inside window" if found.status == "fresh" else \
                        "reused: most recent result"
                    status = "reused"
                elif found.counts:
                    label = "inside window" if found.status == "fresh" else "older result"
                    status = "counts"
                else:
                    label = {"stale": "stale", "needs_event": "window not known yet",
                             "after_as_of": "not counted"}[found.status]
                    status = found.status
                who = f"entered by {escape(saved.entered_by)} {_local(saved.entered_at)[:10]}"
                if saved.confirmed_by is not None:
                    who += f"; unusual value confirmed by {escape(saved.confirmed_by)}"
                lines.append(self._flag_line(f"Earlier {value}", status, found.text,
                                             label, who))
            if len(earlier) > EARLIER_SHOWN:
                lines.append(f"<span style='color:{HINT_COLOUR}'>… and "
                             f"{len(earlier) - EARLIER_SHOWN} older</span>")
            row.set_earlier("<br>".join(lines))

    @staticmethod
    def _flag_line(what: str, status: str, text: str, label: str = "",
                   who: str = "") -> str:
        look = {"reused": LOOKS["pass"], "counts": LOOKS["pass"]}.get(status, LOOKS["unknown"])
        mark = "✓" if status in ("reused", "counts") else "⚠"
        word = label or {"stale": "stale", "needs_event": "window not known yet",
                         "after_as_of": "not counted"}.get(status, status)
        tail = f" <span style='color:{HINT_COLOUR}'>({who})</span>" if who else ""
        return (f"<span style='color:{look.strong}; font-weight:600'>{mark} {escape(word)}"
                f"</span> — {escape(what)}, {escape(text)}{tail}")

    def _update_due(self) -> None:
        events = {n: at for n, at in self._events_typed.items() if at is not None}
        due = due_next(self._stage, events, self._zone)
        self.due.setText(due.text if due.start is not None or events_of(self._stage) else "")
        self.due.setVisible(bool(self.due.text()))

    # ------------------------------------------------------------------ edits (live)

    def _result_edited(self, code: str) -> None:
        if self.read_only:
            return
        row = self.result_rows[code]
        if row.uln is not None and not row.uln_text():
            self._prefill_uln(row)  # the unit changed: the site ULN follows it
        self._parse_row(code)
        self._evaluate()

    def _event_edited(self, name: str) -> None:
        if self.read_only:
            return
        self._parse_event(name)
        self._update_due()
        self._evaluate()

    def _parse_event(self, name: str) -> None:
        event_row = self.event_rows[name]
        try:
            self._events_typed[name] = parse_when(event_row.text())
            event_row.show_errors({})
        except RecordError as exc:
            self._events_typed[name] = None
            event_row.show_errors({"at": exc.message + "."})

    # ------------------------------------------------------------------ saving

    def _saved_ok(self, what: str) -> None:
        self.status.setText(f"Saved {self._clock():%H:%M}: {what}")
        self.changed.emit(self._visit.id)

    def _not_saved(self, what: str, exc: RegistryError) -> None:
        self._messages.error(self, f"{what} not saved", str(exc))

    def _row_input(self, code: str) -> ObservationInput | None:
        row = self.result_rows[code]
        parsed = self._typed.get(code)
        if parsed is None:
            return None
        return ObservationInput(code=code, value=row.value_text().strip(),
                                unit=row.unit_text(), at=parsed.at, uln=row.uln_text(),
                                confirmed=self._is_confirmed(code, row.value_text(),
                                                             parsed.unit))

    @staticmethod
    def _result_text(data: ObservationInput) -> str:
        """A result as typed, for the message of a refused save."""
        at = "" if data.at is None else f" taken {when_text(data.at)}"
        uln = "" if data.uln is None else f" (ULN {data.uln})"
        return f"{data.value} {data.unit}{at}{uln}"

    def _result_dirty(self, code: str) -> bool:
        if code in self._unconfirmed:
            return True  # typed, or saved before confirmations: to confirm before it counts
        row = self.result_rows[code]
        own = self._own.get(code)
        if own is None:
            return bool(row.value_text().strip() or row.at_text().strip()
                        or (row.uln is not None and row.uln_text()))
        try:
            at = parse_when(row.at_text())
        except RecordError:
            return True
        return (row.value_text().strip(), row.unit_text(), at, row.uln_text()) != \
            (own.value, own.unit, own.at, own.uln)

    def _result_committed(self, code: str, ask: bool = True) -> None:
        """Save a finished result row. An unusual value is saved only once confirmed:
        asked here (``ask``; not while flushing before completion or closing)."""
        if self._closed:
            return  # editingFinished fires again as the window's widgets go
        if self.read_only or not self._result_dirty(code):
            return
        row = self.result_rows[code]
        own = self._own.get(code)
        if own is not None and not row.value_text().strip() and not row.at_text().strip():
            self._withdraw(code, own)
            return
        why = self._unconfirmed.get(code)
        if why is not None and (not ask or not self._confirm_unusual(code, why)):
            return  # the message stays at the field; nothing saved, nothing counted
        data = self._row_input(code)
        if data is None:
            return  # its message is already at the field; nothing saved, nothing lost
        try:
            if own is None:
                saved = self._repository.add_observation(
                    self._patient.id, self._visit.id, data,
                    expected=self._versions.get(("result", code), 0))
                self._versions["result", code] = saved.version
            else:
                saved = self._repository.update_observation(own.id, data,
                                                            expected=own.version)
                known = self._versions.get(("result", code), 0)
                self._versions["result", code] = max(known, saved.version)
            self._own[code] = saved
            self._reload_observations()
        except EntryChanged as exc:
            self._entry_changed(exc, self._result_text(data))
            return
        except ValidationFailed as exc:
            row.show_errors(exc.errors)
            return
        except RegistryError as exc:
            self._not_saved(row.label, exc)
            return
        self._parse_row(code)
        self._evaluate()
        self._saved_ok(row.label)

    def _confirm_unusual(self, code: str, why: str) -> bool:
        """Ask the coordinator to confirm an unusual value; remember a yes for it."""
        row = self.result_rows[code]
        text = (f"{why}, which is rarely a real result: a unit slip or a lost digit is "
                f"likelier. Check it against the lab report. Save {row.label} "
                f"{row.value_text().strip()} {row.unit_text()} as it is? Your confirmation "
                f"is recorded with the result.")
        if not self._messages.confirm(self, "Confirm an unusual value", text,
                                      "Confirm and save"):
            return False
        self._confirmed[code] = (row.value_text().strip(), row.unit_text())
        self._parse_row(code)
        return True

    def _withdraw(self, code: str, own: ObservationRow) -> None:
        """The coordinator emptied a saved result: withdraw it (kept in the log)."""
        row = self.result_rows[code]
        text = (f"Withdraw the saved {row.label} {own.value} {own.unit} taken "
                f"{own.at:%Y-%m-%d %H:%M}? It is kept in the registry's log but no longer "
                f"counts for any screening.")
        if not self._messages.confirm(self, "Withdraw result", text, "Withdraw"):
            row.set_values(own.value, own.unit, own.at, own.uln)
            self._prefill_uln(row)
            self._parse_row(code)
            self._evaluate()
            return
        try:
            version = self._repository.retract_observation(
                own.id, "Emptied in the visit form", expected=own.version)
            self._own.pop(code, None)
            self._versions["result", code] = version
            self._reload_observations()
        except EntryChanged as exc:
            self._entry_changed(exc, "blank (to withdraw the result)")
            return
        except RegistryError as exc:
            self._not_saved(row.label, exc)
            return
        self._parse_row(code)
        self._evaluate()
        self._saved_ok(f"{row.label} withdrawn")

    def _event_committed(self, name: str) -> None:
        if self._closed:
            return  # editingFinished fires again as the window's widgets go
        if self.read_only:
            return
        self._parse_event(name)
        event_row = self.event_rows[name]
        if event_row.text().strip() and self._events_typed.get(name) is None:
            return  # unreadable: the message is at the field
        at = self._events_typed.get(name)
        if at == self._events_saved.get(name):
            return
        try:
            self._versions["event", name] = self._repository.set_event(
                self._visit.id, name, at, expected=self._versions.get(("event", name), 0))
        except EntryChanged as exc:
            self._entry_changed(exc, "blank" if at is None else when_text(at))
            return
        except ValidationFailed as exc:
            event_row.show_errors({"at": " ".join(exc.errors.values())})
            return
        except RegistryError as exc:
            self._not_saved(f"Planned {EVENTS[name]}", exc)
            return
        if at is None:
            self._events_saved.pop(name, None)
        else:
            self._events_saved[name] = at
        self._saved_ok(f"planned {EVENTS[name]}")

    def _fact_chosen(self, name: str) -> None:
        if self.read_only:
            return
        fact_row = self.fact_rows[name]
        value = fact_row.value()
        try:
            self._versions["fact", name] = self._repository.set_fact(
                self._patient.id, name, value, expected=self._versions.get(("fact", name), 0))
        except EntryChanged as exc:
            self._entry_changed(exc, FACT_WORDS[value])
            return
        except RegistryError as exc:
            fact_row.revert()
            self._not_saved(FACTS[name].capitalize(), exc)
            self._evaluate()
            return
        fact_row.saved()
        fact_row.show_errors({})
        self._evaluate()
        self._saved_ok(FACTS[name])

    def _answer_chosen(self, cid: str) -> None:
        if self.read_only:
            return
        self._evaluate()
        self._save_answer(cid)

    def _answer_committed(self, cid: str) -> None:
        if self._closed:
            return  # editingFinished fires again as the window's widgets go
        if self.read_only:
            return
        card = self.questions[cid]
        if card.value() is None:
            if card.note.text().strip() or card.source.text().strip():
                card.show_errors({"note": "Choose Yes, No or N/A to save the note and "
                                          "source document."})
            return
        self._save_answer(cid)

    def _save_answer(self, cid: str) -> None:
        card = self.questions[cid]
        if card.is_saved():
            return
        value, note, source = card.typed()
        try:
            self._versions["answer", cid] = self._repository.set_answer(
                self._visit.id, cid, value,  # type: ignore[arg-type]
                note=note if value is not None else "",
                source_document=source if value is not None else "",
                expected=self._versions.get(("answer", cid), 0))
        except EntryChanged as exc:
            self._entry_changed(exc, answer_text(value, note, source))
            return
        except ValidationFailed as exc:
            card.show_errors(exc.errors)
            return
        except RegistryError as exc:
            card.revert_choice()
            self._evaluate()
            self._not_saved(f"Answer to {cid}", exc)
            return
        card.show_errors({})
        card.mark_saved()
        self._saved_ok(f"answer to {cid}")

    def flush(self) -> list[str]:
        """Save every finished-but-unsaved field; returns what still is not saved,
        an entry refused because another window changed it first included (the field
        shows the other value then, so only this list still names what was typed)."""
        if self.read_only:
            return []
        self._refusals = []
        try:
            for name in self.event_rows:
                self._event_committed(name)
            for code in self.result_rows:
                self._result_committed(code, ask=False)
            for cid in self.questions:
                self._answer_committed(cid)
        finally:
            refused, self._refusals = self._refusals, None
        return refused + self.unsaved()

    def unsaved(self) -> list[str]:
        """Entries on screen that the registry does not hold, with why."""
        found: list[str] = []
        for name, event_row in self.event_rows.items():
            if self._events_typed.get(name) != self._events_saved.get(name) or \
                    (event_row.text().strip() and self._events_typed.get(name) is None):
                found.append(f"Planned {EVENTS[name]}")
        for code, row in self.result_rows.items():
            if self._result_dirty(code):
                errors = " ".join(self._row_errors.get(code, {}).values())
                if code in self._unconfirmed:
                    errors = f"{self._unconfirmed[code]}: not confirmed yet."
                found.append(f"{row.label}: {errors}" if errors else row.label)
        for cid, card in self.questions.items():
            if not card.is_saved():
                found.append(f"Answer to {cid} (choose Yes, No or N/A)"
                             if card.value() is None else f"Answer to {cid}")
        return found

    # ------------------------------------------------------------------ gating

    def complete(self) -> None:
        """Ask the registry to complete the stage, after saving and a confirmation.

        The registry decides: it evaluates what it holds for the visit (never what the
        screen holds) and stores that decision; the question shows what it would
        decide now, and completion is refused if that changed before the answer."""
        if self.read_only:
            return
        self.refresh_patient()
        self.refresh_entries()  # the screen as the registry holds it, where not edited
        if self.read_only:  # completed in another window meanwhile: shown as completed
            self._messages.error(self, "Stage not completed", (
                f"{self._stage.title} was completed in another window by "
                f"{self._visit.completed_by or '—'} on {_local(self._visit.completed_at)}."))
            return
        pending = self.flush()
        if pending:
            self._messages.error(self, "Stage not completed",
                                 "These entries are not saved yet; correct or clear them "
                                 "first: " + "; ".join(pending) + ".")
            return
        self._evaluate()  # the screen as of now, as the registry will assess it
        try:
            verdict = self._repository.evaluate_visit(self._visit.id)
        except RegistryError as exc:
            self._messages.error(self, "Stage not completed", str(exc))
            return
        decision = verdict.decision
        if decision == "incomplete":
            unknown = ", ".join(r.id for r in verdict.missing)
            self._messages.error(self, "Stage not completed",
                                 f"The saved entries leave {len(verdict.missing)} criteria "
                                 f"unknown ({unknown}); the stage can be completed only as "
                                 f"eligible or not eligible.")
            return
        word = _WORD[decision]
        failing = ", ".join(r.id for r in verdict.failing)
        detail = f" Failing: {failing}." if failing else ""
        shown = self.verdict.decision if self.verdict is not None else decision
        differs = "" if shown == decision else (
            f" Note: the screen showed {_DECISION_WORDS[shown]}; what is saved decides "
            f"{word}. Review the outcomes if that is unexpected.")
        text = (f"Complete {self._stage.title} as {word.upper()}? The registry decides "
                f"from what is saved for this visit, assessed now.{detail}{differs} Once "
                f"completed, this visit's answers, planned dates and decision cannot be "
                f"changed.")
        if not self._messages.confirm(self, "Complete stage", text, f"Complete as {word}"):
            return
        try:
            self._visit = self._repository.complete(self._visit.id, expect=decision)
        except RegistryError as exc:
            self._evaluate()
            self._messages.error(self, "Stage not completed", str(exc))
            return
        self._refresh_mode()
        self.changed.emit(self._visit.id)

    def open_override(self) -> None:
        """The override dialog (window-modal; ``override_dialog`` while open)."""
        override = self._stage.override
        if override is None or not self.override_button.isEnabled():
            return

        def submit(rationale: str, agreed_by: str) -> VisitRow:
            return self._repository.override(self._visit.id, self._trial, rationale,
                                             agreed_by)

        dialog = OverrideDialog(self, override, submit, self._messages)
        dialog.accepted.connect(lambda: self._override_recorded(dialog))
        dialog.finished.connect(lambda _code: setattr(self, "override_dialog", None))
        self.override_dialog = dialog
        dialog.open()

    def open_sign(self) -> None:
        """The investigator's signature (window-modal; ``sign_dialog`` while open)."""
        if not self.sign_button.isEnabled():
            return
        visit = self._visit
        decision = _WORD.get(visit.decision or "", "—")
        if visit.override is not None:
            decision += f", overridden (agreed by {visit.override.agreed_by})"
        statement = (f"I have reviewed the outcomes of {self._stage.title} for "
                     f"{self._patient.family_name.upper()}, {self._patient.given_name} "
                     f"(MRN {self._patient.mrn}) and confirm the decision: {decision}.")
        if self.override_refusal() is None:
            statement += (" Signing confirms the screen failure: the stage can then no "
                          "longer be overridden.")
        dialog = SignDialog(self, statement,
                            lambda name: self._repository.sign(visit.id, name), self._messages)
        dialog.accepted.connect(lambda: self._signed(dialog))
        dialog.finished.connect(lambda _code: setattr(self, "sign_dialog", None))
        self.sign_dialog = dialog
        dialog.open()

    def _signed(self, dialog: SignDialog) -> None:
        if dialog.saved is not None:
            self._visit = dialog.saved
            self._refresh_mode()
            self.changed.emit(self._visit.id)

    def _override_recorded(self, dialog: OverrideDialog) -> None:
        if dialog.saved is not None:
            self._visit = dialog.saved
            self._refresh_mode()
            self.changed.emit(self._visit.id)

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event: QCloseEvent) -> None:
        pending = self.flush()
        if pending and not self._messages.confirm(
                self, "Close the visit",
                "These entries are not saved (everything else is): " + "; ".join(pending)
                + ". Close anyway and lose them?", "Close and lose them"):
            event.ignore()
            return
        self._closed = True
        super().closeEvent(event)
