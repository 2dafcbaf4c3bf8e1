"""PAdES signatures on a worksheet (issue 16): both signers' fields laid out before the
first signature, each signature an incremental update, valid for pyHanko and poppler's
pdfsig; one flipped byte, a foreign certificate, or anything appended after the last
signature is caught."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from desktop.worksheets.page_marks import qr_payload
from desktop.worksheets.pdf_signing import (
    LoadedSigner,
    SigningError,
    Stamp,
    sign_field,
    with_signature_fields,
)
from desktop.worksheets.pdf_verify import NotAPdf, verify_pdf
from desktop.worksheets.worksheet_pdf import build_worksheet
from tests.worksheets.sample import worksheet
from tests.worksheets.signing_support import NOW, Person, Site, self_signed

SITE = Site()
CORA = SITE.person("Cora Coordinator")
IVY = SITE.person("Dr Ivy Investigator")


def _stamp(person: Person, role: str, meaning: str) -> Stamp:
    name = str(person.certificate.subject.rfc4514_string()).split("CN=")[1].split(",")[0]
    return Stamp(role, name, role, meaning, NOW, "Test site CA")


def _signed(first: Person = CORA, second: Person | None = IVY) -> tuple[bytes, object]:
    data = worksheet()
    built = build_worksheet(data)
    pdf = with_signature_fields(built.pdf, built.signer_boxes)
    coordinator, investigator = built.signer_boxes
    pdf = sign_field(pdf, coordinator, LoadedSigner(first.key, first.certificate,
                                                    first.chain),
                     _stamp(first, "Study coordinator", "Prepared by"))
    if second is not None:
        pdf = sign_field(pdf, investigator, LoadedSigner(second.key, second.certificate,
                                                         second.chain),
                         _stamp(second, "Investigator", "Eligibility confirmed by"))
    return pdf, data


@pytest.fixture(scope="module")
def signed() -> bytes:
    return _signed()[0]


def test_both_signatures_are_valid_and_nothing_follows_the_last(signed: bytes) -> None:
    report = verify_pdf(signed, [SITE.certificate, CORA.certificate, IVY.certificate])
    assert report.ok, report
    first, second = report.signatures
    assert (first.signer, first.meaning, first.after) == (
        "Cora Coordinator", "Prepared by", "signatures only")
    assert (second.signer, second.meaning, second.after) == (
        "Dr Ivy Investigator", "Eligibility confirmed by", "nothing")
    assert all(s.intact and s.valid and s.known for s in report.signatures)
    assert first.issuer == "Test site CA"
    assert report.qr == qr_payload(worksheet())


@pytest.mark.parametrize("where", [b"/Contents", b"stream\n", b"/Reason", b"%%EOF"])
def test_one_flipped_byte_is_caught(signed: bytes, where: bytes) -> None:
    """In an object's dictionary, inside a compressed page stream, in the signature's
    own reason, in the first revision's end: each is reported, none raises."""
    at = signed.index(where) + len(where) + (20 if where == b"stream\n" else -2)
    tampered = signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1:]
    report = verify_pdf(tampered)
    assert not report.ok


def test_anything_appended_after_the_last_signature_is_caught(signed: bytes) -> None:
    report = verify_pdf(signed + b"\n% appended\n")
    assert not report.ok


def test_a_foreign_self_signed_certificate_is_an_unknown_signer() -> None:
    pdf, _ = _signed(second=self_signed("Dr Ivy Investigator"))
    report = verify_pdf(pdf, [SITE.certificate, CORA.certificate, IVY.certificate])
    assert [s.known for s in report.signatures] == [True, False]
    assert report.signatures[1].intact  # made well, elsewhere
    assert report.signatures[1].valid
    assert not report.ok
    assert verify_pdf(pdf).ok  # without a registry to ask, it cannot be told apart


def test_a_field_is_signed_once_and_must_exist() -> None:
    data = worksheet()
    built = build_worksheet(data)
    pdf = with_signature_fields(built.pdf, built.signer_boxes)
    box = built.signer_boxes[0]
    signer = LoadedSigner(CORA.key, CORA.certificate, CORA.chain)
    once = sign_field(pdf, box, signer, _stamp(CORA, "Study coordinator", "Prepared by"))
    with pytest.raises(SigningError, match="signed already"):
        sign_field(once, box, signer, _stamp(CORA, "Study coordinator", "Prepared by"))
    from dataclasses import replace

    with pytest.raises(SigningError, match="no signature field signer-9"):
        sign_field(pdf, replace(box, name="signer-9"), signer,
                   _stamp(CORA, "Study coordinator", "Prepared by"))


def test_a_file_that_is_no_pdf_is_refused() -> None:
    with pytest.raises(NotAPdf):
        verify_pdf(b"hello")
    report = verify_pdf(build_worksheet(worksheet()).pdf)
    assert not report.ok
    assert report.problems == ("the PDF holds no signature",)


PDFSIG = shutil.which("pdfsig")
PDFFONTS = shutil.which("pdffonts")


@pytest.mark.skipif(PDFSIG is None, reason="pdfsig (poppler-utils) is not installed")
def test_pdfsig_reports_every_signature_valid(signed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = subprocess.run([str(PDFSIG), str(path)], capture_output=True, text=True).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert "Total document signed" in out


@pytest.mark.skipif(PDFFONTS is None, reason="pdffonts (poppler-utils) is not installed")
def test_the_signature_stamps_use_only_embedded_fonts(signed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = subprocess.run([str(PDFFONTS), str(path)], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines()[2:]:
        assert "DejaVuSans" in line, line
        assert line.split()[-5] == "yes", line


def test_the_base_of_a_signed_worksheet_says_how_to_read_its_boxes() -> None:
    """Laid out before the first signature, its pages cannot say who signed: every page
    says that a box with blank lines is not signed, and no draft watermark stays on it."""
    import io
    from dataclasses import replace

    from pypdf import PdfReader

    from desktop.worksheets.worksheet_data import SEALED_NOTE

    built = build_worksheet(replace(worksheet(), state="sealed"))
    pages = [" ".join((p.extract_text() or "").split())
             for p in PdfReader(io.BytesIO(built.pdf)).pages]
    assert all(SEALED_NOTE in page for page in pages)
    assert not any("DRAFT" in page for page in pages)


def test_each_signature_dictionary_carries_the_time_the_box_and_registry_show(
        signed: bytes) -> None:
    """/M is the stamp's time (the registry's), not pyHanko's clock read moments later."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(signed))
    times = [field["/V"]["/M"] for field in reader.get_fields().values()
             if field.get("/FT") == "/Sig" and field.get("/V") is not None]
    assert len(times) == 2
    expected = NOW.strftime("D:%Y%m%d%H%M%S")
    assert all(str(t).startswith(expected) for t in times), (times, expected)
