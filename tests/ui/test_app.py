"""Startup: paint first, then open the registry; errors become messages; ``--smoke``."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from desktop.registry.database import Registry
from desktop.services.accounts import AccountService
from desktop.services.passwords import fast_hasher
from desktop.ui.admin.delegations_tab import DelegationsTab
from desktop.ui.admin.opening import DelegationLogWindow
from desktop.ui.app import EXIT_OK, EXIT_REGISTRY_FAILED, GuiSession
from desktop.ui.common.errors import LOG_FILE, ExceptionHook
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.common.operations import Operation
from desktop.ui.session.login_dialog import LoginDialog
from desktop.ui.session.password_dialogs import FirstAdminDialog, RecoveryCodeDialog
from tests.conftest import REPO_ROOT
from tests.ui.conftest import AddPatient
from tests.ui.session_support import log_in, opened_session

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "reportlab")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, env=env or os.environ.copy(), check=False)


def test_demo_opens_its_own_registry_with_a_login_per_role(
        qtbot: QtBot, data_dir: Path, messages: RecordingMessages) -> None:
    session = opened_session(qtbot, data_dir, messages, demo=True)
    try:
        assert session.painted_at is not None
        assert session.session is not None
        dialog = session.session.dialog
        assert isinstance(dialog, LoginDialog)
        banner = dialog.findChild(QLabel, "demo_banner")
        assert banner is not None
        assert "demo-coordinator" in banner.text()
        assert "nkscreen-demo" in banner.text()
        assert session.window.model.rowCount() == 0  # nothing shown before a login
        log_in(qtbot, session, "demo-coordinator", "nkscreen-demo")
        assert session.window.model.rowCount() == 12
        assert session.window.new_action.isEnabled()
        assert session.window.windowTitle().startswith("DEMO — ")
        assert "Demo Coordinator" in session.window.windowTitle()
        assert messages.messages == []
    finally:
        session.shutdown()


def test_demo_monitor_sees_patients_but_cannot_change_them(
        qtbot: QtBot, data_dir: Path, messages: RecordingMessages, tmp_path: Path) -> None:
    session = opened_session(qtbot, data_dir, messages, demo=True)
    try:
        log_in(qtbot, session, "demo-monitor", "nkscreen-demo")
        window = session.window
        assert window.model.rowCount() == 12
        window.table.selectRow(0)
        assert not window.new_action.isEnabled()
        assert not window.edit_action.isEnabled()
        assert window.new_action.toolTip() == ("Logged in as Monitor / auditor (read-only): "
                                               "you can see patients but not change them.")
        assert window.screening_action.isEnabled()  # reading is allowed
        # The delegation log: a monitor sees it and exports it, and changes nothing.
        log = window.open_delegation_log()
        assert isinstance(log, DelegationLogWindow)
        tab = log.tab
        assert isinstance(tab, DelegationsTab)
        assert tab.model.rowCount() == 5  # the demo investigator, every trial
        assert not tab.add_button.isEnabled()
        assert tab.add_button.toolTip() == ("Only an administrator records or revokes "
                                            "delegations.")
        target = tmp_path / "log.csv"
        tab.choose_path = lambda _parent, _suggested: str(target)
        assert tab.export_log()
        qtbot.waitUntil(lambda: not tab.export.running, timeout=30_000)
        assert target.read_text(encoding="utf-8-sig").startswith("Line,User id,Name,Trial")
        log.close()
    finally:
        session.shutdown()


def test_a_new_registry_asks_for_the_first_admin(
        qtbot: QtBot, data_dir: Path, messages: RecordingMessages) -> None:
    session = opened_session(qtbot, data_dir, messages)
    try:
        assert session.session is not None
        first = session.session.dialog
        assert isinstance(first, FirstAdminDialog)
        first.user_id.setText("admin")
        first.full_name.setText("Ada Admin")
        first.password.setText("admin password 1")
        first.again.setText("admin password 1")
        first.submit()
        shown = session.session.dialog
        assert isinstance(shown, RecoveryCodeDialog)
        assert not shown.ok.isEnabled()  # not before the code is kept
        shown.kept.setChecked(True)
        with qtbot.waitSignal(session.logged_in, timeout=30_000):
            qtbot.mouseClick(shown.ok, Qt.MouseButton.LeftButton)
        assert "Ada Admin" in session.window.windowTitle()
        # An administrator alone enters no data; the Account menu offers administration.
        assert not session.window.new_action.isEnabled()
        assert session.window.account_menu is not None
        assert session.window.account_menu.admin.isEnabled()
    finally:
        session.shutdown()


def test_first_paint_happens_before_heavy_imports(data_dir: Path) -> None:
    script = f"""
