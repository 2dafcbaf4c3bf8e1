"""The signing keys' crypto: sealing under a password, the site CA, issued certificates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from desktop.worksheets import pki

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
FAST = pki.Kdf.fast()


def test_seal_round_trip_and_wrong_password_refused() -> None:
    blob = pki.seal(b"secret key bytes", "a long enough password", FAST, b"ann\0k1")
    assert b"secret key bytes" not in blob
    assert pki.unseal(blob, "a long enough password", b"ann\0k1") == b"secret key bytes"
    assert pki.sealed_kdf(blob) == FAST
    with pytest.raises(pki.WrongPassword):
        pki.unseal(blob, "another password", b"ann\0k1")


def test_sealed_blob_is_bound_to_its_owner_and_untouchable() -> None:
    blob = pki.seal(b"secret", "pw", FAST, b"ann\0k1")
    with pytest.raises(pki.WrongPassword):  # moved to another user's row
        pki.unseal(blob, "pw", b"bob\0k1")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(pki.WrongPassword):
        pki.unseal(tampered, "pw", b"ann\0k1")
    # A cheaper KDF written into the header is caught too (the header is authenticated).
    weaker = blob.replace(b'"t": 1', b'"t": 2')
    with pytest.raises(pki.WrongPassword):
        pki.unseal(weaker, "pw", b"ann\0k1")
    with pytest.raises(pki.PkiError):
        pki.unseal(b"not a blob", "pw", b"")


def test_each_seal_has_its_own_salt_and_nonce() -> None:
    assert pki.seal(b"s", "pw", FAST, b"") != pki.seal(b"s", "pw", FAST, b"")


def test_site_ca_is_a_ca_and_issues_verifiable_certificates() -> None:
    ca_key, ca_cert = pki.new_site_ca("Fictional Cancer Centre", NOW)
    loaded = pki.load_cert(pki.cert_pem(ca_cert))
    assert loaded.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert pki.is_ca(loaded)
    loaded.verify_directly_issued_by(loaded)  # self-signed
    user_key = pki.new_key()
    assert isinstance(user_key.curve, ec.SECP256R1)
    cert = pki.issue_certificate(ca_key, ca_cert, user_key.public_key(), "ivy",
                                 "Dr Ivy Investigator", NOW)
    cert.verify_directly_issued_by(loaded)
    assert pki.issued_by(cert, loaded)
    assert not pki.is_ca(cert)
    assert cert.signature_hash_algorithm is not None
    assert cert.signature_hash_algorithm.name == hashes.SHA256().name
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == \
        "Dr Ivy Investigator"
    assert cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == "ivy"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == \
        "Fictional Cancer Centre"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.content_commitment
    assert not usage.key_cert_sign
    years = (cert.not_valid_after_utc - cert.not_valid_before_utc).days / 365.25
    assert 9.9 < years < 10.1
    assert pki.matches(user_key, cert)
    _other_key, other_ca = pki.new_site_ca("Elsewhere", NOW)
    assert not pki.issued_by(cert, other_ca)


def test_key_bytes_round_trip() -> None:
    key = pki.new_key()
    assert pki.matches(pki.load_key(pki.key_bytes(key)), pki.issue_certificate(
        *pki.new_site_ca("S", NOW), key.public_key(), "u", "U Ser", NOW))


def _p12(password: bytes | None) -> tuple[bytes, x509.Certificate]:
    ca_key, ca_cert = pki.new_site_ca("Institution", NOW)
    key = pki.new_key()
    cert = pki.issue_certificate(ca_key, ca_cert, key.public_key(), "ann", "Ann Other", NOW)
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return pkcs12.serialize_key_and_certificates(b"ann", key, cert, [ca_cert],
                                                 encryption), ca_cert


def test_load_pkcs12() -> None:
    data, ca_cert = _p12(b"p12 secret")
    key, cert, chain = pki.load_pkcs12(data, b"p12 secret")
    assert pki.matches(key, cert)
    assert chain == (ca_cert,)
    with pytest.raises(pki.PkiError, match="password is wrong"):
        pki.load_pkcs12(data, b"wrong")
    with pytest.raises(pki.PkiError):
        pki.load_pkcs12(b"garbage", None)
