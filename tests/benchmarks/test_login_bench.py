"""Login speed with the app's own argon2id parameters (RFC 9106 low-memory profile:
m = 64 MiB, t = 3, p = 4; see desktop/services/passwords.py). Opt-in:
``python -m pytest tests/benchmarks/test_login_bench.py --benchmark-enable
--benchmark-only``. Target (issue 12): a login's verify under 0.5 s median."""

from __future__ import annotations

from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from desktop.registry.database import open_registry
from desktop.services.accounts import AccountService
from desktop.services.passwords import site_hasher

PASSWORD = "admin password 1"


def test_login_verify(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    registry = open_registry(tmp_path / "data")
    try:
        accounts = AccountService(registry, hasher=site_hasher())
        accounts.create_first_admin("admin", "Ada Admin", PASSWORD)
        benchmark.group = "login (argon2id m=64 MiB, t=3, p=4)"
        actor = benchmark.pedantic(lambda: accounts.login("admin", PASSWORD), rounds=10,
                                   warmup_rounds=1)
        assert actor.user_id == "admin"
    finally:
        registry.close()
    assert benchmark.stats.stats.median < 0.5
