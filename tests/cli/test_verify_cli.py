"""``nkscreen verify FILE.pdf`` (issue 16), without a registry: each signature reported,
exit 0 valid and nothing after the last, 1 altered, 2 not a PDF; no login, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cli_run import Run
from tests.worksheets.test_pdf_signing import _signed


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
