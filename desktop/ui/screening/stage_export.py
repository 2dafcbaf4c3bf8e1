"""The patient view's "Export worksheet…" and "Print worksheet…" for the chosen stage:
its visit's eligibility worksheet as a PDF or on paper, as in the visit form
(:mod:`.visit_export`), without opening it.

The view says which stage is chosen (``show_for``); this part holds only that visit's
ids, asks where (``choose_path``, which tests replace) and has the worksheet service
write the PDF off the GUI thread (audited; a draft prints DRAFT – NOT SIGNED).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from PySide6.QtWidgets import QLabel, QWidget

from desktop.ui.common.exporting import (
    PDF_FILTER,
    ChoosePath,
    Export,
    export_refusal,
    save_dialog,
)
from desktop.ui.common.printing import Printing
from desktop.ui.common.widgets import named, push_button
from desktop.ui.screening.visit_export import (
    EXPORT_TIP,
    NOT_EXPORTED,
    PRINT_TIP,
    exported_text,
    worksheet_name,
)

if TYPE_CHECKING:
    from desktop.services.printing import Printable
    from desktop.services.rows import VisitRow
    from desktop.services.worksheets import Exported, WorksheetService
    from desktop.ui.common.messages import MessageService

NOT_STARTED: Final = "The chosen stage is not started: a worksheet is of a started visit."


class StageExport:
    """The button and status line of the patient view's worksheet export."""

    def __init__(self, parent: QWidget, worksheets: WorksheetService,
                 messages: MessageService) -> None:
        self._worksheets = worksheets
        self._visit: tuple[str, str, int] | None = None  # trial id, stage id, visit id
        self.button = push_button("Export worksheet…", "export_stage_worksheet", self.export)
        self.status = named(QLabel(), "stage_export_status")
        self.status.setWordWrap(True)
        self.choose_path: ChoosePath = save_dialog("Export the worksheet", PDF_FILTER)
        self.job: Export[Exported] = Export(parent, messages, self.status, [self.button],
                                            self.update)
        self.print_button = push_button("Print worksheet…", "print_stage_worksheet",
                                        self.print_worksheet)
        self.printing = Printing(parent, messages, self._printable,
                                 worksheets.record_print, self.status.setText)
        self.update()

    def show_for(self, trial_id: str | None, visit: VisitRow | None) -> None:
        """The stage chosen in the view (its visit None: not started)."""
        self._visit = (trial_id, visit.stage_id, visit.id) \
            if trial_id is not None and visit is not None else None
        if not self.job.running:
            self.update()

    def update(self) -> None:
        why_not = export_refusal(self._worksheets.actor) or (
            NOT_STARTED if self._visit is None else None)
        self.button.setEnabled(why_not is None)
        self.button.setToolTip(why_not or EXPORT_TIP)
        self.print_button.setEnabled(why_not is None)
        self.print_button.setToolTip(why_not or PRINT_TIP)

    def export(self) -> bool:
        """Ask where, then write the chosen visit's worksheet; whether it started."""
        service, chosen = self._worksheets, self._visit
        if chosen is None or export_refusal(service.actor) is not None:
            return False
        trial_id, stage_id, visit_id = chosen
        return self.job.run(
            self.choose_path, Path.home() / worksheet_name(trial_id, stage_id, visit_id),
            lambda path: service.export(visit_id, path), title=NOT_EXPORTED,
            done=exported_text, progress=lambda path: f"Exporting the worksheet to {path}…")

    def print_worksheet(self) -> bool:
        """Preview the chosen visit's worksheet to print; whether the preview opened."""
        if self._visit is None or export_refusal(self._worksheets.actor) is not None:
            return False
        return self.printing.start()

    def _printable(self) -> Printable:
        assert self._visit is not None
        return self._worksheets.printable(self._visit[2])
