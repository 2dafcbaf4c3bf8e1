"""One user's session at a time: first run, login, forced password change, idle lock,
resume, switching user and logout.

The controller shows the windows of this package and tells the application who is
logged in (``logged_in``) and when a user's session ends (``ending``: save their drafts
under their name and close their windows). It decides nothing about what a user may do:
the services refuse what the actor's roles do not allow.

Locking hides every window of the application (a hidden window shows nothing, not even
its title in the task bar) and shows the lock screen; resuming shows them again exactly
as they were, drafts and all. Every login, failed login, lock, unlock and logout is
audited by the accounts service.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from desktop.domain.accounts import DEFAULT_IDLE_MINUTES, Actor
from desktop.services.accounts import AccountService, RegistryError
from desktop.ui.common.messages import MessageService
from desktop.ui.session.idle import IdleWatcher
from desktop.ui.session.login_dialog import LoginDialog
from desktop.ui.session.password_dialogs import (
    ChangePasswordDialog,
    FirstAdminDialog,
    RecoverDialog,
    RecoveryCodeDialog,
)

if TYPE_CHECKING:
    # The signing key screens bring cryptography with them: imported when first shown,
    # not before the login window (the start-up benchmark's (c)).
    from desktop.ui.session.signing_key_dialog import SigningKeyDialog


class SessionController(QObject):
    logged_in = Signal(object)  # Actor
    #: The session of this actor ends (logout, or another user logged in at the lock):
    #: save what can be saved under their name and close their windows.
    ending = Signal(object)
    #: The first-run or login window is up and waiting (``--smoke`` stops here).
    waiting = Signal(str)

    def __init__(self, accounts: AccountService, messages: MessageService,
                 parent_window: QWidget | None = None, *,
                 idle_minutes: float = DEFAULT_IDLE_MINUTES, banner: str = "",
                 site: str = "") -> None:
        super().__init__(parent_window)
        self.accounts = accounts
        self._messages = messages
        self._parent = parent_window
        self._banner = banner
        self._site = site
        self.actor: Actor | None = None
        self._first_admin: Actor | None = None
        self.dialog: QDialog | None = None  # the session window showing, if any
        self.key_dialog: SigningKeyDialog | None = None
        self._hidden: list[QWidget] = []
        self.idle = IdleWatcher(idle_minutes, self)
        self.idle.idle.connect(self.lock)

    @property
    def locked(self) -> bool:
        return bool(self._hidden) or (isinstance(self.dialog, LoginDialog)
                                      and self.dialog.locked_by is not None)

    # -- start ----------------------------------------------------------------------

    def begin(self) -> None:
        """First run (no account yet) or the login window."""
        if self.accounts.needs_first_admin():
            self._first_run()
        else:
            self._login()

    def _show(self, dialog: QDialog) -> None:
        dialog.setProperty("session_window", True)  # a logout never closes it
        self.dialog = dialog
        dialog.finished.connect(lambda _code, d=dialog: self._dialog_closed(d))
        dialog.open()

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _first_run(self) -> None:
        def create(user_id: str, name: str, password: str) -> str:
            made = self.accounts.create_first_admin(user_id, name, password)
            self._first_admin = made.actor
            return made.recovery_code

        dialog = FirstAdminDialog(create, self._parent)
        dialog.accepted.connect(lambda: self._show_recovery_code(dialog))
        dialog.rejected.connect(self._gave_up)
        self._show(dialog)
        self.waiting.emit("first run")

    def _show_recovery_code(self, dialog: FirstAdminDialog) -> None:
        actor = self._first_admin
        assert dialog.recovery_code is not None
        assert actor is not None
        shown = RecoveryCodeDialog(dialog.recovery_code, actor.user_id, self._parent,
                                   self._site)
        shown.accepted.connect(lambda: self._start(actor))
        self._show(shown)

    def _login(self) -> None:
        dialog = LoginDialog(self.accounts.login, self._parent, banner=self._banner)
        dialog.logged_in.connect(self._checked)
        dialog.recover.connect(self._recover)
        dialog.rejected.connect(self._gave_up)
        self._show(dialog)
        self.waiting.emit("login")

    def _recover(self) -> None:
        dialog = RecoverDialog(self.accounts.recover, self._parent)

        def done() -> None:
            assert dialog.new_code is not None
            shown = RecoveryCodeDialog(dialog.new_code, dialog.user_id.text().strip(),
                                       self._parent, self._site)
            self._show(shown)

        dialog.accepted.connect(done)
        dialog.open()

    def _gave_up(self) -> None:
        """The login or first-run window was closed without logging in: quit."""
        if self.actor is None:
            window = self._parent
            if window is not None:
                window.close()

    def _checked(self, actor: Actor) -> None:
        if actor.one_time:
            self._change_password(actor, forced=True)
        else:
            self._start(actor)

    def _change_password(self, actor: Actor, *, forced: bool) -> None:
        dialog = ChangePasswordDialog(
            lambda old, new: self.accounts.change_password(actor, old, new), self._parent,
            forced=forced)

        def changed() -> None:
            updated = dialog.result_value
            assert isinstance(updated, Actor)
            if not forced:
                self.actor = updated
                return
            from desktop.ui.session.signing_key_dialog import offer_after_first_password

            offer = offer_after_first_password(self.accounts.keys, updated, self._parent)
            if offer is None:
                self._start(updated)
                return
            offer.finished.connect(lambda _code: self._start(updated))
            self._show(offer)

        dialog.accepted.connect(changed)
        if forced:
            dialog.rejected.connect(self._login)
        dialog.open()
        self.dialog = dialog

    def change_password(self) -> None:
        """The user's own change, from the account menu."""
        if self.actor is not None:
            self._change_password(self.actor, forced=False)

    def signing_key(self) -> None:
        """The user's own signing key, from the account menu."""
        if self.actor is not None:
            from desktop.ui.session.signing_key_dialog import SigningKeyDialog

            dialog = SigningKeyDialog(self.accounts.keys, self.actor, self._parent)
            dialog.open()
            self.key_dialog = dialog

    def _start(self, actor: Actor) -> None:
        self.actor = actor
        self.logged_in.emit(actor)
        self.idle.start()

    # -- lock, resume, switch, logout ---------------------------------------------------

    def lock(self) -> None:
        """Hide every window and show the lock screen (idle, or "Lock now")."""
        actor = self.actor
        if actor is None or self.locked:
            return
        self.idle.stop()
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self._hidden = [w for w in app.topLevelWidgets() if w.isVisible()]
        for widget in self._hidden:  # hidden first: a failing audit write never leaves
            widget.hide()            # the data showing
        # Locked all the same if the audit write fails; the unlock is audited later.
        with contextlib.suppress(RegistryError):
            self.accounts.record(actor, "session.lock")
        screen = LoginDialog(lambda user_id, password: self.accounts.login(
            user_id, password, action="unlock"), None, locked_by=actor, banner=self._banner)
        screen.logged_in.connect(self._resumed)
        screen.switch_user.connect(self._switch_user)
        self._show(screen)

    def _resumed(self, actor: Actor) -> None:
        if actor.one_time:  # reset by an admin, or expired, while away: no window comes
            self._change_at_lock(actor)  # back before the user has set their own
            return
        self._restore()

    def _restore(self) -> None:
        hidden, self._hidden = self._hidden, []
        for widget in hidden:
            widget.show()
        self.idle.start()

    def _change_at_lock(self, actor: Actor) -> None:
        dialog = ChangePasswordDialog(
            lambda old, new: self.accounts.change_password(actor, old, new), None,
            forced=True)
        dialog.accepted.connect(self._restore)
        dialog.rejected.connect(self._back_to_lock)  # cancelled: locked as before
        self._show(dialog)

    def _switch_user(self) -> None:
        locked = self.dialog
        if isinstance(locked, LoginDialog):
            locked.may_close = True
            locked.close()
        dialog = LoginDialog(self.accounts.login, None, banner=self._banner)
        dialog.logged_in.connect(self._other_user)
        dialog.rejected.connect(self._back_to_lock)
        self._show(dialog)

    def _back_to_lock(self) -> None:
        actor = self.actor
        if actor is not None and self._hidden:
            screen = LoginDialog(lambda user_id, password: self.accounts.login(
                user_id, password, action="unlock"), None, locked_by=actor,
                banner=self._banner)
            screen.logged_in.connect(self._resumed)
            screen.switch_user.connect(self._switch_user)
            self._show(screen)

    def _other_user(self, actor: Actor) -> None:
        previous = self.actor
        if previous is not None and actor.user_id == previous.user_id:
            self._resumed(actor)
            return
        hidden, self._hidden = self._hidden, []
        if previous is not None:
            self.ending.emit(previous)
            self.accounts.record(previous, "logout")
        self.actor = None  # the previous user is gone, whatever the new one does next
        for widget in hidden:
            if widget is self._parent:
                widget.show()
        self._checked(actor)

    def logout(self) -> None:
        """End the session (File > Log out) and show the login window."""
        actor = self.actor
        if actor is None:
            return
        self.idle.stop()
        self.ending.emit(actor)
        self.accounts.record(actor, "logout")
        self.actor = None
        self._login()

    def close_for_quit(self) -> None:
        """The application quits: the logged-in user is logged out (audited) and a lock
        screen may close."""
        self.idle.detach()
        actor, self.actor = self.actor, None
        if actor is not None:
            with contextlib.suppress(RegistryError):  # quitting anyway
                self.accounts.record(actor, "logout")
        if isinstance(self.dialog, LoginDialog):
            self.dialog.may_close = True
