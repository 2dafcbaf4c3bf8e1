"""The signing service (issue 13): both components every time, the meaning from role and
decision, and every refusal: wrong password (counting toward the lockout), another
user's id, a coordinator confirming, no delegation that day, inactive, locked or reset
accounts, a stage not completed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from desktop.domain.accounts import Actor, Role
from desktop.domain.signing import Action
from desktop.registry.database import Registry
from desktop.services.accounts import AccountService, LoginRefused
from desktop.services.delegations import DelegationService
from desktop.services.screening import ScreeningService
from desktop.services.signing import NotPermitted, ScreeningRefused, SigningService
from tests.registry.conftest import CLOCK, sign_as
from tests.services.test_roles import (
    COORDINATOR,
    MONITOR,
    TRIAL,
    completed_visit,
    investigator,
)
from tests.services.test_roles import accounts as accounts
from tests.services.test_roles import admin as admin
from tests.services.test_roles import registry as registry

PASSWORD = "investigator pw 1"


@pytest.fixture
def ivy(accounts: AccountService, admin: Actor, registry: Registry) -> Actor:
    actor = investigator(accounts, admin)
    DelegationService(registry).add(admin, "ivy", TRIAL.id, CLOCK.date(), None)
    return actor


def _service(registry: Registry, accounts: AccountService, actor: Actor,
             on: datetime = CLOCK) -> SigningService:
    return SigningService.open(registry, actor, accounts, clock=lambda: on)


def test_an_investigator_confirms_with_user_id_and_password(
        registry: Registry, accounts: AccountService, ivy: Actor) -> None:
    _, visit_id = completed_visit(registry)
    signing = _service(registry, accounts, ivy)
    request = signing.request(visit_id, Action.CONFIRM)
    assert (request.meaning.value, request.problem) == ("Eligibility confirmed by", None)
    assert signing.available(visit_id) == [Action.CONFIRM]
    signed = sign_as(signing, visit_id, Action.CONFIRM, " ivy ", PASSWORD)
    assert (signed.printed_name, signed.user_id, signed.role, signed.meaning.value) == (
        "Dr Ivy Investigator", "ivy", "Investigator", "Eligibility confirmed by")
    assert signed.signed_at.utcoffset() is not None
    assert signing.available(visit_id) == []
    with registry.read() as conn:
        checks = conn.execute("SELECT count(*) FROM audit_event "
                              "WHERE action = 'signature.check'").fetchone()
    assert checks == (1,)


def test_a_wrong_password_is_refused_and_counts_toward_the_lockout(
        registry: Registry, accounts: AccountService, ivy: Actor) -> None:
    _, visit_id = completed_visit(registry)
    signing = _service(registry, accounts, ivy)
    for _ in range(4):
        with pytest.raises(LoginRefused, match="wrong"):
            sign_as(signing, visit_id, Action.CONFIRM, "ivy", "not the password")
    with pytest.raises(LoginRefused, match="now locked"):
        sign_as(signing, visit_id, Action.CONFIRM, "ivy", "not the password")
    with pytest.raises(LoginRefused, match="locked"):
        sign_as(signing, visit_id, Action.CONFIRM, "ivy", PASSWORD)  # right, but locked
    assert _service(registry, accounts, ivy).standing(visit_id).signatures == ()


def test_only_the_logged_in_user_signs(registry: Registry, accounts: AccountService,
                                       admin: Actor, ivy: Actor) -> None:
    _, visit_id = completed_visit(registry)
    investigator(accounts, admin, "ian")
    with pytest.raises(NotPermitted, match=r"Only the logged-in user \(ivy\) signs"):
        sign_as(_service(registry, accounts, ivy), visit_id, Action.CONFIRM, "ian", PASSWORD)
    with pytest.raises(NotPermitted, match="no user id was typed"):
        sign_as(_service(registry, accounts, ivy), visit_id, Action.CONFIRM, " ", PASSWORD)


def test_a_coordinator_prepares_but_cannot_confirm(registry: Registry,
                                                   accounts: AccountService,
                                                   admin: Actor) -> None:
    _, visit_id = completed_visit(registry)
    made = accounts.create_account(admin, "cora", "Cora Coordinator",
                                   frozenset({Role.COORDINATOR}))
    first = accounts.login("cora", made.one_time_password)
    cora = accounts.change_password(first, made.one_time_password, "coordinator pass 9")
    accounts.keys.issue(admin, "admin password 1", "cora")
    signing = _service(registry, accounts, cora)
    assert signing.available(visit_id) == [Action.PREPARE]
    assert signing.request(visit_id, Action.CONFIRM).problem is not None
    with pytest.raises(NotPermitted, match="cannot confirm a stage: that takes an "
                                           "investigator"):
        sign_as(signing, visit_id, Action.CONFIRM, "cora", "coordinator pass 9")
    prepared = sign_as(signing, visit_id, Action.PREPARE, "cora", "coordinator pass 9")
    assert (prepared.meaning.value, prepared.role) == ("Prepared by", "Coordinator")


def test_an_investigator_needs_a_delegation_in_force_that_day(
        registry: Registry, accounts: AccountService, admin: Actor) -> None:
    _, visit_id = completed_visit(registry)
    ivy = investigator(accounts, admin)
    day = CLOCK.date()
    delegations = DelegationService(registry)
    with pytest.raises(NotPermitted, match="no delegation in force today"):
        sign_as(_service(registry, accounts, ivy), visit_id, Action.CONFIRM, "ivy", PASSWORD)
    delegations.add(admin, "ivy", TRIAL.id, day + timedelta(days=1), day + timedelta(days=9))
    with pytest.raises(NotPermitted, match="no delegation in force today"):
        sign_as(_service(registry, accounts, ivy), visit_id, Action.CONFIRM, "ivy", PASSWORD)
    with pytest.raises(NotPermitted, match="no delegation in force today"):
        sign_as(_service(registry, accounts, ivy, CLOCK + timedelta(days=10)),
                visit_id, Action.CONFIRM, "ivy", PASSWORD)
    signed = sign_as(_service(registry, accounts, ivy, CLOCK + timedelta(days=9)),
                     visit_id, Action.CONFIRM, "ivy", PASSWORD)  # its last day
    assert signed.user_id == "ivy"


def test_inactive_and_reset_accounts_do_not_sign(registry: Registry,
                                                 accounts: AccountService, admin: Actor,
                                                 ivy: Actor) -> None:
    _, visit_id = completed_visit(registry)
    accounts.set_active(admin, "ivy", False)
    with pytest.raises(LoginRefused, match="deactivated"):
        sign_as(_service(registry, accounts, ivy), visit_id, Action.CONFIRM, "ivy", PASSWORD)
    accounts.set_active(admin, "ivy", True)
    reset = accounts.reset_password(admin, "ivy").one_time_password
    with pytest.raises(NotPermitted, match="one-time password, which never signs"):
        sign_as(_service(registry, accounts, ivy), visit_id, Action.CONFIRM, "ivy", reset)


def test_a_monitor_does_not_sign(registry: Registry, accounts: AccountService) -> None:
    _, visit_id = completed_visit(registry)
    signing = _service(registry, accounts, MONITOR)
    assert signing.available(visit_id) == []
    with pytest.raises(NotPermitted, match=r"Only the logged-in user \(mo\)"):
        sign_as(signing, visit_id, Action.CONFIRM, "ivy", PASSWORD)


def test_a_stage_not_completed_is_not_signed(registry: Registry, accounts: AccountService,
                                             ivy: Actor) -> None:
    screenings = ScreeningService.open(registry, COORDINATOR, lambda: CLOCK)
    from desktop.services.patients import PatientService
    from tests.services.test_roles import PATIENT

    patient_id = PatientService.open(registry, COORDINATOR).add(PATIENT).id
    screening = screenings.start(patient_id, TRIAL)
    visit = screenings.start_visit(screening.id, TRIAL, "screening-1")
    signing = _service(registry, accounts, ivy)
    assert signing.request(visit.id, Action.CONFIRM).problem == (
        "Only a completed stage is signed: complete it first.")
    with pytest.raises(ScreeningRefused, match="Only a completed stage is signed"):
        sign_as(signing, visit.id, Action.CONFIRM, "ivy", PASSWORD)
