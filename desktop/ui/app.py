"""Start the GUI: paint the main window first, then open the registry in the background.

Startup order is the point of this module. The window and an empty patient table are
shown while only Qt is imported; after the first paint a worker thread opens the
registry, so the window stays responsive, and the repository is handed to the window
back on the GUI thread, which fills the list. A registry already at the current schema
opens and lists with the stdlib ``sqlite3`` module alone; only a new or older one
loads Alembic (and SQLAlchemy) on the worker to migrate it. Once the list is shown, a
second background operation warms up the write path (SQLAlchemy, SQLModel, the ORM
mappers) so the first save does not stall the window, and the scheduled backup is made if
it is due (checked again every hour; not in the demo or a smoke run).
``--smoke`` runs the same path, then closes and reports on standard output, including
which heavy modules were loaded when the list was filled.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from desktop import APP_ID, APP_NAME, paths
from desktop.ui.common.errors import LOG_FILE, ExceptionHook, report_unexpected
from desktop.ui.common.fitting import WindowFitter, fit_window
from desktop.ui.common.messages import MessageService, StderrMessages
from desktop.ui.common.operations import Operation
from desktop.ui.common.settings import UiSettings
from desktop.ui.patients.main_window import MainWindow

if TYPE_CHECKING:
    from desktop.domain.accounts import Actor
    from desktop.services.accounts import AccountService
    from desktop.services.rows import Registry
    from desktop.services.site_settings import SiteValues
    from desktop.ui.admin.audit_warning import AuditCheckAtStart
    from desktop.ui.common.backup_schedule import ScheduledBackups
    from desktop.ui.patients.mrn_problems_dialog import MrnCheck
    from desktop.ui.session.controller import SessionController

EXIT_OK = 0
EXIT_REGISTRY_FAILED = 1
EXIT_UNEXPECTED = 2
EXIT_INSTALL_BROKEN = 3

#: Modules the list must be filled without (reported by ``--smoke``).
HEAVY_MODULES = ("alembic", "pydantic", "sqlalchemy", "sqlmodel")


@dataclass(frozen=True)
class _Opened:
    registry: Registry
    accounts: AccountService
    #: The previous release's site.json: why it could not be imported / what happened.
    site_problem: str | None = None
    site_note: str | None = None
    #: The site's settings (idle-lock minutes, zone, name), read on the worker.
    site: SiteValues | None = None


@dataclass(frozen=True)
class InstallProblems:
    """What is wrong with the installation's files, each a sentence naming file and field.

    ``library``: the trial library is missing, empty or has a file that does not validate
    (screening cannot work). ``site``: ``site.json`` is unusable (the app runs without
    site ULNs: criteria that need one ask for the institution's ULN).
    """

    library: str | None = None
    site: str | None = None
    #: What happened to the previous release's ``site.json`` (imported, or changed since).
    site_note: str | None = None


def check_install(data_dir: Path) -> InstallProblems:
    """Read the trial library as the screening windows will."""
    from desktop.library import TrialFileError, load_library

    library = None
    try:
        load_library()
    except TrialFileError as exc:
        library = str(exc)
    return InstallProblems(library)


def import_site_file(registry: Registry, data_dir: Path) -> tuple[str | None, str | None]:
    """The previous release's ``site.json``, imported into the registry once (the
    registry holds the site's settings now): (problem, note), each a sentence or None."""
    if not (data_dir / "site.json").is_file():
        return None, None
    from desktop.services.site_settings import SiteSettingError, SiteSettingsService

    try:
        return None, SiteSettingsService(registry).import_previous_site_file(data_dir)
    except SiteSettingError as exc:
        return str(exc), None


class GuiSession(QObject):
    """One run of the GUI on one data folder: the window, the registry, the exit code.

    ``run_gui`` builds one with real message boxes and quits the application on
    ``finished``; tests build one with ``RecordingMessages`` and wait for its signals.
    ``opened`` fires once the registry is open and the first-run or login window is up;
    ``logged_in`` once a user has logged in and the patient list is filled for them.
    """

    opened = Signal()
    logged_in = Signal()
    #: The trial library and site file have been checked (after ``opened``).
    checked = Signal()
    finished = Signal(int)

    def __init__(self, data_dir: Path, messages: MessageService, *, smoke: bool = False,
                 demo: bool = False) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.messages = messages
        self.smoke = smoke
        self.demo = demo
        self.session: SessionController | None = None
        self._titles: QObject | None = None
        self._site_import: _Opened | None = None
        self.exit_code = EXIT_OK
        self.registry: Registry | None = None
        self.started_at = time.monotonic()
        self.painted_at: float | None = None
        self._operation: Operation[_Opened] | None = None
        self._warm_up: Operation[None] | None = None
        self._documents: Operation[None] | None = None
        self._install: Operation[InstallProblems] | None = None
        self.install_problems: InstallProblems | None = None
        self.mrn_check: MrnCheck | None = None
        self.audit_check: AuditCheckAtStart | None = None
        self.backups: ScheduledBackups | None = None
        # Settings live in the data folder; if that is unusable, the registry error
        # below says why, and the window simply starts with default geometry.
        self.window = MainWindow(UiSettings(data_dir), messages)
        self.window.first_painted.connect(self._painted)
        #: Every window and dialog opens inside the screen (:mod:`.common.fitting`):
        #: installed once the login window is up (see ``start``).
        self._fitter: WindowFitter | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE

    def start(self) -> None:
        # The main window is fitted here and the first login or first-run window when it
        # is up; every later window by the fitter, installed then: an application-wide
        # Python event filter sees every event, and the first of each kind builds its
        # PySide6 enum classes (some 30 ms that would otherwise delay the first paint
        # and the login window).
        fit_window(self.window)
        self.window.show()

    def shutdown(self) -> None:
        """Wait for a running open (never cut a migration short) and warm-up, then close
        the registry."""
        if self.backups is not None:
            self.backups.stop()
        if self.session is not None:
            self.session.close_for_quit()
        if self._titles is not None:  # the demo's title marks end with its session
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self._titles)
            self._titles = None
        for operation in (self._operation, self._warm_up, self._documents, self._install,
                          self.mrn_check, self.audit_check):
            if operation is not None:
                operation.wait()
        if self.registry is not None:
            self.registry.close()
            self.registry = None

    # -- startup sequence ------------------------------------------------------

    def _painted(self) -> None:
        self.painted_at = time.monotonic()
        if self.smoke:
            self._report("first paint", self.painted_at)
        # Let the paint reach the screen before the heavy imports start.
        QTimer.singleShot(0, self._open_registry)

    def _open_registry(self) -> None:
        self.window.statusBar().showMessage("Opening registry…")
        self._operation = Operation(self._open_in_worker, on_success=self._opened,
                                    on_failure=self._failed).start()

    def _open_in_worker(self) -> _Opened:
        """Runs on the worker thread: open (migrating if needed), demo data. No widgets here.

        At the current schema this imports neither SQLAlchemy nor Alembic.
        """
        from desktop.registry.database import open_registry
        from desktop.services.accounts import AccountService

        registry = open_registry(self.data_dir)
        self.registry = registry  # so shutdown() closes it even if the loop has stopped
        if self.demo:
            from desktop.library import load_library
            from desktop.services.demo import (
                seed_demo,
                seed_demo_accounts,
                seed_demo_screenings,
            )

            trials = {t.id: t for t in load_library()}
            seed_demo_accounts(registry, trials)  # refuses a site's registry
            seed_demo(registry, user="demo-coordinator")
            seed_demo_screenings(registry, trials, paths.trials_dir() / "examples",
                                 user="demo-coordinator")
        problem, note = import_site_file(registry, self.data_dir)
        from desktop.services.site_settings import SiteSettingsService

        site = SiteSettingsService(registry).values()
        return _Opened(registry, AccountService(registry), problem, note, site)

    def _opened(self, opened: _Opened) -> None:
        opened_at = time.monotonic()
        from desktop.ui.session.controller import SessionController

        banner = ""
        if self.demo:
            from desktop.services.demo import demo_banner
            from desktop.ui.common.demo_titles import DemoTitles

            banner = demo_banner()
            self._titles = DemoTitles(self.window)
        self._site_import = opened
        site = opened.site
        assert site is not None
        if site.time_zone:
            from desktop.zone import use_site_zone

            use_site_zone(site.time_zone)
        session = SessionController(opened.accounts, self.messages, self.window,
                                    banner=banner, idle_minutes=site.idle_lock_minutes,
                                    site=site.site_name)
        session.logged_in.connect(self._logged_in)
        session.ending.connect(self._ending)
        session.waiting.connect(self._waiting)
        self.session = session
        self.window.set_session(session)
        if self.smoke:
            self._report("registry opened", opened_at)
        self.window.statusBar().showMessage("Registry open: log in to see the patients.")
        session.begin()
        # The registry against its audit trail, off the GUI thread; the administrator is
        # warned at login if it fails.
        from desktop.ui.admin.audit_warning import AuditCheckAtStart

        self.audit_check = AuditCheckAtStart(self.data_dir, self.messages,
                                             lambda: self.window).start()
        self.opened.emit()
        # While the user types their password, off the GUI thread: what the first save
        # would otherwise import and build while the user waits.
        self._warm_up = Operation(opened.registry.warm_up, on_success=self._warmed_up,
                                  on_failure=self._warm_up_failed).start()
        if not self.smoke and not self.demo:  # the scheduled backup: now if due, then hourly
            from desktop.services.backup import BackupService
            from desktop.ui.common.backup_schedule import ScheduledBackups

            self.backups = ScheduledBackups(BackupService(opened.registry), self.messages,
                                            self.window).start()

    def _waiting(self, what: str) -> None:
        if self.smoke:
            heavy = [name for name in HEAVY_MODULES if name in sys.modules]
            self._report(f"{what} window shown", time.monotonic())
            print(f"smoke: heavy modules loaded when shown: {', '.join(heavy) or 'none'}",
                  flush=True)
        self._fit_every_window()

    def _fit_every_window(self) -> None:
        """Install the fitter (once), fitting the session window already up, if any."""
        if self._fitter is not None:
            return
        shown = self.session.dialog if self.session is not None else None
        if shown is not None:
            fit_window(shown)
        self._fitter = WindowFitter(self)

    def _logged_in(self, actor: Actor) -> None:
        """A user logged in: their services, and the patient list filled for them."""
        from desktop.services.patients import PatientService
        from desktop.ui.common.context import ScreeningContext

        registry = self.registry
        assert registry is not None
        patients = PatientService.open(registry, actor)
        context = ScreeningContext(registry=registry, user=actor.user_id, actor=actor,
                                   patients=patients, messages=self.messages,
                                   data_dir=self.data_dir)
        self.window.set_repository(patients, str(registry.path), context)
        self.window.statusBar().showMessage(
            f"Logged in as {actor.full_name} ({actor.roles_label}). Registry: {registry.path}",
            10000)
        if patients.may_change:  # MRNs sharing a key or breaking the rules, to resolve
            from desktop.ui.patients.mrn_problems_dialog import MrnCheck

            self.mrn_check = MrnCheck(self.window, patients, self.messages,
                                      self.window.model.refresh).start()
        if self.audit_check is not None:
            self.audit_check.logged_in(actor)
        from desktop.ui.common.heap import prepare_documents

        self._documents = prepare_documents()  # fonts, modules, a settled heap: heap.py
        self.logged_in.emit()

    def _ending(self, actor: Actor) -> None:
        """``actor``'s session ends: their windows save what they can and close; what
        could not be kept is said (it is gone: a result typed without its time)."""
        if self.audit_check is not None:
            self.audit_check.logged_in(None)
        lost = self.window.end_session()
        if lost:
            self.messages.error(self.window, "Entries not kept",
                                f"{actor.full_name}'s session ended with entries that "
                                "could not be saved (a result is saved only with the time "
                                "it was taken):\n\n" + "\n".join(lost))

    def _warmed_up(self, _result: None) -> None:
        if self.smoke:
            self._report("ready to save", time.monotonic())
        # Then, still off the GUI thread: are the trial library and site.json usable?
        self._install = Operation(lambda: check_install(self.data_dir),
                                  on_success=self._install_checked,
                                  on_failure=self._warm_up_failed).start()

    def _install_checked(self, problems: InstallProblems) -> None:
        site = self._site_import
        if site is not None:
            problems = InstallProblems(problems.library, site.site_problem, site.site_note)
        self.install_problems = problems
        if problems.library is not None:
            self.messages.error(self.window, f"{APP_NAME}: the trial library cannot be used",
                                "Screening is not possible until the trial library is "
                                f"repaired (reinstall NK Screen, or fix the file):\n\n"
                                f"{problems.library}")
        if problems.site is not None:
            self.messages.error(self.window, f"{APP_NAME}: site settings ignored",
                                "The previous release's site settings file could not be "
                                "imported, so NK Screen runs with the registry's site "
                                "settings (criteria that need a ULN the site has not set "
                                "will ask for the institution's ULN). Fix the file and "
                                "restart, or set the values in Administration > Site "
                                f"settings:\n\n{problems.site}")
        elif problems.site_note is not None:
            self.window.statusBar().showMessage(problems.site_note, 15000)
        self.checked.emit()
        if self.smoke and self.registry is not None:
            if problems.library is not None:
                self._quit(EXIT_INSTALL_BROKEN)
                return
            print(f"smoke ok: {self.registry.path}", flush=True)
            self._quit(EXIT_OK)

    def _warm_up_failed(self, error: BaseException) -> None:
        # Saving would fail the same way; say so now rather than at the first save.
        report_unexpected(self.messages, self.log_path, error,
                          "Unexpected error while preparing the registry for changes")
        if self.smoke:
            self._quit(EXIT_UNEXPECTED)

    def _failed(self, error: BaseException) -> None:
        from desktop.registry.database import RegistryError

        self.window.statusBar().showMessage("The registry could not be opened.")
        self._fit_every_window()
        if isinstance(error, RegistryError):
            self.messages.error(self.window, f"{APP_NAME} cannot start",
                                f"The patient registry could not be opened.\n\n{error}")
            self._quit(EXIT_REGISTRY_FAILED)
        else:
            report_unexpected(self.messages, self.log_path, error,
                              "Unexpected error while opening the registry")
            self._quit(EXIT_UNEXPECTED)

    def unexpected(self, error: BaseException) -> None:
        """Called by the exception hook: a smoke run fails on any unexpected error. Should
        one stop the start before the login window, every later window is still fitted."""
        self._fit_every_window()
        if self.smoke:
            self._quit(EXIT_UNEXPECTED)

    def _quit(self, code: int) -> None:
        self.exit_code = code
        self.finished.emit(code)
        self.window.close()

    def _report(self, what: str, at: float) -> None:
        print(f"smoke: {what:<24} +{at - self.started_at:.3f} s  (monotonic {at:.6f})",
              flush=True)


def _application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_ID)
    icon = paths.resource("icons", "nkscreen.png")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def run_gui(data_dir: Path, *, smoke: bool = False, demo: bool = False) -> int:
    """Show the main window on ``data_dir`` and run until it closes; the exit code.

    ``smoke``: close as soon as the window has painted and the registry is open and
    listed; errors go to standard error instead of message boxes. ``demo``: add the
    fictional demo patients first (idempotent).
    """
    app = _application()
    messages: MessageService = StderrMessages() if smoke else MessageService()
    session = GuiSession(data_dir, messages, smoke=smoke, demo=demo)
    session.finished.connect(app.exit)
    with ExceptionHook(messages, session.log_path, on_error=session.unexpected):
        try:
            session.start()
            code = app.exec()
        finally:
            session.shutdown()
    return session.exit_code or code
