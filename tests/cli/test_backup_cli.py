"""``nkscreen backup`` and ``nkscreen restore``: a JSON summary and exit 0, a refusal in
one line on stderr and exit 1 (nothing changed), bad usage exit 2; an administrator's
login once the registry has accounts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.domain.accounts import Role
from desktop.registry.database import DB_FILENAME, open_registry
from desktop.services.accounts import AccountService
from desktop.services.passwords import fast_hasher
from tests.backup_support import add_patients, audit_actions, patient_mrns
from tests.cli.cli_run import Run


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    return Run(capsys, monkeypatch)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    registry = open_registry(tmp_path / "data")
    try:
        add_patients(registry, 0, 2)
    finally:
        registry.close()
    return tmp_path / "data"


def test_backup_then_restore(run: Run, data: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite3"
    code, summary, err = run("--data-dir", str(data), "backup", "-o", str(copy))
    assert code == 0, err
    assert summary["file"] == str(copy)
    assert len(summary["sha256"]) == 64
    manifest = json.loads(Path(f"{copy}.manifest.json").read_text())
    assert summary["head"] == manifest["head"]
    assert summary["sha256"] == manifest["sha256"]
    again = run("--data-dir", str(data), "backup", "-o", str(copy))
    assert again[0] == 1
    assert again[2].startswith("nkscreen: ")
    assert "already exists" in again[2]
    code, restored, err = run("--data-dir", str(data), "restore", str(copy))
    assert code == 0, err  # only the backup itself came after the copy
    assert restored["older"] is False
    assert restored["safety_copy"]
    assert audit_actions(data / DB_FILENAME)[-1][1] == "registry.restore"


def test_an_older_copy_needs_both_flags(run: Run, data: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite3"
    assert run("--data-dir", str(data), "backup", "-o", str(copy))[0] == 0
    registry = open_registry(data)
    try:
        add_patients(registry, 100, 1)
    finally:
        registry.close()
    code, _out, err = run("--data-dir", str(data), "restore", str(copy))
    assert code == 1
    assert "older than the current registry" in err
    assert "--confirm-older" in err
    assert len(err.strip().splitlines()) == 1
    assert "P00100" in patient_mrns(data / DB_FILENAME)
    code, _out, err = run("--data-dir", str(data), "restore", str(copy), "--confirm-older")
    assert code == 2
    assert "--reason" in err
    code, restored, err = run("--data-dir", str(data), "restore", str(copy),
                              "--confirm-older", "--reason", "entered in error")
    assert code == 0, err
    assert restored["older"] is True
    assert restored["reason"] == "entered in error"
    assert "P00100" not in patient_mrns(data / DB_FILENAME)


def test_nothing_to_back_up_and_bad_usage(run: Run, tmp_path: Path) -> None:
    code, _out, err = run("--data-dir", str(tmp_path / "none"), "backup", "-o",
                          str(tmp_path / "c.sqlite3"))
    assert code == 1
    assert "no registry" in err
    assert not (tmp_path / "none").exists()
    assert run("--data-dir", str(tmp_path), "backup")[0] == 2  # no -o
    code, _out, err = run("--data-dir", str(tmp_path), "restore", str(tmp_path / "x"))
    assert code == 1
    assert "no backup file" in err


def test_an_administrator_logs_in_once_there_are_accounts(run: Run, data: Path,
                                                          tmp_path: Path) -> None:
    registry = open_registry(data)
    try:
        accounts = AccountService(registry, hasher=fast_hasher())
        admin = accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor
        made = accounts.create_account(admin, "cora", "Cora C", frozenset({Role.COORDINATOR}))
        first = accounts.login("cora", made.one_time_password)
        accounts.change_password(first, made.one_time_password, "coordinator pass 9")
    finally:
        registry.close()
    copy = str(tmp_path / "copy.sqlite3")
    base = ("--data-dir", str(data), "backup", "-o", copy)
    assert "--user" in run(*base)[2]
    assert "wrong" in run(*base, "--user", "admin", stdin="not it\n")[2]
    code, _out, err = run(*base, "--user", "cora", "--password-stdin",
                          stdin="coordinator pass 9\n")
    assert code == 1
    assert "may not" in err
    assert not Path(copy).exists()
    code, _summary, err = run(*base, "--user", "admin", "--password-stdin",
                              stdin="admin password 1\n")
    assert code == 0, err
    assert audit_actions(data / DB_FILENAME)[-1][:2] == ("admin", "registry.backup")
    code, restored, err = run("--data-dir", str(data), "restore", copy, "--user", "admin",
                              stdin="admin password 1\n")
    assert code == 0, err  # the login since the copy does not make it older
    assert restored["older"] is False
    assert audit_actions(data / DB_FILENAME)[-1][:2] == ("admin", "registry.restore")
