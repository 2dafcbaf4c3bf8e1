"""Logging in to a ``GuiSession`` in widget tests, as a user would."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor, Role
from desktop.registry.database import Registry
from desktop.services.accounts import AccountService
from desktop.services.delegations import DelegationService
from desktop.services.passwords import fast_hasher
from desktop.ui.app import GuiSession
from desktop.ui.common.messages import MessageService
from desktop.ui.session.login_dialog import LoginDialog

PASSWORD = "coordinator pass 9"


def seed_coordinator(registry: Registry, user_id: str = "cora") -> None:
    """An admin and a coordinator (``user_id``, password ``PASSWORD``) ready to log in."""
    accounts = AccountService(registry, hasher=fast_hasher())
    admin = accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor
    made = accounts.create_account(admin, user_id, "Cora Coordinator",
                                   frozenset({Role.COORDINATOR}))
    first = accounts.login(user_id, made.one_time_password)
    accounts.change_password(first, made.one_time_password, PASSWORD)


def seed_investigator(registry: Registry, trial_id: str, user_id: str = "ivy",
                      full_name: str = "Dr Ivy Investigator") -> Actor:
    """An investigator (password ``PASSWORD``) delegated to sign for ``trial_id`` from
    long before any test's clock; the actor as logged in."""
    accounts = AccountService(registry, hasher=fast_hasher())
    admin = Actor("admin", "Ada Admin", frozenset({Role.ADMIN}))
    made = accounts.create_account(admin, user_id, full_name, frozenset({Role.INVESTIGATOR}))
    first = accounts.login(user_id, made.one_time_password)
    actor = accounts.change_password(first, made.one_time_password, PASSWORD)
    DelegationService(registry).add(admin, user_id, trial_id, date(2020, 1, 1), None, "PI")
    return actor


def opened_session(qtbot: QtBot, data_dir: Path, messages: MessageService, *,
                   demo: bool = False) -> GuiSession:
    """The app started on ``data_dir`` as ``run_gui`` would, once its registry is open
    and the first-run or login window is up (the caller shuts it down)."""
    session = GuiSession(data_dir, messages, demo=demo)
    qtbot.addWidget(session.window)
    with qtbot.waitSignal(session.opened, timeout=30_000):
        session.start()
    return session


def log_in(qtbot: QtBot, session: GuiSession, user_id: str, password: str) -> None:
    """Type into the login window and wait until the list is filled for the user."""
    assert session.session is not None
    dialog = session.session.dialog
    assert isinstance(dialog, LoginDialog), dialog
    dialog.user_id.setText(user_id)
    dialog.password.setText(password)
    with qtbot.waitSignal(session.logged_in, timeout=30_000):
        qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
