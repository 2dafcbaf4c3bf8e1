"""Render the README screenshots by driving the app itself, offscreen, on the demo.

``python -m desktop.ui.screenshots [folder]`` (default ``docs/screenshots``) starts a
``GuiSession`` with ``demo=True`` on a temporary folder (the demo seeds a registry of its
own there, so no real registry is ever touched) and goes where a user would: the login
window, the patient list as demo-coordinator, DEMO-0002 part-way through NCT06152809
(patient view, the pre-lymphodepletion visit form and page 1 of its worksheet), the
trial library, the lock
screen; then as demo-investigator that visit completed and confirmed through the signing
dialog, and the same visit after one of its results was corrected (the red "Data
changed since signing" line); then the administration window's tabs as demo-admin, the
audit trail's showing that correction's old and new values.

The demo seeds its screenings relative to the day it runs (the visit in progress is
today's), so the pictures carry that day's dates; the windows' clock is fixed at 07:45
that day, a quarter of an hour after the visit's results, so nothing else moves.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QApplication, QWidget

    from desktop.ui.app import GuiSession
    from desktop.ui.session.login_dialog import LoginDialog

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: The offscreen screen: a small laptop display (1366x768, the smallest the windows are
#: made for), at 96 dpi and no scaling.
SCREEN = {"name": "screenshots", "x": 0, "y": 0, "width": 1366, "height": 768,
          "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
#: The admin window's tabs (their text without the mnemonic) and their files.
ADMIN_TABS = {"Accounts": "admin-accounts.png", "Delegation log": "admin-delegations.png",
              "Site settings": "admin-site-settings.png", "Audit trail": "audit-view.png",
              "Backups": "admin-backups.png", "Certificates": "admin-certificates.png"}
#: Every file a run writes.
#: Page 1 of the worksheet of the visit in visit-form.png (rendered by poppler's pdftoppm,
#: written where it is installed).
WORKSHEET_SHOT = "worksheet-page-1.png"
SHOTS = ("login.png", "main-window.png", "patient-view.png", "other-trials.png",
         "visit-form.png", "trials-view.png", "find-candidates.png", "lock-screen.png",
         "signing-dialog.png", "print-preview.png", "data-changed-since-signing.png",
         *ADMIN_TABS.values())
#: The answers of the demo's pre-lymphodepletion visit, given before it is completed.
ANSWERS = ("clinical-status", "no-uncontrolled-infection", "live-vaccines")
#: The windows' "now": this morning in clinic, after the demo visit's results (07:30).
CLOCK = clock_time(7, 45)
TIMEOUT_S = 60.0


def screen() -> dict[str, object]:
    """:data:`SCREEN`, or its size from ``NKSCREEN_SHOT_SCREEN`` (e.g. ``1366x768``: how
    the windows look on a small laptop screen)."""
    size = os.environ.get("NKSCREEN_SHOT_SCREEN", "")
    width, _, height = size.partition("x")
    if width.isdigit() and height.isdigit():
        return {**SCREEN, "width": int(width), "height": int(height)}
    return SCREEN


class ShotError(Exception):
    """A step did not happen (a window did not open, a file was not written)."""


class _Fired:
    """Counts the emissions of a signal, so a step can wait for the next one."""

    def __init__(self, signal: SignalInstance) -> None:
        self.count = 0
        signal.connect(self._fire)

    def _fire(self, *_args: object) -> None:
        self.count += 1


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else DEFAULT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nkscreen-screenshot-") as data:
        try:
            _Run(_application(Path(data)), Path(data) / "demo", folder).run()
        except ShotError as exc:
            print(f"screenshots: {exc}", file=sys.stderr)
            return 1
    return 0


def _application(data: Path) -> QApplication:
    """The running QApplication, or one offscreen on a 1920x1080 screen."""
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    config = data / "offscreen.json"
    config.write_text(json.dumps({"screens": [screen()]}), encoding="utf-8")
    before = os.environ.get("QT_QPA_PLATFORM")
    if before in (None, "offscreen"):
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    try:
        from desktop.ui.app import _application as app_application

        return app_application()
    finally:
        if before is None:
            os.environ.pop("QT_QPA_PLATFORM", None)
        else:
            os.environ["QT_QPA_PLATFORM"] = before


class _Run:
    def __init__(self, app: QApplication, data: Path, folder: Path) -> None:
        from desktop.ui.app import GuiSession
        from desktop.ui.common.messages import RecordingMessages

        self.app = app
        self.folder = folder
        self.messages = RecordingMessages()
        data.mkdir()
        self.session: GuiSession = GuiSession(data, self.messages, demo=True)
        self.opened = _Fired(self.session.opened)
        self.logged_in = _Fired(self.session.logged_in)
        self.checked = _Fired(self.session.checked)

    def run(self) -> None:
        session = self.session
        try:
            session.start()
            self._wait(lambda: self.opened.count > 0, "the registry to open")
            self._save(self._login_dialog(), "login.png")
            self._log_in("demo-coordinator")
            self._wait(lambda: self.checked.count > 0, "the installation check")
            self._patient_list()
            self._screening()
            self._trials()
            self._candidates()
            self._lock()
            self._signing()
            self._admin()
            if self.messages.messages:
                raise ShotError(f"the app said: {self.messages.messages}")
        finally:
            session.shutdown()
            session.window.close()
            self.app.processEvents()

    # -- steps --------------------------------------------------------------------

    def _login_dialog(self) -> LoginDialog:
        from desktop.ui.session.login_dialog import LoginDialog

        controller = self.session.session
        dialog = controller.dialog if controller is not None else None
        if not isinstance(dialog, LoginDialog):
            raise ShotError(f"no login window showing (found {dialog!r})")
        return dialog

    def _log_in(self, user_id: str) -> None:
        from desktop.services.demo import DEMO_PASSWORD

        dialog = self._login_dialog()
        before = self.logged_in.count
        dialog.user_id.setText(user_id)
        dialog.password.setText(DEMO_PASSWORD)
        dialog.attempt()
        self._wait(lambda: self.logged_in.count > before, f"{user_id} to log in")
        mrn_check = self.session.mrn_check
        if mrn_check is not None:
            mrn_check.wait()
        self.app.processEvents()

    def _patient_list(self) -> None:
        window = self.session.window
        context = window._context
        if context is None:
            raise ShotError("the main window has no screening context after login")
        now = datetime.combine(date.today(), CLOCK)
        context.clock = lambda: now
        window.resize(1000, 440)
        window.table.selectRow(2)
        window.statusBar().clearMessage()
        self._save(window, "main-window.png")

    def _screening(self) -> None:
        from desktop.services.demo import demo_mrn

        window = self.session.window
        mrns = [getattr(window.model.patient_at(r), "mrn", None)
                for r in range(window.model.rowCount())]
        row = mrns.index(demo_mrn(2)) if demo_mrn(2) in mrns else None
        if row is None:
            raise ShotError(f"{demo_mrn(2)} is not in the patient list")
        window.table.selectRow(row)
        view = window.open_selected()
        if view is None:
            raise ShotError(f"the patient view of {demo_mrn(2)} did not open")
        view.resize(1200, 860)
        self._save(view, "patient-view.png")
        shown = view.lower_tabs.currentIndex()
        view.lower_tabs.setCurrentWidget(view.other_trials)
        self._save(view, "other-trials.png")
        view.lower_tabs.setCurrentIndex(shown)
        form = view.open_selected_stage()
        if form is None:
            raise ShotError("the visit form did not open")
        form.resize(1280, 800)
        self._save(form, "visit-form.png")
        from desktop.ui.screening.visit_form import VisitForm

        if not isinstance(form, VisitForm):
            raise ShotError(f"the stage opened {form!r}, not a visit form")
        self._worksheet_page(form.visit.id)
        form.close()
        view.close()

    def _trials(self) -> None:
        from desktop.ui.trials.trials_view import TrialsWindow

        self.session.window.open_trials()
        self.app.processEvents()
        trials = next((w for w in self.session.window.findChildren(TrialsWindow)
                       if w.isVisible()), None)
        if trials is None:
            raise ShotError("the trial library did not open")
        trials.resize(1400, 850)
        self.app.processEvents()
        trials.view.select_stage("NCT06152809", "screening-1")
        trials.view.select_criterion("hma-venetoclax")
        self._save(trials, "trials-view.png")
        trials.close()

    def _candidates(self) -> None:
        """Trials → Find candidates… for NCT06152809 over the demo's patients."""
        from desktop.ui.trials.candidates_dialog import CandidatesDialog

        dialog = self.session.window.open_candidates()
        if not isinstance(dialog, CandidatesDialog):
            raise ShotError(f"Find candidates did not open ({dialog!r})")
        done = _Fired(dialog.search_done)
        dialog.choose_trial("NCT06152809")
        dialog.start()
        self._wait(lambda: done.count > 0, "the candidate search to end")
        self._save(dialog, "find-candidates.png")
        dialog.close()

    def _lock(self) -> None:
        from desktop.services.demo import DEMO_PASSWORD

        controller = self.session.session
        assert controller is not None
        controller.lock()
        screen = self._login_dialog()
        if screen.locked_by is None:
            raise ShotError("lock() showed no lock screen")
        self._save(screen, "lock-screen.png")
        screen.password.setText(DEMO_PASSWORD)
        screen.attempt()
        self._wait(lambda: not controller.locked, "the session to resume")
        controller.logout()
        self.app.processEvents()

    def _signing(self) -> None:
        """As demo-investigator: DEMO-0002's pre-lymphodepletion visit completed (its
        answers given first, through the service), the confirmation's signing dialog,
        then the visit after its AST was corrected, signed."""
        from desktop.services.demo import DEMO_PASSWORD, demo_mrn
        from desktop.services.rows import ObservationInput
        from desktop.ui.screening.visit_form import VisitForm

        self._log_in("demo-investigator")
        window = self.session.window
        context = window._context
        if context is None:
            raise ShotError("the main window has no screening context after login")
        now = datetime.combine(date.today(), CLOCK)
        context.clock = lambda: now
        mrns = [getattr(window.model.patient_at(r), "mrn", None)
                for r in range(window.model.rowCount())]
        if demo_mrn(2) not in mrns:
            raise ShotError(f"{demo_mrn(2)} is not in the patient list")
        window.table.selectRow(mrns.index(demo_mrn(2)))
        view = window.open_selected()
        if view is None:
            raise ShotError(f"the patient view of {demo_mrn(2)} did not open")
        summary = view.selected_summary()
        if summary is None:
            raise ShotError(f"{demo_mrn(2)} has no screening")
        screenings = context.screenings
        visit = next((v for v in screenings.visits(summary.screening.id)
                      if v.stage_id == "pre-lymphodepletion" and v.status == "draft"), None)
        if visit is None:
            raise ShotError("the demo's pre-lymphodepletion visit is not a draft")
        for criterion_id in ANSWERS:
            screenings.set_answer(visit.id, criterion_id, "yes", "", "demo")
        if screenings.complete(visit.id).decision != "eligible":
            raise ShotError("the demo's pre-lymphodepletion visit did not complete eligible")
        view.reload()
        row = next(i for i, v in enumerate(summary.slots) if v.slot.stage.id == visit.stage_id)
        view.slots.selectRow(row)
        form = view.open_selected_stage()
        if not isinstance(form, VisitForm):
            raise ShotError("the completed visit form did not open")
        form.resize(1280, 800)
        form.sign_button.click()
        dialog = form.signing_dialog
        if dialog is None:
            raise ShotError(f"no signing dialog ({form.sign_button.toolTip()})")
        dialog.user_id.setText("demo-investigator")
        dialog.password.setText(DEMO_PASSWORD)
        self.app.processEvents()
        dialog.adjustSize()
        self._save(dialog, "signing-dialog.png")
        dialog.sign()
        if dialog.saved is None:
            raise ShotError(f"the signature was refused: {dialog.error.text()}")
        if not form.print_worksheet() or form.worksheet_printing.preview is None:
            raise ShotError("the signed worksheet's print preview did not open")
        preview = form.worksheet_printing.preview
        self._save(preview, "print-preview.png")
        preview.reject()
        form.close()

        ast = screenings.observations(view.patient.id, "ast")[0]
        screenings.update_observation(ast.id, ObservationInput(
            "ast", "130", ast.unit, ast.at, ast.uln, "corrected after re-assay"),
            expected=ast.version, reason="re-assayed: the first sample was haemolysed")
        form = view._open_form(summary, visit.id)
        if not isinstance(form, VisitForm):
            raise ShotError("the signed visit form did not open again")
        form.resize(1280, 800)
        self._save(form, "data-changed-since-signing.png")
        form.close()
        view.close()
        controller = self.session.session
        assert controller is not None
        controller.logout()
        self.app.processEvents()

    def _admin(self) -> None:
        from desktop.ui.admin.admin_window import AdminWindow

        self._log_in("demo-admin")
        admin = self.session.window.open_admin()
        if not isinstance(admin, AdminWindow):
            raise ShotError(f"the administration window did not open ({admin!r})")
        admin.resize(1280, 720)
        tabs = {admin.tabs.tabText(i).replace("&", ""): i for i in range(admin.tabs.count())}
        for text, name in ADMIN_TABS.items():
            if text not in tabs:
                raise ShotError(f"the administration window has no {text!r} tab ({tabs})")
            admin.tabs.setCurrentIndex(tabs[text])
            if admin.audit_tab is not None and text == "Audit trail":
                admin.audit_tab.select_action("observation.update")  # a result corrected
            self._save(admin, name)
        admin.close()

    # -- helpers ------------------------------------------------------------------

    def _wait(self, done: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while not done():
            if time.monotonic() > deadline:
                raise ShotError(f"timed out after {TIMEOUT_S:.0f} s waiting for {what}")
            self.app.processEvents()
            time.sleep(0.01)

    def _worksheet_page(self, visit_id: int) -> None:
        """Page 1 of the visit's worksheet as the form's Export worksheet… writes it."""
        import shutil
        import subprocess

        pdftoppm = shutil.which("pdftoppm")
        context = self.session.window._context
        if pdftoppm is None or context is None:
            print(f"skipped {WORKSHEET_SHOT}: pdftoppm (poppler-utils) is not installed")
            return
        _data, built = context.worksheets.build(visit_id)
        with tempfile.TemporaryDirectory(prefix="nkscreen-worksheet-") as folder:
            pdf = Path(folder) / "worksheet.pdf"
            pdf.write_bytes(built.pdf)
            subprocess.run([pdftoppm, "-r", "70", "-f", "1", "-l", "1", "-png",
                            "-singlefile", str(pdf), str(Path(folder) / "page")],
                           check=True)
            shutil.copyfile(Path(folder) / "page.png", self.folder / WORKSHEET_SHOT)
        print(f"wrote {self.folder / WORKSHEET_SHOT}")

    def _save(self, widget: QWidget, name: str) -> None:
        from desktop.ui.common.fitting import fit_window

        fit_window(widget)  # as the window would open on this screen
        self.app.processEvents()
        path = self.folder / name
        if not widget.grab().save(str(path)):
            raise ShotError(f"could not write {path}")
        print(f"wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
