"""Shared model plumbing: the metadata naming convention, the key normaliser, the clock.

Named constraints let future Alembic batch migrations on SQLite find and alter them,
so the convention is set once here, before any table is declared.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlmodel import SQLModel

# Defined with the light read path; re-exported for the models and the demo data.
from desktop.registry.reading import search_key as search_key

metadata: MetaData = SQLModel.metadata
metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Current time, timezone-aware in UTC (SQLModel's ``UTCDateTime`` columns require it)."""
    return datetime.now(UTC)
