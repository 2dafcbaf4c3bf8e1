"""The audit view's rows: one audit row as shown, its field-level changes, and the reading
of a stored row's ``changes`` into them.

``changes`` is a list of ``[table, key, op, old, new]`` with full row objects (see
``audit_chain``); for each changed row, the fields whose values differ are listed. A
password hash (or a sealed signing key, a wrapped CA key) is never shown: its values read
"(set)" and "(changed)", in the changes and in the details alike. Part of
``desktop.registry.audit_reads``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from desktop.registry.audit_chain import local_time

#: Fields whose values the audit view never shows (only that they were set or changed).
SECRET_FIELDS: Final = frozenset({"password_hash", "sealed_key", "wrapped", "sealed"})
SET: Final = "(set)"
CHANGED: Final = "(changed)"


@dataclass(frozen=True)
class FieldChange:
    """One field of one changed row: its value before and after (None: no value)."""

    table: str
    key: str
    #: insert, update, delete or baseline (the record as it stood when the chain began).
    op: str
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class AuditRow:
    """One row of the audit trail as the audit view shows it."""

    id: int
    #: The workstation's clock when the row was written, ISO 8601 with its UTC offset.
    at: str
    time_zone: str
    actor: str
    action: str
    entity: str
    entity_id: int
    reason: str | None
    #: The time is earlier than the newest time already on the trail: the clock went back.
    clock_back: bool
    anomaly: str | None
    #: The row's details as compact JSON (any password hash masked).
    details: str
    changes: tuple[FieldChange, ...] = field(default_factory=tuple)

    @property
    def clock(self) -> str:
        """``at`` to the second, with its offset: ``2026-12-02 13:50:06 -05:00``."""
        try:
            moment = datetime.fromisoformat(self.at)
        except ValueError:
            return self.at
        offset = moment.strftime("%z")
        offset = f"{offset[:3]}:{offset[3:5]}" if offset else ""
        return f"{moment:%Y-%m-%d %H:%M:%S} {offset}".rstrip()


@dataclass(frozen=True)
class AuditChoices:
    """The values the filter lists offer: every user, action and entity on the trail."""

    actors: tuple[str, ...]
    actions: tuple[str, ...]
    entities: tuple[str, ...]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _masked(name: str, old: Any, new: Any, op: str) -> tuple[str | None, str | None]:
    if name not in SECRET_FIELDS:
        return _text(old), _text(new)
    shown_old = None if old is None else SET
    shown_new = None if new is None else (CHANGED if op == "update" else SET)
    return shown_old, shown_new


def field_changes(changes: str | None) -> tuple[FieldChange, ...]:
    """The field-level changes of a row's ``changes`` text: per changed row (in order),
    each field whose value differs between old and new, in the row's column order."""
    if not changes:
        return ()
    try:
        entries = json.loads(changes)
    except ValueError:
        return ()
    found: list[FieldChange] = []
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, list) or len(entry) != 5:
            continue
        table, key, op, old, new = entry
        old = old if isinstance(old, dict) else {}
        new = new if isinstance(new, dict) else {}
        names = list(old) + [name for name in new if name not in old]
        for name in names:
            before, after = old.get(name), new.get(name)
            if before == after:
                continue
            shown_old, shown_new = _masked(name, before, after, str(op))
            found.append(FieldChange(str(table), str(key), str(op), name, shown_old,
                                     shown_new))
    return tuple(found)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (SET if k in SECRET_FIELDS and v is not None else _scrub(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _details(text: str | None) -> str:
    if not text:
        return ""
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    if parsed in ({}, None):
        return ""
    return json.dumps(_scrub(parsed), ensure_ascii=False, separators=(",", ":"))


def audit_row(values: tuple[Any, ...]) -> AuditRow:
    (id_, occurred_at, recorded_at, time_zone, actor, action, entity, entity_id, reason,
     clock_back, anomaly, details, changes) = values
    at, zone = str(recorded_at or ""), str(time_zone or "")
    if not at or not zone:  # a row not (yet) sealed: shown in this workstation's zone
        at_now, zone_now = local_time(str(occurred_at))
        at, zone = at or at_now, zone or zone_now
    return AuditRow(id=int(id_), at=at, time_zone=zone, actor=str(actor),
                    action=str(action), entity=str(entity), entity_id=int(entity_id),
                    reason=None if reason is None else str(reason),
                    clock_back=bool(clock_back),
                    anomaly=None if anomaly is None else str(anomaly),
                    details=_details(details), changes=field_changes(changes))
