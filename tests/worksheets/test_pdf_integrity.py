"""What the signatures do not cover, checked: a byte flipped in a signature's zero padding
or in a certificate embedded beside the signer's leaves every PDF reader saying "valid";
``contents_problems`` and ``nkscreen verify`` say the file was changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from desktop.worksheets.pdf_integrity import contents_problems
from desktop.worksheets.pdf_verify import verify_pdf
from tests.cli.cli_run import Run
from tests.worksheets.signing_support import Site
from tests.worksheets.test_pdf_signing import _signed


@pytest.fixture(scope="module")
def signed() -> bytes:
    return _signed()[0]


def _holes(data: bytes) -> list[tuple[int, int]]:
    """Where each signature's /Contents hex digits are (start, end), in file order."""
    found = []
    for match in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data):
        start, first, second, _ = (int(g) for g in match.groups())
        found.append((start + first + 1, second - 1))
    return found


def _flip_hex(data: bytes, at: int) -> bytes:
    digit = data[at:at + 1]
    other = b"1" if digit == b"0" else b"0"
    return data[:at] + other + data[at + 1:]


def test_an_untouched_file_has_nothing_to_say(signed: bytes) -> None:
    assert contents_problems(signed) == [[], []]


def test_a_flip_in_the_last_signatures_padding_is_found(signed: bytes) -> None:
    _start, end = _holes(signed)[1]
    assert signed[end - 10:end] == b"0" * 10  # the padding runs to the end
    changed = _flip_hex(signed, end - 5)
    assert verify_pdf(changed).ok  # what a PDF reader says: still "valid"
    assert contents_problems(changed) == [
        [], ["bytes after its signature container (the padding) were changed"]]


def test_a_flip_in_an_earlier_signatures_padding_breaks_the_later_one(
        signed: bytes) -> None:
    """The later signature covers the earlier one's /Contents: the reader sees that."""
    _start, end = _holes(signed)[0]
    changed = _flip_hex(signed, end - 5)
    report = verify_pdf(changed)
    assert [s.intact for s in report.signatures] == [True, False]
    assert contents_problems(changed)[0] == [
        "bytes after its signature container (the padding) were changed"]


def test_a_flip_in_an_embedded_intermediate_certificate_is_found() -> None:
    """A signature carries its signer's intermediate CA (an institution's PKCS#12; a root
    is never carried): its bytes are outside what the signature covers."""
    middle = Site("Institution signing CA", parent=Site("Institution root"))
    signed = _signed(middle.person("Cora Coordinator"), middle.person("Dr Ivy"))[0]
    ca_hex = middle.certificate.public_bytes(Encoding.DER).hex().encode()
    at = signed.lower().rfind(ca_hex)  # the last signature's copy: nothing covers it
    assert at > 0
    changed = _flip_hex(signed, at + len(ca_hex) - 8)  # inside its signature value
    assert verify_pdf(changed).ok
    problems = [p for each in contents_problems(changed) for p in each]
    assert problems
    assert all("does not check: it was changed" in p for p in problems)


def test_verify_exits_1_and_says_which_signature(signed: bytes, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _start, end = _holes(signed)[1]
    path = tmp_path / "ws.pdf"
    path.write_bytes(_flip_hex(signed, end - 5))
    code, out, err = Run(capsys, monkeypatch)("verify", str(path))
    assert code == 1
    assert "signature 2 (Dr Ivy Investigator): bytes after its signature container" in out
    assert "Traceback" not in out + err


def test_a_truncated_container_is_damaged_not_a_crash(signed: bytes) -> None:
    start, _end = _holes(signed)[0]
    assert signed[start:start + 2] == b"30"  # a SEQUENCE
    changed = signed[:start] + b"4" + signed[start + 1:]  # not one any more
    assert contents_problems(changed)[0] == ["its signature container is damaged"]
