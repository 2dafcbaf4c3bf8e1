"""Recording that the audit trail was exported: who, with which filters, how many rows.

The export is itself an audit row (``audit.export``), written through a write session like
every other change, so it is chained onto the trail as it commits.
"""

from __future__ import annotations

from typing import Any, Final

from desktop.registry.database import Registry

ACTION: Final = "audit.export"
ENTITY: Final = "audit_event"


def record_export(registry: Registry, actor: str, details: dict[str, Any]) -> None:
    """Add the ``audit.export`` row for ``actor`` with ``details`` (filters, row count)."""
    from desktop.registry.document_exports import record_document

    record_document(registry, actor, ACTION, ENTITY, 0, details)
