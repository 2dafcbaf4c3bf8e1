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
are saved as they are set. Once the patient has a completed stage (the service says so,
``has_completed_stage``), a correction or a changed fact is saved only with the reason
the coordinator gives when asked; Cancel saves nothing and shows what is saved.
Completing the stage first saves every pending field, then asks the registry to
complete it: the registry evaluates what it holds (not what the screen holds) and
stores that decision, which the form then shows.

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

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QWidget

from desktop.domain.engine import Verdict
from desktop.domain.record import Observation
from desktop.domain.trial import Trial, Window
from desktop.domain.uln_history import as_history
from desktop.services.rows import EntryKind, ObservationRow, PatientRow, VisitRow
from desktop.services.screening import ScreeningService
from desktop.services.signing import SigningService
from desktop.services.worksheets import WorksheetService
from desktop.ui.common.messages import MessageService
from desktop.ui.common.reason_dialog import ReasonDialog
from desktop.ui.screening.signing_dialog import SigningDialog
from desktop.ui.screening.visit_base import EARLIER_SHOWN
from desktop.ui.screening.visit_export import VisitExport
from desktop.ui.screening.visit_layout import OutcomesView, VisitLayout, visit_title
from desktop.ui.screening.visit_live import VisitLive
from desktop.ui.screening.visit_saving import VisitSaving
from desktop.ui.screening.visit_signing import VisitSigning
from desktop.ui.screening.visit_sync import VisitSync
from desktop.zone import site_zone

__all__ = ["EARLIER_SHOWN", "OutcomesView", "VisitForm", "visit_title"]


class VisitForm(VisitLayout, VisitSync, VisitLive, VisitSaving, VisitSigning, VisitExport,
                QWidget):
    """One visit of one stage, in its own window. ``changed(visit_id)`` after any save.

    Its parts are mixins: building (:mod:`.visit_layout`), reading the registry
    (:mod:`.visit_sync`), live evaluation (:mod:`.visit_live`), autosave
    (:mod:`.visit_saving`), mode and completion (:mod:`.visit_gating`), signing and
    corrections (:mod:`.visit_signing`), the worksheet's export (:mod:`.visit_export`)."""

    changed = Signal(int)

    def __init__(self, *, repository: ScreeningService, trial: Trial, patient: PatientRow,
                 visit: VisitRow, site_uln: Mapping[str, Fraction], messages: MessageService,
                 clock: Callable[[], datetime] = datetime.now,
                 signing: SigningService | None = None,
                 worksheets: WorksheetService | None = None,
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
        self._site_uln = as_history(site_uln)  # dated: the ULN in force on a result's day
        #: Spans in hours are elapsed time in the site's zone, as the engine counts them.
        self._zone = site_zone()
        self._messages = messages
        self._clock = clock
        self._loaded = False
        self._names = repository.attribution()
        self._signing = signing
        self._worksheets = worksheets
        self.signing_dialog: SigningDialog | None = None
        self.correction_dialog: ReasonDialog | None = None
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
        self._build_export()
        self._load()
        self._refresh_mode()

    # ------------------------------------------------------------------ window

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

    # ------------------------------------------------------------------ closing

    def close_for_logout(self) -> list[str]:
        """The user's session ends (logout, or another user logged in at the lock):
        save every pending entry as a draft under their name and close without asking;
        what could not be saved (a result without its time) is returned."""
        pending = self.flush()
        self._closed = True
        self._forced = True
        self.close()
        return pending

    def closeEvent(self, event: QCloseEvent) -> None:
        if getattr(self, "_forced", False):
            super().closeEvent(event)
            return
        pending = self.flush()
        if pending and not self._messages.confirm(
                self, "Close the visit",
                "These entries are not saved (everything else is): " + "; ".join(pending)
                + ". Close anyway and lose them?", "Close and lose them"):
            event.ignore()
            return
        self._closed = True
        super().closeEvent(event)
