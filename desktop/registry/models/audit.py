"""The ``audit_event`` table: an append-only log of who changed what, and when.

Every write through a repository adds one row in the same transaction as the change,
so the log can never disagree with the data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, Session, SQLModel

from desktop.registry.models.base import utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow)
    actor: str
    action: str
    entity: str
    entity_id: int
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def record_event(session: Session, *, actor: str, action: str, entity: str, entity_id: int,
                 details: dict[str, Any]) -> None:
    """Add one audit row to ``session`` (committed together with the change it describes)."""
    session.add(AuditEvent(actor=actor, action=action, entity=entity, entity_id=entity_id,
                           details=details))
