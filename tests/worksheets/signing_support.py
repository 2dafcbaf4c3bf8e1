"""A site CA and signers made in memory, for the signing tests (the key service makes
the real ones)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test site")])


@dataclass(frozen=True)
class Person:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


def _certificate(subject: x509.Name, issuer: x509.Name,
                 public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
                 signer: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
    usage = x509.KeyUsage(digital_signature=not ca, content_commitment=not ca,
                          key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                          encipher_only=False, decipher_only=False)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None),
                           critical=True)
            .add_extension(usage, critical=True)
            .sign(signer, hashes.SHA256()))


class Site:
    """A site CA issuing certificates to people (a root, or an intermediate of
    ``parent``)."""

    def __init__(self, name: str = "Test site CA", parent: Site | None = None) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        issuer = self if parent is None else parent
        self.certificate = _certificate(
            _name(name), _name(name) if parent is None else parent.certificate.subject,
            self.key.public_key(), issuer.key, ca=True)
        #: The certificates above this one, up to the root.
        self.above: tuple[x509.Certificate, ...] = () if parent is None else (
            parent.certificate, *parent.above)

    def person(self, common: str, rsa_bits: int | None = None) -> Person:
        """A P-256 key and its certificate (an RSA key of ``rsa_bits`` if given)."""
        key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
            ec.generate_private_key(ec.SECP256R1()) if rsa_bits is None
            else rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits))
        cert = _certificate(_name(common), self.certificate.subject, key.public_key(),
                            self.key, ca=False)
        return Person(key, cert, (self.certificate, *self.above))


def self_signed(common: str) -> Person:
    """A certificate someone made elsewhere, naming whoever they like."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(_name(common), _name(common), key.public_key(), key, ca=False)
    return Person(key, cert, ())
