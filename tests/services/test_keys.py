"""Signing keys through the services on a real registry: the site CA, each user's key
under their own password, pending and issued certificates, resets, recovery, imports."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from desktop.domain.accounts import Actor, Role
from desktop.registry.audit_verify import verify_file
from desktop.registry.database import Registry, open_registry
from desktop.services import passwords
from desktop.services.accounts import AccountService, NotPermitted
from desktop.services.keys import KeyProblem, KeyService, NoSigningKey
from desktop.worksheets import pki
from tests.accounts_support import PASSWORD, person

ADMIN_PASSWORD = "admin password 1"
NEW_PASSWORD = "a different password 2"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(tmp_path / "data")
    yield reg
    reg.close()


@pytest.fixture
def keys(registry: Registry) -> KeyService:
    return KeyService(registry, kdf=pki.Kdf.fast(), clock=lambda: NOW)


@pytest.fixture
def accounts(registry: Registry, keys: KeyService) -> AccountService:
    return AccountService(registry, hasher=passwords.fast_hasher(), keys=keys)


@pytest.fixture
def admin(accounts: AccountService) -> Actor:
    return accounts.create_first_admin("admin", "Ada Admin", ADMIN_PASSWORD).actor


def _ca(keys: KeyService) -> x509.Certificate:
    ca = keys.ca_certificate()
    assert ca is not None
    return ca


def _serial(identity: pki.SigningIdentity) -> int:
    return identity.certificate.serial_number


def test_first_admin_gets_the_site_ca_and_a_certificate_at_once(
        keys: KeyService, admin: Actor) -> None:
    identity = keys.signing_identity("admin", ADMIN_PASSWORD)
    ca = _ca(keys)
    loaded = x509.load_pem_x509_certificate(keys.ca_pem())
    assert loaded == ca
    assert loaded.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    identity.certificate.verify_directly_issued_by(loaded)
    assert identity.chain == (ca,)
    assert pki.matches(identity.key, identity.certificate)
    assert pki.common_name(identity.certificate) == "Ada Admin"
    assert keys.known_certificates() == [identity.certificate]


def test_a_new_users_certificate_is_pending_until_an_admin_issues_it(
        accounts: AccountService, keys: KeyService, admin: Actor) -> None:
    ivy = person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)
    with pytest.raises(NoSigningKey, match="Administration → Certificates"):
        keys.signing_identity("ivy", PASSWORD)
    assert [p.user_id for p in keys.pending(admin)] == ["ivy"]
    with pytest.raises(NotPermitted):
        keys.pending(ivy)
    with pytest.raises(NotPermitted):
        keys.issue(ivy, PASSWORD, "ivy")
    with pytest.raises(KeyProblem, match="wrong"):
        keys.issue(admin, "not the admin password", "ivy")
    row = keys.issue(admin, ADMIN_PASSWORD, "ivy")
    assert row.source == "issued"
    assert row.user_id == "ivy"
    identity = keys.signing_identity("ivy", PASSWORD)
    identity.certificate.verify_directly_issued_by(_ca(keys))
    assert keys.pending(admin) == []
    with pytest.raises(KeyProblem, match="already"):
        keys.issue(admin, ADMIN_PASSWORD, "ivy")
    states = {s.user_id: s.state for s in keys.states(admin)}
    assert states == {"admin": "issued", "ivy": "issued"}


def test_a_one_time_password_never_gets_a_key(accounts: AccountService, keys: KeyService,
                                              admin: Actor) -> None:
    made = accounts.create_account(admin, "cora", "Cora Coordinator",
                                   frozenset({Role.COORDINATOR}))
    accounts.login("cora", made.one_time_password)
    with pytest.raises(NoSigningKey, match="no signing key yet"):
        keys.signing_identity("cora", made.one_time_password)
    assert {s.user_id: s.state for s in keys.states(admin)}["cora"] == "none"


def test_a_password_change_keeps_the_key_and_certificate(
        accounts: AccountService, keys: KeyService, admin: Actor) -> None:
    ivy = person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)
    keys.issue(admin, ADMIN_PASSWORD, "ivy")
    before = keys.signing_identity("ivy", PASSWORD)
    accounts.change_password(ivy, PASSWORD, NEW_PASSWORD)
    after = keys.signing_identity("ivy", NEW_PASSWORD)
    assert after.certificate == before.certificate
    assert pki.key_bytes(after.key) == pki.key_bytes(before.key)
    with pytest.raises(NoSigningKey, match="does not unlock"):
        keys.signing_identity("ivy", PASSWORD)


def test_a_reset_retires_the_key_and_the_next_own_password_makes_a_new_one(
        accounts: AccountService, keys: KeyService, admin: Actor) -> None:
    person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)
    keys.issue(admin, ADMIN_PASSWORD, "ivy")
    old = keys.signing_identity("ivy", PASSWORD)
    reset = accounts.reset_password(admin, "ivy")
    with pytest.raises(NoSigningKey, match="retired"):
        keys.signing_identity("ivy", PASSWORD)
    assert {s.user_id: s.state for s in keys.states(admin)}["ivy"] == "retired"
    first = accounts.login("ivy", reset.one_time_password)
    accounts.change_password(first, reset.one_time_password, NEW_PASSWORD)
    with pytest.raises(NoSigningKey, match="pending"):
        keys.signing_identity("ivy", NEW_PASSWORD)
    keys.issue(admin, ADMIN_PASSWORD, "ivy")
    new = keys.signing_identity("ivy", NEW_PASSWORD)
    assert _serial(new) != _serial(old)
    assert pki.key_bytes(new.key) != pki.key_bytes(old.key)
    known = keys.known_certificates()
    assert old.certificate in known
    assert new.certificate in known


def test_the_ca_is_granted_to_another_admin_with_both_passwords(
        accounts: AccountService, keys: KeyService, admin: Actor) -> None:
    bea = person(accounts, admin, "bea", "Bea Admin", Role.ADMIN)
    person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)
    with pytest.raises(KeyProblem, match="does not hold the site CA"):
        keys.issue(bea, PASSWORD, "ivy")
    with pytest.raises(KeyProblem, match="wrong"):
        keys.grant_ca(admin, ADMIN_PASSWORD, "bea", "not bea's password")
    with pytest.raises(KeyProblem, match="not an active administrator"):
        keys.grant_ca(admin, ADMIN_PASSWORD, "ivy", PASSWORD)
    keys.grant_ca(admin, ADMIN_PASSWORD, "bea", PASSWORD)
    keys.issue(bea, PASSWORD, "bea")
    # Bea's own change re-wraps her copy: she issues with the new password.
    bea = accounts.change_password(bea, PASSWORD, NEW_PASSWORD)
    keys.issue(bea, NEW_PASSWORD, "ivy")
    # A reset drops her copy: her next own password does not bring it back.
    assert {s.user_id: s.holds_ca for s in keys.states(admin)} == {
        "admin": True, "bea": True, "ivy": False}
    reset = accounts.reset_password(admin, "bea")
    bea = accounts.change_password(accounts.login("bea", reset.one_time_password),
                                   reset.one_time_password, PASSWORD)
    assert {s.user_id: s.holds_ca for s in keys.states(admin)}["bea"] is False
    with pytest.raises(KeyProblem, match="does not hold"):
        keys.issue(bea, PASSWORD, "bea")


def test_a_recovery_loses_the_ca_wrap_and_another_admin_grants_it_again(
        accounts: AccountService, keys: KeyService, registry: Registry) -> None:
    first = accounts.create_first_admin("admin", "Ada Admin", ADMIN_PASSWORD)
    admin = first.actor
    bea = person(accounts, admin, "bea", "Bea Admin", Role.ADMIN)
    keys.grant_ca(admin, ADMIN_PASSWORD, "bea", PASSWORD)
    old = keys.signing_identity("admin", ADMIN_PASSWORD)
    accounts.recover(first.recovery_code, "admin", NEW_PASSWORD)
    with pytest.raises(NoSigningKey, match="pending"):
        keys.signing_identity("admin", NEW_PASSWORD)
    with pytest.raises(KeyProblem, match="does not hold"):
        keys.issue(admin, NEW_PASSWORD, "admin")
    keys.issue(bea, PASSWORD, "admin")
    keys.grant_ca(bea, PASSWORD, "admin", NEW_PASSWORD)
    keys.issue(admin, NEW_PASSWORD, "bea")
    new = keys.signing_identity("admin", NEW_PASSWORD)
    assert _serial(new) != _serial(old)
    assert old.certificate in keys.known_certificates()


def test_a_sole_admin_after_recovery_makes_a_new_ca_and_old_signatures_still_verify(
        accounts: AccountService, keys: KeyService) -> None:
    first = accounts.create_first_admin("admin", "Ada Admin", ADMIN_PASSWORD)
    old = keys.signing_identity("admin", ADMIN_PASSWORD)
    old_ca = _ca(keys)
    accounts.recover(first.recovery_code, "admin", NEW_PASSWORD)
    new_ca = keys.new_ca(first.actor, NEW_PASSWORD)
    assert keys.ca_certificate() == new_ca != old_ca
    new = keys.signing_identity("admin", NEW_PASSWORD)  # issued from the new CA at once
    new.certificate.verify_directly_issued_by(new_ca)
    old.certificate.verify_directly_issued_by(old_ca)
    exported = x509.load_pem_x509_certificates(keys.ca_pem())
    assert exported == [new_ca, old_ca]
    assert keys.ca_certificates() == [old_ca, new_ca]


def _institution_p12(password: bytes) -> tuple[bytes, x509.Certificate]:
    ca_key, ca_cert = pki.new_site_ca("Fictional University Hospital", NOW)
    key = pki.new_key()
    cert = pki.issue_certificate(ca_key, ca_cert, key.public_key(), "ivy.i",
                                 "Dr Ivy Investigator", NOW)
    return pkcs12.serialize_key_and_certificates(
        b"ivy", key, cert, [ca_cert], serialization.BestAvailableEncryption(password)), ca_cert


def test_a_user_imports_their_institutions_pkcs12(
        accounts: AccountService, keys: KeyService, admin: Actor) -> None:
    ivy = person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)
    data, institution = _institution_p12(b"p12 secret")
    with pytest.raises(KeyProblem, match="password is wrong"):
        keys.import_pkcs12(ivy, PASSWORD, data, b"wrong")
    with pytest.raises(KeyProblem, match="wrong"):
        keys.import_pkcs12(ivy, "not my password", data, b"p12 secret")
    row = keys.import_pkcs12(ivy, PASSWORD, data, b"p12 secret")
    assert row.source == "imported"
    assert "Fictional University Hospital" in row.issuer
    identity = keys.signing_identity("ivy", PASSWORD)
    assert identity.chain == (institution,)
    identity.certificate.verify_directly_issued_by(institution)
    assert {s.user_id: s.state for s in keys.states(admin)}["ivy"] == "imported"
    assert keys.pending(admin) == []
    # A password change re-seals the imported key too.
    accounts.change_password(ivy, PASSWORD, NEW_PASSWORD)
    assert keys.signing_identity("ivy", NEW_PASSWORD).certificate == identity.certificate


def test_audited_without_key_material(accounts: AccountService, keys: KeyService,
                                      admin: Actor, registry: Registry) -> None:
    ivy = person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)
    bea = person(accounts, admin, "bea", "Bea Admin", Role.ADMIN)
    keys.grant_ca(admin, ADMIN_PASSWORD, "bea", PASSWORD)
    keys.issue(bea, PASSWORD, "ivy")
    accounts.change_password(ivy, PASSWORD, NEW_PASSWORD)
    accounts.reset_password(admin, "ivy")
    data, _ = _institution_p12(b"p12")
    keys.import_pkcs12(bea, PASSWORD, data, b"p12")
    with registry.read() as conn:
        actions = {row[0] for row in conn.execute("SELECT action FROM audit_event")}
        audit_text = "\n".join(
            " ".join(str(v) for v in row) for row in conn.execute("SELECT * FROM audit_event"))
        blobs = [bytes(row[0]) for table, column in (("user_key", "sealed"),
                                                     ("ca_key_grant", "wrapped"),
                                                     ("signing_ca", "sealed_key"))
                 for row in conn.execute(f"SELECT {column} FROM {table}")]
    assert {"ca.created", "key.created", "key.rewrapped", "key.retired",
            "certificate.issued", "certificate.imported", "ca.granted"} <= actions
    assert "PRIVATE KEY" not in audit_text
    assert "BEGIN CERTIFICATE" in audit_text  # public certificates may show
    for blob in (b for b in blobs if b):
        assert blob.hex() not in audit_text
        assert base64.b64encode(blob).decode() not in audit_text
        assert blob[-24:].hex() not in audit_text
    assert verify_file(registry.path, mirror=True).ok


def test_the_audit_view_masks_the_sealed_columns(accounts: AccountService, admin: Actor,
                                                  registry: Registry) -> None:
    from desktop.registry.audit_rows import SET, field_changes

    with registry.read() as conn:
        changes = [row[0] for row in conn.execute(
            "SELECT changes FROM audit_event WHERE action IN ('key.created', 'ca.created', "
            "'ca.granted')")]
    shown = [c for text in changes for c in field_changes(text)
             if c.field in {"sealed", "sealed_key", "wrapped"}]
    assert shown
    assert all(c.new == SET for c in shown)


def test_an_account_from_before_keys_gets_one_at_its_next_own_login(
        accounts: AccountService, keys: KeyService, admin: Actor, registry: Registry) -> None:
    person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)
    with registry.engine.begin() as conn:  # as an upgraded registry has it: no key rows
        conn.exec_driver_sql("DROP TRIGGER audit_user_key_delete")
        conn.exec_driver_sql("DELETE FROM user_key WHERE user_id = 'ivy'")
    accounts.login("ivy", PASSWORD)
    assert [p.user_id for p in keys.pending(admin)] == ["ivy"]


def test_the_default_kdf_follows_the_login_hasher(registry: Registry) -> None:
    service = AccountService(registry, hasher=passwords.fast_hasher())
    service.create_first_admin("admin", "Ada Admin", ADMIN_PASSWORD)
    with registry.read() as conn:
        blob = bytes(conn.execute("SELECT sealed FROM user_key").fetchone()[0])
    assert pki.sealed_kdf(blob) == pki.Kdf(1, 8, 1)
    assert KeyService(registry)._kdf == pki.Kdf(3, 64 * 1024, 1)


def test_a_sealed_key_changed_outside_nk_screen_is_caught(
        accounts: AccountService, admin: Actor, registry: Registry) -> None:
    import sqlite3

    conn = sqlite3.connect(registry.path)
    blob = bytes(conn.execute("SELECT sealed FROM user_key").fetchone()[0])
    conn.execute("UPDATE user_key SET sealed = ?", (blob[:-1] + bytes([blob[-1] ^ 1]),))
    conn.execute("DELETE FROM audit_pending")  # as someone covering their tracks would
    conn.commit()
    conn.close()
    report = verify_file(registry.path)
    assert any("sealed no longer matches" in p.message for p in report.problems)


def test_a_password_and_the_key_sealed_under_it_commit_together(
        accounts: AccountService, keys: KeyService, admin: Actor,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.registry.signing_keys import KeyWrites

    ivy = person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)
    keys.issue(admin, ADMIN_PASSWORD, "ivy")

    def fail(_self: KeyWrites, _session: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(KeyWrites, "apply", fail)
    with pytest.raises(OSError, match="disk gone"):
        accounts.change_password(ivy, PASSWORD, NEW_PASSWORD)
    monkeypatch.undo()
    assert accounts.login("ivy", PASSWORD).user_id == "ivy"  # the old password stands
    assert keys.signing_identity("ivy", PASSWORD).user_id == "ivy"


def test_the_demo_accounts_can_sign_at_once(registry: Registry) -> None:
    from desktop.services.demo import DEMO_PASSWORD, seed_demo_accounts

    seed_demo_accounts(registry, ["NCT06152809"], passwords.fast_hasher())
    keys = KeyService(registry)
    identity = keys.signing_identity("demo-investigator", DEMO_PASSWORD)
    identity.certificate.verify_directly_issued_by(_ca(keys))
    assert keys.seed_demo("demo-admin", DEMO_PASSWORD) == 0  # idempotent


def test_an_admin_beside_the_new_user_issues_their_certificate_on_first_login(
        accounts: AccountService, keys: KeyService, admin: Actor) -> None:
    ivy = person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)
    assert keys.own_state(ivy).state == "pending"
    with pytest.raises(KeyProblem, match="wrong"):
        keys.issue_beside("admin", "not the admin password", "ivy")
    with pytest.raises(KeyProblem, match="not an administrator"):
        keys.issue_beside("ivy", PASSWORD, "ivy")
    assert keys.own_state(ivy).state == "pending"
    row = keys.issue_beside("admin", ADMIN_PASSWORD, "ivy")
    assert row.user_id == "ivy"
    state = keys.own_state(ivy)
    assert state.state == "issued"
    assert state.issuer == pki.subject_text(_ca(keys).subject)
    keys.signing_identity("ivy", PASSWORD).certificate.verify_directly_issued_by(_ca(keys))


def test_an_admin_never_issues_their_own_certificate_beside_themselves(
        accounts: AccountService, keys: KeyService, admin: Actor) -> None:
    with pytest.raises(KeyProblem, match="Another administrator"):
        keys.issue_beside("admin", ADMIN_PASSWORD, "admin")


def test_no_new_ca_while_an_administrator_holds_the_current_one(
        keys: KeyService, admin: Actor) -> None:
    old = _ca(keys)
    with pytest.raises(KeyProblem, match="Ada Admin still holds the site CA"):
        keys.new_ca(admin, ADMIN_PASSWORD)
    assert keys.ca_certificate() == old
    assert keys.ca_fingerprint() == old.fingerprint(hashes.SHA256()).hex(":").upper()
