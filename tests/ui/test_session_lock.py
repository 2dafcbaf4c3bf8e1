"""The idle lock hides every patient's data and keeps the draft; another user's login at
the lock logs the first user out, saving their draft under their name; all audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Role
from desktop.library import find_trial
from desktop.registry.database import Registry, open_registry
from desktop.services.accounts import AccountService
from desktop.services.passwords import fast_hasher
from desktop.services.patients import PatientInput, PatientService
from desktop.services.rows import RegistryError
from desktop.ui.app import GuiSession
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.patients.patient_dialog import PatientDialog
from desktop.ui.screening.visit_form import VisitForm
from desktop.ui.session.login_dialog import LoginDialog
from desktop.ui.session.password_dialogs import (
    ChangePasswordDialog,
    RecoverDialog,
    RecoveryCodeDialog,
)
from tests.ui.screening_support import type_text
from tests.ui.session_support import PASSWORD, log_in, opened_session, seed_coordinator

TRIAL = find_trial("NCT05744440")
OTHER_PASSWORD = "investigator pw 1"


@pytest.fixture
def session(qtbot: QtBot, data_dir: Path, messages: RecordingMessages) -> Iterator[GuiSession]:
    registry = open_registry(data_dir)
    try:
        seed_coordinator(registry)
        accounts = AccountService(registry, hasher=fast_hasher())
        admin = accounts.login("admin", "admin password 1")
        made = accounts.create_account(admin, "ivy", "Dr Ivy Investigator",
                                       frozenset({Role.INVESTIGATOR}))
        first = accounts.login("ivy", made.one_time_password)
        accounts.change_password(first, made.one_time_password, OTHER_PASSWORD)
        PatientService.open(registry, "setup").add(PatientInput(
            "LOCK-1", "Fictional", "Ann", datetime(1970, 1, 1).date(), "female"))
    finally:
        registry.close()
    started = opened_session(qtbot, data_dir, messages)
    log_in(qtbot, started, "cora", PASSWORD)
    yield started
    started.shutdown()


def lock_screen(session: GuiSession) -> LoginDialog:
    assert session.session is not None
    dialog = session.session.dialog
    assert isinstance(dialog, LoginDialog)
    assert dialog.locked_by is not None
    return dialog


def visible_windows() -> list[str]:
    return sorted(w.objectName() or type(w).__name__ for w in QApplication.topLevelWidgets()
                  if w.isVisible())


def audit_actions(registry: Registry | None) -> list[tuple[str, str]]:
    assert registry is not None
    with registry.read() as conn:
        rows = conn.execute("SELECT actor, action FROM audit_event WHERE entity = 'account' "
                            "ORDER BY id").fetchall()
    return [(actor, action) for actor, action in rows]


def test_idle_lock_hides_everything_and_the_same_user_resumes_with_the_draft(
        qtbot: QtBot, session: GuiSession) -> None:
    window = session.window
    assert session.session is not None
    window.new_patient()
    dialog = window.dialog
    assert isinstance(dialog, PatientDialog)
    qtbot.waitExposed(dialog)
    type_text(qtbot, dialog.family_name, "Draftname", commit=False)

    session.session.idle.set_minutes(0.002)  # about 120 ms without a key or click
    session.session.idle.start()
    qtbot.waitUntil(lambda: session.session is not None and session.session.locked,
                    timeout=5_000)
    screen = lock_screen(session)
    assert not window.isVisible()
    assert not dialog.isVisible()
    assert visible_windows() == ["lock_screen"]  # no patient data on screen
    assert "Cora Coordinator" in screen.findChild(QPushButton, "switch_user").toolTip()

    screen.password.setText("not my password")
    qtbot.mouseClick(screen.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.error.isVisible(), timeout=10_000)
    assert not window.isVisible()
    assert "wrong" in screen.error.text()
    screen.close()  # the lock screen cannot be closed away
    assert screen.isVisible()

    screen.password.setText(PASSWORD)
    qtbot.mouseClick(screen.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.isVisible() and dialog.isVisible(), timeout=10_000)
    assert dialog.family_name.text() == "Draftname"  # the draft is still there
    assert audit_actions(session.registry)[-3:] == [
        ("cora", "session.lock"), ("cora", "unlock.failed"), ("cora", "unlock")]


def test_another_users_login_at_the_lock_logs_the_first_out_keeping_their_draft(
        qtbot: QtBot, session: GuiSession) -> None:
    context = session.window._context
    assert context is not None
    assert session.session is not None
    screenings = context.screenings
    patient = context.patients.search("LOCK")[0]
    screening = screenings.start(patient.id, TRIAL)
    visit = screenings.start_visit(screening.id, TRIAL, "screening-1")
    form = VisitForm(repository=screenings, trial=TRIAL, patient=patient, visit=visit,
                     site_uln={}, messages=RecordingMessages(), clock=context.clock)
    form.show()
    qtbot.waitExposed(form)
    row = form.result_rows["creatinine"]
    type_text(qtbot, row.value, "0.9", commit=False)
    type_text(qtbot, row.at, (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d 07:30"),
              commit=False)

    session.session.lock()
    screen = lock_screen(session)
    assert not form.isVisible()
    qtbot.mouseClick(screen.findChild(QPushButton, "switch_user"), Qt.MouseButton.LeftButton)
    other = session.session.dialog
    assert isinstance(other, LoginDialog)
    assert other.locked_by is None
    log_in(qtbot, session, "ivy", OTHER_PASSWORD)

    assert session.window.isVisible()
    assert "Dr Ivy Investigator" in session.window.windowTitle()
    assert not form.isVisible()  # Cora's windows are closed ...
    saved = [o for o in screenings.observations(patient.id) if o.code == "creatinine"]
    assert [(o.value, o.entered_by) for o in saved] == [("0.9", "cora")]  # ... kept
    actions = audit_actions(session.registry)
    assert actions[-3:] == [("cora", "session.lock"), ("ivy", "login"), ("cora", "logout")]


def test_log_out_shows_the_login_window_and_empties_the_list(
        qtbot: QtBot, session: GuiSession) -> None:
    assert session.session is not None
    assert session.window.model.rowCount() == 1
    session.session.logout()
    assert session.window.model.rowCount() == 0
    assert isinstance(session.session.dialog, LoginDialog)
    assert not session.window.new_action.isEnabled()
    assert audit_actions(session.registry)[-1] == ("cora", "logout")
    details = _last_login_details(session.registry)
    assert details == {"one_time": False, "expired": False}


def _last_login_details(registry: Registry | None) -> dict[str, object]:
    assert registry is not None
    with registry.read() as conn:
        (text,) = conn.execute("SELECT details FROM audit_event WHERE action = 'login' "
                               "ORDER BY id DESC LIMIT 1").fetchone()
    found: dict[str, object] = json.loads(text)
    return found


def test_a_locked_out_admin_recovers_with_the_printed_code(
        qtbot: QtBot, tmp_path: Path, messages: RecordingMessages) -> None:
    folder = tmp_path / "site"
    registry = open_registry(folder)
    try:
        accounts = AccountService(registry, hasher=fast_hasher())
        code = accounts.create_first_admin("admin", "Ada Admin", "admin password 1").recovery_code
        for _ in range(5):  # locked out
            with pytest.raises(RegistryError):
                accounts.login("admin", "forgotten password")
    finally:
        registry.close()
    started = opened_session(qtbot, folder, messages)
    try:
        assert started.session is not None
        login = started.session.dialog
        assert isinstance(login, LoginDialog)
        qtbot.mouseClick(login.findChild(QPushButton, "recovery"), Qt.MouseButton.LeftButton)
        recover = next(w for w in QApplication.topLevelWidgets()
                       if isinstance(w, RecoverDialog) and w.isVisible())
        recover.user_id.setText("admin")
        recover.code.setText("wrong-code")
        recover.password.setText("a brand new pass")
        recover.again.setText("a brand new pass")
        recover.submit()
        assert "recovery code or the administrator's user id is wrong" in recover.error.text()
        recover.code.setText(code.upper())
        recover.password.setText("a brand new pass")
        recover.again.setText("a brand new pass")
        recover.submit()
        assert recover.new_code is not None
        assert recover.new_code != code
        shown = started.session.dialog
        assert isinstance(shown, RecoveryCodeDialog)
        assert shown.code == recover.new_code
    finally:
        started.shutdown()
    check = open_registry(folder)
    try:
        assert AccountService(check, hasher=fast_hasher()).login(
            "admin", "a brand new pass").user_id == "admin"
    finally:
        check.close()


def test_a_one_time_password_at_the_lock_screen_shows_nothing_until_changed(
        qtbot: QtBot, session: GuiSession, data_dir: Path) -> None:
    """An admin who reset Cora's password while she was away cannot use it to get her
    windows back: the lock screen asks for a new password first, and cancelling keeps
    everything locked."""
    assert session.session is not None
    registry = session.registry
    assert registry is not None
    accounts = AccountService(registry, hasher=fast_hasher())
    session.session.lock()
    admin = accounts.login("admin", "admin password 1")
    one_time = accounts.reset_password(admin, "cora").one_time_password
    screen = lock_screen(session)
    screen.password.setText(one_time)
    qtbot.mouseClick(screen.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(session.session.dialog, ChangePasswordDialog)
                    if session.session is not None else False, timeout=10_000)
    change = session.session.dialog
    assert isinstance(change, ChangePasswordDialog)
    assert not session.window.isVisible()  # nothing back yet
    change.reject()
    assert not session.window.isVisible()
    assert lock_screen(session) is not screen  # locked again, a fresh lock screen
    screen = lock_screen(session)
    screen.password.setText(one_time)
    qtbot.mouseClick(screen.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(session.session.dialog, ChangePasswordDialog)
                    if session.session is not None else False, timeout=10_000)
    change = session.session.dialog
    assert isinstance(change, ChangePasswordDialog)
    change.current.setText(one_time)
    change.new.setText("cora chose this 1")
    change.again.setText("cora chose this 1")
    change.submit()
    assert session.window.isVisible()


def test_logging_out_says_which_entries_could_not_be_kept(
        qtbot: QtBot, session: GuiSession, messages: RecordingMessages) -> None:
    context = session.window._context
    assert context is not None
    assert session.session is not None
    screenings = context.screenings
    patient = context.patients.search("LOCK")[0]
    visit = screenings.start_visit(screenings.start(patient.id, TRIAL).id, TRIAL,
                                   "screening-1")
    form = VisitForm(repository=screenings, trial=TRIAL, patient=patient, visit=visit,
                     site_uln={}, messages=RecordingMessages(), clock=context.clock)
    form.show()
    qtbot.waitExposed(form)
    type_text(qtbot, form.result_rows["creatinine"].value, "0.9", commit=False)  # no time
    session.session.logout()
    assert not form.isVisible()
    [message] = [m for m in messages.messages if m.title == "Entries not kept"]
    assert "Cora Coordinator's session ended" in message.text
    assert "Serum creatinine: Enter the date and time the sample was taken" in message.text
    assert [o for o in screenings.observations(patient.id) if o.code == "creatinine"] == []
