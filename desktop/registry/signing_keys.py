"""Signing keys as stored: the site CA, its grants, users' keys and certificates (#16).

Persistence only: the blobs arrive sealed (``desktop.worksheets.pki`` does the crypto, the
keys service decides). Reads go through the light ``sqlite3`` path. Writes are gathered
in a ``KeyWrites`` and applied in one transaction, each with its audit row (entity the
table, actor whoever did it); the accounts repository applies one inside its own write
(``also=``), so a password change and the key it re-seals commit together or not at all.
Nothing is deleted: a key is retired, a CA grant dropped (its blob emptied), a CA retired.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from desktop.registry.database import Registry

if TYPE_CHECKING:
    from sqlmodel import Session

_CA: Final = ("id, key_id, subject, certificate_pem, sealed_key, created_at, created_by, "
              "retired_at")
_GRANT: Final = "id, ca_key_id, user_id, wrapped, granted_at, granted_by"
_KEY: Final = ("id, key_id, user_id, source, public_key_pem, sealed, created_at, retired_at, "
               "retire_reason")
_CERT: Final = ("id, key_id, user_id, source, serial, subject, issuer, not_after, "
                "certificate_pem, chain_pem, recorded_at, recorded_by")


def _utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def _at(text: str) -> datetime:
    found = _utc(text)
    assert found is not None
    return found


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class CaRow:
    id: int
    key_id: str
    subject: str
    certificate_pem: str
    sealed_key: bytes
    created_at: datetime
    created_by: str
    retired_at: datetime | None


@dataclass(frozen=True)
class GrantRow:
    id: int
    ca_key_id: str
    user_id: str
    wrapped: bytes
    granted_at: datetime
    granted_by: str


@dataclass(frozen=True)
class KeyRow:
    id: int
    key_id: str
    user_id: str
    source: str
    public_key_pem: str
    sealed: bytes
    created_at: datetime
    retired_at: datetime | None
    retire_reason: str | None


@dataclass(frozen=True)
class CertificateRow:
    id: int
    key_id: str
    user_id: str
    source: str
    serial: str
    subject: str
    issuer: str
    not_after: datetime
    certificate_pem: str
    chain_pem: str
    recorded_at: datetime
    recorded_by: str


def _ca(v: tuple[Any, ...]) -> CaRow:
    return CaRow(int(v[0]), v[1], v[2], v[3], bytes(v[4]), _at(v[5]), v[6], _utc(v[7]))


def _grant(v: tuple[Any, ...]) -> GrantRow:
    return GrantRow(int(v[0]), v[1], v[2], bytes(v[3]), _at(v[4]), v[5])


def _key(v: tuple[Any, ...]) -> KeyRow:
    return KeyRow(int(v[0]), v[1], v[2], v[3], v[4], bytes(v[5]), _at(v[6]), _utc(v[7]), v[8])


def _cert(v: tuple[Any, ...]) -> CertificateRow:
    return CertificateRow(int(v[0]), v[1], v[2], v[3], v[4], v[5], v[6], _at(v[7]), v[8],
                          v[9], _at(v[10]), v[11])


Write = Callable[["Session"], None]


@dataclass
class KeyWrites:
    """Key writes to apply in one transaction, each with its audit row, in order."""

    actor: str
    steps: list[Write] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.steps)

    def apply(self, session: Session) -> None:
        for step in self.steps:
            step(session)

    def add_ca(self, key_id: str, subject: str, certificate_pem: str, sealed_key: bytes,
               details: dict[str, Any]) -> None:
        def step(session: Session) -> None:
            from desktop.registry.models.keys import SigningCa

            _add(session, self.actor, "ca.created", SigningCa(
                key_id=key_id, subject=subject, certificate_pem=certificate_pem,
                sealed_key=sealed_key, sealed_sha256=sha256(sealed_key),
                created_by=self.actor), {"key_id": key_id, "subject": subject, **details})
        self.steps.append(step)

    def retire_ca(self, key_id: str) -> None:
        def step(session: Session) -> None:
            from sqlmodel import select

            from desktop.registry.models.base import utcnow
            from desktop.registry.models.keys import SigningCa

            for row in session.exec(select(SigningCa).where(SigningCa.key_id == key_id,
                                                            SigningCa.retired_at == None)):  # noqa: E711
                row.retired_at, row.retired_by = utcnow(), self.actor
                _audit(session, self.actor, "ca.retired", row, {"key_id": key_id})
        self.steps.append(step)

    def grant(self, ca_key_id: str, user_id: str, wrapped: bytes, action: str) -> None:
        """A (new) wrap of the CA data key for ``user_id``; any earlier one is dropped."""
        def step(session: Session) -> None:
            from desktop.registry.models.keys import CaKeyGrant

            _drop_grants(session, self.actor, user_id, ca_key_id, "replaced")
            _add(session, self.actor, action, CaKeyGrant(
                ca_key_id=ca_key_id, user_id=user_id, wrapped=wrapped,
                wrapped_sha256=sha256(wrapped), granted_by=self.actor),
                {"ca_key_id": ca_key_id, "user_id": user_id})
        self.steps.append(step)

    def drop_grants(self, user_id: str, reason: str) -> None:
        self.steps.append(lambda session: _drop_grants(session, self.actor, user_id, None,
                                                       reason))

    def add_key(self, key_id: str, user_id: str, source: str, public_key_pem: str,
                sealed: bytes, details: dict[str, Any]) -> None:
        def step(session: Session) -> None:
            from desktop.registry.models.keys import UserKey

            _add(session, self.actor, "key.created", UserKey(
                key_id=key_id, user_id=user_id, source=source, public_key_pem=public_key_pem,
                sealed=sealed, sealed_sha256=sha256(sealed), created_by=self.actor),
                {"key_id": key_id, "user_id": user_id, "source": source, **details})
        self.steps.append(step)

    def reseal_key(self, key_id: str, sealed: bytes) -> None:
        def step(session: Session) -> None:
            row = _user_key(session, key_id)
            row.sealed, row.sealed_sha256 = sealed, sha256(sealed)
            _audit(session, self.actor, "key.rewrapped", row,
                   {"key_id": key_id, "user_id": row.user_id})
        self.steps.append(step)

    def retire_key(self, key_id: str, reason: str) -> None:
        def step(session: Session) -> None:
            from desktop.registry.models.base import utcnow

            row = _user_key(session, key_id)
            row.retired_at, row.retired_by, row.retire_reason = utcnow(), self.actor, reason
            _audit(session, self.actor, "key.retired", row,
                   {"key_id": key_id, "user_id": row.user_id, "reason": reason})
        self.steps.append(step)

    def add_certificate(self, key_id: str, user_id: str, source: str, serial: str,
                        subject: str, issuer: str, not_after: datetime,
                        certificate_pem: str, chain_pem: str) -> None:
        def step(session: Session) -> None:
            from desktop.registry.models.keys import UserCertificate

            _add(session, self.actor, f"certificate.{source}", UserCertificate(
                key_id=key_id, user_id=user_id, source=source, serial=serial,
                subject=subject, issuer=issuer, not_after=not_after,
                certificate_pem=certificate_pem, chain_pem=chain_pem,
                recorded_by=self.actor),
                {"key_id": key_id, "user_id": user_id, "serial": serial,
                 "subject": subject, "issuer": issuer})
        self.steps.append(step)


def _add(session: Session, actor: str, action: str, row: Any, details: dict[str, Any]) -> None:
    session.add(row)
    session.flush()
    _audit(session, actor, action, row, details)


def _audit(session: Session, actor: str, action: str, row: Any,
           details: dict[str, Any]) -> None:
    from desktop.registry.models.audit import record_event

    session.add(row)
    session.flush()
    record_event(session, actor=actor, action=action, entity=row.__tablename__,
                 entity_id=int(row.id), details=details)


def _user_key(session: Session, key_id: str) -> Any:
    from sqlmodel import select

    from desktop.registry.models.keys import UserKey

    return session.exec(select(UserKey).where(UserKey.key_id == key_id)).one()


def _drop_grants(session: Session, actor: str, user_id: str, ca_key_id: str | None,
                 reason: str) -> None:
    from sqlmodel import select

    from desktop.registry.models.base import utcnow
    from desktop.registry.models.keys import CaKeyGrant

    query = select(CaKeyGrant).where(CaKeyGrant.user_id == user_id,
                                     CaKeyGrant.dropped_at == None)  # noqa: E711
    if ca_key_id is not None:
        query = query.where(CaKeyGrant.ca_key_id == ca_key_id)
    for row in list(session.exec(query)):
        row.wrapped, row.wrapped_sha256 = b"", sha256(b"")
        row.dropped_at, row.dropped_by = utcnow(), actor
        _audit(session, actor, "ca.grant_dropped", row,
               {"ca_key_id": row.ca_key_id, "user_id": user_id, "reason": reason})


class SigningKeyRepository:
    """Reads the key tables; applies ``KeyWrites`` in a transaction of its own."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def write(self, writes: KeyWrites) -> None:
        if writes:
            with self._registry.session() as session:
                writes.apply(session)

    def _select(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        with self._registry.read() as conn:
            return [tuple(row) for row in conn.execute(sql, params).fetchall()]

    def current_ca(self) -> CaRow | None:
        """The CA in use (the newest one not retired)."""
        rows = self._select(f"SELECT {_CA} FROM signing_ca WHERE retired_at IS NULL "
                            "ORDER BY id DESC LIMIT 1", {})
        return _ca(rows[0]) if rows else None

    def cas(self) -> list[CaRow]:
        """Every CA the site ever had, oldest first."""
        return [_ca(v) for v in self._select(f"SELECT {_CA} FROM signing_ca ORDER BY id", {})]

    def grant_for(self, ca_key_id: str, user_id: str) -> GrantRow | None:
        rows = self._select(f"SELECT {_GRANT} FROM ca_key_grant WHERE ca_key_id = :c AND "
                            "user_id = :u AND dropped_at IS NULL ORDER BY id DESC LIMIT 1",
                            {"c": ca_key_id, "u": user_id})
        return _grant(rows[0]) if rows else None

    def grants(self, user_id: str) -> list[GrantRow]:
        return [_grant(v) for v in self._select(
            f"SELECT {_GRANT} FROM ca_key_grant WHERE user_id = :u AND dropped_at IS NULL "
            "ORDER BY id", {"u": user_id})]

    def active_key(self, user_id: str) -> KeyRow | None:
        rows = self._select(f"SELECT {_KEY} FROM user_key WHERE user_id = :u AND "
                            "retired_at IS NULL ORDER BY id DESC LIMIT 1", {"u": user_id})
        return _key(rows[0]) if rows else None

    def user_keys(self, user_id: str | None = None) -> list[KeyRow]:
        where = "" if user_id is None else "WHERE user_id = :u"
        return [_key(v) for v in self._select(f"SELECT {_KEY} FROM user_key {where} "
                                              "ORDER BY id", {"u": user_id})]

    def certificates(self, key_id: str | None = None) -> list[CertificateRow]:
        where = "" if key_id is None else "WHERE key_id = :k"
        return [_cert(v) for v in self._select(f"SELECT {_CERT} FROM user_certificate "
                                               f"{where} ORDER BY id", {"k": key_id})]
