"""Who a service acts for, and the refusal when their roles do not allow the use case.

Every service is opened for an ``Actor`` (the logged-in user, from ``AccountService``);
what it writes records their user id, and each write first checks their roles here, so
a monitor's write is refused by the service whatever the screen offers. Code working
below the accounts (the demo seeding, tests of the screening rules) may name a plain
user instead, who acts as coordinator and investigator.
"""

from __future__ import annotations

from desktop.domain.accounts import Actor, Permission, PermissionRefused, Role, require
from desktop.registry.database import RegistryError

__all__ = ["Actor", "NotPermitted", "Permission", "acting", "need"]


class NotPermitted(RegistryError):
    """The actor's roles (or a one-time password) do not allow this; nothing changed."""


def acting(user: Actor | str) -> Actor:
    """The actor for ``user``; a plain name acts as coordinator and investigator."""
    if isinstance(user, Actor):
        return user
    return Actor(user_id=user, full_name=user,
                 roles=frozenset({Role.COORDINATOR, Role.INVESTIGATOR}))


def need(actor: Actor, permission: Permission) -> None:
    """Raise ``NotPermitted`` (a ``RegistryError``) unless ``actor`` may do ``permission``."""
    try:
        require(actor, permission)
    except PermissionRefused as exc:
        raise NotPermitted(str(exc)) from None
