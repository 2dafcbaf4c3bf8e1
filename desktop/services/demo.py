"""Demonstration data: the ``--demo`` patients, screenings and accounts, for training and
the README's screenshots, in a registry of their own.

``--demo`` never writes into a site's registry: without ``--data-dir`` it uses a separate
folder (``demo/`` inside the data folder), and it refuses a registry that has accounts
but was not made by the demo. The demo has one account per role, all with the password
``nkscreen-demo`` (shown in the demo's banner), the investigator delegated for every
trial, so every feature can be tried at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Final

from argon2 import PasswordHasher

from desktop.domain.accounts import Role
from desktop.registry.accounts import AccountRepository
from desktop.registry.database import Registry, RegistryError
from desktop.registry.delegations import DelegationRepository
from desktop.registry.demo import demo_mrn, seed_demo
from desktop.registry.demo_screenings import seed_demo_screenings
from desktop.registry.site_settings import SiteSettingRepository, UlnRepository
from desktop.services import passwords

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "DemoRefused", "demo_banner", "demo_data_dir",
           "demo_mrn", "is_demo", "seed_demo", "seed_demo_accounts", "seed_demo_screenings"]

DEMO_PASSWORD: Final = "nkscreen-demo"
#: user id, printed name, roles.
DEMO_ACCOUNTS: Final = (
    ("demo-admin", "Demo Administrator", frozenset({Role.ADMIN})),
    ("demo-coordinator", "Demo Coordinator", frozenset({Role.COORDINATOR})),
    ("demo-investigator", "Dr Demo Investigator", frozenset({Role.INVESTIGATOR})),
    ("demo-monitor", "Demo Monitor", frozenset({Role.MONITOR})),
)
#: The demo site's ULN table (code, value as typed, unit), in force from 2020-01-01.
DEMO_ULNS: Final = (("alt", "40", "U/L"), ("ast", "40", "U/L"),
                    ("bilirubin_total", "1.2", "mg/dL"), ("bilirubin_direct", "0.3", "mg/dL"))
DEMO_KEY: Final = "demo"
DEMO_FOLDER: Final = "demo"


class DemoRefused(RegistryError):
    """The folder holds a real registry: the demo does not write into it."""


def demo_data_dir(data_dir: Path, explicit: bool) -> Path:
    """Where ``--demo`` keeps its registry: the folder given with ``--data-dir``, else a
    ``demo`` folder inside the data folder (never the site's registry itself)."""
    return data_dir if explicit else data_dir / DEMO_FOLDER


def is_demo(registry: Registry) -> bool:
    return SiteSettingRepository(registry).get(DEMO_KEY) is True


def demo_banner() -> str:
    users = ", ".join(user_id for user_id, _, _ in DEMO_ACCOUNTS)
    return (f"DEMO — fictional patients only. Log in as {users}; the password of each is "
            f"{DEMO_PASSWORD}.")


def seed_demo_accounts(registry: Registry, trial_ids: Iterable[str],
                       hasher: PasswordHasher | None = None) -> int:
    """Create the demo accounts and delegations that are missing; how many accounts were
    made. Refuses (``DemoRefused``) a registry with accounts of its own."""
    from desktop.registry.patients import PatientRepository

    accounts = AccountRepository(registry)
    settings = SiteSettingRepository(registry)
    if not is_demo(registry) and (
            accounts.count() or PatientRepository(registry, "demo").count(
                include_archived=True)):
        raise DemoRefused(f"The registry {registry.path} has patients or accounts of its "
                          "own: the demo does not write into a site's registry. Start the "
                          "demo without --data-dir (it keeps its own), or with an empty "
                          "folder.")
    marks: dict[str, object] = {DEMO_KEY: True, "site_name": "Demo site"}
    if settings.get("accounts_since") is None:  # every demo entry is made by an account
        marks["accounts_since"] = "2000-01-01T00:00:00+00:00"
    settings.set("demo-admin", marks)
    stored = (hasher or passwords.site_hasher()).hash(DEMO_PASSWORD)
    made = 0
    for user_id, name, roles in DEMO_ACCOUNTS:
        if accounts.find(user_id) is None:
            accounts.create("demo-admin", user_id, name, roles, stored, one_time=False,
                            action="account.demo")
            made += 1
    from desktop.services.keys import KeyService, kdf_like

    # Every demo account signs at once: the demo CA issued their certificates.
    KeyService(registry, kdf=None if hasher is None else kdf_like(hasher)).seed_demo(
        "demo-admin", DEMO_PASSWORD)
    uln = UlnRepository(registry)
    if not uln.all():  # a site's ULN table to look at (the demo's records carry their own)
        uln.add("demo-admin", [(code, value, unit, date(2020, 1, 1))
                               for code, value, unit in DEMO_ULNS], "the demo's table")
    delegations = DelegationRepository(registry)
    have = {row.trial_id for row in delegations.all() if row.user_id == "demo-investigator"}
    for trial_id in trial_ids:
        if trial_id not in have:
            delegations.add("demo-admin", "demo-investigator", trial_id, date(2020, 1, 1),
                            None, "Investigator (demo)")
    return made