import sys
from PySide6.QtWidgets import QApplication
from desktop.ui.app import GuiSession
from desktop.ui.common.messages import RecordingMessages
app = QApplication([])
session = GuiSession(__import__("pathlib").Path(sys.argv[1]), RecordingMessages())
def painted():
    print("loaded at paint:", sorted(m for m in {HEAVY!r} if m in sys.modules))
session.window.first_painted.connect(painted)
session.opened.connect(app.quit)
session.start()
app.exec()
session.shutdown()
print("loaded at end:", sorted(m for m in {HEAVY!r} if m in sys.modules))
"""
    result = run("-c", script, str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "loaded at paint: []" in result.stdout
    assert "loaded at end: ['alembic', 'sqlalchemy', 'sqlmodel']" in result.stdout


def test_unusable_data_folder_is_reported_as_a_message(
        qtbot: QtBot, tmp_path: Path, messages: RecordingMessages) -> None:
    not_a_folder = tmp_path / "registry"
    not_a_folder.write_text("a file, not a folder")
    session = GuiSession(not_a_folder, messages)
    qtbot.addWidget(session.window)
    with qtbot.waitSignal(session.finished, timeout=30_000) as finished:
        session.start()
    session.shutdown()

    assert finished.args == [EXIT_REGISTRY_FAILED]
    assert session.exit_code == EXIT_REGISTRY_FAILED
    [message] = messages.messages
    assert message.kind == "error"
    assert str(not_a_folder) in message.text
    assert "Traceback" not in message.text
    # No login window came up, yet the windows that follow are fitted to the screen.
    assert session._fitter is not None


def test_unexpected_error_is_logged_and_shown_briefly(data_dir: Path,
                                                      messages: RecordingMessages) -> None:
    def broken() -> None:
        raise ZeroDivisionError("division by zero")

    seen: list[BaseException] = []
    with ExceptionHook(messages, data_dir / LOG_FILE, on_error=seen.append) as hook:
        assert sys.excepthook is hook
        try:
            broken()
        except ZeroDivisionError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    assert sys.excepthook is not hook

    [message] = messages.messages
    assert "Traceback" not in message.text
    assert message.details is not None
    assert message.details.startswith("ZeroDivisionError: division by zero")
    assert "in broken" in message.details
    log = (data_dir / LOG_FILE).read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in log
    assert 'raise ZeroDivisionError("division by zero")' in log
    assert len(seen) == 1


def test_operation_calls_back_on_the_gui_thread(qtbot: QtBot) -> None:
    results: list[tuple[str, object, bool]] = []
    gui = threading.current_thread()

    def ok(value: int) -> None:
        results.append(("ok", value, threading.current_thread() is gui))

    def failed(error: BaseException) -> None:
        results.append(("failed", str(error), threading.current_thread() is gui))

    def work() -> int:
        assert threading.current_thread() is not gui
        return 42

    def fail() -> int:
        raise ValueError("no")

    Operation(work, on_success=ok, on_failure=failed).start()
    Operation(fail, on_success=ok, on_failure=failed).start()
    qtbot.waitUntil(lambda: len(results) == 2)
    assert sorted(results) == [("failed", "no", True), ("ok", 42, True)]


def test_smoke_run_exits_zero(data_dir: Path) -> None:
    result = run("-m", "desktop", "--smoke", "--data-dir", str(data_dir / "fresh"))
    assert result.returncode == EXIT_OK, result.stderr
    assert "smoke ok" in result.stdout
    assert (data_dir / "fresh" / "nkscreen.sqlite3").is_file()
    # A new registry is created by the Alembic migrations; then the first-run window.
    lines = [line.split("+")[0].strip() for line in result.stdout.splitlines()]
    assert "smoke: first run window shown" in lines
    assert ("smoke: heavy modules loaded when shown: alembic, pydantic, sqlalchemy, sqlmodel"
            in result.stdout.splitlines())


def _smoke_lines(data_dir: Path) -> list[str]:
    result = run("-m", "desktop", "--smoke", "--data-dir", str(data_dir))
    assert result.returncode == EXIT_OK, result.stderr
    return [line.split("+")[0].strip() for line in result.stdout.splitlines()]


def test_smoke_opens_a_registry_at_head_to_the_login_without_sqlalchemy(
        data_dir: Path, registry: Registry, add_patient: AddPatient) -> None:
    """The start path opens an existing registry and shows the login window with sqlite3
    alone; the write path (SQLAlchemy, SQLModel) and the trial model (pydantic) are
    loaded only after that, never Alembic. No patient is listed before a login."""
    for number in range(3):
        add_patient(f"HEAD-{number}", "Fictional")
    AccountService(registry, hasher=fast_hasher()).create_first_admin(
        "admin", "Ada Admin", "admin password 1")
    # First while this process still holds the registry open (its writes sit in the
    # write-ahead log, not yet in the main file), then after it has closed it.
    for _ in range(2):
        lines = _smoke_lines(data_dir)
        registry.close()
        shown = lines.index("smoke: login window shown")
        assert lines[shown + 1] == "smoke: heavy modules loaded when shown: none", lines
        assert lines[shown + 2] == "smoke: ready to save", lines
        assert not any("listed" in line for line in lines), lines
        assert lines[-1].startswith("smoke ok")


def test_smoke_run_fails_with_a_message_on_a_bad_data_folder(tmp_path: Path) -> None:
    bad = tmp_path / "file"
    bad.write_text("")
    result = run("-m", "desktop", "--smoke", "--data-dir", str(bad))
    assert result.returncode == EXIT_REGISTRY_FAILED
    assert str(bad) in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_trial_library_is_said_at_start(qtbot: QtBot, data_dir: Path,
                                                 messages: RecordingMessages, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NKSCREEN_TRIALS", str(tmp_path / "no-trials-here"))
    session = GuiSession(data_dir, messages)
    qtbot.addWidget(session.window)
    with qtbot.waitSignal(session.checked, timeout=30_000):
        session.start()
    session.shutdown()
    [message] = messages.messages
    assert message.kind == "error"
    assert "trial library" in message.title
    assert str(tmp_path / "no-trials-here") in message.text


def test_a_broken_site_file_is_said_at_start_and_the_app_opens(
        qtbot: QtBot, data_dir: Path, messages: RecordingMessages) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "site.json").write_text('{"uln": {"ast": 40}}', encoding="utf-8")
    session = GuiSession(data_dir, messages)
    qtbot.addWidget(session.window)
    with qtbot.waitSignal(session.checked, timeout=30_000):
        session.start()
    try:
        assert session.session is not None  # the registry is open: the first-run window
        assert isinstance(session.session.dialog, FirstAdminDialog)
        [message] = messages.messages
        assert "site settings ignored" in message.title
        assert 'site.json: uln.ast: must be an object such as {"value": 40' in message.text
    finally:
        session.shutdown()


def test_smoke_fails_on_a_broken_trial_library(data_dir: Path, tmp_path: Path) -> None:
    env = os.environ | {"NKSCREEN_TRIALS": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    result = run("-m", "desktop", "--data-dir", str(data_dir), "--smoke", env=env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "trial library" in result.stderr
    assert "smoke ok" not in result.stdout
