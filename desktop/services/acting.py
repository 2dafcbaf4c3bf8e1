"""Who a service acts for, and the refusal when their roles do not allow the use case.

Every service is opened for an ``Actor`` (the logged-in user, from ``AccountService``);
what it writes records their user id, and each write first checks their roles here, so
a monitor's write is refused by the service whatever the screen offers. Code working
below the accounts (the demo seeding, tests of the screening rules) may name a plain
user instead, who acts as coordinator and investigator.
"""

from __future__ import annotations

from desktop.domain.accounts import (
    Actor,
    Permission,
    PermissionRefused,
    Role,
    permissions,
    require,
)
from desktop.registry.database import Registry, RegistryError

__all__ = ["Actor", "NotPermitted", "Permission", "acting", "need"]


class NotPermitted(RegistryError):
    """The actor's roles (or a one-time password) do not allow this; nothing changed."""


def acting(user: Actor | str) -> Actor:
    """The actor for ``user``; a plain name acts as coordinator and investigator."""
    if isinstance(user, Actor):
        return user
    return Actor(user_id=user, full_name=user,
                 roles=frozenset({Role.COORDINATOR, Role.INVESTIGATOR}))


def need(actor: Actor, permission: Permission, registry: Registry | None = None) -> None:
    """Raise ``NotPermitted`` (a ``RegistryError``) unless ``actor`` may do ``permission``.

    With ``registry``, the account is read again: one deactivated, locked or reset since
    the login (another window, an admin) does nothing more, whatever the session holds.
    """
    try:
        require(actor, permission)
    except PermissionRefused as exc:
        raise NotPermitted(str(exc)) from None
    if registry is None:
        return
    from desktop.registry.accounts import AccountRepository

    row = AccountRepository(registry).find(actor.user_id)
    if row is None:
        return  # a plain name (demo seeding, tests below the accounts)
    if not row.active or row.locked or row.one_time:
        state = ("deactivated" if not row.active else "locked" if row.locked
                 else "reset to a one-time password")
        raise NotPermitted(f"The account {actor.user_id} was {state} since the login; log in "
                           "again.")
    if permission not in permissions(row.roles):
        raise NotPermitted(f"{row.full_name}'s roles changed since the login; log in again.")
