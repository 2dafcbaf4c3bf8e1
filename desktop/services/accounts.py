"""Accounts: the first admin, login, lockout, password changes, resets and recovery.

``AccountService`` is what the login window, the lock screen and the admin screen call.
Each method is one use case; the rules are the domain's (:mod:`desktop.domain.accounts`),
the hashing argon2id (:mod:`desktop.services.passwords`), the rows and their audit events
the registry's (:mod:`desktop.registry.accounts`). Every login, failed login, lock,
unlock and logout leaves an audit row.

Recovery without a back door: the first admin is given a recovery code at setup, shown
once and stored only as its argon2id hash. With it (and nothing else) an admin account
that is locked or whose password is forgotten gets a new password, and the code is
replaced by a new one. The last active admin cannot be deactivated or lose the role.
An admin resets another user's password to a one-time password: it logs in only to be
changed, and never signs.

Signing keys (:mod:`desktop.services.keys`) follow the passwords, in the same transaction
as the account's write: the first admin gets the site CA, a key and its certificate; a
password the user sets themselves re-seals their key (or makes their first one); a reset
retires it and drops any CA wrap; a recovery does too and makes a new key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from desktop.domain.accounts import (
    USER_ID_PATTERN,
    Actor,
    Permission,
    Role,
    name_problem,
    password_expired,
    password_problem,
    roles_text,
    user_id_problem,
)
from desktop.registry.accounts import AccountNotFound, AccountRepository, AccountRow, UserIdTaken
from desktop.registry.database import Registry, RegistryError
from desktop.registry.site_settings import SiteSettingRepository
from desktop.services import passwords

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from desktop.services.keys import KeyService
from desktop.services.acting import NotPermitted, need

__all__ = ["AccountError", "AccountNotFound", "AccountRow", "AccountService", "Actor",
           "LoginRefused", "NewAccount", "NotPermitted", "RegistryError", "Role",
           "UserIdTaken"]

#: Site setting keys this service reads and writes.
RECOVERY_KEY = "recovery_code_hash"
EXPIRY_KEY = "password_expiry_days"
ACCOUNTS_SINCE_KEY = "accounts_since"

_WRONG = "The user id or password is wrong."


class AccountError(RegistryError):
    """A request about accounts that breaks a rule; the message says which."""


class LoginRefused(AccountError):
    """The login (or password check) failed; the message is safe to show."""


@dataclass(frozen=True)
class NewAccount:
    """An account just made or reset, with the one-time password to hand over."""

    account: AccountRow
    one_time_password: str


@dataclass(frozen=True)
class FirstAdmin:
    actor: Actor
    recovery_code: str


def _actor(row: AccountRow, *, one_time: bool = False) -> Actor:
    return Actor(user_id=row.user_id, full_name=row.full_name, roles=row.roles,
                 one_time=one_time or row.one_time)


class AccountService:
    def __init__(self, registry: Registry, *, hasher: PasswordHasher | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 keys: KeyService | None = None) -> None:
        self._registry = registry
        self._accounts = AccountRepository(registry)
        self._settings = SiteSettingRepository(registry)
        self._given_hasher = hasher
        self._clock = clock
        self._dummy: str | None = None
        self._given_keys = keys

    @property
    def keys(self) -> KeyService:
        """The signing keys service these accounts' passwords seal (given, or built on
        first use with the KDF at the login hasher's cost)."""
        if self._given_keys is None:
            from desktop.services.keys import KeyService, kdf_like

            kdf = None if self._given_hasher is None else kdf_like(self._given_hasher)
            self._given_keys = KeyService(self._registry, kdf=kdf, clock=self._clock)
        return self._given_keys

    @property
    def _hasher(self) -> PasswordHasher:
        """argon2id, built on first use (the login window opens before it is needed)."""
        if self._given_hasher is None:
            self._given_hasher = passwords.site_hasher()
        return self._given_hasher

    # -- reads ----------------------------------------------------------------------

    def needs_first_admin(self) -> bool:
        """True until the first admin exists (a new registry, or one from before accounts)."""
        return self._accounts.count() == 0

    def accounts(self, actor: Actor) -> list[AccountRow]:
        """Every account, for the admin screen (password hashes left out)."""
        need(actor, Permission.ADMINISTER)
        return [replace(row, password_hash="") for row in self._accounts.all()]

    def names(self) -> dict[str, str]:
        """User id -> printed name of every account, to show who recorded what."""
        return self._accounts.names()

    # -- setup and recovery -----------------------------------------------------------

    def create_first_admin(self, user_id: str, full_name: str, password: str) -> FirstAdmin:
        """The site's first account (admin), and the recovery code to print now."""
        if not self.needs_first_admin():
            raise AccountError("The first administrator exists already; an administrator "
                               "adds every further account.")
        user_id, full_name = user_id.strip(), " ".join(full_name.split())
        self._check_new(user_id, full_name, password)
        row = self._accounts.create(user_id, user_id, full_name, frozenset({Role.ADMIN}),
                                    self._hasher.hash(password), one_time=False,
                                    action="account.first_admin",
                                    also=self.keys.first_admin(user_id, full_name, password))
        code = self._new_recovery_code(user_id)
        if self._settings.get(ACCOUNTS_SINCE_KEY) is None:
            self._settings.set(user_id, {ACCOUNTS_SINCE_KEY: self._clock().isoformat()})
        return FirstAdmin(_actor(row), code)

    def recover(self, recovery_code: str, user_id: str, new_password: str) -> str:
        """Give an admin account a new password with the site's recovery code (it is
        unlocked too); the new recovery code, which replaces the used one."""
        stored = self._settings.get(RECOVERY_KEY)
        row = self._accounts.find(user_id.strip())
        if (stored is None or row is None or Role.ADMIN not in row.roles or not row.active
                or not passwords.verify(self._hasher, stored,
                                        passwords.normalise_code(recovery_code))):
            self._accounts.audit_only(user_id, user_id, "account.recovery_failed")
            raise LoginRefused("The recovery code or the administrator's user id is wrong.")
        self._check_password(new_password, row.user_id, row.full_name)
        self._accounts.change(row.user_id, row.user_id, "account.recovered", {},
                              also=self.keys.recovered(row.user_id, new_password),
                              password_hash=self._hasher.hash(new_password),
                              password_changed_at=self._clock(), one_time=False,
                              failed_attempts=0, locked=False)
        return self._new_recovery_code(row.user_id)

    def _new_recovery_code(self, actor: str) -> str:
        code = passwords.random_code(5)
        self._settings.set(actor, {RECOVERY_KEY: self._hasher.hash(
            passwords.normalise_code(code))})
        return code

    # -- login and the session ----------------------------------------------------------

    def login(self, user_id: str, password: str, *, action: str = "login") -> Actor:
        """The actor, once ``password`` is checked; ``LoginRefused`` otherwise.

        Failed attempts count (the fifth in a row locks the account; a locked account is
        refused even with the right password). A reset or expired password logs in as
        ``one_time``: the user must change it before anything else.
        """
        user_id = user_id.strip()
        row = self._accounts.find(user_id)
        if row is None:
            # As long as a real check, so a guesser cannot tell which user ids exist; what
            # was typed is audited only if it can be a user id (not a password typed into
            # the wrong field).
            passwords.verify(self._hasher, self._dummy_hash(), password)
            shown = user_id if USER_ID_PATTERN.fullmatch(user_id) else "(not a user id)"
            self._accounts.audit_only(shown, shown, f"{action}.failed",
                                      {"reason": "unknown user id"})
            raise LoginRefused(_WRONG)
        right = passwords.verify(self._hasher, row.password_hash, password)
        if not right:
            counted = self._accounts.count_failure(user_id, f"{action}.failed",
                                                   {"reason": "wrong password"})
            if counted.locked and not row.locked:
                raise LoginRefused(f"{_WRONG} The account is now locked; an administrator "
                                   "must unlock it.")
            raise LoginRefused(_WRONG)
        # Only someone who knows the password learns the account's standing.
        if not row.active:
            self._accounts.audit_only(user_id, user_id, f"{action}.failed",
                                      {"reason": "deactivated"})
            raise LoginRefused(f"The account {user_id} is deactivated.")
        if row.locked:
            self._accounts.audit_only(user_id, user_id, f"{action}.failed",
                                      {"reason": "locked"})
            raise LoginRefused(f"The account {user_id} is locked after too many failed "
                               "attempts; an administrator must unlock it (or reset the "
                               "password).")
        values: dict[str, object] = {"failed_attempts": 0}
        if self._hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = self._hasher.hash(password)
        expired = password_expired(row.password_changed_at, self._clock(),
                                   self.expiry_days())
        # An account from before signing keys gets its first key at its first own login.
        keys = None if row.one_time else self.keys.logged_in(user_id, password)
        self._accounts.change(user_id, user_id, action,
                              {"one_time": row.one_time, "expired": expired}, also=keys,
                              **values)
        return _actor(row, one_time=expired)

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hasher.hash("no account has this password")
        return self._dummy

    def record(self, actor: Actor, action: str) -> None:
        """Audit a session event: ``session.lock``, ``logout``."""
        self._accounts.audit_only(actor.user_id, actor.user_id, action)

    def expiry_days(self) -> int:
        value = self._settings.get(EXPIRY_KEY, 0)
        return value if isinstance(value, int) and value > 0 else 0

    def change_password(self, actor: Actor, old_password: str, new_password: str) -> Actor:
        """The user's own change (the only way out of a one-time password)."""
        row = self._accounts.get(actor.user_id)
        if not passwords.verify(self._hasher, row.password_hash, old_password):
            # A guess like any other: counted toward the lockout and audited.
            self._accounts.count_failure(actor.user_id, "account.password.failed",
                                         {"reason": "wrong current password"})
            raise LoginRefused("The current password is wrong.")
        self._check_password(new_password, row.user_id, row.full_name)
        if passwords.verify(self._hasher, row.password_hash, new_password):
            raise AccountError("The new password must differ from the current one.")
        keys = self.keys.own_password(actor.user_id, None if row.one_time else old_password,
                                      new_password)
        changed = self._accounts.change(
            actor.user_id, actor.user_id, "account.password", {}, also=keys,
            password_hash=self._hasher.hash(new_password),
            password_changed_at=self._clock(), one_time=False)
        return _actor(changed)

    # -- administration -------------------------------------------------------------------

    def create_account(self, admin: Actor, user_id: str, full_name: str,
                       roles: frozenset[Role]) -> NewAccount:
        """A new account with a one-time password for its first login."""
        need(admin, Permission.ADMINISTER)
        user_id, full_name = user_id.strip(), " ".join(full_name.split())
        if not roles:
            raise AccountError("Choose at least one role.")
        one_time = passwords.random_code(4)
        self._check_new(user_id, full_name, None)
        row = self._accounts.create(admin.user_id, user_id, full_name, roles,
                                    self._hasher.hash(one_time), one_time=True)
        return NewAccount(row, one_time)

    def reset_password(self, admin: Actor, user_id: str) -> NewAccount:
        """Replace the user's password by a one-time password (and unlock the account)."""
        need(admin, Permission.ADMINISTER)
        if user_id == admin.user_id:
            raise AccountError("Change your own password from the account menu; an "
                               "administrator resets other users' passwords.")
        one_time = passwords.random_code(4)
        row = self._accounts.change(admin.user_id, user_id, "account.reset", {},
                                    also=self.keys.reset(admin.user_id, user_id),
                                    password_hash=self._hasher.hash(one_time),
                                    password_changed_at=self._clock(), one_time=True,
                                    failed_attempts=0, locked=False)
        return NewAccount(row, one_time)

    def unlock(self, admin: Actor, user_id: str) -> AccountRow:
        need(admin, Permission.ADMINISTER)
        return self._accounts.change(admin.user_id, user_id, "account.unlock", {},
                                     failed_attempts=0, locked=False)

    def set_active(self, admin: Actor, user_id: str, active: bool) -> AccountRow:
        """Deactivate (never delete) or reactivate an account."""
        need(admin, Permission.ADMINISTER)
        row = self._accounts.get(user_id)
        if not active and Role.ADMIN in row.roles:
            self._keep_an_admin(user_id)
        return self._accounts.change(admin.user_id, user_id,
                                     "account.activate" if active else "account.deactivate",
                                     {}, active=active)

    def set_details(self, admin: Actor, user_id: str, full_name: str,
                    roles: frozenset[Role]) -> AccountRow:
        need(admin, Permission.ADMINISTER)
        full_name = " ".join(full_name.split())
        problem = name_problem(full_name)
        if problem:
            raise AccountError(problem)
        if not roles:
            raise AccountError("Choose at least one role.")
        row = self._accounts.get(user_id)
        if Role.ADMIN in row.roles and Role.ADMIN not in roles:
            self._keep_an_admin(user_id)
        return self._accounts.change(admin.user_id, user_id, "account.update", {},
                                     full_name=full_name, roles=roles_text(roles))

    def _keep_an_admin(self, leaving: str) -> None:
        others = [a for a in self._accounts.all() if a.active and Role.ADMIN in a.roles
                  and a.user_id != leaving]
        if not others:
            raise AccountError("This is the last active administrator: make another "
                               "account an administrator first.")

    # -- checks ------------------------------------------------------------------------

    def _check_new(self, user_id: str, full_name: str, password: str | None) -> None:
        problem = user_id_problem(user_id) or name_problem(full_name)
        if problem:
            raise AccountError(problem)
        if self._accounts.find(user_id) is not None:
            raise UserIdTaken(f"The user id {user_id!r} is taken (user ids are never "
                              "reused, even after an account is deactivated).")
        if password is not None:
            self._check_password(password, user_id, full_name)

    @staticmethod
    def _check_password(password: str, user_id: str, full_name: str) -> None:
        problem = password_problem(password, user_id, full_name)
        if problem:
            raise AccountError(problem)
