"""Signing keys: the site CA, its per-admin grants, users' keys and their certificates (#16).

- ``signing_ca``: the site's signing authority. ``certificate_pem`` is public (the binder's
  and sponsors' copy); ``sealed_key`` is the CA private key (PKCS#8) under a random data
  key, AES-256-GCM. A CA replaced by a new one is retired, never deleted: old signatures
  still verify against its certificate.
- ``ca_key_grant``: the CA's data key wrapped for one admin, under a key derived from that
  admin's password (argon2id, its own salt). A reset or a recovery drops it (``wrapped``
  emptied, ``dropped_at`` set).
- ``user_key``: a user's signing key pair, the private key sealed under the user's own
  password (argon2id, its own salt; AES-256-GCM bound to user id and key id). Retired
  after a reset, never deleted.
- ``user_certificate``: every certificate ever issued or imported, kept forever.

The blobs (``sealed_key``, ``wrapped``, ``sealed``) are captured on the audit trail by
their length only, and each has a SHA-256 column beside it the trail does record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from desktop.registry.models.base import utcnow


class SigningCa(SQLModel, table=True):
    __tablename__ = "signing_ca"
    __table_args__ = (Index("ux_signing_ca_key_id", "key_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    key_id: str
    subject: str
    certificate_pem: str
    sealed_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sealed_sha256: str
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str
    retired_at: datetime | None = None
    retired_by: str | None = None


class CaKeyGrant(SQLModel, table=True):
    __tablename__ = "ca_key_grant"
    __table_args__ = (Index("ix_ca_key_grant_user_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ca_key_id: str
    user_id: str
    wrapped: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    wrapped_sha256: str
    granted_at: datetime = Field(default_factory=utcnow)
    granted_by: str
    dropped_at: datetime | None = None
    dropped_by: str | None = None


class UserKey(SQLModel, table=True):
    __tablename__ = "user_key"
    __table_args__ = (Index("ux_user_key_key_id", "key_id", unique=True),
                      Index("ix_user_key_user_id", "user_id"))

    id: int | None = Field(default=None, primary_key=True)
    key_id: str
    user_id: str
    #: "generated" (made by NK Screen) or "imported" (a PKCS#12 of the institution).
    source: str
    public_key_pem: str
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sealed_sha256: str
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str
    retired_at: datetime | None = None
    retired_by: str | None = None
    retire_reason: str | None = None


class UserCertificate(SQLModel, table=True):
    __tablename__ = "user_certificate"
    __table_args__ = (Index("ix_user_certificate_key_id", "key_id"),)

    id: int | None = Field(default=None, primary_key=True)
    key_id: str
    user_id: str
    #: "issued" (by the site CA) or "imported".
    source: str
    serial: str
    subject: str
    issuer: str
    not_after: datetime
    certificate_pem: str
    #: The issuer certificates, PEM one after another (the site CA's for an issued one).
    chain_pem: str
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str
