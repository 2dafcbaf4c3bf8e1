"""The visit form's "Export worksheet…": the eligibility worksheet of the visit as the
registry holds it, as a PDF (part of ``VisitForm``).

The worksheet service builds and writes it (a draft prints DRAFT – NOT SIGNED), records
the audit row and refuses a user who may not export; the form saves what is typed first,
asks where (``choose_worksheet``, which tests replace) and runs the export off the GUI
thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from desktop.ui.common.exporting import (
    PDF_FILTER,
    ChoosePath,
    Export,
    export_refusal,
    save_dialog,
)
from desktop.ui.common.printing import Printing
from desktop.ui.common.verifying import Verifier
from desktop.ui.screening.visit_base import VisitFormState

if TYPE_CHECKING:
    from desktop.services.printing import Printable
    from desktop.services.worksheets import Exported

EXPORT_TIP: Final = ("Save this visit's eligibility worksheet as a PDF, as the registry "
                     "holds it now (an unsigned stage prints DRAFT – NOT SIGNED).")
NOT_EXPORTED: Final = "Worksheet not exported"
PRINT_TIP: Final = ("Print this visit's eligibility worksheet, with a preview first (an "
                    "unsigned stage prints DRAFT – NOT SIGNED across every page).")
VERIFY_TIP: Final = ("Check the stage's digitally signed worksheet: each signature, and "
                     "that the file and its hashes match this registry.")


def worksheet_name(trial_id: str, stage_id: str, visit_id: int) -> str:
    """E.g. ``worksheet-NCT06152809-screening-1-visit-12.pdf``."""
    return f"worksheet-{trial_id}-{stage_id}-visit-{visit_id}.pdf"


def exported_text(done: Exported) -> str:
    pages = "page" if done.pages == 1 else "pages"
    return (f"Worksheet {done.document_id} ({done.state}, {done.pages} {pages}) exported "
            f"to {done.path}.")


class VisitExport(VisitFormState):
    """Exports the visit's worksheet (part of ``VisitForm``)."""

    def _build_export(self) -> None:
        self.choose_worksheet: ChoosePath = save_dialog("Export the worksheet", PDF_FILTER)
        self.worksheet_export: Export[Exported] = Export(
            self, self._messages, self.status, [self.export_button], self._gate_export)
        self.verifier = Verifier(self, self._messages)
        self.worksheet_printing = Printing(self, self._messages, self._printable,
                                           self._record_print, self.status.setText)
        self._gate_export()

    def _gate_export(self) -> None:
        service = self._worksheets
        self.export_button.setVisible(service is not None)
        self.verify_button.setVisible(service is not None)
        self.print_button.setVisible(service is not None)
        if service is None:
            return
        self.verify_button.setToolTip(VERIFY_TIP)
        why_not = export_refusal(service.actor)
        self.export_button.setEnabled(why_not is None)
        self.export_button.setToolTip(why_not or EXPORT_TIP)
        self.print_button.setEnabled(why_not is None)
        self.print_button.setToolTip(why_not or PRINT_TIP)

    def export_worksheet(self) -> bool:
        """Ask where, then write the worksheet; whether the export started."""
        service = self._worksheets
        if service is None or export_refusal(service.actor) is not None:
            return False
        pending = self.flush()  # the worksheet prints what the registry holds
        visit_id = self._visit.id
        suggested = Path.home() / worksheet_name(self._trial.id, self._visit.stage_id,
                                                 visit_id)
        note = (" Not saved, so not on it: " + "; ".join(pending) + ".") if pending else ""
        return self.worksheet_export.run(
            self.choose_worksheet, suggested,
            lambda path: service.export(visit_id, path), title=NOT_EXPORTED,
            done=lambda result: exported_text(result) + note,
            progress=lambda path: f"Exporting the worksheet to {path}…")

    def print_worksheet(self) -> bool:
        """Save what is typed, then preview the worksheet to print; whether it opened."""
        service = self._worksheets
        if service is None or export_refusal(service.actor) is not None:
            return False
        pending = self.flush()  # the worksheet prints what the registry holds
        if pending:
            self.status.setText("Not saved, so not on the printed worksheet: "
                                + "; ".join(pending) + ".")
        return self.worksheet_printing.start()

    def _printable(self) -> Printable:
        assert self._worksheets is not None  # the button is hidden without it
        return self._worksheets.printable(self._visit.id)

    def _record_print(self, printable: Printable, pages: int, printer: str) -> None:
        assert self._worksheets is not None
        self._worksheets.record_print(printable, pages, printer)

    def verify_worksheet(self) -> bool:
        """Check the stage's digitally signed worksheet; whether the check started."""
        service = self._worksheets
        if service is None:
            return False
        if self._visit.status != "completed":
            self._messages.inform(self, "Verify worksheet", "Only a completed stage has a "
                                  "signed worksheet: complete it, and sign it, first.")
            return False
        visit_id = self._visit.id
        return self.verifier.run(
            lambda: service.verify(visit_id),
            missing="This stage's worksheet was not signed digitally (it was signed "
                    "before the site had a signing authority, or not yet): there is no "
                    "signed file to check.")
