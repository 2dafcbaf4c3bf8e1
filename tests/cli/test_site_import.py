"""``nkscreen site import`` and ``evaluate``'s ULN sources: ``--site FILE``, else the
registry's dated table (read without SQLAlchemy), never a stray site.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from desktop.domain.accounts import Role
from desktop.registry.database import open_registry
from desktop.services.accounts import AccountService
from desktop.services.passwords import fast_hasher
from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "trials" / "examples" / "NCT05744440" / "screening-1.json"
SITE = '{"uln": {"ast": {"value": 40}, "alt": {"value": 40}}}'


def nkscreen(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin,
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
                          check=False, env=os.environ.copy())


def record_without_ulns(tmp_path: Path) -> Path:
    data = json.loads(EXAMPLE.read_text())
    for obs in data["observations"]:
        obs.pop("uln", None)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(data))
    return path


def alt_ast(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    return str(next(c["outcome"] for c in verdict["criteria"] if c["id"] == "alt-ast"))


def test_import_then_evaluate_reads_the_registry(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (tmp_path / "site.json").write_text(SITE, encoding="utf-8")
    record = str(record_without_ulns(tmp_path))
    evaluate = ("--data-dir", str(data), "evaluate", "NCT05744440", "--stage", "screening-1",
                record)
    assert alt_ast(nkscreen(*evaluate)) == "unknown"  # no registry: no site ULN
    today = nkscreen("--data-dir", str(data), "site", "import", str(tmp_path / "site.json"),
                     "--effective-from", "2026-01-01")
    assert today.returncode == 2  # backdated without a reason: refused, nothing stored
    assert "give the reason for backdating" in today.stderr
    done = nkscreen("--data-dir", str(data), "site", "import", str(tmp_path / "site.json"),
                    "--effective-from", "2026-01-01", "--backdated-because", "the lab's table")
    assert done.returncode == 0, done.stderr
    assert "2 upper limits of normal in force from 2026-01-01" in done.stdout
    assert alt_ast(nkscreen(*evaluate)) == "pass"
    # Effective later than the results: they keep having none.
    later = tmp_path / "later"
    nkscreen("--data-dir", str(later), "site", "import", str(tmp_path / "site.json"),
             "--effective-from", "2026-11-03", "--backdated-because", "the lab's table")
    assert alt_ast(nkscreen("--data-dir", str(later), *evaluate[2:])) == "unknown"


def test_evaluate_with_site_file_outside_any_registry(tmp_path: Path) -> None:
    (tmp_path / "site.json").write_text(SITE, encoding="utf-8")
    record = str(record_without_ulns(tmp_path))
    assert alt_ast(nkscreen("--data-dir", str(tmp_path / "none"), "evaluate", "NCT05744440",
                            "--stage", "screening-1", record, "--site",
                            str(tmp_path / "site.json"))) == "pass"


def test_import_needs_an_administrator_once_accounts_exist(tmp_path: Path) -> None:
    data = tmp_path / "data"
    registry = open_registry(data)
    try:
        accounts = AccountService(registry, hasher=fast_hasher())
        admin = accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor
        made = accounts.create_account(admin, "cora", "Cora C", frozenset({Role.COORDINATOR}))
        first = accounts.login("cora", made.one_time_password)
        accounts.change_password(first, made.one_time_password, "coordinator pass 9")
    finally:
        registry.close()
    (tmp_path / "site.json").write_text(SITE, encoding="utf-8")
    site = str(tmp_path / "site.json")
    base = ("--data-dir", str(data), "site", "import", site)
    missing = nkscreen(*base)
    assert missing.returncode == 2
    assert missing.stderr.startswith("nkscreen: --user: ")
    wrong = nkscreen(*base, "--user", "admin", stdin="not the password\n")
    assert wrong.returncode == 2
    assert "wrong" in wrong.stderr
    coordinator = nkscreen(*base, "--user", "cora", stdin="coordinator pass 9\n")
    assert coordinator.returncode == 2
    assert "may not manage accounts, delegations and site settings" in coordinator.stderr
    done = nkscreen(*base, "--user", "admin", stdin="admin password 1\n")
    assert done.returncode == 0, done.stderr
    registry = open_registry(data)
    try:
        with registry.read() as conn:
            actors = {row[0] for row in conn.execute(
                "SELECT actor FROM audit_event WHERE action IN ('site.uln', 'site.setting')")}
    finally:
        registry.close()
    assert actors == {"admin"}


def test_evaluate_on_a_registry_loads_no_sqlalchemy(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (tmp_path / "site.json").write_text(SITE, encoding="utf-8")
    assert nkscreen("--data-dir", str(data), "site", "import",
                    str(tmp_path / "site.json")).returncode == 0
    code = (
        "import sys, json\n"
        "from desktop import cli\n"
        f"cli.main(['--data-dir', {str(data)!r}, 'evaluate', 'NCT05744440', '--stage', "
        f"'screening-1', {str(record_without_ulns(tmp_path))!r}])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'PySide6', 'sqlalchemy', 'sqlmodel', 'alembic', 'reportlab'})\n"
        "sys.stderr.write('HEAVY=' + json.dumps(heavy))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO_ROOT, check=False)
    assert "HEAVY=[]" in result.stderr, result.stderr


def test_evaluate_takes_the_registrys_time_zone_unless_tz_is_set(tmp_path: Path) -> None:
    from desktop.domain.accounts import Actor
    from desktop.services.site_settings import SiteSettingsService

    data = tmp_path / "data"
    registry = open_registry(data)
    try:
        SiteSettingsService(registry).update(
            Actor("admin", "Ada Admin", frozenset({Role.ADMIN})), time_zone="Asia/Tokyo")
    finally:
        registry.close()
    record = tmp_path / "r.json"
    record.write_text('{"as_of": "2026-11-02T00:00:00+00:00"}')
    args = ["--data-dir", str(data), "evaluate", "NCT05744440", "--stage", "screening-1",
            str(record)]
    env = {k: v for k, v in os.environ.items() if k != "TZ"}
    plain = subprocess.run([sys.executable, "-m", "desktop", *args], capture_output=True,
                           text=True, cwd=REPO_ROOT, timeout=120, check=False, env=env)
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout)["as_of"] == "2026-11-02T09:00"  # Tokyo, UTC+9
    env["TZ"] = "UTC"
    overridden = subprocess.run([sys.executable, "-m", "desktop", *args], capture_output=True,
                                text=True, cwd=REPO_ROOT, timeout=120, check=False, env=env)
    assert json.loads(overridden.stdout)["as_of"] == "2026-11-02T00:00"
