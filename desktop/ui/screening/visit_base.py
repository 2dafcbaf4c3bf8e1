"""What the visit form's parts share: the form's state, declared once for the type
checker, and the small helpers and words they all use.

``VisitForm`` (:mod:`desktop.ui.screening.visit_form`) is composed of the mixins of
:mod:`~desktop.ui.screening.visit_layout` (building), :mod:`~.visit_sync` (loading,
versions, refreshing), :mod:`~.visit_live` (live evaluation), :mod:`~.visit_saving`
(autosave), :mod:`~.visit_gating` (completion, the record's signatures) and
:mod:`~.visit_signing` (the signing and correction flows). Each mixin
derives from :class:`VisitFormState`, which at run time is a plain object (the form
itself is the one ``QWidget``) and for the type checker declares every attribute and
every method the parts use of one another.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar, Final

from PySide6.QtWidgets import QWidget

from desktop.domain.freshness import needs_time
from desktop.domain.typed_time import site_today
from desktop.ui.screening.visit_entry import parse_when

if TYPE_CHECKING:
    from PySide6.QtCore import Signal
    from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QSplitter

    from desktop.domain.attribution import Attribution
    from desktop.domain.draft import Draft
    from desktop.domain.engine import CriterionResult, Verdict
    from desktop.domain.record import Observation
    from desktop.domain.trial import Stage, Trial, Window
    from desktop.domain.uln_history import UlnHistory
    from desktop.services.rows import (
        EntryKind,
        ObservationInput,
        ObservationRow,
        PatientChangeRow,
        PatientRow,
        RegistryError,
        VisitEntries,
        VisitRow,
    )
    from desktop.services.screening import EntryChanged, ScreeningService
    from desktop.services.signing import Action, SigningService
    from desktop.services.worksheets import Exported, WorksheetService
    from desktop.ui.common.exporting import ChoosePath, Export
    from desktop.ui.common.messages import MessageService
    from desktop.ui.common.printing import Printing
    from desktop.ui.common.reason_dialog import ReasonDialog
    from desktop.ui.screening.decision_banner import DecisionBanner
    from desktop.ui.screening.outcomes_model import OutcomesTableModel
    from desktop.ui.screening.signing_dialog import SigningDialog
    from desktop.ui.screening.visit_inputs import EventRow, FactRow, QuestionCard, ResultRow
    from desktop.ui.screening.visit_layout import OutcomesView

    _Base = QWidget
else:
    _Base = object

EARLIER_SHOWN: Final = 3  # earlier results listed under a result row
WORD: Final = {"eligible": "eligible", "not_eligible": "not eligible"}
DECISION_WORDS: Final = {**WORD, "incomplete": "incomplete"}
COMPLETE_TIP: Final = ("Record the decision. Possible once the stage is eligible or not "
                       "eligible; it cannot be changed after.")


def local_time(at: datetime | None) -> str:
    """A bookkeeping time (UTC-aware) in local wall-clock time, to the minute."""
    if at is None:
        return "—"
    shown = at.astimezone() if at.tzinfo is not None else at
    return shown.strftime("%Y-%m-%d %H:%M")


class VisitFormState(_Base):
    """The visit form's state and parts, as the mixins see them (declarations only,
    and :meth:`_when`)."""

    def _when(self, text: str, code: str | None = None) -> datetime | None:
        """A typed date-time (``visit_entry.parse_when``): a time alone is today in the
        site's zone; a date alone is refused for a result of ``code`` whose window
        counts in hours (``freshness.needs_time``), else it means 00:00."""
        timed = code is not None and needs_time(self._stage, code)
        return parse_when(text, today=site_today(self._clock(), self._zone), timed=timed)

    if TYPE_CHECKING:
        changed: ClassVar[Signal]

        _repository: ScreeningService
        _trial: Trial
        _stage: Stage
        _patient: PatientRow
        _visit: VisitRow
        _site_uln: UlnHistory
        _zone: tzinfo
        _messages: MessageService
        _clock: Callable[[], datetime]
        _loaded: bool
        #: None: no signatures in this form (tests below the accounts).
        _signing: SigningService | None
        #: None: no worksheet export in this form (tests below the accounts).
        _worksheets: WorksheetService | None
        choose_worksheet: ChoosePath
        worksheet_export: Export[Exported]
        worksheet_printing: Printing
        signing_dialog: SigningDialog | None
        correction_dialog: ReasonDialog | None
        verdict: Verdict | None
        _saved: list[ObservationRow]
        _parsed: dict[int, Observation]
        _own: dict[str, ObservationRow]
        _events_saved: dict[str, datetime]
        _versions: dict[tuple[EntryKind, str], int]
        _refusals: list[str] | None
        #: Who recorded what, read once when the form opens.
        _names: Attribution
        _typed: dict[str, Observation | None]
        _row_errors: dict[str, dict[str, str]]
        _unconfirmed: dict[str, str]
        _confirmed: dict[str, tuple[str, str]]
        _events_typed: dict[str, datetime | None]
        _windows: dict[str, list[Window | None]]
        _earlier_keys: dict[str, object]
        _closed: bool
        _sized: bool

        header: QLabel
        due: QLabel
        event_rows: dict[str, EventRow]
        result_rows: dict[str, ResultRow]
        fact_rows: dict[str, FactRow]
        questions: dict[str, QuestionCard]
        fields_area: QScrollArea
        banner: DecisionBanner
        record_box: QLabel
        model: OutcomesTableModel
        table: OutcomesView
        splitter: QSplitter
        status: QLabel
        #: Why a shown action is disabled (the services' reasons).
        why_line: QLabel
        #: Above the form, while the logged-in user may not enter data: why it is read-only.
        role_note: QLabel
        complete_button: QPushButton
        prepare_button: QPushButton
        #: Confirm (the investigator's "Eligibility / Screen failure confirmed by").
        sign_button: QPushButton
        #: Approve to proceed (an override signature).
        override_button: QPushButton
        correction_button: QPushButton
        close_button: QPushButton
        #: Export worksheet… (hidden without a worksheet service).
        export_button: QPushButton
        verify_button: QPushButton
        #: Print worksheet… (hidden without a worksheet service).
        print_button: QPushButton

        # visit_layout
        def _build(self) -> None: ...
        def _show_patient(self) -> None: ...

        # visit_sync
        @property
        def patient(self) -> PatientRow: ...
        def set_patient(self, patient: PatientRow) -> None: ...
        def refresh_patient(self) -> None: ...
        def _load(self) -> None: ...
        def _reload_observations(self) -> None: ...
        def _take_observations(self, saved: list[ObservationRow] | tuple[ObservationRow, ...]
                               ) -> None: ...
        def _adopt(self, kind: EntryKind, name: str, entries: VisitEntries) -> None: ...
        def _stale(self, kind: EntryKind, name: str, entries: VisitEntries) -> bool: ...
        def _editing(self, kind: EntryKind, name: str) -> bool: ...
        def refresh_entries(self) -> None: ...
        def _entry_label(self, kind: EntryKind, name: str) -> str: ...
        def _entry_changed(self, exc: EntryChanged, mine: str) -> None: ...
        def _prefill_uln(self, row: ResultRow) -> None: ...

        # visit_gating
        @property
        def visit(self) -> VisitRow: ...
        @property
        def read_only(self) -> bool: ...
        @property
        def _open_draft(self) -> bool: ...
        def entry_refusal(self) -> str | None: ...
        def _refresh_mode(self) -> None: ...
        def _update_buttons(self) -> None: ...
        def _show_completed(self) -> None: ...
        def _changes_after_completion(self) -> list[PatientChangeRow]: ...
        def _snapshot_results(self) -> list[CriterionResult]: ...
        def complete(self) -> None: ...
        def open_signing(self, action: Action) -> None: ...
        def open_correction(self) -> None: ...

        # visit_live
        def _parse_row(self, code: str) -> None: ...
        def _is_confirmed(self, code: str, value: str, unit: str) -> bool: ...
        def _draft(self, as_of: datetime) -> Draft: ...
        def _evaluate(self) -> None: ...
        def _apply(self, verdict: Verdict) -> None: ...
        def _update_due(self) -> None: ...
        def _result_edited(self, code: str) -> None: ...
        def _event_edited(self, name: str) -> None: ...
        def _parse_event(self, name: str) -> None: ...

        # visit_export
        def _build_export(self) -> None: ...
        def _gate_export(self) -> None: ...
        def export_worksheet(self) -> bool: ...
        def verify_worksheet(self) -> bool: ...
        def print_worksheet(self) -> bool: ...

        # visit_saving
        def _saved_ok(self, what: str) -> None: ...
        def _not_saved(self, what: str, exc: RegistryError) -> None: ...
        def _row_input(self, code: str) -> ObservationInput | None: ...
        def _result_dirty(self, code: str) -> bool: ...
        def _result_committed(self, code: str, ask: bool = True) -> None: ...
        def _event_committed(self, name: str) -> None: ...
        def _fact_chosen(self, name: str) -> None: ...
        def _answer_chosen(self, cid: str) -> None: ...
        def _answer_committed(self, cid: str) -> None: ...
        def flush(self) -> list[str]: ...
        def unsaved(self) -> list[str]: ...
