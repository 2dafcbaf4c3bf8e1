"""The trial library's cache: a hit answers exactly what a miss does, and nothing about
the cache (missing, stale, damaged, unwritable) ever changes an answer or fails a command.

Each test gets its own cache folder (``NKSCREEN_CACHE``); ``parse_trial`` is counted to
tell a hit (no file validated) from a miss.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import desktop.library
from desktop.cli import main
from desktop.domain.trial import Trial
from desktop.library import TrialFileError, find_trial, load_library, trial_ids
from desktop.library_cache import cache_file
from desktop.paths import trials_dir
from tests.conftest import REPO_ROOT

EXAMPLES = sorted((REPO_ROOT / "trials" / "examples").glob("NCT*/*.json"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("NKSCREEN_CACHE", str(folder))
    return folder


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the trial files validated (not taken from the cache)."""
    names: list[str] = []
    real = desktop.library.parse_trial

    def counting(data: bytes, name: str, expected_id: str | None = None) -> Trial:
        names.append(name)
        return real(data, name, expected_id)

    monkeypatch.setattr(desktop.library, "parse_trial", counting)
    return names


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled library as the site's own (``NKSCREEN_TRIALS``)."""
    folder = tmp_path / "site-trials"
    folder.mkdir()
    for path in sorted((REPO_ROOT / "trials").glob("NCT*.yaml")):
        shutil.copyfile(path, folder / path.name)
    monkeypatch.setenv("NKSCREEN_TRIALS", str(folder))
    return folder


def _retitle(path: Path, title: str) -> None:
    """Edit a trial file as a person would: one field changed, the rest kept."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["title"] = title
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")


def _fresh(folder: Path) -> list[Trial]:
    """The library validated from its files, never from a cache."""
    return [desktop.library.load_trial(path) for path in sorted(folder.glob("NCT*.yaml"))]


def _outputs(capsys: pytest.CaptureFixture[str]) -> dict[str, tuple[int, str, str]]:
    """Every answer of the screening contract over the library and the example records:
    trials, each stage's criteria, each example at each stage, each example prescreened."""
    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    answers = {"trials": run("trials")}
    for trial in json.loads(answers["trials"][1]):
        for stage in trial["stages"]:
            answers[f"criteria {trial['id']} {stage}"] = run(
                "criteria", trial["id"], "--stage", stage)
            for example in EXAMPLES:
                answers[f"evaluate {trial['id']} {stage} {example}"] = run(
                    "evaluate", trial["id"], "--stage", stage, str(example))
    for example in EXAMPLES:
        answers[f"prescreen {example}"] = run("prescreen", str(example))
    return answers


def test_a_hit_answers_byte_for_byte_what_a_miss_does(
        cache: Path, parsed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert EXAMPLES
    missed = _outputs(capsys)
    assert parsed, "the first run validates the files"
    assert cache_file(trials_dir()).is_file()
    parsed.clear()
    hit = _outputs(capsys)
    assert parsed == [], "the second run takes every trial from the cache"
    assert hit == missed
    assert all(code == 0 for code, _, _ in hit.values() if code != 2)
    assert sum(code == 0 for code, _, _ in hit.values()) > len(EXAMPLES)


def test_cached_trials_equal_validated_ones_and_dump_the_same_json(
        cache: Path, parsed: list[str]) -> None:
    fresh = _fresh(trials_dir())
    load_library(cached=True)  # writes the cache
    parsed.clear()
    cached = load_library(cached=True)
    assert parsed == []
    assert cached == fresh
    assert [t.model_dump_json() for t in cached] == [t.model_dump_json() for t in fresh]
    assert find_trial(fresh[0].id, cached=True) == fresh[0]
    assert parsed == []


def test_editing_a_trial_file_invalidates_its_entry(
        cache: Path, parsed: list[str], library: Path) -> None:
    before = load_library(cached=True)
    path = library / f"{before[0].id}.yaml"
    _retitle(path, "An edited title")
    parsed.clear()
    after = load_library(cached=True)
    assert parsed == [path.name], "only the edited file is validated again"
    assert after[0].title == "An edited title"
    assert after[0] == desktop.library.load_trial(path)
    assert after[1:] == before[1:]
    parsed.clear()
    assert find_trial(before[0].id, cached=True) == after[0]
    assert parsed == []


def test_a_trial_file_broken_after_it_was_cached_is_reported(
        cache: Path, library: Path) -> None:
    trial = load_library(cached=True)[0]
    path = library / f"{trial.id}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("stages:", "stagez:", 1),
                    encoding="utf-8")
    with pytest.raises(TrialFileError, match=path.name):
        load_library(cached=True)
    with pytest.raises(TrialFileError, match=path.name):
        find_trial(trial.id, cached=True)


