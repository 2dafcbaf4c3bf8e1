"""Roles are enforced by the services, not only by the screens: a monitor reads and
exports and every write is refused; only a delegated investigator signs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from desktop.domain.accounts import Actor, Role
from desktop.library import find_trial
from desktop.registry.database import Registry, open_registry
from desktop.services import passwords
from desktop.services.accounts import AccountService
from desktop.services.delegations import DelegationError, DelegationService
from desktop.services.patients import NotPermitted, PatientInput, PatientService
from desktop.services.screening import ObservationInput, ScreeningService
from tests.registry.conftest import CLOCK, store_example

TRIAL = find_trial("NCT06835140")
MONITOR = Actor("mo", "Mo Monitor", frozenset({Role.MONITOR}))
COORDINATOR = Actor("cora", "Cora Coordinator", frozenset({Role.COORDINATOR}))
ADMIN_ONLY = Actor("admin", "Ada Admin", frozenset({Role.ADMIN}))
PATIENT = PatientInput(mrn="R1", family_name="Fictional", given_name="Ann",
                       birth_date=date(1971, 7, 9), sex="male")


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(tmp_path / "data")
    yield reg
    reg.close()


@pytest.fixture
def accounts(registry: Registry) -> AccountService:
    return AccountService(registry, hasher=passwords.fast_hasher())


@pytest.fixture
def admin(accounts: AccountService) -> Actor:
    return accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor


def investigator(accounts: AccountService, admin: Actor, user_id: str = "ivy",
                 *, certified: bool = True) -> Actor:
    """An investigator with their own password and (``certified``) a certificate from the
    site CA, issued by the first admin: without one, nobody signs (issue 16)."""
    made = accounts.create_account(admin, user_id, "Dr Ivy Investigator",
                                   frozenset({Role.INVESTIGATOR}))
    first = accounts.login(user_id, made.one_time_password)
    actor = accounts.change_password(first, made.one_time_password, "investigator pw 1")
    if certified:
        accounts.keys.issue(admin, "admin password 1", user_id)
    return actor


def completed_visit(registry: Registry) -> tuple[int, int]:
    """A patient and a completed, eligible screening #1 (entered by a coordinator)."""
    patients = PatientService.open(registry, COORDINATOR)
    screenings = ScreeningService.open(registry, COORDINATOR, lambda: CLOCK)
    patient_id = patients.add(PATIENT).id
    screening = screenings.start(patient_id, TRIAL)
    visit = screenings.start_visit(screening.id, TRIAL, "screening-1")
    store_example(cast(Any, screenings), patient_id, visit, TRIAL.id)
    assert screenings.complete(visit.id).decision == "eligible"
    return patient_id, visit.id


def test_monitor_reads_but_every_write_is_refused(registry: Registry) -> None:
    patient_id, visit_id = completed_visit(registry)
    patients = PatientService.open(registry, MONITOR)
    screenings = ScreeningService.open(registry, MONITOR, lambda: CLOCK)
    assert patients.get(patient_id).mrn == "R1"
    assert screenings.visit(visit_id).decision == "eligible"
    assert screenings.screening_log(TRIAL)
    assert not patients.may_change
    assert not screenings.may_enter_data
    screening_id = screenings.visit(visit_id).screening_id
    observation = ObservationInput("creatinine", "1.0", "mg/dL", CLOCK, None, "lab")
    writes: list[Callable[[], object]] = [
        lambda: patients.add(PATIENT),
        lambda: patients.update(patient_id, PATIENT),
        lambda: patients.set_archived(patient_id, True),
        lambda: patients.void(patient_id, "registered in error"),
        lambda: screenings.start(patient_id, find_trial("NCT05744440")),
        lambda: screenings.start_visit(screening_id, TRIAL, "pre-infusion"),
        lambda: screenings.set_event(visit_id, "infusion", CLOCK),
        lambda: screenings.set_fact(patient_id, "gilbert_syndrome", True),
        lambda: screenings.add_observation(patient_id, None, observation),
        lambda: screenings.set_answer(visit_id, "consent", "yes"),
        lambda: screenings.complete(visit_id),
    ]
    before = _audit_count(registry)
    for write in writes:
        with pytest.raises(NotPermitted, match=r"Mo Monitor \(Monitor / auditor"):
            write()
    assert _audit_count(registry) == before  # nothing was written


def test_an_admin_alone_does_not_enter_data(registry: Registry) -> None:
    with pytest.raises(NotPermitted, match="may not enter or change"):
        PatientService.open(registry, ADMIN_ONLY).add(PATIENT)


def test_delegations_only_for_active_investigators(registry: Registry,
                                                   accounts: AccountService,
                                                   admin: Actor) -> None:
    delegations = DelegationService(registry)
    made = accounts.create_account(admin, "cora", "Cora Coordinator",
                                   frozenset({Role.COORDINATOR}))
    with pytest.raises(DelegationError, match="not an investigator"):
        delegations.add(admin, made.account.user_id, TRIAL.id, CLOCK.date(), None)
    ivy = investigator(accounts, admin)
    with pytest.raises(DelegationError, match="ends before it starts"):
        delegations.add(admin, ivy.user_id, TRIAL.id, CLOCK.date(),
                        CLOCK.date() - timedelta(days=1))
    with pytest.raises(NotPermitted, match="may not manage"):
        delegations.add(ivy, ivy.user_id, TRIAL.id, CLOCK.date(), None)


def test_delegation_log_exports_as_csv_with_revocations(registry: Registry,
                                                        accounts: AccountService,
                                                        admin: Actor) -> None:
    ivy = investigator(accounts, admin)
    delegations = DelegationService(registry)
    line = delegations.add(admin, ivy.user_id, TRIAL.id, date(2026, 1, 5), None, "=Sub-I")
    delegations.revoke(admin, line.id, "Left the site")
    assert not delegations.in_force("ivy", TRIAL.id, date(2026, 2, 1))
    text = delegations.csv(MONITOR)  # a monitor may export
    rows = text.splitlines()
    assert rows[0].startswith("Line,User id,Name,Trial,Duty,From,Until")
    assert rows[1].startswith(f"1,ivy,Dr Ivy Investigator,{TRIAL.id},'=Sub-I,2026-01-05,"
                              "open-ended,admin,")
    assert rows[1].endswith(",admin," + rows[1].split(",admin,")[-1])
    assert "Left the site" in rows[1]


def _audit_count(registry: Registry) -> int:
    with registry.read() as conn:
        return int(conn.execute("SELECT count(*) FROM audit_event").fetchone()[0])


def test_an_account_changed_since_the_login_writes_nothing_more(
        registry: Registry, accounts: AccountService, admin: Actor) -> None:
    made = accounts.create_account(admin, "cora", "Cora Coordinator",
                                   frozenset({Role.COORDINATOR}))
    first = accounts.login("cora", made.one_time_password)
    cora = accounts.change_password(first, made.one_time_password, "coordinator pass 9")
    patients = PatientService.open(registry, cora)  # the session's services
    patients.add(PATIENT)
    accounts.set_active(admin, "cora", False)  # an admin, elsewhere, meanwhile
    with pytest.raises(NotPermitted, match="was deactivated since the login"):
        patients.add(PatientInput("R2", "Other", "Bea", date(1980, 1, 1), "female"))
    accounts.set_active(admin, "cora", True)
    accounts.reset_password(admin, "cora")
    with pytest.raises(NotPermitted, match="reset to a one-time password since the login"):
        patients.add(PatientInput("R3", "Other", "Cy", date(1980, 1, 1), "male"))
