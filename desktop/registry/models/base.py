"""Shared model plumbing: the metadata naming convention and the key normaliser.

Named constraints let future Alembic batch migrations on SQLite find and alter them,
so the convention is set once here, before any table is declared.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlmodel import SQLModel

metadata: MetaData = SQLModel.metadata
metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def search_key(text: str) -> str:
    """The normalised form used for uniqueness and prefix search: trimmed, case-folded."""
    return text.strip().casefold()


def utcnow() -> datetime:
    """Current time, timezone-aware in UTC (SQLModel's ``UTCDateTime`` columns require it)."""
    return datetime.now(UTC)
