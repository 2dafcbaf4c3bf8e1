"""What a PDF signature leaves uncovered, checked: the ``/Contents`` hole of each signature.

A PDF signature covers every byte of the file up to it except its own ``/Contents``
string, which holds the CMS container: the signature value, the signed attributes, the
certificates, then zero padding to the size reserved. The signature checks the signed
attributes; it does not cover the padding nor the certificates the signer's software
added beside the signer's own. A flipped byte there leaves the signature "valid" in any
PDF reader, yet the file is not the one signed. ``contents_problems`` finds such a
change: padding that is not all zero, a container that is not one DER value, and an
embedded certificate that does not check (a CA certificate whose self-signature fails,
or a signer certificate its embedded issuer did not sign). Pure bytes in, sentences
out; no Qt, no I/O.
"""

from __future__ import annotations

import re
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature

_BYTE_RANGE: Final = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
_HEX: Final = re.compile(rb"[0-9A-Fa-f\s]*")


def _der_length(data: bytes) -> int | None:
    """The length of the DER value at the start of ``data`` (None: not one)."""
    if len(data) < 2 or data[0] != 0x30:  # a CMS ContentInfo is a SEQUENCE
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2:2 + count], "big")


def _certificates(container: bytes) -> list[x509.Certificate]:
    from asn1crypto import cms

    info = cms.ContentInfo.load(container)
    signed = info["content"]
    found = []
    for choice in signed["certificates"] or ():
        if choice.name == "certificate":
            found.append(x509.load_der_x509_certificate(choice.chosen.dump()))
    return found


def _certificate_problems(certs: list[x509.Certificate]) -> list[str]:
    problems = []
    by_subject = {c.subject.public_bytes(): c for c in certs}
    for cert in certs:
        issuer = by_subject.get(cert.issuer.public_bytes())
        if issuer is None:
            continue  # its issuer is not in the file: checked against a registry or CA
        try:
            cert.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError):
            problems.append(f"the certificate of {cert.subject.rfc4514_string()} in it "
                            "does not check: it was changed")
    return problems


def _containers(data: bytes) -> list[bytes | None]:
    """Each signature's CMS container, in file order (None: it cannot be found)."""
    found: list[bytes | None] = []
    for match in _BYTE_RANGE.finditer(data):
        start, first, second, _length = (int(g) for g in match.groups())
        hole = data[start + first:second]
        digits = re.sub(rb"\s", b"", hole[1:-1])
        try:
            container = bytes.fromhex(digits.decode("ascii"))
        except ValueError:
            found.append(None)
            continue
        size = _der_length(container)
        found.append(None if size is None or size > len(container) else container[:size])
    return found


def _names(sid: Any, cert: Any) -> bool:
    """Whether the signer identifier ``sid`` names ``cert`` (asn1crypto values)."""
    if sid.name == "issuer_and_serial_number":
        return bool(cert.issuer == sid.chosen["issuer"]
                    and cert.serial_number == sid.chosen["serial_number"].native)
    return bool(cert.key_identifier == sid.chosen.native)


def signer_certificates(data: bytes) -> list[x509.Certificate | None]:
    """Each signature's signer certificate (the one its signer info names), in file
    order; None where the container cannot be read."""
    from asn1crypto import cms

    found: list[x509.Certificate | None] = []
    for container in _containers(data):
        cert = None
        if container is not None:
            try:
                signed = cms.ContentInfo.load(container)["content"]
                sid = signed["signer_infos"][0]["sid"]
                for choice in signed["certificates"] or ():
                    if choice.name == "certificate" and _names(sid, choice.chosen):
                        cert = x509.load_der_x509_certificate(choice.chosen.dump())
            except (ValueError, TypeError, KeyError, IndexError):
                cert = None
        found.append(cert)
    return found


def contents_problems(data: bytes) -> list[list[str]]:
    """For each signature in file order, what is wrong with its ``/Contents`` (an empty
    list: nothing)."""
    found: list[list[str]] = []
    for match in _BYTE_RANGE.finditer(data):
        start, first, second, _length = (int(g) for g in match.groups())
        hole = data[start + first:second]
        problems: list[str] = []
        found.append(problems)
        if len(hole) < 2 or hole[:1] != b"<" or hole[-1:] != b">" \
                or not _HEX.fullmatch(hole[1:-1]):
            problems.append("its signature container is not where its byte range says")
            continue
        digits = re.sub(rb"\s", b"", hole[1:-1])
        if len(digits) % 2:
            problems.append("its signature container is damaged")
            continue
        container = bytes.fromhex(digits.decode("ascii"))
        size = _der_length(container)
        if size is None or size > len(container):
            problems.append("its signature container is damaged")
            continue
        if any(container[size:]):
            problems.append("bytes after its signature container (the padding) were "
                            "changed")
        try:
            problems += _certificate_problems(_certificates(container[:size]))
        except (ValueError, TypeError, KeyError):
            problems.append("the certificates in its signature container cannot be read")
    return found
