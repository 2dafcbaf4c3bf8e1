"""``nkscreen worksheet``, ``screening-log`` and ``delegation-log`` (issue 15): a login is
required and audited, the file is written whole with a JSON summary and exit 0, a refusal
is one line on stderr with exit 1 and no file, bad usage exit 2."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from desktop.registry.database import open_registry
from desktop.services.demo import DEMO_PASSWORD
from tests.cli.cli_run import Run, audit_rows, demo_registry


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    return Run(capsys, monkeypatch, stdin=DEMO_PASSWORD + "\n")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo registry: accounts per role, patients, NCT06152809 screenings (visits 1
    and 2 signed, 3 a draft, 4 a screen failure)."""
    data = tmp_path_factory.mktemp("demo") / "data"
    demo_registry(data)
    return data


def _text(path: Path) -> str:
    return " ".join(" ".join((p.extract_text() or "").split())
                    for p in PdfReader(path).pages)


def _login(user: str) -> tuple[str, ...]:
    return ("--user", user, "--password-stdin")


def test_a_monitor_exports_a_signed_worksheet_and_it_is_audited(
        run: Run, demo: Path, tmp_path: Path) -> None:
    target = tmp_path / "ws.pdf"
    code, summary, err = run("worksheet", "--data-dir", str(demo), "1", "-o", str(target),
                             *_login("demo-monitor"))
    assert code == 0, err
    assert (summary["document_id"], summary["state"], summary["version"]) == (
        "WS-1-V1", "signed", 1)
    assert summary["file"] == str(target)
    text = _text(target)
    assert "NCT06152809" in text
    assert "Dr Demo Investigator" in text
    assert "DRAFT" not in text
    rows = audit_rows(demo)
    assert rows[-2][:2] == ("demo-monitor", "cli.login")
    actor, action, details = rows[-1]
    assert (actor, action, details["sha256"]) == ("demo-monitor", "worksheet.export",
                                                  summary["sha256"])


def test_a_draft_stage_prints_draft_on_every_page(run: Run, demo: Path,
                                                   tmp_path: Path) -> None:
    target = tmp_path / "draft.pdf"
    code, summary, err = run("worksheet", "--data-dir", str(demo), "3", "-o", str(target),
                             *_login("demo-coordinator"))
    assert code == 0, err
    assert summary["state"] == "draft"
    pages = PdfReader(target).pages
    assert all("DRAFT – NOT SIGNED" in (page.extract_text() or "") for page in pages)


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("--user", "demo-monitor", "--password-stdin"), "wrong\n", "user id or password"),
    ((), "", "exports need a login"),
    (("--user", "nobody", "--password-stdin"), "x\n", "user id or password"),
])
def test_a_missing_or_wrong_login_is_refused_and_writes_nothing(
        run: Run, demo: Path, tmp_path: Path, args: tuple[str, ...], stdin: str,
        message: str) -> None:
    target = tmp_path / "ws.pdf"
    code, out, err = run("worksheet", "--data-dir", str(demo), "1", "-o", str(target),
                         *args, stdin=stdin)
    assert code == 1
    assert out == ""
    assert message in err
    assert err.startswith("nkscreen: ")
    assert err.count("\n") == 1
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


