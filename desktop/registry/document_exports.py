"""Recording that a document left the registry: a worksheet, a log, as PDF or CSV.

Each export is an audit row (``worksheet.export``, ``screening_log.export`` ...) naming
who, what and the file's SHA-256, written through a write session like every other
change, so it is chained onto the trail as it commits.
"""

from __future__ import annotations

from typing import Any

from desktop.registry.audit_chain import EMPTY_HEAD, Head, read_head
from desktop.registry.database import Registry
from desktop.registry.site_reading import SiteValues, read_site


def record_document(registry: Registry, actor: str, action: str, entity: str,
                    entity_id: int, details: dict[str, Any]) -> None:
    """Add the export's audit row for ``actor``."""
    from desktop.registry.models.audit import record_event

    with registry.session() as session:
        record_event(session, actor=actor, action=action, entity=entity,
                     entity_id=entity_id, details=details)


def document_context(registry: Registry) -> tuple[SiteValues, Head]:
    """The site settings (name, paper) and the audit chain head, read together: what a
    register's pages print beside its rows (read after them, so the head covers them)."""
    with registry.read() as conn:
        return read_site(conn), read_head(conn) or EMPTY_HEAD


def document_facts(registry: Registry, visit_id: int, version: int,
                   chain_seq: int) -> tuple[str | None, str | None, int | None]:
    """What the registry holds for a worksheet's identifiers: the stage version's content
    SHA-256, the audit row ``chain_seq``'s hash, and the visit's current version (None
    where there is no such thing). No patient data."""
    with registry.read() as conn:
        content = conn.execute("SELECT content_sha256 FROM stage_version WHERE visit_id = ? "
                               "AND version = ?", (visit_id, version)).fetchone()
        chained = conn.execute("SELECT row_hash FROM audit_event WHERE id = ?",
                               (chain_seq,)).fetchone()
        current = conn.execute("SELECT version FROM visit WHERE id = ?",
                               (visit_id,)).fetchone()
    return (None if content is None else str(content[0]),
            None if chained is None or chained[0] is None else str(chained[0]),
            None if current is None else int(current[0]))
