"""The Account menu of the main window: who is logged in, lock now, change password,
your signing key, log out, (for administrators) the administration window and (for
administrators and monitors) the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from desktop.domain.accounts import Actor, Permission
from desktop.domain.accounts import may_view_audit as may_view
from desktop.ui.session.controller import SessionController


class AccountMenu:
    """Builds the menu once; ``update(actor)`` after every login or logout."""

    def __init__(self, window: QMainWindow, session: SessionController,
                 open_admin: Callable[[], object],
                 open_audit: Callable[[], object] | None = None) -> None:
        self.menu: QMenu = window.menuBar().addMenu("&Account")
        self.who = QAction("Not logged in", window)
        self.who.setEnabled(False)
        self.lock = QAction("&Lock now", window)
        self.lock.setShortcut(QKeySequence("Ctrl+L"))
        self.lock.triggered.connect(session.lock)
        self.change_password = QAction("&Change password…", window)
        self.change_password.triggered.connect(session.change_password)
        self.signing_key = QAction("Your &signing key…", window)
        self.signing_key.triggered.connect(session.signing_key)
        self.logout = QAction("Log &out", window)
        self.logout.triggered.connect(session.logout)
        self.admin = QAction("&Administration…", window)
        self.admin.triggered.connect(open_admin)
        self.audit = QAction("Audit &trail…", window)
        if open_audit is not None:
            self.audit.triggered.connect(open_audit)
        for action in (self.who, None, self.lock, self.change_password, self.signing_key,
                       self.logout, None,
                       self.admin, self.audit):
            if action is None:
                self.menu.addSeparator()
            else:
                self.menu.addAction(action)
                window.addAction(action)  # shortcuts work with the menu closed
        self.update(None)

    def update(self, actor: Actor | None) -> None:
        logged_in = actor is not None
        self.who.setText(f"{actor.full_name} ({actor.user_id}) — {actor.roles_label}"
                         if actor is not None else "Not logged in")
        for action in (self.lock, self.change_password, self.signing_key, self.logout):
            action.setEnabled(logged_in)
        may = actor is not None and actor.may(Permission.ADMINISTER)
        self.admin.setEnabled(may)
        self.admin.setToolTip("" if may else "Only an administrator manages accounts, the "
                              "delegation log and site settings.")
        sees = may_view(actor)
        self.audit.setEnabled(sees)
        self.audit.setToolTip("Every change and who made it, old and new values, and the "
                              "CSV export." if sees else "Only an administrator or a monitor "
                              "sees the audit trail.")
