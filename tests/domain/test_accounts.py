"""The account rules at their exact boundaries: passwords, expiry, lockout, roles, delegation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from desktop.domain.accounts import (
    MAX_FAILED_ATTEMPTS,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Actor,
    Delegation,
    Permission,
    PermissionRefused,
    Role,
    delegated,
    delegation_problem,
    locked_after,
    name_problem,
    parse_roles,
    password_expired,
    password_problem,
    permissions,
    require,
    roles_text,
    user_id_problem,
)


def test_password_length_boundaries() -> None:
    assert MIN_PASSWORD_LENGTH == 12
    assert password_problem("x" * 11, "cora", "Cora C") is not None
    assert password_problem("x" * 12, "cora", "Cora C") is None
    assert password_problem("x" * MAX_PASSWORD_LENGTH, "cora", "Cora C") is None
    assert password_problem("x" * (MAX_PASSWORD_LENGTH + 1), "cora", "Cora C") is not None


@pytest.mark.parametrize("password", ["cora.coordinator", "CORA.COORDINATOR",
                                      "Cora Coordinator", "cora  coordinator",
                                      "coracoordinator", "ＣＯＲＡ.coordinator"])
def test_password_may_not_be_the_user_id_or_name(password: str) -> None:
    problem = password_problem(password, "cora.coordinator", "Cora Coordinator")
    assert problem == "Password must not be the user id or the name."


def test_password_containing_the_name_but_longer_is_allowed() -> None:
    assert password_problem("Cora Coordinator 2026!", "cora", "Cora Coordinator") is None


def test_expiry_is_off_by_default_and_exact_to_the_second() -> None:
    changed = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    assert not password_expired(changed, changed + timedelta(days=10_000), None)
    assert not password_expired(changed, changed + timedelta(days=10_000), 0)
    assert not password_expired(changed, changed + timedelta(days=30, seconds=-1), 30)
    assert password_expired(changed, changed + timedelta(days=30), 30)


def test_lockout_after_exactly_five() -> None:
    assert MAX_FAILED_ATTEMPTS == 5
    assert not locked_after(4)
    assert locked_after(5)


def test_roles_grant() -> None:
    assert Permission.ENTER_DATA in permissions([Role.COORDINATOR])
    assert Permission.SIGN_AS_INVESTIGATOR not in permissions([Role.COORDINATOR])
    assert Permission.SIGN_AS_INVESTIGATOR in permissions([Role.INVESTIGATOR])
    assert permissions([Role.MONITOR]) == {Permission.READ, Permission.EXPORT}
    assert Permission.ENTER_DATA not in permissions([Role.ADMIN])
    assert permissions([]) == frozenset()


def test_monitor_is_read_only_and_refusals_name_the_person() -> None:
    monitor = Actor("mo", "Mo Monitor", frozenset({Role.MONITOR}))
    assert monitor.read_only
    assert monitor.may(Permission.EXPORT)
    with pytest.raises(PermissionRefused, match=r"Mo Monitor \(Monitor / auditor"):
        require(monitor, Permission.ENTER_DATA)
    require(monitor, Permission.READ)


def test_roles_round_trip_in_a_fixed_order() -> None:
    roles = frozenset({Role.INVESTIGATOR, Role.COORDINATOR})
    assert roles_text(roles) == "coordinator,investigator"
    assert parse_roles("investigator, coordinator") == roles
    assert parse_roles("") == frozenset()
    with pytest.raises(ValueError, match="superuser"):
        parse_roles("superuser")


@pytest.mark.parametrize(("user_id", "ok"), [
    ("cora", True), ("c2", True), ("dr.smith-2", True), ("a_b", True),
    ("c", False), ("Cora", False), ("2cora", False), ("cora smith", False),
    ("a" * 40, True), ("a" * 41, False), ("", False)])
def test_user_ids(user_id: str, ok: bool) -> None:
    assert (user_id_problem(user_id) is None) is ok


def test_names() -> None:
    assert name_problem("Dr Ada Lovelace") is None
    assert name_problem(" ") is not None
    assert name_problem("Ada\x00") is not None


def test_delegation_in_force_on_both_end_days_only() -> None:
    line = Delegation("ivy", "NCT06152809", date(2026, 3, 1), date(2026, 3, 31))
    assert not line.in_force("NCT06152809", date(2026, 2, 28))
    assert line.in_force("NCT06152809", date(2026, 3, 1))
    assert line.in_force("NCT06152809", date(2026, 3, 31))
    assert not line.in_force("NCT06152809", date(2026, 4, 1))
    assert not line.in_force("NCT05744440", date(2026, 3, 15))
    open_ended = Delegation("ivy", "NCT06152809", date(2026, 3, 1), None)
    assert open_ended.in_force("NCT06152809", date(2040, 1, 1))
    revoked = Delegation("ivy", "NCT06152809", date(2026, 3, 1), None, revoked=True)
    assert not revoked.in_force("NCT06152809", date(2026, 3, 2))
    assert delegated([line, open_ended], "ivy", "NCT06152809", date(2027, 1, 1))
    assert not delegated([line], "other", "NCT06152809", date(2026, 3, 2))


def test_a_delegation_cannot_end_before_it_starts() -> None:
    assert delegation_problem(date(2026, 3, 2), date(2026, 3, 1)) is not None
    assert delegation_problem(date(2026, 3, 2), date(2026, 3, 2)) is None
    assert delegation_problem(date(2026, 3, 2), None) is None
