"""The site's settings as stored: one JSON value per key in ``site_setting``.

Persistence only: which keys exist and what their values must be is the site settings
service's business. Reads go through the light ``sqlite3`` path (the command line reads
the ULN table without SQLAlchemy); every write adds an audit event (``entity``
``site_setting``, old and new value; a secret such as the recovery code's hash is
audited as changed, never shown) in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from desktop.registry.database import Registry

ENTITY: Final = "site_setting"
#: Keys whose values are never written into the audit trail.
SECRET_KEYS: Final = frozenset({"recovery_code_hash"})


def _decoded(stored: Any) -> Any:
    """A stored value: JSON text, or a bare number (the JSON column has numeric affinity,
    so SQLite keeps ``90`` as an integer)."""
    return json.loads(stored) if isinstance(stored, str) else stored


class SiteSettingRepository:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def all(self) -> dict[str, Any]:
        """Every stored setting, by key (absent keys take the service's default)."""
        with self._registry.read() as conn:
            rows = conn.execute("SELECT key, value FROM site_setting").fetchall()
        return {key: _decoded(value) for key, value in rows}

    def get(self, key: str, default: Any = None) -> Any:
        with self._registry.read() as conn:
            found = conn.execute("SELECT value FROM site_setting WHERE key = ?",
                                 (key,)).fetchone()
        return default if found is None else _decoded(found[0])

    def set(self, actor: str, values: dict[str, Any]) -> None:
        """Store every key of ``values`` in one transaction, one audit row per change."""
        from desktop.registry.models.account import SiteSetting
        from desktop.registry.models.audit import record_event
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            for key, value in values.items():
                row = session.get(SiteSetting, key)
                old = None if row is None else row.value
                if row is not None and old == value:
                    continue
                if row is None:
                    session.add(SiteSetting(key=key, value=value, updated_by=actor))
                else:
                    row.value, row.updated_at, row.updated_by = value, utcnow(), actor
                shown = ({"changed": True} if key in SECRET_KEYS
                         else {"old": old, "new": value})
                record_event(session, actor=actor, action="site.setting", entity=ENTITY,
                             entity_id=0, details={"key": key, **shown})


@dataclass(frozen=True)
class UlnRow:
    """One dated ULN: ``code`` has ``value`` (exact text) in ``unit`` from ``effective_from``."""

    code: str
    value: str
    unit: str
    effective_from: date
    recorded_by: str


def read_uln_rows(conn: Any) -> list[UlnRow]:
    """Every dated ULN, by code and date (``conn``: a ``sqlite3`` connection)."""
    rows = conn.execute("SELECT code, value, unit, effective_from, recorded_by "
                        "FROM uln_value ORDER BY code, effective_from, id").fetchall()
    return [UlnRow(code, value, unit, date.fromisoformat(effective), by)
            for code, value, unit, effective, by in rows]


class UlnRepository:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def all(self) -> list[UlnRow]:
        with self._registry.read() as conn:
            return read_uln_rows(conn)

    def add(self, actor: str, rows: list[tuple[str, str, str, date]],
            backdated_because: str = "") -> None:
        """Record ULNs (code, exact value text, unit, effective from) in one transaction.

        Rows are only ever added: an older value stays in force for results taken
        before the new one's date."""
        from desktop.registry.models.account import UlnValue
        from desktop.registry.models.audit import record_event

        with self._registry.session() as session:
            for code, value, unit, effective_from in rows:
                entry = UlnValue(code=code, value=value, unit=unit,
                                 effective_from=effective_from, recorded_by=actor)
                session.add(entry)
                session.flush()
                assert entry.id is not None
                record_event(session, actor=actor, action="site.uln", entity="uln_value",
                             entity_id=entry.id, details={
                                 "code": code, "value": value, "unit": unit,
                                 "effective_from": effective_from.isoformat(),
                                 **({"backdated_because": backdated_because}
                                    if backdated_because else {})})
