"""The signature container ``KeySigner`` puts together is pyHanko's own: byte for byte
for an RSA key (its PKCS#1 v1.5 signature is deterministic), and for a P-256 key the
same signed attributes (PAdES B-B: content type, message digest, signing-certificate-v2;
no signing-time) and certificates, with a signature that checks. The room kept in the
file fits the longest container the key makes; anything but the plain PAdES case goes
to pyHanko's own code."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko_certvalidator.registry import SimpleCertificateStore

from desktop.worksheets.cms_signer import KeySigner
from desktop.worksheets.pdf_signing import LoadedSigner
from tests.worksheets.signing_support import NOW, Person, Site

SITE = Site()
EC_PERSON = SITE.person("Cora Coordinator")
RSA_PERSON = SITE.person("Dr Ivy Investigator", rsa_bits=2048)
DIGEST = hashlib.sha256(b"the document's signed byte range").digest()


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _stock(person: Person) -> SimpleSigner:
    from asn1crypto import keys

    key = keys.PrivateKeyInfo.load(person.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return SimpleSigner(signing_cert=_asn1(person.certificate), signing_key=key,
                        cert_registry=SimpleCertificateStore.from_certs(
                            [_asn1(c) for c in person.chain]))


def _ours(person: Person) -> KeySigner:
    return KeySigner(person.key, _asn1(person.certificate),
                     [_asn1(c) for c in person.chain])


def _sign(signer: object, **kwargs: object) -> cms.ContentInfo:
    settings = PdfCMSSignedAttributes(signing_time=NOW)
    result: cms.ContentInfo = asyncio.run(signer.async_sign(  # type: ignore[attr-defined]
        DIGEST, "sha256", use_pades=True, signed_attr_settings=settings, **kwargs))
    return result


def test_an_rsa_container_is_pyhankos_byte_for_byte() -> None:
    assert _sign(_ours(RSA_PERSON)).dump() == _sign(_stock(RSA_PERSON)).dump()


def test_a_p256_container_has_pyhankos_attributes_and_a_signature_that_checks() -> None:
    ours, stock = _sign(_ours(EC_PERSON)), _sign(_stock(EC_PERSON))
    ours_info, stock_info = (c["content"]["signer_infos"][0] for c in (ours, stock))
    assert ours_info["signed_attrs"].dump() == stock_info["signed_attrs"].dump()
    names = [a["type"].native for a in ours_info["signed_attrs"]]
    assert sorted(names) == ["content_type", "message_digest", "signing_certificate_v2"]
    digest = next(a for a in ours_info["signed_attrs"] if a["type"].native == "message_digest")
    assert digest["values"][0].native == DIGEST
    for part in ("version", "digest_algorithms", "encap_content_info", "certificates"):
        assert ours["content"][part].dump() == stock["content"][part].dump(), part
    for part in ("version", "sid", "digest_algorithm", "signature_algorithm"):
        assert ours_info[part].dump() == stock_info[part].dump(), part
    public = EC_PERSON.key.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    signed = ours_info["signed_attrs"].untag().dump()  # the SET OF that was signed
    public.verify(ours_info["signature"].native, signed, ec.ECDSA(hashes.SHA256()))
    tampered = signed[:-1] + bytes([signed[-1] ^ 1])
    from cryptography.exceptions import InvalidSignature

    with pytest.raises(InvalidSignature):
        public.verify(ours_info["signature"].native, tampered, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("person", [EC_PERSON, RSA_PERSON], ids=["p256", "rsa2048"])
def test_the_room_kept_fits_every_container_the_key_makes(person: Person) -> None:
    loaded = LoadedSigner(person.key, person.certificate, person.chain)
    longest = max(len(_sign(loaded.signer).dump()) for _ in range(40))
    assert 2 * longest <= loaded.reserved < 2 * longest + 200


def test_anything_but_plain_pades_is_left_to_pyhanko() -> None:
    """A dry run, another digest: pyHanko's own code builds it, with this key."""
    signer = _ours(RSA_PERSON)
    assert _sign(signer, dry_run=True).dump() == _sign(_stock(RSA_PERSON),
                                                       dry_run=True).dump()
    sha512 = asyncio.run(signer.async_sign(hashlib.sha512(b"x").digest(), "sha512",
                                           use_pades=True))
    info = sha512["content"]["signer_infos"][0]
    assert info["digest_algorithm"]["algorithm"].native == "sha512"
    public = RSA_PERSON.key.public_key()
    public.verify(info["signature"].native, info["signed_attrs"].untag().dump(),  # type: ignore[call-arg]
                  padding.PKCS1v15(), hashes.SHA512())


def test_an_rsa_signed_worksheet_verifies_and_pdfsig_agrees(tmp_path: Path) -> None:
    """The whole path with an RSA key (a PKCS#12 an institution issued, say)."""
    from dataclasses import replace

    from desktop.worksheets.pdf_signing import Stamp, sign_field, with_signature_fields
    from desktop.worksheets.pdf_verify import verify_pdf
    from desktop.worksheets.worksheet_pdf import build_worksheet
    from tests.worksheets.sample import worksheet

    built = build_worksheet(replace(worksheet(), state="sealed"))
    pdf = with_signature_fields(built.pdf, built.signer_boxes)
    for box, person, meaning in zip(built.signer_boxes, (EC_PERSON, RSA_PERSON),
                                    ("Prepared by", "Eligibility confirmed by"), strict=True):
        pdf = sign_field(pdf, box, LoadedSigner(person.key, person.certificate,
                                                person.chain),
                         Stamp(box.role, "Someone", box.role, meaning, NOW, "Test site CA"))
    report = verify_pdf(pdf, [SITE.certificate, EC_PERSON.certificate,
                              RSA_PERSON.certificate])
    assert report.ok, report
    assert [s.meaning for s in report.signatures] == ["Prepared by",
                                                      "Eligibility confirmed by"]
    if shutil.which("pdfsig") is not None:
        path = tmp_path / "rsa.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        assert out.count("Signature Validation: Signature is Valid.") == 2, out
