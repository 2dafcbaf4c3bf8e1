"""Recording that a document left the registry: a worksheet, a log, as PDF or CSV.

Each export is an audit row (``worksheet.export``, ``screening_log.export`` ...) naming
who, what and the file's SHA-256, written through a write session like every other
change, so it is chained onto the trail as it commits.
"""

from __future__ import annotations

from typing import Any

from desktop.registry.database import Registry


def record_document(registry: Registry, actor: str, action: str, entity: str,
                    entity_id: int, details: dict[str, Any]) -> None:
    """Add the export's audit row for ``actor``."""
    from desktop.registry.models.audit import record_event

    with registry.session() as session:
        record_event(session, actor=actor, action=action, entity=entity,
                     entity_id=entity_id, details=details)
