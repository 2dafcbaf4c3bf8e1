"""The headless contract, run as a user's script would: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TRIALS = sorted(p.stem for p in (REPO / "trials").glob("NCT*.yaml"))


def nkscreen(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin,
                          capture_output=True, text=True, encoding="utf-8", cwd=REPO,
                          timeout=60, check=False)


def test_version_prints_without_qt() -> None:
    code = ("import sys, runpy; sys.argv=['nkscreen','--version']\n"
            "try: runpy.run_module('desktop', run_name='__main__')\n"
            "except SystemExit: pass\n"
            "heavy = [m for m in ('PySide6', 'sqlalchemy', 'reportlab') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout
    assert "nkscreen 0." in out
    assert "HEAVY []" in out


def test_trials_lists_every_trial_file() -> None:
    result = nkscreen("trials")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [t["id"] for t in listed] == TRIALS
    for entry in listed:
        assert set(entry) == {"id", "title", "protocol_version", "stages"}
        assert entry["stages"][0] == "screening-1"


def _obs(code: str, value: object, unit: str) -> str:
    item = {"code": code, "value": value, "unit": unit, "at": "2026-11-01"}
    return json.dumps({"observations": [item]})


def _one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("criteria", "NCT99999999", "--stage", "screening-1"), ("NCT_ID", "NCT99999999")),
        (("evaluate", "NCT99999999", "--stage", "screening-1", "-"), ("NCT_ID",)),
        (("criteria", "NCT06152809"), ("--stage",)),
        (("bogus",), ("bogus",)),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: tuple[str, ...], words: tuple[str, ...]) -> None:
    _one_line_error(nkscreen(*args, stdin="{}"), *words)


needs_trials = pytest.mark.skipif(not TRIALS, reason="no trial files yet")


@needs_trials
def test_unknown_stage_lists_the_trials_stages() -> None:
    trial = TRIALS[0]
    _one_line_error(nkscreen("criteria", trial, "--stage", "day-99"), "--stage", "screening-1")


@needs_trials
@pytest.mark.parametrize(
    ("record", "field"),
    [
        ("{not json", "RECORD"),
        ("[1, 2]", "RECORD"),
        (_obs("glucose", 5, "mmol/L"), "observations[0].code"),
        (_obs("creatinine", 1, "mmol/L"), "observations[0].unit"),
        (_obs("creatinine", "x", "mg/dL"), "observations[0].value"),
        (_obs("ecog", 7, "score"), "observations[0].value"),
        ('{"observations": [{"code": "spo2", "value": NaN, "unit": "%", "at": "2026-11-01"}]}',
         "observations[0].value"),
        ('{"answers": {"no-such-criterion": true}}', "answers.no-such-criterion"),
        ('{"events": {"surgery": "2026-11-01"}}', "events.surgery"),
        ('{"facts": {"smoker": true}}', "facts.smoker"),
    ],
)
def test_bad_records_exit_2_naming_the_field(record: str, field: str) -> None:
    _one_line_error(nkscreen("evaluate", TRIALS[0], "--stage", "screening-1", "-",
                             stdin=record), field)


@needs_trials
def test_answer_for_a_computed_criterion_is_bad_input() -> None:
    criteria = json.loads(nkscreen("criteria", TRIALS[0], "--stage", "screening-1").stdout)
    computed = next(c["id"] for c in criteria if not c["attested"])
    record = json.dumps({"answers": {computed: True}})
    _one_line_error(nkscreen("evaluate", TRIALS[0], "--stage", "screening-1", "-",
                             stdin=record), f"answers.{computed}")


@needs_trials
def test_unreadable_record_file(tmp_path: Path) -> None:
    _one_line_error(nkscreen("evaluate", TRIALS[0], "--stage", "screening-1",
                             str(tmp_path / "missing.json")), "RECORD")


@needs_trials
@pytest.mark.parametrize("trial", TRIALS)
def test_criteria_and_empty_evaluation_shapes(trial: str) -> None:
    listed = json.loads(nkscreen("trials").stdout)
    stages = next(t["stages"] for t in listed if t["id"] == trial)
    for stage in stages:
        result = nkscreen("criteria", trial, "--stage", stage)
        assert result.returncode == 0, result.stderr
        criteria = json.loads(result.stdout)
        for c in criteria:
            assert set(c) == {"id", "kind", "text", "attested", "inputs"}
            assert c["kind"] in ("inclusion", "exclusion")
            assert (c["inputs"] == []) == c["attested"]
        result = nkscreen("evaluate", trial, "--stage", stage, "-", stdin="{}")
        assert result.returncode == 0, result.stderr
        verdict = json.loads(result.stdout)
        assert verdict["decision"] == "incomplete"
        assert [c["id"] for c in verdict["criteria"]] == [c["id"] for c in criteria]
        assert all(c["outcome"] == "unknown" and c["reason"] for c in verdict["criteria"])


def test_headless_commands_never_import_qt_database_or_pdf() -> None:
    code = (
        "import sys, io, json\n"
        "from desktop import cli\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(b'{}'))\n"
        "for argv in (['trials'], ['criteria', 'NCT06152809', '--stage', 'screening-1'],\n"
        "             ['evaluate', 'NCT06152809', '--stage', 'screening-1', '-']):\n"
        "    cli.main(argv)\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'PySide6', 'shiboken6', 'sqlalchemy', 'sqlmodel', 'alembic', 'reportlab', 'pyhanko'})\n"
        "sys.stderr.write('HEAVY=' + json.dumps(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, check=False)
    assert "HEAVY=[]" in result.stderr, result.stderr


def _without_display() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland check is Linux's")
def test_gui_without_a_display_says_so_instead_of_crashing(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "desktop", "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, cwd=REPO, env=_without_display(),
                            timeout=60, check=False)
    assert result.returncode == 1
    assert "no graphical display" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland check is Linux's")
def test_smoke_without_a_display_runs_offscreen(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "desktop", "--smoke", "--data-dir",
                             str(tmp_path)], capture_output=True, text=True, cwd=REPO,
                            env=_without_display(), timeout=120, check=False)
    assert result.returncode == 0, result.stderr