@pytest.mark.parametrize(("args", "message"), [
    (("worksheet", "1", "-o", "ws.txt"), "must end in .pdf"),
    (("worksheet", "one", "-o", "ws.pdf"), "VISIT_ID: give a whole number"),
    (("worksheet", "1", "--version", "0", "-o", "ws.pdf"), "--version: give a whole"),
    (("screening-log", "NCT00000000", "-o", "log.pdf"), "NCT00000000"),
    (("screening-log", "NCT06152809", "-o", "log.xlsx"), ".pdf or .csv"),
    (("delegation-log", "-o", "missing/dl.pdf"), "there is no folder"),
])
def test_bad_usage_exits_2_naming_the_option(run: Run, demo: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              args: tuple[str, ...], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(args[0], "--data-dir", str(demo), *args[1:],
                       *_login("demo-monitor"))
    assert code == 2
    assert message in err


def test_an_unknown_visit_or_version_is_refused(run: Run, demo: Path,
                                                tmp_path: Path) -> None:
    code, _, err = run("worksheet", "--data-dir", str(demo), "99", "-o",
                       str(tmp_path / "w.pdf"), *_login("demo-monitor"))
    assert code == 1
    assert "No visit with id 99" in err
    code, _, err = run("worksheet", "--data-dir", str(demo), "1", "--version", "2", "-o",
                       str(tmp_path / "w.pdf"), *_login("demo-monitor"))
    assert code == 1
    assert "Visit 1 has no version 2 (versions: 1;" in err


def test_a_folder_without_a_registry_is_refused(run: Run, tmp_path: Path) -> None:
    code, _, err = run("worksheet", "--data-dir", str(tmp_path / "none"), "1", "-o",
                       str(tmp_path / "w.pdf"), *_login("demo-monitor"))
    assert code == 1
    assert "There is no registry in" in err
    assert not (tmp_path / "none").exists()  # never created by an export


def test_the_screening_log_lists_the_screen_failure_by_number_and_text(
        run: Run, demo: Path, tmp_path: Path) -> None:
    target = tmp_path / "log.pdf"
    code, summary, err = run("screening-log", "--data-dir", str(demo), "NCT06152809",
                             "-o", str(target), *_login("demo-coordinator"))
    assert code == 0, err
    assert summary["rows"] == 2
    text = _text(target)
    assert "Screen failure" in text
    assert "#5 ECOG performance status ≤2 (see Appendix A)" in text
    assert "DEMO-0004" in text  # the site's copy names the MRN
    assert "Page 1 of 1" in text
    assert audit_rows(demo)[-1][1] == "screening_log.export"


def test_the_sponsor_copy_csv_holds_initials_and_no_mrn_or_birth_date(
        run: Run, demo: Path, tmp_path: Path) -> None:
    target = tmp_path / "log.csv"
    code, summary, err = run("screening-log", "--data-dir", str(demo), "NCT06152809",
                             "-o", str(target), "--sponsor-copy",
                             *_login("demo-coordinator"))
    assert code == 0, err
    assert summary["document_id"].endswith("-S")
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: a spreadsheet reads µ and ≤
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["Screening no.", "Initials"]
    assert "MRN" not in rows[0]
    assert "Date of birth" not in rows[0]
    assert "DEMO-" not in text
    assert "TESTWELL" not in text.upper()
    assert "1952-03-05" not in text  # Demo Bob's date of birth
    assert any("#5 ECOG performance status ≤2" in cell for row in rows for cell in row)
    # The demo enters today what was assessed weeks ago: the log dates each screening
    # by its first assessed stage, as the worksheets date their visits.
    registry = open_registry(demo)
    try:
        with registry.read() as conn:
            firsts = dict(conn.execute(
                "SELECT v.screening_id, MIN(json_extract(sv.content, '$.assessed_at')) "
                "FROM stage_version sv JOIN visit v ON v.id = sv.visit_id "
                "GROUP BY v.screening_id").fetchall())
    finally:
        registry.close()
    dates = {int(row[0]): row[2] for row in rows[1:]}
    assert dates == {sid: str(at)[:10] for sid, at in firsts.items()}


def test_the_delegation_log_pdf_lists_every_line(run: Run, demo: Path,
                                                 tmp_path: Path) -> None:
    target = tmp_path / "dl.pdf"
    code, summary, err = run("delegation-log", "--data-dir", str(demo), "-o", str(target),
                             *_login("demo-admin"))
    assert code == 0, err
    assert summary["rows"] == 5
    text = _text(target)
    assert "Delegation of authority log" in text
    for trial in ("NCT05744440", "NCT06138587", "NCT06152809", "NCT06835140",
                  "NCT07011004"):
        assert trial in text
    assert audit_rows(demo)[-1][:2] == ("demo-admin", "delegation_log.export")


def test_no_password_at_all_is_bad_usage_not_a_failed_login(run: Run, demo: Path,
                                                           tmp_path: Path) -> None:
    before = [row for row in audit_rows(demo) if row[1] == "cli.login.failed"]
    code, _, err = run("worksheet", "--data-dir", str(demo), "1", "-o",
                       str(tmp_path / "w.pdf"), "--user", "demo-monitor", stdin="")
    assert code == 2
    assert "no password given for demo-monitor" in err
    assert "--password-stdin" in err
    assert [row for row in audit_rows(demo) if row[1] == "cli.login.failed"] == before
    assert not (tmp_path / "w.pdf").exists()


def test_demo_with_a_command_works_on_the_demos_registry_never_the_sites(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    """``nkscreen --demo worksheets`` lists the demo's, as ``--demo`` opens the demo's
    registry in the app; the site's registry (the data folder itself) is not touched."""
    monkeypatch.setenv("NKSCREEN_HOME", str(tmp_path))
    demo_registry(tmp_path / "demo")
    run = Run(capsys, monkeypatch, stdin=DEMO_PASSWORD + "\n")
    code, listing, err = run("--demo", "worksheets", "--user", "demo-monitor",
                             "--password-stdin")
    assert code == 0, err
    assert listing == {"worksheets": []}
    code, check, err = run("--demo", "audit", "verify")
    assert code == 0, err
    assert check["rows_checked"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
