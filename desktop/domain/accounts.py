"""Who may do what: roles, the logged-in actor, password and lockout rules, delegations.

Pure rules over plain values, used by the accounts service (which hashes and stores)
and by every service that refuses a write: a monitor reads and exports but changes
nothing; only an investigator with a delegation in force for the trial on the day signs.

The numbers are the site's floor, not suggestions: a password of at least 12 characters
that is neither the user id nor the printed name, locked after 5 failed attempts in a
row, and (where the admin sets an expiry, 21 CFR 11.300(b)) changed every so many days.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Final

MIN_PASSWORD_LENGTH: Final = 12
MAX_PASSWORD_LENGTH: Final = 256
#: Failed logins in a row that lock an account; the next attempt is refused even with
#: the right password until an admin unlocks it.
MAX_FAILED_ATTEMPTS: Final = 5
DEFAULT_IDLE_MINUTES: Final = 15
#: A user id: lower-case letters, digits, ``.``, ``_``, ``-``, starting with a letter.
USER_ID_PATTERN: Final = re.compile(r"[a-z][a-z0-9._-]{1,39}")
MAX_NAME_LENGTH: Final = 120


class Role(Enum):
    COORDINATOR = "coordinator"
    INVESTIGATOR = "investigator"
    ADMIN = "admin"
    MONITOR = "monitor"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS: Final = {
    Role.COORDINATOR: "Coordinator",
    Role.INVESTIGATOR: "Investigator",
    Role.ADMIN: "Administrator",
    Role.MONITOR: "Monitor / auditor (read-only)",
}


class Permission(Enum):
    """What a use case needs of the actor."""

    READ = "see patients, screenings and logs"
    EXPORT = "export worksheets and logs"
    ENTER_DATA = "enter or change patients, results, answers and dates"
    COMPLETE_STAGE = "complete a stage"
    SIGN_AS_INVESTIGATOR = "confirm eligibility or approve an override"
    ADMINISTER = "manage accounts, delegations and site settings"


_GRANTS: Final[dict[Role, frozenset[Permission]]] = {
    Role.COORDINATOR: frozenset({Permission.READ, Permission.EXPORT, Permission.ENTER_DATA,
                                 Permission.COMPLETE_STAGE}),
    Role.INVESTIGATOR: frozenset({Permission.READ, Permission.EXPORT, Permission.ENTER_DATA,
                                  Permission.COMPLETE_STAGE,
                                  Permission.SIGN_AS_INVESTIGATOR}),
    Role.ADMIN: frozenset({Permission.READ, Permission.EXPORT, Permission.ADMINISTER}),
    Role.MONITOR: frozenset({Permission.READ, Permission.EXPORT}),
}


def permissions(roles: Iterable[Role]) -> frozenset[Permission]:
    """Everything the roles together allow."""
    granted: set[Permission] = set()
    for role in roles:
        granted |= _GRANTS[role]
    return frozenset(granted)


def parse_roles(text: str) -> frozenset[Role]:
    """Roles as stored (``"coordinator,investigator"``); unknown words are an error."""
    words = [word.strip() for word in text.split(",") if word.strip()]
    return frozenset(Role(word) for word in words)


def roles_text(roles: Iterable[Role]) -> str:
    """Roles as stored: their values, comma-separated, in the enum's order."""
    chosen = set(roles)
    return ",".join(role.value for role in Role if role in chosen)


@dataclass(frozen=True)
class Actor:
    """The person at the keyboard, as the services see them after login.

    ``user_id`` is what every entry and audit row records. ``one_time`` is true while
    the user is logged in with a password an admin reset: they must change it before
    anything else, and it never signs.
    """

    user_id: str
    full_name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    one_time: bool = False

    def may(self, permission: Permission) -> bool:
        return not self.one_time and permission in permissions(self.roles)

    @property
    def read_only(self) -> bool:
        return not (self.may(Permission.ENTER_DATA) or self.may(Permission.ADMINISTER))

    @property
    def roles_label(self) -> str:
        return ", ".join(role.label for role in Role if role in self.roles)


