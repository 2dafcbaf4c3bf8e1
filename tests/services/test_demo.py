"""The demo keeps to a registry of its own: one account per role, the investigator
delegated for every trial, and never written into a site's registry."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from desktop import launcher
from desktop.domain.accounts import Permission
from desktop.library import trial_ids
from desktop.registry.database import Registry, open_registry
from desktop.services import passwords
from desktop.services.accounts import AccountService
from desktop.services.delegations import DelegationService
from desktop.services.demo import (
    DEMO_PASSWORD,
    DemoRefused,
    demo_banner,
    seed_demo_accounts,
)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(tmp_path / "data")
    yield reg
    reg.close()


def test_one_account_per_role_with_the_demo_password(registry: Registry) -> None:
    fast = passwords.fast_hasher()
    assert seed_demo_accounts(registry, trial_ids(), fast) == 4
    assert seed_demo_accounts(registry, trial_ids(), fast) == 0  # idempotent
    accounts = AccountService(registry, hasher=fast)
    for user_id, permission in (("demo-admin", Permission.ADMINISTER),
                                ("demo-coordinator", Permission.ENTER_DATA),
                                ("demo-investigator", Permission.SIGN_AS_INVESTIGATOR),
                                ("demo-monitor", Permission.EXPORT)):
        actor = accounts.login(user_id, DEMO_PASSWORD)
        assert actor.may(permission)
        assert not actor.one_time
    monitor = accounts.login("demo-monitor", DEMO_PASSWORD)
    assert not monitor.may(Permission.ENTER_DATA)
    delegations = DelegationService(registry)
    assert all(delegations.in_force("demo-investigator", t, date.today()) for t in trial_ids())
    assert "nkscreen-demo" in demo_banner()
    # The demo's entries are an account's, shown by name (not "before accounts").
    from desktop.services.screening import ScreeningService

    names = ScreeningService.open(registry, "demo-coordinator").attribution()
    assert names.who("demo-coordinator", None) == "Demo Coordinator (demo-coordinator)"
    assert "demo-monitor" in demo_banner()


def test_the_demo_refuses_a_sites_registry(registry: Registry) -> None:
    accounts = AccountService(registry, hasher=passwords.fast_hasher())
    admin = accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor
    with pytest.raises(DemoRefused, match="has patients or accounts of its own"):
        seed_demo_accounts(registry, trial_ids(), passwords.fast_hasher())
    assert [a.user_id for a in accounts.accounts(admin)] == ["admin"]  # nothing added


def test_the_demo_refuses_a_previous_release_registry_with_patients(
        registry: Registry) -> None:
    from desktop.services.patients import PatientInput, PatientService

    PatientService.open(registry, "root").add(PatientInput(
        "REAL-1", "Fictional", "Ann", date(1970, 1, 1), "female"))
    with pytest.raises(DemoRefused, match="has patients or accounts of its own"):
        seed_demo_accounts(registry, trial_ids(), passwords.fast_hasher())
    assert AccountService(registry).needs_first_admin()  # nothing was added


def test_without_data_dir_the_demo_uses_its_own_folder(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    opened: list[tuple[Path, bool]] = []

    def run_gui(data_dir: Path, *, smoke: bool = False, demo: bool = False) -> int:
        opened.append((data_dir, demo))
        return 0

    import desktop.ui.app

    monkeypatch.setattr(desktop.ui.app, "run_gui", run_gui)
    monkeypatch.setenv("NKSCREEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    args = argparse.Namespace(data_dir=None, smoke=True, demo=True)
    assert launcher.run_app(args) == 0
    args = argparse.Namespace(data_dir=None, smoke=True, demo=False)
    assert launcher.run_app(args) == 0
    assert opened == [(tmp_path / "home" / "demo", True), (tmp_path / "home", False)]
