"""Signing keys and certificates as bytes: the site CA, users' certificates, sealed keys.

Pure functions over bytes and ``cryptography`` objects; no database, no Qt, no clock (the
caller passes ``now``). The service (:mod:`desktop.services.keys`) decides who gets what
and stores it through the registry.

- ``new_site_ca``: the site's signing authority, an ECDSA P-256 key and its self-signed
  certificate (basicConstraints CA:true, path length 0), valid 20 years.
- ``issue_certificate``: a user's certificate from the site CA: CN the printed name, UID the
  user id, O the site (the CA's O), KeyUsage digitalSignature + nonRepudiation,
  basicConstraints CA:false, valid 10 years.
- ``seal`` / ``unseal``: a secret (a private key, a CA data key) under a password. The key
  is argon2id (raw, with its own random 16-byte salt: never the login hash) of the
  password, 32 bytes, for AES-256-GCM with a random 12-byte nonce; the associated data
  binds the blob to what it belongs to (user id and key id), and the blob's header (KDF
  parameters, salt, nonce) is authenticated too. ``Kdf`` holds the argon2id cost, kept in
  each blob's header, so a blob opens with the parameters it was made with.
- ``encrypt`` / ``decrypt``: AES-256-GCM under a random data key (the CA key's storage).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

CA_YEARS: Final = 20
USER_YEARS: Final = 10
_MAGIC: Final = b"NKSEAL1\n"
_NONCE: Final = 12
_SALT: Final = 16


class PkiError(ValueError):
    """Key material that cannot be used; the message says why, in a sentence."""


class WrongPassword(PkiError):
    """A sealed blob did not open with this password (or was altered)."""


@dataclass(frozen=True)
class SigningIdentity:
    """What signs a worksheet: the user's key, their certificate and its issuers."""

    user_id: str
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificate: x509.Certificate
    #: The issuer certificates (the site CA for an issued certificate).
    chain: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class Kdf:
    """argon2id cost for sealing: passes, memory in KiB, lanes."""

    time_cost: int = 3
    memory_cost: int = 64 * 1024
    parallelism: int = 1

    @classmethod
    def fast(cls) -> Kdf:
        """For tests only: the smallest cost argon2 accepts."""
        return cls(time_cost=1, memory_cost=8, parallelism=1)

    def derive(self, password: str | bytes, salt: bytes) -> bytes:
        from argon2.low_level import Type, hash_secret_raw

        secret = password.encode() if isinstance(password, str) else password
        return hash_secret_raw(secret, salt, time_cost=self.time_cost,
                               memory_cost=self.memory_cost, parallelism=self.parallelism,
                               hash_len=32, type=Type.ID)


# -- sealing ----------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def seal(secret: bytes, password: str | bytes, kdf: Kdf, associated: bytes) -> bytes:
    """``secret`` encrypted under a key derived from ``password`` (see the module doc)."""
    salt, nonce = os.urandom(_SALT), os.urandom(_NONCE)
    header = json.dumps({"kdf": "argon2id", "t": kdf.time_cost, "m": kdf.memory_cost,
                         "p": kdf.parallelism, "salt": _b64(salt), "nonce": _b64(nonce),
                         "aead": "AES-256-GCM"}, sort_keys=True).encode() + b"\n"
    body = AESGCM(kdf.derive(password, salt)).encrypt(nonce, secret,
                                                      _MAGIC + header + associated)
    return _MAGIC + header + body


def sealed_kdf(blob: bytes) -> Kdf:
    """The KDF parameters a blob was sealed with."""
    return _header(blob)[0]


def _header(blob: bytes) -> tuple[Kdf, bytes, bytes, bytes, bytes]:
    if not blob.startswith(_MAGIC) or b"\n" not in blob[len(_MAGIC):]:
        raise PkiError("The stored key is not one NK Screen sealed.")
    header, _, body = blob[len(_MAGIC):].partition(b"\n")
    try:
        fields = json.loads(header)
        kdf = Kdf(int(fields["t"]), int(fields["m"]), int(fields["p"]))
        salt, nonce = base64.b64decode(fields["salt"]), base64.b64decode(fields["nonce"])
    except (ValueError, KeyError, TypeError) as exc:
        raise PkiError("The stored key's header is damaged.") from exc
    return kdf, salt, nonce, _MAGIC + header + b"\n", body


