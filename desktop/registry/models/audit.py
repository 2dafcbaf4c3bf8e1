"""The ``audit_event`` table: an append-only, hash-chained log of who changed what, and when.

Every write through a repository adds one row in the same transaction as the change,
so the log can never disagree with the data; ``desktop.registry.audit_chain`` seals the
rows onto the chain as the transaction commits (``audit_head`` and ``audit_pending`` are
its own tables, written only by SQL there).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, text
from sqlmodel import Field, Session, SQLModel

from desktop.registry.models.base import utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),
                      Index("ix_audit_event_occurred_at", "occurred_at"),
                      Index("ix_audit_event_actor", "actor"),
                      # The rows written while the clock was behind: few, found at once.
                      Index("ix_audit_event_clock_back", "id",
                            sqlite_where=text("clock_back = 1")))

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow)
    actor: str
    action: str
    entity: str
    entity_id: int
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Filled in by ``audit_chain.seal`` as the transaction commits, never by callers.
    recorded_at: str | None = None
    time_zone: str | None = None
    reason: str | None = None
    changes: str | None = None
    states: str | None = None
    clock_back: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    anomaly: str | None = None
    prev_hash: str | None = None
    row_hash: str | None = None


def record_event(session: Session, *, actor: str, action: str, entity: str, entity_id: int,
                 details: dict[str, Any]) -> None:
    """Add one audit row to ``session`` (committed together with the change it describes)."""
    session.add(AuditEvent(actor=actor, action=action, entity=entity, entity_id=entity_id,
                           details=details))


class AuditHead(SQLModel, table=True):
    """The chain head: the newest sealed audit row (one row, ``id`` 1)."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int
    hash: str
    #: The latest ``occurred_at`` on the trail (a time before it means the clock went back).
    newest_at: str | None = None
    updated_at: str


class AuditPending(SQLModel, table=True):
    """Changes captured by the triggers, waiting for their transaction to seal them."""

    __tablename__ = "audit_pending"

    id: int | None = Field(default=None, primary_key=True)
    tbl: str
    row_key: str
    op: str
    old: str | None = None
    new: str | None = None


class AuditForeign(SQLModel, table=True):
    """Captured changes found waiting when a write began: written outside NK Screen, set
    aside unsealed (``audit verify`` reports them)."""

    __tablename__ = "audit_foreign"

    id: int | None = Field(default=None, primary_key=True)
    tbl: str
    row_key: str
    op: str
    old: str | None = None
    new: str | None = None
    found_at: str
