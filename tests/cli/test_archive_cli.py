"""``nkscreen archive`` (issue 16, 21 CFR 11.10(b)): one patient's or one trial's
records as a ZIP an inspector checks offline: the signed worksheets verify, the
manifest's hashes match every member, the CA and the trial files are there, the export
is audited, a patient's archive holds no other patient, and bad usage exits 2."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from pypdf import PdfReader

from desktop.domain.signing import Action
from desktop.registry.database import open_registry
from desktop.services import passwords
from desktop.services.accounts import AccountService
from desktop.services.demo import DEMO_PASSWORD
from desktop.services.keys import KeyService
from desktop.services.signing import SigningService
from desktop.worksheets.pdf_verify import verify_pdf
from tests.cli.cli_run import Run, audit_rows, demo_registry
from tests.worksheets.test_pdf_integrity import _holes


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    return Run(capsys, monkeypatch, stdin=DEMO_PASSWORD + "\n")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo registry with visit 4 (DEMO-0004's screen failure) digitally signed by
    the coordinator (prepared) and the investigator (confirmed)."""
    data = tmp_path_factory.mktemp("demo") / "data"
    demo_registry(data)
    registry = open_registry(data)
    try:
        accounts = AccountService(registry, hasher=passwords.fast_hasher())
        cora = accounts.login("demo-coordinator", DEMO_PASSWORD)
        preparing = SigningService.open(registry, cora, accounts)
        preparing.sign(4, Action.PREPARE, "demo-coordinator", DEMO_PASSWORD,
                       shown=preparing.request(4, Action.PREPARE).shown)
        ivy = accounts.login("demo-investigator", DEMO_PASSWORD)
        signing = SigningService.open(registry, ivy, accounts)
        request = signing.request(4, Action.CONFIRM)
        signing.sign(4, Action.CONFIRM, "demo-investigator", DEMO_PASSWORD,
                     shown=request.shown)
    finally:
        registry.close()
    return data


def _login(user: str = "demo-monitor") -> tuple[str, ...]:
    return ("--user", user, "--password-stdin")


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _known(data: Path) -> list[x509.Certificate]:
    registry = open_registry(data)
    try:
        return KeyService(registry).known_certificates()
    finally:
        registry.close()


def test_a_patient_archive_holds_the_signed_worksheet_and_checks_offline(
        run: Run, demo: Path, tmp_path: Path) -> None:
    target = tmp_path / "DEMO-0004.zip"
    code, summary, err = run("archive", "--data-dir", str(demo), "--patient", "DEMO-0004",
                             "-o", str(target), *_login())
    assert code == 0, err
    assert (summary["patients"], summary["worksheets"]) == (1, 1)
    data = target.read_bytes()
    assert summary["sha256"] == hashlib.sha256(data).hexdigest()
    files = _members(target)

    pdf = files["worksheets/WS-4-V1.pdf"]
    assert verify_pdf(pdf, _known(demo)).ok

    manifest = json.loads(files["manifest.json"])
    listed = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json", "SHA256SUMS"}
    for name, sha in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == sha, name
    sums = dict(reversed(line.split("  ", 1))
                for line in files["SHA256SUMS"].decode().splitlines())
    assert set(sums) == set(files) - {"SHA256SUMS"}
    assert all(hashlib.sha256(files[n]).hexdigest() == s for n, s in sums.items())
    assert manifest["scope"] == {"patient": "DEMO-0004"}

    ca = x509.load_pem_x509_certificates(files["site-ca.pem"])
    assert ca
    assert ca[0].extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca
    certs = [n for n in files if n.startswith("certificates/")]
    assert certs
    assert sorted(n.split("/")[1].rsplit("-", 1)[0] for n in certs) == [
        "demo-coordinator", "demo-investigator"]
    x509.load_pem_x509_certificate(files[certs[0]])

    trials = [n for n in files if n.startswith("trials/")]
    assert len(trials) == 1
    sha = hashlib.sha256(files[trials[0]]).hexdigest()
    assert trials[0] == f"trials/NCT06152809-{sha}.yaml"
    visits = _csv(files["visits.csv"])
    assert visits[0][:3] == ["Visit id", "MRN", "Trial"]
    assert [row[11] for row in visits[1:]] == [sha]
    signatures = _csv(files["signatures.csv"])
    assert [(row[6], row[-1]) for row in signatures[1:]] == [
        ("Demo Coordinator", "yes"), ("Dr Demo Investigator", "yes")]
    assert len(_csv(files["audit-trail.csv"])) > 1

    readme = files["README.txt"].decode()
    for step in ("nkscreen verify worksheets/WS-4-V1.pdf --data-dir DIR",
                 "pdfsig worksheets/WS-4-V1.pdf",
                 "openssl x509 -in site-ca.pem -noout -fingerprint -sha256",
                 "sha256sum -c SHA256SUMS", "audit-trail.csv", "results.csv"):
        assert step in readme, step

    actor, action, details = audit_rows(demo)[-1]
    assert (actor, action) == ("demo-monitor", "archive.export")
    assert details["sha256"] == summary["sha256"]
    assert details["scope"] == {"patient": "DEMO-0004"}

    others = ("DEMO-0001", "DEMO-0002", "DEMO-0003")
    for name, content in files.items():
        if not name.endswith(".pdf"):
            assert not any(o.encode() in content for o in others), name
    assert b"DEMO-0004" in files["patients.csv"]


