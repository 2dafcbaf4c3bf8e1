"""The Certificates tab: each account's certificate state, issuing a pending one with the
admin's password, exporting the site CA certificate."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor, Role
from desktop.registry.database import Registry
from desktop.services.accounts import AccountService
from desktop.services.keys import KeyService
from desktop.services.passwords import fast_hasher
from desktop.ui.admin.certificates_tab import CertificatesTab
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages
from desktop.worksheets import pki
from tests.accounts_support import PASSWORD, person

ADMIN_PASSWORD = "admin password 1"


@pytest.fixture
def keys(registry: Registry) -> KeyService:
    return KeyService(registry, kdf=pki.Kdf.fast())


@pytest.fixture
def accounts(registry: Registry, keys: KeyService) -> AccountService:
    return AccountService(registry, hasher=fast_hasher(), keys=keys)


@pytest.fixture
def admin(accounts: AccountService) -> Actor:
    admin = accounts.create_first_admin("admin", "Ada Admin", ADMIN_PASSWORD).actor
    person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)
    return admin


def _states(tab: CertificatesTab) -> dict[str, str]:
    return {row.user_id: row.state for row in tab.model.rows}


def test_issue_a_pending_certificate_with_the_admins_password(
        qtbot: QtBot, keys: KeyService, admin: Actor) -> None:
    typed: list[str | None] = ["wrong password", ADMIN_PASSWORD]
    messages = RecordingMessages()
    tab = CertificatesTab(keys, admin, messages, ask_password=lambda _p, _t: typed.pop(0))
    qtbot.addWidget(tab)
    ModelTester(None).check(tab.model)
    assert _states(tab) == {"admin": "issued", "ivy": "pending"}
    tab.select("admin")
    assert not tab.issue_button.isEnabled()
    tab.select("ivy")
    assert tab.issue_button.isEnabled()
    tab.issue_button.click()
    assert messages.messages[-1].title == "Certificate not issued"
    assert "wrong" in messages.messages[-1].text
    assert _states(tab)["ivy"] == "pending"
    tab.issue_button.click()
    assert _states(tab)["ivy"] == "issued"
    assert "issued to Dr Ivy Investigator" in tab.status.text()
    assert keys.signing_identity("ivy", PASSWORD).certificate.issuer == \
        keys.ca_certificate().subject  # type: ignore[union-attr]


def test_export_the_site_ca_certificate(qtbot: QtBot, keys: KeyService, admin: Actor,
                                        tmp_path: Path) -> None:
    target = tmp_path / "site-ca.pem"
    tab = CertificatesTab(keys, admin, RecordingMessages(), save_file=lambda _p: str(target))
    qtbot.addWidget(tab)
    tab.export_button.click()
    loaded = x509.load_pem_x509_certificate(target.read_bytes())
    assert loaded == keys.ca_certificate()
    assert pki.is_ca(loaded)
    assert str(target) in tab.status.text()


def test_the_administration_window_has_the_certificates_tab(
        qtbot: QtBot, context: ScreeningContext, admin: Actor) -> None:
    from PySide6.QtWidgets import QWidget

    from desktop.ui.admin.opening import open_admin_window

    parent = QWidget()
    qtbot.addWidget(parent)
    context.actor = admin
    window = open_admin_window(parent, context)
    assert window is not None
    assert window.certificates_tab is not None
    assert window.tabs.tabText(window.tabs.count() - 1) == "&Certificates"
    assert {r.user_id: r.state for r in window.certificates_tab.model.rows} == {
        "admin": "issued", "ivy": "pending"}


def test_give_the_ca_to_another_administrator_with_both_passwords(
        qtbot: QtBot, keys: KeyService, accounts: AccountService, admin: Actor) -> None:
    person(accounts, admin, "bea", "Bea Admin", Role.ADMIN)
    typed: list[str | None] = [ADMIN_PASSWORD, "not bea's password", ADMIN_PASSWORD, PASSWORD]
    messages = RecordingMessages()
    tab = CertificatesTab(keys, admin, messages, ask_password=lambda _p, _t: typed.pop(0))
    qtbot.addWidget(tab)
    tab.select("admin")
    assert not tab.grant_button.isEnabled()  # holds it already
    tab.select("bea")
    assert tab.grant_button.isEnabled()
    tab.grant_button.click()
    assert messages.messages[-1].title == "Site CA not given"
    assert not {r.user_id: r.holds_ca for r in tab.model.rows}["bea"]
    tab.grant_button.click()
    assert {r.user_id: r.holds_ca for r in tab.model.rows}["bea"]
    assert "Bea Admin now holds the site CA" in tab.status.text()
    bea = accounts.login("bea", PASSWORD)
    keys.issue(bea, PASSWORD, "ivy")  # Bea can issue now


def test_a_new_site_ca_only_when_nobody_can_unlock_the_current_one(
        qtbot: QtBot, keys: KeyService, accounts: AccountService, registry: Registry) -> None:
    first = accounts.create_first_admin("admin", "Ada Admin", ADMIN_PASSWORD)
    old = keys.ca_certificate()
    assert old is not None
    messages = RecordingMessages(answer=False)
    tab = CertificatesTab(keys, first.actor, messages,
                          ask_password=lambda _p, _t: "recovered password 1")
    qtbot.addWidget(tab)
    assert not tab.new_ca_button.isEnabled()
    assert "Ada Admin still holds the site CA" in tab.new_ca_button.toolTip()
    assert pki.fingerprint(old) in tab.fingerprint.text()
    accounts.recover(first.recovery_code, "admin", "recovered password 1")  # wrap gone
    tab.refresh()
    assert tab.new_ca_button.isEnabled()
    tab.new_ca_button.click()
    assert keys.ca_certificate() == old  # cancelled at the question
    messages.answer = True
    tab.new_ca_button.click()
    new = keys.ca_certificate()
    assert new is not None
    assert new != old
    assert keys.ca_certificates() == [old, new]
    assert "new site CA" in tab.status.text()
    assert pki.fingerprint(new) in tab.fingerprint.text()
    assert not tab.new_ca_button.isEnabled()
