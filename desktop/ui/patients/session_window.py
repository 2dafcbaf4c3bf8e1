"""The main window's part in a login session: the Account menu, ending a user's session
(their windows save drafts and close), and opening the administration window, the audit
trail and the delegation log. A mixin of ``MainWindow``; it holds no rule (the services
decide)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMainWindow, QWidget

from desktop import APP_NAME

if TYPE_CHECKING:
    from desktop.services.patients import PatientService
    from desktop.ui.common.context import ScreeningContext
    from desktop.ui.patients.patient_model import PatientTableModel
    from desktop.ui.session.account_menu import AccountMenu
    from desktop.ui.session.controller import SessionController

    _Base = QMainWindow
else:
    _Base = object


class SessionWindow(_Base):
    """Declarations the mixin relies on; ``MainWindow`` sets them."""

    if TYPE_CHECKING:
        _repository: PatientService | None
        _context: ScreeningContext | None
        model: PatientTableModel
        session: SessionController | None
        account_menu: AccountMenu | None
        admin_window: QWidget | None

        def _update_actions(self) -> None: ...

    def set_session(self, session: SessionController) -> None:
        """The login session: the Account menu (lock, password, log out, administration)."""
        from desktop.ui.session.account_menu import AccountMenu

        self.session = session
        self.account_menu = AccountMenu(self, session, self.open_admin, self.open_audit)

    def end_session(self) -> list[str]:
        """The logged-in user's session ends: every other window saves its drafts under
        their name and closes; the list is emptied until the next login. What could not
        be saved (a result typed without its time) is returned, one line per visit."""
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        assert isinstance(app, QApplication)
        windows = [w for w in app.topLevelWidgets()
                   if w is not self and not w.property("session_window")]
        lost: list[str] = []
        for widget in windows:  # visit forms first: they save before their patient closes
            closer = getattr(widget, "close_for_logout", None)
            if callable(closer):
                pending = closer()
                if pending:
                    lost.append(f"{widget.windowTitle()}: {'; '.join(pending)}")
        for widget in windows:
            if widget is not None and widget.isWindow():
                widget.close()
        self._repository = None
        self._context = None
        self.model.set_repository(None)
        self.setWindowTitle(APP_NAME)
        if self.account_menu is not None:
            self.account_menu.update(None)
        self._update_actions()
        return lost

    def open_admin(self) -> QWidget | None:
        """The administration window (accounts, delegation log, site settings)."""
        from desktop.ui.admin.opening import open_admin_window

        if self._context is None or self._context.actor is None:
            return None
        self.admin_window = open_admin_window(self, self._context)
        return self.admin_window

    def open_audit(self) -> QWidget | None:
        """The audit trail (administrators and monitors; the service refuses others)."""
        from desktop.ui.admin.audit_view import open_audit_window

        if self._context is None:
            return None
        return open_audit_window(self, self._context)

    def open_delegation_log(self) -> QWidget | None:
        """The delegation log, for anyone logged in (read and export)."""
        from desktop.ui.admin.opening import open_delegation_log

        if self._context is None:
            return None
        return open_delegation_log(self, self._context)

