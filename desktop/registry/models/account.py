"""Accounts, the delegation of authority log, site settings and the dated ULN table.

- ``account``: one row per person who logs in. ``user_id`` is unique over every row ever
  made, deactivated ones included, so a user id is never reused. Rows are deactivated,
  never deleted. ``password_hash`` is argon2id (PHC string); ``one_time`` marks a
  password an admin reset, which must be changed at the next login and never signs.
- ``delegation``: which investigator may sign for which trial, from and until which
  date (inclusive). Revoked, never deleted.
- ``site_setting``: the site's settings, one JSON value per key.
- ``uln_value``: the institution's upper limits of normal, each with the date it takes
  effect from; a result is judged against the value in effect on the day it was taken,
  so a new row never changes an older result's ULN. The value is the exact decimal text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from desktop.registry.models.base import utcnow


class Account(SQLModel, table=True):
    __tablename__ = "account"
    __table_args__ = (Index("ux_account_user_id", "user_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str
    full_name: str
    #: Comma-separated ``desktop.domain.accounts.Role`` values.
    roles: str
    active: bool = Field(default=True)
    password_hash: str
    password_changed_at: datetime = Field(default_factory=utcnow)
    one_time: bool = Field(default=False)
    failed_attempts: int = Field(default=0)
    locked: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str


class Delegation(SQLModel, table=True):
    __tablename__ = "delegation"
    __table_args__ = (Index("ix_delegation_user_trial", "user_id", "trial_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str
    trial_id: str
    start: date
    end: date | None = None
    #: What the investigator is delegated as, in the log's words ("Sub-I", "PI").
    duty: str = Field(default="")
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None


class SiteSetting(SQLModel, table=True):
    __tablename__ = "site_setting"

    key: str = Field(primary_key=True)
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str


class UlnValue(SQLModel, table=True):
    __tablename__ = "uln_value"
    __table_args__ = (Index("ix_uln_value_code_from", "code", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str
    #: Exact decimal text in ``unit`` ("1.2"); never a float.
    value: str
    unit: str
    effective_from: date
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str