def test_a_trial_archive_holds_every_patient_screened(run: Run, demo: Path,
                                                      tmp_path: Path) -> None:
    target = tmp_path / "trial.zip"
    code, summary, err = run("archive", "--data-dir", str(demo), "--trial", "NCT06152809",
                             "-o", str(target), *_login())
    assert code == 0, err
    files = _members(target)
    mrns = {row[1] for row in _csv(files["patients.csv"])[1:]}
    assert mrns == {"DEMO-0002", "DEMO-0004"}
    assert "worksheets/WS-4-V1.pdf" in files
    assert summary["patients"] == 2


@pytest.mark.parametrize("args", [
    (), ("--patient", "DEMO-0004", "--trial", "NCT06152809"), ("--trial", "NCT1"),
    ("--patient", "DEMO-0004", "-o-suffix"),
])
def test_bad_usage_exits_2(run: Run, demo: Path, tmp_path: Path,
                           args: tuple[str, ...]) -> None:
    output = str(tmp_path / ("a.pdf" if "-o-suffix" in args else "a.zip"))
    args = tuple(a for a in args if a != "-o-suffix")
    code, _out, err = run("archive", "--data-dir", str(demo), *args, "-o", output, *_login())
    assert code == 2
    assert "--patient" in err or "--trial" in err or ".zip" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("scope", [("--patient", "NO-SUCH"), ("--trial", "NCT00000000")])
def test_an_unknown_patient_or_trial_is_refused(run: Run, demo: Path, tmp_path: Path,
                                                scope: tuple[str, str]) -> None:
    code, _out, err = run("archive", "--data-dir", str(demo), *scope, "-o",
                          str(tmp_path / "a.zip"), *_login())
    assert code == 1
    assert scope[1] in err
    assert len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_a_coordinator_may_not_archive(run: Run, demo: Path, tmp_path: Path) -> None:
    code, _out, err = run("archive", "--data-dir", str(demo), "--patient", "DEMO-0004",
                          "-o", str(tmp_path / "a.zip"), *_login("demo-coordinator"))
    assert code == 1
    assert "audit trail" in err
    assert not list(tmp_path.iterdir())


