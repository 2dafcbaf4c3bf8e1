"""Accounts through the service on a real registry: setup, login, lockout, resets, recovery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.domain.accounts import MAX_FAILED_ATTEMPTS, Actor, Permission, Role
from desktop.registry.database import Registry, open_registry
from desktop.registry.site_settings import SiteSettingRepository
from desktop.services import passwords
from desktop.services.accounts import (
    AccountError,
    AccountService,
    LoginRefused,
    NotPermitted,
    UserIdTaken,
)
from desktop.services.patients import PatientService
from tests.services.test_roles import PATIENT

ADMIN_PASSWORD = "admin password 1"
NEW_PASSWORD = "coordinator pass 9"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(tmp_path / "data")
    yield reg
    reg.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(registry: Registry, clock: Clock) -> AccountService:
    return AccountService(registry, hasher=passwords.fast_hasher(), clock=clock)


@pytest.fixture
def admin(service: AccountService) -> Actor:
    return service.create_first_admin("admin", "Ada Admin", ADMIN_PASSWORD).actor


def audit(registry: Registry, entity: str = "account") -> list[tuple[str, str, dict[str, object]]]:
    with registry.read() as conn:
        rows = conn.execute("SELECT actor, action, details FROM audit_event WHERE entity = ? "
                            "ORDER BY id", (entity,)).fetchall()
    return [(actor, action, json.loads(details)) for actor, action, details in rows]


def coordinator(service: AccountService, admin: Actor, user_id: str = "cora") -> Actor:
    """A coordinator who has logged in once and set their own password."""
    made = service.create_account(admin, user_id, "Cora Coordinator",
                                  frozenset({Role.COORDINATOR}))
    first = service.login(user_id, made.one_time_password)
    return service.change_password(first, made.one_time_password, NEW_PASSWORD)


def test_first_admin_then_no_second_first_admin(service: AccountService, admin: Actor,
                                               registry: Registry) -> None:
    assert not service.needs_first_admin()
    assert admin.roles == {Role.ADMIN}
    assert admin.may(Permission.ADMINISTER)
    with pytest.raises(AccountError, match="exists already"):
        service.create_first_admin("admin2", "Other Admin", ADMIN_PASSWORD)
    # The recovery code is stored only as an argon2id hash, and audited as "changed".
    stored = SiteSettingRepository(registry).get("recovery_code_hash")
    assert stored.startswith("$argon2id$")
    assert all("argon2" not in json.dumps(details) for _, _, details in
               audit(registry, "site_setting"))


def test_a_new_registry_needs_a_first_admin(service: AccountService) -> None:
    assert service.needs_first_admin()


@pytest.mark.parametrize(("password", "message"), [
    ("short pass1", "at least 12"),        # 11 characters
    ("admin", "at least 12"),
    ("ada admin", "at least 12"),
])
def test_first_admin_password_policy(service: AccountService, password: str,
                                     message: str) -> None:
    with pytest.raises(AccountError, match=message):
        service.create_first_admin("admin", "Ada Admin", password)
    assert service.needs_first_admin()


def test_password_equal_to_user_id_or_name_is_refused(service: AccountService) -> None:
    with pytest.raises(AccountError, match="not be the user id or the name"):
        service.create_first_admin("administrator", "Ada Admin", "Administrator")
    with pytest.raises(AccountError, match="not be the user id or the name"):
        service.create_first_admin("admin", "Ada Lovelace Admin", "ada lovelace admin")
    # Exactly 12 characters that are neither: accepted.
    service.create_first_admin("admin", "Ada Admin", "twelve chars")


def test_login_records_the_user_and_resets_failures(service: AccountService, admin: Actor,
                                                    registry: Registry) -> None:
    with pytest.raises(LoginRefused, match="wrong"):
        service.login("admin", "not the password")
    actor = service.login("admin", ADMIN_PASSWORD)
    assert actor == Actor("admin", "Ada Admin", frozenset({Role.ADMIN}))
    actions = [(who, action) for who, action, _ in audit(registry)]
    assert actions[-2:] == [("admin", "login.failed"), ("admin", "login")]
    # The failure counter starts again after a good login.
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        with pytest.raises(LoginRefused):
            service.login("admin", "not the password")
    assert service.login("admin", ADMIN_PASSWORD).user_id == "admin"


def test_unknown_user_is_refused_with_the_same_words(service: AccountService, admin: Actor,
                                                     registry: Registry) -> None:
    with pytest.raises(LoginRefused) as unknown:
        service.login("nobody", ADMIN_PASSWORD)
    with pytest.raises(LoginRefused) as wrong:
        service.login("admin", "not the password")
    assert str(unknown.value) == str(wrong.value)
    assert audit(registry)[-2][:2] == ("nobody", "login.failed")


def test_fifth_failure_locks_and_sixth_is_refused_with_the_right_password(
        service: AccountService, admin: Actor, registry: Registry) -> None:
    cora = coordinator(service, admin)
    for attempt in range(1, MAX_FAILED_ATTEMPTS + 1):
        with pytest.raises(LoginRefused) as refused:
            service.login(cora.user_id, "not the password")
        assert ("locked" in str(refused.value)) == (attempt == MAX_FAILED_ATTEMPTS)
    with pytest.raises(LoginRefused, match="locked"):
        service.login(cora.user_id, NEW_PASSWORD)
    # The admin unlocks; then the right password works again.
    service.unlock(admin, cora.user_id)
    assert service.login(cora.user_id, NEW_PASSWORD).user_id == "cora"
    assert "account.unlock" in [action for _, action, _ in audit(registry)]


def test_a_new_account_logs_in_once_to_change_its_one_time_password(
        service: AccountService, admin: Actor, registry: Registry) -> None:
    made = service.create_account(admin, "cora", "Cora Coordinator",
                                  frozenset({Role.COORDINATOR}))
    first = service.login("cora", made.one_time_password)
    assert first.one_time
    assert not first.may(Permission.ENTER_DATA)
    assert not first.may(Permission.READ)
    with pytest.raises(NotPermitted, match="one-time password"):
        PatientService.open(registry, first).add(PATIENT)
    with pytest.raises(AccountError, match="at least 12"):
        service.change_password(first, made.one_time_password, "short")
    changed = service.change_password(first, made.one_time_password, NEW_PASSWORD)
    assert not changed.one_time
    assert changed.may(Permission.ENTER_DATA)
    assert not service.login("cora", NEW_PASSWORD).one_time
    with pytest.raises(LoginRefused):
        service.login("cora", made.one_time_password)


def test_reset_gives_a_one_time_password_that_must_be_changed(
        service: AccountService, admin: Actor, registry: Registry) -> None:
    cora = coordinator(service, admin)
    reset = service.reset_password(admin, cora.user_id)
    with pytest.raises(LoginRefused):
        service.login("cora", NEW_PASSWORD)
    again = service.login("cora", reset.one_time_password)
    assert again.one_time
    assert not again.may(Permission.SIGN_AS_INVESTIGATOR)
    reset_rows = [details for _, action, details in audit(registry) if action == "account.reset"]
    assert reset_rows
    assert all(reset.one_time_password not in json.dumps(d) for d in reset_rows)


def test_only_an_admin_administers(service: AccountService, admin: Actor) -> None:
    cora = coordinator(service, admin)
    for call in (lambda: service.accounts(cora),
                 lambda: service.create_account(cora, "mallory", "Mal Lory",
                                                frozenset({Role.ADMIN})),
                 lambda: service.reset_password(cora, "admin"),
                 lambda: service.set_active(cora, "admin", False)):
        with pytest.raises(NotPermitted, match="may not manage accounts"):
            call()


def test_user_ids_are_never_reused(service: AccountService, admin: Actor) -> None:
    cora = coordinator(service, admin)
    service.set_active(admin, cora.user_id, False)
    with pytest.raises(LoginRefused, match="deactivated"):
        service.login("cora", NEW_PASSWORD)
    with pytest.raises(UserIdTaken, match="never reused"):
        service.create_account(admin, "cora", "Another Cora", frozenset({Role.MONITOR}))
    assert [a.user_id for a in service.accounts(admin)] == ["admin", "cora"]


def test_the_last_active_admin_stays(service: AccountService, admin: Actor) -> None:
    with pytest.raises(AccountError, match="last active administrator"):
        service.set_active(admin, "admin", False)
    with pytest.raises(AccountError, match="last active administrator"):
        service.set_details(admin, "admin", "Ada Admin", frozenset({Role.COORDINATOR}))
    second = service.create_account(admin, "bob", "Bob Admin", frozenset({Role.ADMIN}))
    service.set_active(admin, second.account.user_id, True)
    service.set_details(admin, "admin", "Ada Admin", frozenset({Role.COORDINATOR}))


def test_recovery_code_unlocks_the_admin_once(service: AccountService,
                                             registry: Registry) -> None:
    first = service.create_first_admin("admin", "Ada Admin", ADMIN_PASSWORD)
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(LoginRefused):
            service.login("admin", "forgotten it")
    with pytest.raises(LoginRefused, match="recovery code"):
        service.recover("aaaa-bbbb-cccc-dddd-eeee", "admin", "a brand new pass")
    printed = first.recovery_code.upper().replace("-", " - ")  # typed as printed, roughly
    new_code = service.recover(printed, "admin", "a brand new pass")
    assert service.login("admin", "a brand new pass").user_id == "admin"
    assert new_code != first.recovery_code
    with pytest.raises(LoginRefused, match="recovery code"):  # the old code is spent
        service.recover(first.recovery_code, "admin", "another new pass")


def test_password_expiry_set_by_the_admin(service: AccountService, admin: Actor,
                                          registry: Registry, clock: Clock) -> None:
    cora = coordinator(service, admin)
    SiteSettingRepository(registry).set("admin", {"password_expiry_days": 90})
    clock.now += timedelta(days=90) - timedelta(seconds=1)
    assert not service.login(cora.user_id, NEW_PASSWORD).one_time
    clock.now += timedelta(seconds=1)
    expired = service.login(cora.user_id, NEW_PASSWORD)
    assert expired.one_time  # must change it before anything else
    assert not service.change_password(expired, NEW_PASSWORD, "fresh password 2").one_time


def test_passwords_are_argon2id_above_the_owasp_minimum() -> None:
    hasher = passwords.site_hasher()
    assert hasher.type.name == "ID"
    assert hasher.memory_cost >= passwords.OWASP_MIN_MEMORY_KIB
    assert hasher.time_cost >= passwords.OWASP_MIN_TIME_COST
    assert hasher.parallelism >= 1
    assert hasher.hash("some password 1").startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_wrong_passwords_tried_at_once_all_count(service: AccountService, admin: Actor,
                                                registry: Registry) -> None:
    """Eight windows (or processes) guessing at the same moment cannot slip past the
    lockout: each failure is counted inside its own write transaction."""
    import threading

    cora = coordinator(service, admin)
    barrier = threading.Barrier(8)

    def guess() -> None:
        barrier.wait()
        with pytest.raises(LoginRefused):
            service.login(cora.user_id, "not the password")

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with registry.read() as conn:
        failed, locked = conn.execute("SELECT failed_attempts, locked FROM account "
                                      "WHERE user_id = 'cora'").fetchone()
    assert (failed, bool(locked)) == (8, True)  # every one counted; locked from the 5th
    with pytest.raises(LoginRefused, match="locked"):
        service.login(cora.user_id, NEW_PASSWORD)


def test_what_was_typed_as_a_user_id_is_audited_only_if_it_can_be_one(
        service: AccountService, admin: Actor, registry: Registry) -> None:
    with pytest.raises(LoginRefused):
        service.login("My Secret Pass 1!", "whatever")  # a password in the wrong field
    who, action, details = audit(registry)[-1]
    assert (who, action) == ("(not a user id)", "login.failed")
    assert "Secret" not in json.dumps(details)


def test_an_accounts_standing_is_said_only_to_someone_with_its_password(
        service: AccountService, admin: Actor) -> None:
    cora = coordinator(service, admin)
    service.set_active(admin, cora.user_id, False)
    with pytest.raises(LoginRefused) as guessed:
        service.login(cora.user_id, "not the password")
    assert str(guessed.value) == "The user id or password is wrong."
    with pytest.raises(LoginRefused, match="deactivated"):
        service.login(cora.user_id, NEW_PASSWORD)


def test_a_wrong_current_password_at_a_change_counts_toward_the_lockout(
        service: AccountService, admin: Actor, registry: Registry) -> None:
    cora = coordinator(service, admin)
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(LoginRefused, match="current password is wrong"):
            service.change_password(cora, "not the password", "another new one 1")
    with pytest.raises(LoginRefused, match="locked"):
        service.login(cora.user_id, NEW_PASSWORD)
    assert audit(registry)[-2][1] == "account.password.failed"
