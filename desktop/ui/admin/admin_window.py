"""The administration window: the accounts, delegation log, certificates, site settings,
audit trail and backups tabs.

Only for an administrator: the window is built from the accounts service's list of
accounts, which refuses (``NotPermitted``) anyone who may not administer, so it cannot be
opened by mistake whatever the menu offers. Names and roles changed on the accounts tab
show at once in the delegation log and the ULN table. The site settings, audit trail and
backups tabs (and certificates) are there when the window is given their services
(``open_admin_window`` always does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from desktop import APP_NAME
from desktop.domain.accounts import Actor
from desktop.services.accounts import AccountService
from desktop.services.audit_log import AuditLogService
from desktop.services.backup import BackupService, Restored
from desktop.services.delegations import DelegationService
from desktop.services.keys import KeyService
from desktop.services.logs import LogService
from desktop.services.site_settings import SiteSettingsService
from desktop.ui.admin.accounts_tab import AccountsTab
from desktop.ui.admin.audit_view import AuditView
from desktop.ui.admin.backup_tab import BackupTab
from desktop.ui.admin.certificates_tab import CertificatesTab
from desktop.ui.admin.delegations_tab import DelegationsTab
from desktop.ui.admin.site_tab import SiteSettingsTab
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named

TITLE = f"Administration — {APP_NAME}"


class AdminWindow(QWidget):
    """A top-level window; raises the service's ``NotPermitted`` for a non-admin."""

    def __init__(self, accounts: AccountService, delegations: DelegationService,
                 actor: Actor, trials: Sequence[tuple[str, str]],
                 messages: MessageService, parent: QWidget | None = None, *,
                 logs: LogService,
                 site: SiteSettingsService | None = None,
                 audit: AuditLogService | None = None,
                 backup: BackupService | None = None,
                 keys: KeyService | None = None,
                 before_restore: Callable[[], bool] = lambda: True,
                 after_restore: Callable[[Restored], None] = lambda _done: None) -> None:
        rows = accounts.accounts(actor)  # the service decides who may be here
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("admin_window")
        self.setWindowTitle(TITLE)
        self.resize(1100, 600)
        self.actor = actor

        self.accounts_tab = named(AccountsTab(accounts, actor, messages, rows), "accounts_tab")
        self.delegations_tab = named(
            DelegationsTab(delegations, accounts, actor, trials, messages, logs=logs),
            "delegations_tab")
        self.tabs = named(QTabWidget(), "admin_tabs")
        self.tabs.addTab(self.accounts_tab, "&Accounts")
        self.tabs.addTab(self.delegations_tab, "&Delegation log")
        self.accounts_tab.changed.connect(self.delegations_tab.refresh)
        self.site_tab: SiteSettingsTab | None = None
        if site is not None:
            self.site_tab = named(SiteSettingsTab(site, actor, messages, accounts.names),
                                  "site_tab")
            self.tabs.addTab(self.site_tab, "&Site settings")
            self.accounts_tab.changed.connect(self.site_tab.refresh_uln)
        self.audit_tab: AuditView | None = None
        if audit is not None:
            self.audit_tab = named(AuditView(audit, messages), "audit_tab")
            self.tabs.addTab(self.audit_tab, "Audit &trail")
        self.backup_tab: BackupTab | None = None
        if backup is not None:
            self.backup_tab = named(BackupTab(backup, actor, messages,
                                              before_restore=before_restore,
                                              after_restore=after_restore), "backup_tab")
            self.tabs.addTab(self.backup_tab, "&Backups")
        self.certificates_tab: CertificatesTab | None = None
        if keys is not None:
            self.certificates_tab = named(CertificatesTab(keys, actor, messages),
                                          "certificates_tab")
            self.tabs.addTab(self.certificates_tab, "&Certificates")
            self.accounts_tab.changed.connect(self.certificates_tab.refresh)

        who = named(QLabel(f"Logged in as {actor.full_name} ({actor.user_id}), "
                           f"{actor.roles_label}. Every change here is recorded in the "
                           "audit trail under your user id."), "admin_actor")
        who.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(who)
        layout.addWidget(self.tabs, 1)
