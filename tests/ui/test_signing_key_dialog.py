"""Your signing key: an administrator beside a new user issues their certificate on the
first-login screen, or later; a user imports their institution's PKCS#12 key themselves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor, Role
from desktop.registry.database import Registry, open_registry
from desktop.services.accounts import AccountService
from desktop.services.keys import KeyService
from desktop.services.passwords import fast_hasher
from desktop.ui.app import GuiSession
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.session.login_dialog import LoginDialog
from desktop.ui.session.password_dialogs import ChangePasswordDialog
from desktop.ui.session.signing_key_dialog import SigningKeyDialog
from desktop.worksheets import pki
from tests.accounts_support import PASSWORD, person
from tests.ui.session_support import opened_session

ADMIN_PASSWORD = "admin password 1"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def keys(registry: Registry) -> KeyService:
    return KeyService(registry, kdf=pki.Kdf.fast())


@pytest.fixture
def ivy(registry: Registry, keys: KeyService) -> Actor:
    accounts = AccountService(registry, hasher=fast_hasher(), keys=keys)
    admin = accounts.create_first_admin("admin", "Ada Admin", ADMIN_PASSWORD).actor
    return person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)


def test_the_administrator_beside_issues_the_certificate(
        qtbot: QtBot, keys: KeyService, ivy: Actor) -> None:
    dialog = SigningKeyDialog(keys, ivy, first_login=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "Pending" in dialog.standing.text()
    assert dialog.beside.isVisible()
    dialog.admin_id.setText("admin")
    dialog.admin_password.setText("not the admin password")
    qtbot.mouseClick(dialog.issue_button, Qt.MouseButton.LeftButton)
    assert "wrong" in dialog.status.text()
    assert dialog.admin_password.text() == ""  # never left in the field
    assert keys.own_state(ivy).state == "pending"
    dialog.admin_password.setText(ADMIN_PASSWORD)
    qtbot.mouseClick(dialog.issue_button, Qt.MouseButton.LeftButton)
    assert keys.own_state(ivy).state == "issued"
    assert "you can sign" in dialog.status.text()
    assert "Issued by the site CA" in dialog.standing.text()
    assert not dialog.beside.isVisible()
    keys.signing_identity("ivy", PASSWORD)


def _institution_p12(tmp_path: Path, secret: bytes) -> Path:
    ca_key, ca_cert = pki.new_site_ca("Fictional University Hospital", NOW)
    key = pki.new_key()
    cert = pki.issue_certificate(ca_key, ca_cert, key.public_key(), "ivy",
                                 "Dr Ivy Investigator", NOW)
    path = tmp_path / "ivy.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"ivy", key, cert, [ca_cert], serialization.BestAvailableEncryption(secret)))
    return path


def test_the_user_imports_their_institutions_key(
        qtbot: QtBot, keys: KeyService, ivy: Actor, tmp_path: Path) -> None:
    path = _institution_p12(tmp_path, b"p12 secret")
    dialog = SigningKeyDialog(keys, ivy, open_file=lambda _parent: str(path))
    qtbot.addWidget(dialog)
    dialog.import_button.click()
    assert "Choose" in dialog.status.text()
    dialog.choose_file()
    assert str(path) in dialog.file_label.text()
    dialog.file_password.setText("p12 secret")
    dialog.import_button.click()
    assert "your NK Screen password" in dialog.status.text()
    dialog.file_password.setText("wrong secret")
    dialog.own_password.setText(PASSWORD)
    dialog.import_button.click()
    assert "password is wrong" in dialog.status.text()
    assert keys.own_state(ivy).state == "pending"
    dialog.file_password.setText("p12 secret")
    dialog.own_password.setText(PASSWORD)
    dialog.import_button.click()
    assert keys.own_state(ivy).state == "imported"
    assert "Fictional University Hospital" in dialog.standing.text()
    assert dialog.own_password.text() == dialog.file_password.text() == ""
    assert "Fictional University Hospital" in keys.signing_identity(
        "ivy", PASSWORD).certificate.issuer.rfc4514_string()


def test_a_file_that_is_no_key_is_refused_by_name(
        qtbot: QtBot, keys: KeyService, ivy: Actor, tmp_path: Path) -> None:
    path = tmp_path / "notes.p12"
    path.write_bytes(b"not a key at all")
    dialog = SigningKeyDialog(keys, ivy, open_file=lambda _parent: str(path))
    qtbot.addWidget(dialog)
    dialog.choose_file()
    dialog.own_password.setText(PASSWORD)
    dialog.import_button.click()
    assert dialog.status.text()
    assert keys.own_state(ivy).state == "pending"


@pytest.fixture
def new_user(data_dir: Path) -> Iterator[str]:
    """A registry whose coordinator Cora still has the one-time password it returns."""
    registry = open_registry(data_dir)
    try:
        accounts = AccountService(registry, hasher=fast_hasher())
        admin = accounts.create_first_admin("admin", "Ada Admin", ADMIN_PASSWORD).actor
        yield accounts.create_account(admin, "cora", "Cora Coordinator",
                                      frozenset({Role.COORDINATOR})).one_time_password
    finally:
        registry.close()


def test_a_new_users_first_login_offers_the_certificate_then_opens_the_app(
        qtbot: QtBot, data_dir: Path, messages: RecordingMessages, new_user: str) -> None:
    session: GuiSession = opened_session(qtbot, data_dir, messages)
    try:
        assert session.session is not None
        login = session.session.dialog
        assert isinstance(login, LoginDialog)
        login.user_id.setText("cora")
        login.password.setText(new_user)
        qtbot.mouseClick(login.login_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: isinstance(session.session.dialog, ChangePasswordDialog)
                        if session.session is not None else False, timeout=10_000)
        change = session.session.dialog
        assert isinstance(change, ChangePasswordDialog)
        change.current.setText(new_user)
        change.new.setText("cora chose this 1")
        change.again.setText("cora chose this 1")
        change.submit()
        qtbot.waitUntil(lambda: isinstance(session.session.dialog, SigningKeyDialog)
                        if session.session is not None else False, timeout=10_000)
        offer = session.session.dialog
        assert isinstance(offer, SigningKeyDialog)
        assert session.session.actor is None  # not in before the offer is answered
        offer.admin_id.setText("admin")
        offer.admin_password.setText(ADMIN_PASSWORD)
        offer.issue_now()
        assert "you can sign" in offer.status.text()
        with qtbot.waitSignal(session.logged_in, timeout=10_000):
            offer.reject()  # "Later" / Close
        assert session.session.actor is not None
        assert session.session.actor.user_id == "cora"
    finally:
        session.shutdown()


def test_the_standing_names_the_holder_and_issuer_in_words() -> None:
    from desktop.services.keys import CertificateState
    from desktop.ui.session.signing_key_dialog import standing_text

    state = CertificateState("ivy", "Dr Ivy Investigator", "issued",
                             "O=Site,UID=ivy,CN=Dr Ivy Investigator",
                             "O=Site,CN=Site\\, Oncology signing CA", "1f",
                             datetime(2036, 12, 3, tzinfo=UTC))
    assert standing_text(state) == ("Issued by the site CA: Dr Ivy Investigator (ivy); "
                                    "issuer Site, Oncology signing CA; valid until "
                                    "2036-12-03.")
