"""``nkscreen verify FILE.pdf`` (issue 16), without a registry: each signature reported,
exit 0 valid and nothing after the last, 1 altered, 2 not a PDF; no login, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.cli.cli_run import Run
from tests.worksheets.signing_support import Site, self_signed
from tests.worksheets.test_pdf_signing import SITE, _signed


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    return Run(capsys, monkeypatch)


@pytest.fixture(scope="module")
def signed() -> bytes:
    return _signed()[0]


def test_a_signed_worksheet_verifies(run: Run, signed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "ws.pdf"
    path.write_bytes(signed)
    code, report, err = run("verify", str(path))
    assert code == 0, err
    assert report["ok"] is True
    assert [(s["signer"], s["meaning"], s["intact"], s["valid"]) for s in
            report["signatures"]] == [
        ("Cora Coordinator", "Prepared by", True, True),
        ("Dr Ivy Investigator", "Eligibility confirmed by", True, True)]
    assert report["ends_with_signature"] is True
    assert report["qr"]["doc"] == "WS-NCT07011004-A1234567-S1-V1"
    assert report["registry"] is None
    assert err == ""


def test_an_altered_byte_exits_1_with_the_report(run: Run, signed: bytes,
                                                 tmp_path: Path) -> None:
    at = signed.index(b"/Reason") + 9
    path = tmp_path / "ws.pdf"
    path.write_bytes(signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1:])
    code, out, err = run("verify", str(path))
    assert code == 1
    assert '"ok": false' in out
    assert "Traceback" not in out + err


def test_a_file_that_is_no_pdf_exits_2(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_text("hello", encoding="utf-8")
    code, _out, err = run("verify", str(path))
    assert code == 2
    assert "not a PDF" in err
    code, _out, err = run("verify", str(tmp_path / "missing.pdf"))
    assert code == 2
    assert "cannot be read" in err


def test_without_the_registry_the_report_says_who_signed_was_not_checked(
        run: Run, signed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "ws.pdf"
    path.write_bytes(signed)
    code, report, _err = run("verify", str(path))
    assert code == 0
    assert report["signers_checked"].startswith("not checked")
    assert "--ca site-ca.pem" in report["signers_checked"]


def _pem(tmp_path: Path, *certs: x509.Certificate) -> Path:
    path = tmp_path / "site-ca.pem"
    path.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in certs))
    return path


def test_with_the_site_ca_a_sponsor_checks_who_issued_each_signers_certificate(
        run: Run, signed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "ws.pdf"
    path.write_bytes(signed)
    code, report, err = run("verify", str(path), "--ca", str(_pem(tmp_path,
                                                                  SITE.certificate)))
    assert code == 0, err
    assert [s["issued_by_given_ca"] for s in report["signatures"]] == [True, True]
    assert report["signers_checked"] == "against the CA certificate file given (--ca)"
    other = Site()  # another site's CA: the file is intact, but not signed under this CA
    code, out, _err = run("verify", str(path), "--ca", str(_pem(tmp_path, other.certificate)))
    assert code == 1
    assert "signature 1 (Cora Coordinator): its certificate was not issued by the CA" in out


def test_a_forged_dr_smith_is_refused_with_the_site_ca(run: Run, tmp_path: Path) -> None:
    forged, _ = _signed(second=self_signed("Dr Ivy Investigator"))
    path = tmp_path / "forged.pdf"
    path.write_bytes(forged)
    code, report, _err = run("verify", str(path))
    assert code == 0  # intact and valid as a PDF signature: who signed is not checked
    assert report["signers_checked"].startswith("not checked")
    code, out, _err = run("verify", str(path), "--ca", str(_pem(tmp_path, SITE.certificate)))
    assert code == 1
    assert "signature 2 (Dr Ivy Investigator): its certificate was not issued" in out


@pytest.mark.parametrize("content", [b"", b"not a certificate"])
def test_an_unreadable_ca_file_is_bad_usage(run: Run, signed: bytes, tmp_path: Path,
                                            content: bytes) -> None:
    path = tmp_path / "ws.pdf"
    path.write_bytes(signed)
    ca = tmp_path / "ca.pem"
    ca.write_bytes(content)
    code, _out, err = run("verify", str(path), "--ca", str(ca))
    assert code == 2
    assert "--ca" in err
    code, _out, err = run("verify", str(path), "--ca", str(tmp_path / "missing.pem"))
    assert code == 2
    assert "cannot be read" in err
