"""Accounts as tests need them: a person with a role, logged in with their own password."""

from __future__ import annotations

from desktop.domain.accounts import Actor, Role
from desktop.services.accounts import AccountService

PASSWORD = "a long enough password"


def person(accounts: AccountService, admin: Actor, user_id: str, name: str,
           role: Role, password: str = PASSWORD) -> Actor:
    """A new account with ``role``, its one-time password changed to ``password``."""
    made = accounts.create_account(admin, user_id, name, frozenset({role}))
    first = accounts.login(user_id, made.one_time_password)
    return accounts.change_password(first, made.one_time_password, password)
