"""Accounts as stored: reads through the light ``sqlite3`` path, writes with their audit row.

Persistence only. The rules (who may log in, what a password must be, when an account
locks) are the domain's (:mod:`desktop.domain.accounts`) and the accounts service's;
hashing is the service's. Every write here adds its audit event (``entity`` ``account``,
``entity_id`` the row id, ``actor`` the user id of whoever did it) in the same
transaction, logins and failed logins included. Nothing is deleted: an account is
deactivated, and its user id stays taken.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from desktop.domain.accounts import Role, locked_after, parse_roles, roles_text
from desktop.registry.database import Registry, RegistryError

if TYPE_CHECKING:
    from sqlmodel import Session

    from desktop.registry.models.account import Account
    from desktop.registry.signing_keys import KeyWrites

ENTITY: Final = "account"

_COLUMNS: Final = ("id, user_id, full_name, roles, active, password_hash, "
                   "password_changed_at, one_time, failed_attempts, locked")


class AccountNotFound(RegistryError):
    """No account has that user id."""


class UserIdTaken(RegistryError):
    """The user id belongs (or belonged) to another account; user ids are never reused."""


@dataclass(frozen=True)
class AccountRow:
    """An account as stored (the hash is for the accounts service only)."""

    id: int
    user_id: str
    full_name: str
    roles: frozenset[Role]
    active: bool
    password_hash: str
    password_changed_at: datetime
    one_time: bool
    failed_attempts: int
    locked: bool


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _row(values: tuple[Any, ...]) -> AccountRow:
    (id_, user_id, full_name, roles, active, password_hash, changed_at, one_time,
     failed, locked) = values
    return AccountRow(id=int(id_), user_id=user_id, full_name=full_name,
                      roles=parse_roles(roles), active=bool(active),
                      password_hash=password_hash, password_changed_at=_utc(changed_at),
                      one_time=bool(one_time), failed_attempts=int(failed),
                      locked=bool(locked))


def _select(conn: sqlite3.Connection | Any, where: str, params: dict[str, Any]) -> list[AccountRow]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM account {where}", params).fetchall()
    return [_row(tuple(values)) for values in rows]


class AccountRepository:
    """Reads and writes ``account`` rows for one open registry."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    # -- reads (light path) ---------------------------------------------------------

    def count(self) -> int:
        with self._registry.read() as conn:
            return int(conn.execute("SELECT count(*) FROM account").fetchone()[0])

    def all(self) -> list[AccountRow]:
        """Every account, deactivated ones included, by user id."""
        with self._registry.read() as conn:
            return _select(conn, "ORDER BY user_id", {})

    def find(self, user_id: str) -> AccountRow | None:
        with self._registry.read() as conn:
            found = _select(conn, "WHERE user_id = :u", {"u": user_id})
        return found[0] if found else None

    def get(self, user_id: str) -> AccountRow:
        found = self.find(user_id)
        if found is None:
            raise AccountNotFound(f"No account has the user id {user_id!r}.")
        return found

    def names(self) -> dict[str, str]:
        """User id -> printed name, for showing who recorded an entry."""
        with self._registry.read() as conn:
            return {row[0]: row[1] for row in
                    conn.execute("SELECT user_id, full_name FROM account").fetchall()}

    # -- writes ---------------------------------------------------------------------

    def create(self, actor: str, user_id: str, full_name: str, roles: frozenset[Role],
               password_hash: str, *, one_time: bool, action: str = "account.create",
               details: dict[str, Any] | None = None,
               also: KeyWrites | None = None) -> AccountRow:
        """Add an account; ``UserIdTaken`` if the id was ever used. ``also``: key writes
        committed in the same transaction (the first admin's CA and key)."""
        from desktop.registry.models.account import Account
        from desktop.registry.models.audit import record_event

        with self._registry.session() as session:
            if _load(session, user_id) is not None:
                raise UserIdTaken(f"The user id {user_id!r} is taken (user ids are never "
                                  "reused, even after an account is deactivated).")
            account = Account(user_id=user_id, full_name=full_name,
                              roles=roles_text(roles), password_hash=password_hash,
                              one_time=one_time, created_by=actor, updated_by=actor)
            session.add(account)
            session.flush()
            assert account.id is not None
            record_event(session, actor=actor, action=action, entity=ENTITY,
                         entity_id=account.id,
                         details={"user_id": user_id, "full_name": full_name,
                                  "roles": roles_text(roles), **(details or {})})
            if also:
                also.apply(session)
            return _model_row(session, account)

    def change(self, actor: str, user_id: str, action: str, details: dict[str, Any],
               also: KeyWrites | None = None, **values: Any) -> AccountRow:
        """Set ``values`` on the account and audit ``action`` with ``details``.

        ``details`` never holds a password or a hash; the old and new values of the
        changed fields other than the hash are added to it. ``also``: key writes committed
        in the same transaction (the key re-sealed under a new password, retired on a
        reset).
        """
        from desktop.registry.models.audit import record_event
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            account = _load(session, user_id)
            if account is None:
                raise AccountNotFound(f"No account has the user id {user_id!r}.")
            changes: dict[str, Any] = {}
            for name, value in values.items():
                old = getattr(account, name)
                if old != value:
                    if name not in ("password_hash", "password_changed_at"):
                        changes[name] = {"old": old, "new": value}
                    setattr(account, name, value)
            account.updated_at, account.updated_by = utcnow(), actor
            assert account.id is not None
            record_event(session, actor=actor, action=action, entity=ENTITY,
                         entity_id=account.id, details={**details, **(
                             {"changes": changes} if changes else {})})
            if also:
                also.apply(session)
            return _model_row(session, account)

    def count_failure(self, user_id: str, action: str, details: dict[str, Any]) -> AccountRow:
        """One more failed attempt, counted inside the write transaction (``BEGIN
        IMMEDIATE``), so attempts made at once from two windows or processes all count;
        the account locks as the domain says (``locked_after``). Audited as ``action``
        with the attempt number."""
        from desktop.registry.models.audit import record_event
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            account = _load(session, user_id)
            if account is None:
                raise AccountNotFound(f"No account has the user id {user_id!r}.")
            account.failed_attempts += 1
            locked_now = not account.locked and locked_after(account.failed_attempts)
            account.locked = account.locked or locked_now
            account.updated_at, account.updated_by = utcnow(), user_id
            assert account.id is not None
            record_event(session, actor=user_id, action=action, entity=ENTITY,
                         entity_id=account.id, details={
                             **details, "attempt": account.failed_attempts,
                             **({"locked": True} if locked_now else {})})
            return _model_row(session, account)

    def audit_only(self, actor: str, user_id: str, action: str,
                   details: dict[str, Any] | None = None) -> None:
        """An audit row about the account that changes nothing (a lock, an unlock, a
        logout, a failed login for an unknown user id: entity id 0)."""
        from desktop.registry.models.audit import record_event

        with self._registry.session() as session:
            account = _load(session, user_id)
            entity_id = 0 if account is None or account.id is None else account.id
            record_event(session, actor=actor, action=action, entity=ENTITY,
                         entity_id=entity_id, details={"user_id": user_id, **(details or {})})


def _load(session: Session, user_id: str) -> Account | None:
    from sqlmodel import select

    from desktop.registry.models.account import Account

    return session.exec(select(Account).where(Account.user_id == user_id)).first()


def _model_row(session: Session, account: Account) -> AccountRow:
    """The account as saved, read back in the write's transaction with the read path's
    own statement and mapping (one mapping of an account row)."""
    from sqlalchemy import text

    session.flush()
    found = session.execute(text(f"SELECT {_COLUMNS} FROM account WHERE id = :id"),
                            {"id": account.id}).first()
    assert found is not None
    return _row(tuple(found))
