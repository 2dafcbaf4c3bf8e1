"""Opening the administration window from the main window's Account menu.

A restore from its Backups tab ends the session first and closes the app after it
(``end_session_for_restore``, ``close_after_restore``).

The services are built here on the open registry for the logged-in actor; the accounts
service refuses anyone who may not administer, and that refusal is what the user reads.
One admin window at a time: asking again brings the open one forward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop import APP_NAME
from desktop.ui.common.context import ContextError

if TYPE_CHECKING:
    from desktop.services.backup import Restored
    from desktop.ui.admin.admin_window import AdminWindow
    from desktop.ui.common.context import ScreeningContext


def trial_choices(context: ScreeningContext) -> list[tuple[str, str]]:
    """(NCT id, title) of every trial in the library, by NCT id."""
    return [(trial_id, trial.title) for trial_id, trial in sorted(context.trials.items())]


def open_admin_window(parent: QWidget, context: ScreeningContext) -> AdminWindow | None:
    """The admin window for ``context.actor``, shown; None if it is refused."""
    from desktop.services.accounts import AccountService
    from desktop.services.audit_log import AuditLogService
    from desktop.services.backup import BackupService
    from desktop.services.delegations import DelegationService
    from desktop.services.rows import RegistryError
    from desktop.services.site_settings import SiteSettingsService
    from desktop.ui.admin.admin_window import AdminWindow

    actor = context.actor  # None: a context built below the accounts, no one to act as
    if actor is None:
        return None
    existing = getattr(parent, "admin_window", None)
    if (isinstance(existing, AdminWindow) and shiboken6.isValid(existing)
            and existing.isVisible() and existing.actor == actor):
        existing.raise_()
        existing.activateWindow()
        return existing
    try:
        trials = trial_choices(context)
    except ContextError as exc:
        context.messages.error(parent, "Trial library not read",
                               f"{exc} New delegations cannot be added until it is fixed.")
        trials = []
    try:
        accounts = AccountService(context.registry)
        window = AdminWindow(accounts,
                             DelegationService(context.registry), actor, trials,
                             context.messages, parent, logs=context.logs,
                             keys=accounts.keys,
                             site=SiteSettingsService(context.registry),
                             audit=AuditLogService(context.registry, actor),
                             backup=BackupService(context.registry),
                             before_restore=lambda: end_session_for_restore(parent),
                             after_restore=lambda done: close_after_restore(parent, context,
                                                                            done))
    except RegistryError as exc:  # NotPermitted among them: the service's sentence
        context.messages.error(parent, "Administration not opened", str(exc))
        return None
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    window.activateWindow()
    return window


def end_session_for_restore(parent: QWidget) -> bool:
    """Before a restore: the logged-in user's session ends (logged out, windows saved and
    closed), so that nothing is saved into the restored registry on the way out."""
    session = getattr(parent, "session", None)
    logout = getattr(session, "logout", None)
    if callable(logout):
        logout()
    return True


def close_after_restore(parent: QWidget, context: ScreeningContext, done: Restored) -> None:
    """After a restore: say what was done, then close NK Screen (it is started again on
    the restored registry)."""
    safety = f"\n\nThe registry as it was is kept as {done.safety_copy}." \
        if done.safety_copy is not None else ""
    context.messages.inform(parent, "Backup restored",
                            f"{done.manifest.file} is now the registry ({done.registry_file})"
                            f", with its audit trail up to row {done.manifest.head.seq}."
                            f"{safety}\n\n{APP_NAME} closes now: start it again to work on "
                            "the restored registry.")
    quit_app()


def quit_app() -> None:
    """Leave the application's event loop (``run_gui`` then shuts the session down)."""
    from PySide6.QtWidgets import QApplication

    QApplication.exit(0)


class DelegationLogWindow(QWidget):
    """The delegation log for anyone logged in: read and export (PDF or CSV); only an
    administrator adds or revokes lines (the service refuses anyone else)."""

    def __init__(self, tab: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("delegation_log")
        self.setWindowTitle(f"Delegation log — {APP_NAME}")
        self.tab = tab
        layout = QVBoxLayout(self)
        layout.addWidget(tab)
        self.resize(1100, 520)


def open_delegation_log(parent: QWidget, context: ScreeningContext) -> QWidget | None:
    """The delegation log window for ``context.actor`` (any role), shown."""
    from desktop.services.accounts import AccountService
    from desktop.services.delegations import DelegationService
    from desktop.ui.admin.delegations_tab import DelegationsTab

    actor = context.actor
    if actor is None:
        return None
    try:
        trials = trial_choices(context)
    except ContextError:
        trials = []
    tab = DelegationsTab(DelegationService(context.registry), AccountService(context.registry),
                         actor, trials, context.messages, logs=context.logs)
    window = DelegationLogWindow(tab, parent)
    window.show()
    return window