def _damage_cases() -> dict[str, Callable[[bytes], bytes]]:
    def entries_replaced(raw: bytes, body: object) -> bytes:
        import hashlib

        head, _, _ = raw.partition(b"\n")
        header = json.loads(head)
        new = json.dumps(body).encode()
        header["digest"] = hashlib.sha256(new).hexdigest()
        return json.dumps(header).encode() + b"\n" + new

    def wrong_shape(raw: bytes) -> bytes:  # a right digest over entries that are no trial
        _, _, body = raw.partition(b"\n")
        entries = json.loads(body)
        for entry in entries.values():
            entry["trial"]["stages"] = [{"id": 5}]
        return entries_replaced(raw, entries)

    def foreign_version(raw: bytes) -> bytes:
        head, _, body = raw.partition(b"\n")
        header = json.loads(head)
        header["code"] = "0" * 64
        return json.dumps(header).encode() + b"\n" + body

    return {
        "truncated": lambda raw: raw[: len(raw) // 2],
        "empty": lambda raw: b"",
        "not JSON": lambda raw: b"\x80\x04\x95 not json at all",
        "a changed byte": lambda raw: raw[:-40] + bytes([raw[-40] ^ 1]) + raw[-39:],
        "no header": lambda raw: raw.partition(b"\n")[2],
        "entries of another shape": wrong_shape,
        "another code fingerprint": foreign_version,
        "a list": lambda raw: entries_replaced(raw, [1, 2, 3]),
    }


@pytest.mark.parametrize("damage", list(_damage_cases()))
def test_a_damaged_cache_file_is_a_silent_miss_and_is_rewritten(
        damage: str, cache: Path, parsed: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    fresh = _fresh(trials_dir())
    load_library(cached=True)
    path = cache_file(trials_dir())
    path.write_bytes(_damage_cases()[damage](path.read_bytes()))
    parsed.clear()
    assert load_library(cached=True) == fresh
    assert parsed, "the damaged cache was not used"
    parsed.clear()
    assert load_library(cached=True) == fresh
    assert parsed == [], "the cache was rewritten whole"
    code = main(["evaluate", EXAMPLES[0].parent.name, "--stage", EXAMPLES[0].stem,
                 str(EXAMPLES[0])])
    assert code == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("where", ["under a file", "a file"])
def test_a_cache_folder_that_cannot_be_written_fails_nothing(
        where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be\n", encoding="utf-8")
    monkeypatch.setenv("NKSCREEN_CACHE", str(blocker / "cache" if where == "under a file"
                                             else blocker))
    fresh = _fresh(trials_dir())
    for _ in range(2):
        assert load_library(cached=True) == fresh
        code = main(["evaluate", EXAMPLES[0].parent.name, "--stage", EXAMPLES[0].stem,
                     str(EXAMPLES[0])])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert err == ""
        assert json.loads(out)["trial"] == EXAMPLES[0].parent.name
    assert blocker.read_text(encoding="utf-8").startswith("a file")
    assert len(parsed) >= 2 * len(fresh), "without a cache every run validates"


def test_each_library_folder_has_its_own_cache(
        cache: Path, parsed: list[str], library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = REPO_ROOT / "trials"
    _retitle(sorted(library.glob("NCT*.yaml"))[0], "The site's copy")
    site = load_library(cached=True)
    monkeypatch.setenv("NKSCREEN_TRIALS", str(bundled))
    shipped = load_library(cached=True)
    assert site[0] != shipped[0]
    assert cache_file(library) != cache_file(bundled)
    assert cache_file(library).is_file()
    assert cache_file(bundled).is_file()
    parsed.clear()
    for _ in range(2):  # switching back and forth, each folder keeps hitting its own file
        monkeypatch.setenv("NKSCREEN_TRIALS", str(library))
        assert load_library(cached=True) == site
        monkeypatch.setenv("NKSCREEN_TRIALS", str(bundled))
        assert load_library(cached=True) == shipped
    assert parsed == []


def test_a_warm_start_imports_neither_pydantic_nor_yaml(tmp_path: Path) -> None:
    """What makes the command line start fast: with the cache warm, ``evaluate`` and
    ``prescreen`` answer without the schema's libraries (a cold start needs them)."""
    env = {"NKSCREEN_CACHE": str(tmp_path / "cache"), "NKSCREEN_HOME": str(tmp_path / "home"),
           "PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"}
    example = EXAMPLES[0]
    probe = ("import sys\nfrom desktop.cli import main\n"
             "code = main(sys.argv[1:])\n"
             "sys.stderr.write(repr(sorted(m for m in ('pydantic', 'yaml') if m in "
             "sys.modules)) + '\\n')\nraise SystemExit(code)\n")
    seen = []
    for command in (["prescreen", str(example)], ["prescreen", str(example)],
                    ["evaluate", example.parent.name, "--stage", example.stem, str(example)]):
        done = subprocess.run([sys.executable, "-c", probe, *command], env=env,
                              capture_output=True, text=True, cwd=REPO_ROOT, check=False)
        assert done.returncode == 0, done.stderr
        seen.append(done.stderr.strip().splitlines()[-1])
    assert seen == ["['pydantic', 'yaml']", "[]", "[]"]


def test_the_app_and_the_registry_never_read_the_cache(
        cache: Path, parsed: list[str]) -> None:
    """The cache is in a user-writable folder: only the stateless commands may use it,
    whatever it holds; what the app shows and the registry records is the file's."""
    load_library(cached=True)  # writes the cache
    parsed.clear()
    load_library()
    find_trial(load_library(cached=True)[0].id)
    assert len(parsed) == len(trial_ids()) + 1  # every file, then the one found