def test_an_archive_without_digital_signatures_says_so_and_still_holds_each_worksheet(
        run: Run, demo: Path, tmp_path: Path) -> None:
    """DEMO-0002's stages were signed electronically only: no signed PDF, but the
    inspector still gets each stage version's worksheet, built from its stored content."""
    target = tmp_path / "DEMO-0002.zip"
    code, summary, err = run("archive", "--data-dir", str(demo), "--patient", "demo-0002",
                             "-o", str(target), *_login("demo-admin"))
    assert code == 0, err
    files = _members(target)
    assert summary["worksheets"] == 0
    assert summary["worksheets_without_digital_signature"] == 3
    assert not [n for n in files if n.startswith("certificates/")]
    readme = files["README.txt"].decode()
    assert "This scope has no digitally signed worksheet." in readme
    assert "worksheets/electronic/" in readme
    visits = _csv(files["visits.csv"])[1:]
    built = sorted(n for n in files if n.startswith("worksheets/"))
    assert built == sorted(f"worksheets/electronic/WS-{row[0]}-V{row[5]}.pdf"
                           for row in visits)
    for name in built:
        assert files[name].startswith(b"%PDF-")
        assert not verify_pdf(files[name]).signatures
    for row in visits:  # each stage version's own worksheet, its content hash printed
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(
            files[f"worksheets/electronic/WS-{row[0]}-V{row[5]}.pdf"])).pages)
        assert row[3].replace("-", " ").split()[0].lower() in text.lower()
        if row[6] == "completed":
            assert row[10]
            assert row[10][:16] in text.replace("\n", "")
    signed = _csv(files["signatures.csv"])[1:]
    assert signed
    assert {row[-1] for row in signed} == {"no"}
    assert b"DEMO-0004" not in b"".join(files.values())


def test_worksheets_lists_each_signed_worksheet_with_its_document_id_and_signers(
        run: Run, demo: Path) -> None:
    code, listing, err = run("worksheets", "--data-dir", str(demo), *_login())
    assert code == 0, err
    (entry,) = listing["worksheets"]
    assert entry["document"] == "WS-4-V1"
    assert (entry["visit_id"], entry["mrn"], entry["trial"]) == (4, "DEMO-0004",
                                                                 "NCT06152809")
    assert [s["user_id"] for s in entry["signers"]] == ["demo-coordinator",
                                                        "demo-investigator"]
    assert entry["signers"][1]["printed_name"] == "Dr Demo Investigator"
    registry = open_registry(demo)
    try:
        with registry.read() as conn:
            (stored,) = conn.execute("SELECT data FROM signed_worksheet ORDER BY id DESC "
                                     "LIMIT 1").fetchone()
    finally:
        registry.close()
    assert entry["sha256"] == hashlib.sha256(bytes(stored)).hexdigest()


def _kept(data: Path) -> list[bytes]:
    registry = open_registry(data)
    try:
        with registry.read() as conn:
            return [bytes(row[0]) for row in conn.execute(
                "SELECT data FROM signed_worksheet WHERE visit_id = 4 ORDER BY id")]
    finally:
        registry.close()


def test_verify_against_the_registry_compares_the_file_with_the_copies_it_keeps(
        run: Run, demo: Path, tmp_path: Path) -> None:
    first, last = _kept(demo)
    path = tmp_path / "ws.pdf"
    path.write_bytes(last)
    code, report, err = run("verify", str(path), "--data-dir", str(demo))
    assert code == 0, err
    assert report["registry"]["copy"] == "the registry's copy, byte for byte"
    path.write_bytes(first)  # the binder copy printed before the investigator signed
    code, report, err = run("verify", str(path), "--data-dir", str(demo))
    assert code == 0, err
    assert report["registry"]["copy"] == ("an earlier copy: the registry holds a later one "
                                          "with 1 more signature")
    # A byte no signature covers (the last one's zero padding): every PDF reader still
    # says valid; the registry does not keep these bytes.
    hole_end = _holes(last)[-1][1]
    assert last[hole_end - 4:hole_end] == b"0000"
    path.write_bytes(last[:hole_end - 2] + b"1" + last[hole_end - 1:])
    code, out, err = run("verify", str(path), "--data-dir", str(demo))
    assert code == 1
    assert "not a copy the registry keeps" in out
    assert "the padding" in out