class PermissionRefused(Exception):
    """The actor's roles do not allow the use case; nothing was changed."""


def require(actor: Actor, permission: Permission) -> None:
    """Raise ``PermissionRefused`` unless ``actor`` may do ``permission``."""
    if actor.may(permission):
        return
    if actor.one_time:
        raise PermissionRefused(f"{actor.full_name} is logged in with a one-time password: "
                                "change it first.")
    held = actor.roles_label or "no role"
    raise PermissionRefused(f"{actor.full_name} ({held}) may not {permission.value}.")


# -- identifiers and passwords ------------------------------------------------------

#: The roles that see the audit trail.
AUDIT_ROLES: Final = frozenset({Role.ADMIN, Role.MONITOR})


def may_view_audit(actor: Actor | None) -> bool:
    """Whether ``actor`` may open the audit view (the menus disable it otherwise)."""
    return actor is not None and actor.may(Permission.READ) and bool(actor.roles & AUDIT_ROLES)


def user_id_problem(user_id: str) -> str | None:
    """Why ``user_id`` cannot be a user id, or None."""
    if not USER_ID_PATTERN.fullmatch(user_id):
        return ("User id must be 2 to 40 characters: lower-case letters, digits, '.', '_' "
                "or '-', starting with a letter.")
    return None


def name_problem(full_name: str) -> str | None:
    """Why ``full_name`` cannot be a printed name, or None."""
    text = full_name.strip()
    if len(text) < 2:
        return "Full name is required (as it is to be printed on signed worksheets)."
    if len(text) > MAX_NAME_LENGTH:
        return f"Full name is longer than {MAX_NAME_LENGTH} characters."
    if any(unicodedata.category(ch)[0] == "C" for ch in text):
        return "Full name holds a control character."
    return None


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def password_problem(password: str, user_id: str, full_name: str) -> str | None:
    """Why ``password`` cannot be set for this user, or None (the site's policy)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be at most {MAX_PASSWORD_LENGTH} characters."
    folded = _folded(password)
    if folded in (_folded(user_id), _folded(full_name)) or folded.replace(" ", "") in (
            _folded(user_id).replace(" ", ""), _folded(full_name).replace(" ", "")):
        return "Password must not be the user id or the name."
    return None


def password_expired(changed_at: datetime, now: datetime, expiry_days: int | None) -> bool:
    """Whether a password changed at ``changed_at`` must be changed at ``now``.

    ``expiry_days`` None or 0: passwords do not expire (the default). On the day the
    period ends the password is still good; it expires once ``expiry_days`` full days
    have passed.
    """
    if not expiry_days:
        return False
    return now - changed_at >= timedelta(days=expiry_days)


def locked_after(failed_attempts: int) -> bool:
    """Whether this many failed logins in a row lock the account."""
    return failed_attempts >= MAX_FAILED_ATTEMPTS


# -- delegation of authority ----------------------------------------------------------

@dataclass(frozen=True)
class Delegation:
    """One line of the site's delegation of authority log."""

    user_id: str
    trial_id: str
    start: date
    end: date | None  # None: open-ended
    revoked: bool = False

    def in_force(self, trial_id: str, day: date) -> bool:
        """Whether this delegation lets its investigator sign for ``trial_id`` on ``day``
        (both dates inclusive)."""
        if self.revoked or self.trial_id != trial_id or day < self.start:
            return False
        return self.end is None or day <= self.end


def delegated(delegations: Iterable[Delegation], user_id: str, trial_id: str,
              day: date) -> bool:
    """Whether any of ``delegations`` lets ``user_id`` sign for ``trial_id`` on ``day``."""
    return any(d.user_id == user_id and d.in_force(trial_id, day) for d in delegations)


def delegation_problem(start: date, end: date | None) -> str | None:
    """Why a delegation from ``start`` until ``end`` cannot be recorded, or None."""
    if end is not None and end < start:
        return "The delegation ends before it starts."
    return None