def unseal(blob: bytes, password: str | bytes, associated: bytes) -> bytes:
    """The secret ``seal`` sealed; ``WrongPassword`` if this password (or the associated
    data) is not the one it was sealed with, or the blob was altered."""
    kdf, salt, nonce, header, body = _header(blob)
    try:
        return AESGCM(kdf.derive(password, salt)).decrypt(nonce, body, header + associated)
    except InvalidTag as exc:
        raise WrongPassword("The password does not unlock this key.") from exc


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def encrypt(data_key: bytes, plain: bytes, associated: bytes) -> bytes:
    """AES-256-GCM under ``data_key``: nonce + ciphertext."""
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(data_key).encrypt(nonce, plain, associated)


def decrypt(data_key: bytes, blob: bytes, associated: bytes) -> bytes:
    try:
        return AESGCM(data_key).decrypt(blob[:_NONCE], blob[_NONCE:], associated)
    except InvalidTag as exc:
        raise PkiError("The stored CA key does not open with its data key.") from exc


# -- keys and certificates ----------------------------------------------------------------

def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ECDSA P-256 key pair."""
    return ec.generate_private_key(ec.SECP256R1())


def key_bytes(key: PrivateKey) -> bytes:
    """The private key as unencrypted PKCS#8 DER (only ever handed to ``seal``)."""
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_key(data: bytes) -> PrivateKey:
    key = serialization.load_der_private_key(data, password=None)
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise PkiError("Only ECDSA and RSA keys sign worksheets.")
    return key


def public_pem(key: PrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public(pem: str) -> PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        raise PkiError("Only ECDSA and RSA keys sign worksheets.")
    return key


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_cert(pem: str | bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)


def _utc(now: dt.datetime) -> dt.datetime:
    return (now if now.tzinfo else now.astimezone()).astimezone(dt.UTC)


def _years(start: dt.datetime, years: int) -> dt.datetime:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def new_site_ca(site_name: str, now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey,
                                                           x509.Certificate]:
    """The site's signing authority: a P-256 key and its self-signed CA certificate."""
    site = " ".join(site_name.split()) or "NK Screen site"
    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{site} NK Screen signing CA"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, site)])
    start = _utc(now) - dt.timedelta(minutes=5)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(_years(start, CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def issue_certificate(ca_key: PrivateKey, ca_cert: x509.Certificate,
                      public_key: PublicKey,
                      user_id: str, full_name: str, now: dt.datetime) -> x509.Certificate:
    """A user's signing certificate from the site CA (see the module doc)."""
    site = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, full_name),
             x509.NameAttribute(NameOID.USER_ID, user_id)]
    if site:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(site[0].value)))
    start = _utc(now) - dt.timedelta(minutes=5)
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    return (x509.CertificateBuilder().subject_name(x509.Name(parts))
            .issuer_name(ca_cert.subject).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(_years(start, USER_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def matches(key: PrivateKey, cert: x509.Certificate) -> bool:
    """Whether ``cert`` certifies ``key``'s public key."""
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return bool(key.public_key().public_bytes(der, spki) ==
                cert.public_key().public_bytes(der, spki))


def new_key_id() -> str:
    return secrets.token_hex(16)


def load_pkcs12(data: bytes, password: bytes | None) -> tuple[PrivateKey, x509.Certificate,
                                                              tuple[x509.Certificate, ...]]:
    """The key, certificate and issuer chain of a PKCS#12 file; ``PkiError`` with why."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        raise PkiError("The PKCS#12 file could not be read: the password is wrong or the "
                       "file is damaged.") from exc
    if key is None or cert is None:
        raise PkiError("The PKCS#12 file must hold a private key and its certificate.")
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise PkiError("Only ECDSA and RSA keys sign worksheets.")
    if not matches(key, cert):
        raise PkiError("The PKCS#12 file's certificate is not for its key.")
    return key, cert, tuple(extra)


def fingerprint(cert: x509.Certificate) -> str:
    """The SHA-256 fingerprint as ``openssl x509 -fingerprint -sha256`` prints it."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def subject_text(name: x509.Name) -> str:
    return name.rfc4514_string()


def common_name(cert: x509.Certificate) -> str:
    return name_common(cert.subject)


def name_common(name: x509.Name) -> str:
    """A name's common name (else the whole name as text)."""
    found = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(found[0].value) if found else name.rfc4514_string()


def not_after(cert: x509.Certificate) -> dt.datetime:
    return cert.not_valid_after_utc
