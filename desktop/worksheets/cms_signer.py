"""pyHanko's ``Signer`` for a key held in memory, putting each PAdES signature's CMS
container together from parts encoded once per session.

pyHanko's ``SimpleSigner`` parses the private key again for every signature and builds
the whole CMS structure from Python values with asn1crypto each time (most of a
signature's time). ``KeySigner`` signs with the cryptography key object itself and
encodes, once, everything that does not change from one signature to the next: the
certificates (the signer's and its issuers'), the signer's identifier, the algorithm
identifiers and the signed attributes other than the message digest. Those attributes
are the ones pyHanko's own PAdES path produces (content type, message digest,
signing-certificate-v2; no signing-time, which PAdES B-B puts in the signature
dictionary instead), asked of pyHanko once; only the message digest and the signature
value are encoded per signature. Anything other than that plain case (another digest, a
timestamp, CAdES attributes, a dry run) goes to pyHanko's own code unchanged.

The container is byte for byte what pyHanko builds (the tests compare them for an RSA
key, whose PKCS#1 v1.5 signature is deterministic). No Qt, no database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

#: The only digest the fast path serves (the worksheets' signatures use SHA-256).
DIGEST = "sha256"
#: The signed attributes pyHanko's PAdES path gives, by asn1crypto's names.
_EXPECTED_ATTRIBUTES = {"content_type", "message_digest", "signing_certificate_v2"}


def _tlv(tag: int, body: bytes) -> bytes:
    """One DER element: its tag, its length (definite form), its contents."""
    size = len(body)
    if size < 0x80:
        return bytes((tag, size)) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + body


def _message_digest(digest: bytes) -> bytes:
    value: bytes = cms.CMSAttribute(
        {"type": "message_digest", "values": [digest]}).dump()
    return value


class KeySigner(Signer):
    """A signer over ``key`` (EC or RSA, cryptography's object) and its certificate."""

    def __init__(self, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
                 certificate: asn1_x509.Certificate,
                 chain: list[asn1_x509.Certificate]) -> None:
        super().__init__(
            signing_cert=certificate,
            cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
            embed_roots=True)
        self._key = key
        #: The signed attributes but the message digest, DER (None: not asked yet;
        #: empty: pyHanko gives others, so every signature takes pyHanko's own path).
        self._fixed_attributes: list[bytes] | None = None
        mechanism = self.get_signature_mechanism_for_digest(DIGEST)
        digest_algorithm = cms.DigestAlgorithm({"algorithm": DIGEST}).dump()
        sid = cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": certificate.issuer, "serial_number": certificate.serial_number})})
        self._signer_info_head = (cms.CMSVersion("v1").dump() + sid.dump()
                                  + digest_algorithm)
        self._signature_algorithm = mechanism.dump()
        certificates = {cert.dump() for cert in chain} | {certificate.dump()}
        self._signed_data_head = (
            cms.CMSVersion("v1").dump() + _tlv(0x31, digest_algorithm)
            + cms.EncapsulatedContentInfo({"content_type": "data"}).dump()
            + _tlv(0xA0, b"".join(sorted(certificates))))
        self._content_type = cms.ContentType("signed_data").dump()

    def _sign(self, data: bytes, digest_algorithm: str = DIGEST) -> bytes:
        """The raw signature over ``data`` with the key itself (PKCS#1 v1.5 for RSA, as
        pyHanko's default mechanism for an RSA certificate is)."""
        mechanism = str(self.get_signature_mechanism_for_digest(digest_algorithm)
                        ["algorithm"].native)
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if isinstance(self._key, ec.EllipticCurvePrivateKey) and mechanism.endswith("_ecdsa"):
            return self._key.sign(data, ec.ECDSA(digest))
        if isinstance(self._key, rsa.RSAPrivateKey) and mechanism.endswith("_rsa"):
            return self._key.sign(data, padding.PKCS1v15(), digest)
        raise ValueError(f"the signature mechanism {mechanism} is not supported")

    async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                             dry_run: bool = False) -> bytes:
        return self._sign(data, digest_algorithm)

    async def async_sign(self, data_digest: bytes, digest_algorithm: str,
                         dry_run: bool = False, use_pades: bool = False,
                         timestamper: Any = None,
                         signed_attr_settings: PdfCMSSignedAttributes | None = None,
                         is_pdf_sig: bool = True,
                         encap_content_info: Any = None) -> cms.ContentInfo:
        settings = signed_attr_settings or PdfCMSSignedAttributes()
        plain = (digest_algorithm == DIGEST and use_pades and is_pdf_sig and not dry_run
                 and timestamper is None and encap_content_info is None
                 and settings.cades_signed_attrs is None
                 and settings.adobe_revinfo_attr is None
                 and self.signed_attr_prov_spec is None
                 and self.unsigned_attr_prov_spec is None
                 and not list(self.attribute_certs))
        if not plain or not await self.prepare():
            signed: cms.ContentInfo = await super().async_sign(
                data_digest, digest_algorithm, dry_run=dry_run, use_pades=use_pades,
                timestamper=timestamper, signed_attr_settings=signed_attr_settings,
                is_pdf_sig=is_pdf_sig, encap_content_info=encap_content_info)
            return signed
        return cms.ContentInfo.load(self._container(data_digest, self._sign))

    def _container(self, digest: bytes, sign: Callable[[bytes], bytes]) -> bytes:
        """The ContentInfo's DER for the document digest ``digest``."""
        assert self._fixed_attributes
        attributes = b"".join(sorted([*self._fixed_attributes, _message_digest(digest)]))
        signature = sign(_tlv(0x31, attributes))
        signer_info = _tlv(0x30, self._signer_info_head + _tlv(0xA0, attributes)
                           + self._signature_algorithm + _tlv(0x04, signature))
        signed_data = _tlv(0x30, self._signed_data_head + _tlv(0x31, signer_info))
        return _tlv(0x30, self._content_type + _tlv(0xA0, signed_data))

    def reserve(self) -> int | None:
        """The room a signature's container takes in the file (hexadecimal digits), at
        most, with a little to spare; None: not known (pyHanko's own path signs)."""
        if not self._fixed_attributes:
            return None
        longest = bytes(_longest_signature(self._key))
        size = len(self._container(bytes(32), lambda _data: longest))
        return 2 * (size + 32)

    async def prepare(self) -> bool:
        """Asks pyHanko once for the signed attributes other than the message digest;
        whether they are the expected ones (else pyHanko's own path signs). Asked with a
        signing time, as a signature is: should pyHanko ever sign one in, this path
        would no longer be pyHanko's and steps aside."""
        if self._fixed_attributes is None:
            settings = PdfCMSSignedAttributes(signing_time=datetime.now(UTC))
            stock = await self.signed_attrs(bytes(32), DIGEST, use_pades=True,
                                            attr_settings=settings)
            names = [attribute["type"].native for attribute in stock]
            ok = sorted(names) == sorted(_EXPECTED_ATTRIBUTES)
            self._fixed_attributes = [
                attribute.dump() for attribute in stock
                if attribute["type"].native != "message_digest"] if ok else []
        return bool(self._fixed_attributes)


def _longest_signature(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> int:
    """The longest signature value ``key`` makes, in bytes."""
    if isinstance(key, rsa.RSAPrivateKey):
        return (key.key_size + 7) // 8
    integer = 2 + (key.curve.key_size + 7) // 8 + 1  # tag, length, a leading zero
    body = 2 * integer
    return body + (2 if body < 0x80 else 3)
