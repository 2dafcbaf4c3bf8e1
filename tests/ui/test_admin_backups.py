"""The "Backups" tab of the administration window: back up now, restore (checked, an older
copy only with a reason, the session ended first and the app closed after), the schedule,
and the scheduled backup made while the app runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor
from desktop.registry.backup import read_manifest
from desktop.registry.database import Registry
from desktop.services.accounts import AccountService
from desktop.services.backup import BackupService, Restored
from desktop.services.delegations import DelegationService
from desktop.services.logs import LogService
from desktop.services.passwords import fast_hasher
from desktop.ui.admin.admin_window import AdminWindow
from desktop.ui.admin.backup_tab import BackupTab
from desktop.ui.common.backup_schedule import ScheduledBackups
from desktop.ui.common.messages import RecordingMessages
from tests.backup_support import add_patients, audit_actions, patient_mrns


class Hooks:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.restored: Restored | None = None

    def before(self) -> bool:
        self.calls.append("before")
        return True

    def after(self, done: Restored) -> None:
        self.calls.append("after")
        self.restored = done


@pytest.fixture
def admin(registry: Registry) -> Actor:
    accounts = AccountService(registry, hasher=fast_hasher())
    return accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor


@pytest.fixture
def hooks() -> Hooks:
    return Hooks()


OpenTab = Callable[..., BackupTab]


@pytest.fixture
def open_tab(qtbot: QtBot, registry: Registry, admin: Actor, messages: RecordingMessages,
             hooks: Hooks) -> OpenTab:
    kept: list[AdminWindow] = []

    def build(**choosers: Callable[..., str | None]) -> BackupTab:
        window = AdminWindow(AccountService(registry), DelegationService(registry), admin,
                             [], messages, logs=LogService(registry, admin),
                             backup=BackupService(registry),
                             before_restore=hooks.before, after_restore=hooks.after)
        qtbot.addWidget(window)
        kept.append(window)
        window.show()
        qtbot.waitExposed(window)
        tab = window.backup_tab
        assert tab is not None
        window.tabs.setCurrentWidget(tab)
        for name, chooser in choosers.items():
            setattr(tab, f"_{name}", chooser)
        return tab

    return build


def test_back_up_now_writes_the_copy_and_says_so(qtbot: QtBot, open_tab: OpenTab,
                                                 registry: Registry, tmp_path: Path) -> None:
    add_patients(registry, 0, 2)
    target = tmp_path / "mine.sqlite3"
    tab = open_tab(save_file=lambda _parent: str(target))
    qtbot.mouseClick(tab.backup_button, Qt.MouseButton.LeftButton)
    manifest = read_manifest(target)
    assert patient_mrns(target) == ["P00000", "P00001"]
    assert f"row {manifest.head.seq}" in tab.status.text()
    assert manifest.sha256[:16] in tab.status.text()
    assert audit_actions(registry.path)[-1][:2] == ("admin", "registry.backup")


def test_an_older_backup_asks_a_reason_then_restores_and_closes(
        qtbot: QtBot, open_tab: OpenTab, registry: Registry, tmp_path: Path,
        messages: RecordingMessages, hooks: Hooks, admin: Actor) -> None:
    add_patients(registry, 0, 1)
    copy = tmp_path / "copy.sqlite3"
    BackupService(registry).backup_now(admin, copy)
    add_patients(registry, 10, 1)
    tab = open_tab(open_file=lambda _parent: str(copy))
    messages.reason = None  # first: the administrator gives no reason
    qtbot.mouseClick(tab.restore_button, Qt.MouseButton.LeftButton)
    assert [m.kind for m in messages.messages] == ["reason"]
    assert "older than the registry in use" in messages.messages[0].text
    assert tab.status.text() == "Restore cancelled."
    assert hooks.calls == []
    assert "P00010" in patient_mrns(registry.path)

    messages.messages.clear()
    messages.reason = "the second patient was entered here by mistake"
    qtbot.mouseClick(tab.restore_button, Qt.MouseButton.LeftButton)
    assert [m.kind for m in messages.messages] == ["reason", "confirm"]
    confirm = messages.messages[1].text
    assert "passes the audit trail check" in confirm
    assert "NK Screen then closes" in confirm
    assert hooks.calls == ["before", "after"]
    assert patient_mrns(registry.path) == ["P00000"]
    actor, action, details = audit_actions(registry.path)[-1]
    assert (actor, action) == ("admin", "registry.restore")
    assert details["reason"] == "the second patient was entered here by mistake"
    assert hooks.restored is not None
    assert hooks.restored.safety_copy is not None


def test_a_changed_backup_is_refused_before_anything_is_asked(
        qtbot: QtBot, open_tab: OpenTab, registry: Registry, tmp_path: Path,
        messages: RecordingMessages, hooks: Hooks) -> None:
    copy = tmp_path / "copy.sqlite3"
    tab = open_tab(save_file=lambda _parent: str(copy), open_file=lambda _parent: str(copy))
    qtbot.mouseClick(tab.backup_button, Qt.MouseButton.LeftButton)
    with open(copy, "r+b") as handle:
        handle.seek(200)
        handle.write(b"\x01")
    qtbot.mouseClick(tab.restore_button, Qt.MouseButton.LeftButton)
    assert [(m.kind, m.title) for m in messages.messages] == [("error", "Backup not restored")]
    assert "does not match its manifest" in messages.messages[0].text
    assert hooks.calls == []


def test_the_schedule_is_shown_and_saved(qtbot: QtBot, open_tab: OpenTab,
                                         registry: Registry, tmp_path: Path,
                                         messages: RecordingMessages) -> None:
    tab = open_tab(choose_folder=lambda _parent: str(tmp_path / "usb"))
    assert tab.folder.text() == ""
    assert tab.folder.placeholderText() == str(registry.path.parent / "backups")
    assert (tab.interval.value(), tab.keep.value()) == (24, 30)
    assert tab.last.text() == "none yet"
    qtbot.mouseClick(tab.choose_button, Qt.MouseButton.LeftButton)
    tab.interval.setValue(12)
    tab.keep.setValue(14)
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert tab.status.text() == "Backup schedule saved."
    schedule = BackupService(registry).schedule()
    assert schedule.folder == tmp_path / "usb"
    assert schedule.keep == 14
    tab.folder.setText("relative")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert messages.messages[-1].title == "Backup schedule not saved"
    assert messages.messages[-1].text.startswith("Backup folder:")


def test_the_running_app_makes_the_scheduled_backup(qtbot: QtBot, registry: Registry,
                                                    messages: RecordingMessages) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    backups = ScheduledBackups(BackupService(registry), messages, window).start()
    folder = registry.path.parent / "backups"
    qtbot.waitUntil(lambda: "Scheduled backup made" in window.statusBar().currentMessage())
    made = sorted(folder.glob("nkscreen-backup-*.sqlite3"))
    assert len(made) == 1
    backups.check()  # not due again
    backups.stop()
    assert sorted(folder.glob("nkscreen-backup-*.sqlite3")) == made
    assert messages.messages == []


def test_restoring_in_the_app_ends_the_session_then_closes_the_app(
        qtbot: QtBot, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        messages: RecordingMessages) -> None:
    from desktop.registry.database import open_registry
    from tests.ui.session_support import log_in, opened_session

    seeded = open_registry(data_dir)
    try:
        admin = AccountService(seeded, hasher=fast_hasher()).create_first_admin(
            "admin", "Ada Admin", "admin password 1").actor
        add_patients(seeded, 0, 1)
        copy = tmp_path / "copy.sqlite3"
        BackupService(seeded).backup_now(admin, copy)
    finally:
        seeded.close()
    quits: list[bool] = []
    monkeypatch.setattr("desktop.ui.admin.opening.quit_app", lambda: quits.append(True))
    session = opened_session(qtbot, data_dir, messages)
    try:
        log_in(qtbot, session, "admin", "admin password 1")
        shown = session.window.open_admin()
        assert isinstance(shown, AdminWindow)
        assert shown.backup_tab is not None
        shown.backup_tab._open_file = lambda _parent: str(copy)
        qtbot.mouseClick(shown.backup_tab.restore_button, Qt.MouseButton.LeftButton)
        assert session.session is not None
        assert session.session.actor is None  # logged out before the copy went in
        assert quits == [True]
        info = [m for m in messages.messages if m.kind == "info"]
        assert [m.title for m in info] == ["Backup restored"]
        assert "start it again" in info[0].text
        restored = [row[1] for row in audit_actions(data_dir / "nkscreen.sqlite3")]
        assert restored[-1] == "registry.restore"
        (safety,) = data_dir.glob("nkscreen-before-restore-*.sqlite3")
        replaced = [row[1] for row in audit_actions(safety)]
        assert replaced[-1] == "logout"  # the session ended in the registry it worked on
        assert "logout" not in restored
    finally:
        session.shutdown()
