"""The standalone bundle: build it from ``build.spec`` once, then run what it ships.

Slow (a PyInstaller build takes a minute or two), so marked ``slow``; it runs in CI by
default. Skipped only when PyInstaller is not importable. The executable is run as a
clinic workstation would run it: a minimal environment (no virtualenv, no PYTHONPATH),
from a folder outside the checkout, on a temporary data folder.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop import __version__

REPO = Path(__file__).resolve().parents[2]
TRIALS = sorted(p.stem for p in (REPO / "trials").glob("NCT*.yaml"))
EXAMPLES = sorted((REPO / "trials" / "examples").glob("NCT*/*.json"))
EXE_NAME = "nkscreen.exe" if sys.platform == "win32" else "nkscreen"
BUILD_TIMEOUT_S = 1800
RUN_TIMEOUT_S = 120

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Bundle:
    folder: Path  # dist/nkscreen
    exe: Path
    home: Path  # HOME and the data folder for the runs
    cwd: Path  # somewhere that is not the checkout

    @property
    def contents(self) -> Path:
        """Where PyInstaller put the data (``sys._MEIPASS``): ``_internal/`` since 6.0."""
        internal = self.folder / "_internal"
        return internal if internal.is_dir() else self.folder

    def env(self) -> dict[str, str]:
        """A clean environment, as from ``env -i``: only what any login session has."""
        env = {"HOME": str(self.home), "QT_QPA_PLATFORM": "offscreen",
               "XDG_DATA_HOME": str(self.home / "xdg-data"),
               "XDG_CONFIG_HOME": str(self.home / "xdg-config")}
        if sys.platform == "win32":
            root = os.environ.get("SYSTEMROOT", r"C:\Windows")
            env |= {"SYSTEMROOT": root, "PATH": rf"{root}\System32",
                    "USERPROFILE": str(self.home), "LOCALAPPDATA": str(self.home / "local")}
        else:
            env["PATH"] = "/usr/bin:/bin"
        return env

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.exe), *args], input=stdin, capture_output=True,
                              text=True, encoding="utf-8", cwd=self.cwd, env=self.env(),
                              timeout=RUN_TIMEOUT_S, check=False)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """Build the bundle into a temporary folder: once per test session."""
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed "
                        "(pip install -e '.[test]'); the bundle cannot be built")
    tmp = tmp_path_factory.mktemp("bundle")
    result = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--distpath", str(tmp / "dist"),
         "--workpath", str(tmp / "build"), "--noconfirm", "build.spec"],
        cwd=REPO, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
    assert result.returncode == 0, f"pyinstaller build.spec failed:\n{result.stderr[-6000:]}"
    folder = tmp / "dist" / "nkscreen"
    exe = folder / EXE_NAME
    assert exe.is_file(), f"no executable at {exe}"
    (tmp / "elsewhere").mkdir()
    return Bundle(folder=folder, exe=exe, home=tmp_path_factory.mktemp("home"),
                  cwd=tmp / "elsewhere")


def test_version_is_the_package_version(bundle: Bundle) -> None:
    result = bundle.run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"nkscreen {__version__}"


def test_trials_lists_every_trial_file(bundle: Bundle) -> None:
    result = bundle.run("trials")
    assert result.returncode == 0, result.stderr
    assert [t["id"] for t in json.loads(result.stdout)] == TRIALS


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_evaluate_bundled_example_is_eligible(bundle: Bundle, example: Path) -> None:
    # The copy inside the bundle: proves trials/examples ship, and match the checkout.
    shipped = bundle.contents / example.relative_to(REPO)
    assert shipped.read_bytes() == example.read_bytes()
    data_dir = bundle.home / "evaluate"
    result = bundle.run("--data-dir", str(data_dir), "evaluate", example.parent.name,
                        "--stage", example.stem, str(shipped))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["decision"] == "eligible"


@pytest.mark.skipif(bool(EXAMPLES), reason="example records exist (evaluated above)")
def test_evaluate_without_examples_gives_a_decision(bundle: Bundle) -> None:
    listed = json.loads(bundle.run("trials").stdout)
    assert listed, "no trials in the bundle"
    first = listed[0]
    result = bundle.run("evaluate", first["id"], "--stage", first["stages"][0], "-",
                        stdin='{"observations": []}')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["decision"] in {"eligible", "not_eligible", "incomplete"}


def test_smoke_opens_the_window_offscreen(bundle: Bundle) -> None:
    data_dir = bundle.home / "smoke"
    result = bundle.run("--smoke", "--data-dir", str(data_dir))
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "smoke: first paint" in result.stdout
    assert "smoke ok:" in result.stdout
    # The bundled Alembic scripts ran: the registry exists in the folder we named.
    assert (data_dir / "nkscreen.sqlite3").is_file()


def test_demo_smoke_fills_its_folder_with_accounts(bundle: Bundle) -> None:
    """argon2 (its compiled bindings) ships: the demo hashes its accounts' password."""
    data_dir = bundle.home / "demo"
    result = bundle.run("--demo", "--smoke", "--data-dir", str(data_dir))
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "smoke: login window shown" in result.stdout
    conn = sqlite3.connect(data_dir / "nkscreen.sqlite3")
    try:
        rows = conn.execute("SELECT user_id, password_hash FROM account ORDER BY id").fetchall()
    finally:
        conn.close()
    assert [user for user, _ in rows] == ["demo-admin", "demo-coordinator",
                                          "demo-investigator", "demo-monitor"]
    assert all(stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") for _, stored in rows)


def test_site_import_runs_in_the_bundle(bundle: Bundle, tmp_path: Path) -> None:
    site = tmp_path / "site.json"
    site.write_text('{"uln": {"ast": {"value": 40}}}', encoding="utf-8")
    result = bundle.run("--data-dir", str(bundle.home / "site"), "site", "import", str(site))
    assert result.returncode == 0, result.stderr
    assert "1 upper limits of normal" in result.stdout


def test_migrations_ship_as_source(bundle: Bundle) -> None:
    """Alembic imports env.py and versions/*.py by path: the .py files must be there."""
    source = REPO / "desktop" / "registry" / "migrations"
    shipped = bundle.contents / "desktop" / "registry" / "migrations"
    expected = {p.relative_to(source).as_posix() for p in source.rglob("*.py")
                if "__pycache__" not in p.parts}
    assert expected
    assert {p.relative_to(shipped).as_posix() for p in shipped.rglob("*.py")} == expected


def test_unused_qt_is_left_out(bundle: Bundle) -> None:
    unwanted = ("Qt6Quick", "Qt6Qml", "Qt6Pdf", "Qt6WebEngine", "Qt6Multimedia",
                "Qt6VirtualKeyboard", "Qt6Designer", "Qt63D", "Qt6Charts", "Qt6Network",
                "qtvirtualkeyboardplugin", "qpdf", "qmldbg", "qgtk3")
    found = sorted(p.relative_to(bundle.folder).as_posix() for p in bundle.folder.rglob("*")
                   if any(name in p.name for name in unwanted))
    assert found == []


def test_verify_checks_a_signed_worksheet_in_the_bundle(bundle: Bundle,
                                                        tmp_path: Path) -> None:
    """pyHanko, asn1crypto and cryptography ship: the bundle verifies a signed worksheet
    (made here, in the test's own Python), and against a registry it reports the signers
    as unknown there (the demo's keys, unlocked by the bundled key service, are others)."""
    import json

    from tests.worksheets.test_pdf_signing import _signed

    path = tmp_path / "ws.pdf"
    path.write_bytes(_signed()[0])
    result = bundle.run("verify", str(path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    data_dir = bundle.home / "verify-demo"
    made = bundle.run("--demo", "--smoke", "--data-dir", str(data_dir))
    assert made.returncode == 0, made.stderr
    result = bundle.run("verify", str(path), "--data-dir", str(data_dir))
    assert result.returncode == 1, result.stderr
    assert [s["known"] for s in json.loads(result.stdout)["signatures"]] == [False, False]
    assert "Traceback" not in result.stderr


def test_the_bundle_builds_signs_verifies_and_prints_a_worksheet(bundle: Bundle,
                                                                 tmp_path: Path) -> None:
    """ReportLab and its fonts, pyHanko, cryptography, PDFium and Qt's printing ship and
    work together: the bundle's self-check builds a fictional worksheet, signs it twice,
    verifies it, and prints it offscreen to a PDF file through QPrinter. The printed file
    has the worksheet's pages and ink in both signature boxes; the signed file verifies
    with the bundle's own ``verify`` too."""
    import io

    from pypdf import PdfReader

    from desktop.worksheets.rendering import PdfPages
    from desktop.worksheets.signer_boxes import BoxPlace
    from tests.worksheets.test_rendering import ink_in

    out = tmp_path / "self-check"
    result = bundle.run("--print-self-check", str(out))
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["verify"]["ok"] is True
    assert [s["meaning"] for s in summary["verify"]["signatures"]] == [
        "Prepared by", "Eligibility confirmed by"]
    assert summary["printed"] == summary["pages"] >= 1
    assert summary["dpi"] == 300
    printed = (out / "printed.pdf").read_bytes()
    assert len(PdfReader(io.BytesIO(printed)).pages) == summary["pages"]
    with PdfPages(printed) as pages:
        for box in summary["boxes"]:
            place = BoxPlace(box["role"], box["page"], box["x"], box["y"], box["width"],
                             box["height"], "")
            _width, height = pages.size(place.page_index)
            # At 100 dpi the empty box's frame and blank lines make about 2,700 dark
            # pixels; the signature's stamp (name, meaning, time) about 2,000 more.
            assert ink_in(pages.render(place.page_index, 100), place, height) > 3500, box
    verified = bundle.run("verify", str(out / "signed.pdf"))
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True


def test_pdfium_ships_and_the_unused_libraries_do_not(bundle: Bundle) -> None:
    """PDFium's native library is in; lxml.etree is (pyHanko's XMP checks) but not the
    rest of lxml, nor Pillow's optional codecs (see build.spec); the whole folder stays
    under 180 MB."""
    names = {p.name for p in bundle.folder.rglob("*")}
    assert any(name.startswith(("libpdfium", "pdfium")) for name in names), "no PDFium"
    assert any(name.startswith("etree.") for name in names), "no lxml.etree"
    unwanted = ("objectify", "_codecs_jp", "_avif", "_webp", "_imagingft", "hypothesis",
                "libqjpeg", "libqtiff", "libqwebp")
    assert sorted(n for n in names if any(u in n for u in unwanted)) == []
    size = sum(p.stat().st_size for p in bundle.folder.rglob("*")
               if p.is_file() and not p.is_symlink())
    assert size < 180_000_000, f"the bundle is {size / 1e6:.1f} MB"
