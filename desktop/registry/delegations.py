"""The delegation of authority log as stored: lines added and revoked, never deleted.

Persistence only; whether a line lets someone sign is the domain's rule
(:class:`desktop.domain.accounts.Delegation`). Each write adds its audit event in the
same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from desktop.domain.accounts import Delegation
from desktop.registry.database import Registry, RegistryError

ENTITY: Final = "delegation"

_COLUMNS: Final = ("id, user_id, trial_id, start, \"end\", duty, recorded_at, recorded_by, "
                   "revoked_at, revoked_by, revoke_reason")


class DelegationNotFound(RegistryError):
    """No delegation line has that id."""


@dataclass(frozen=True)
class DelegationRow:
    id: int
    user_id: str
    trial_id: str
    start: date
    end: date | None
    duty: str
    recorded_at: datetime
    recorded_by: str
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None

    @property
    def line(self) -> Delegation:
        return Delegation(self.user_id, self.trial_id, self.start, self.end,
                          revoked=self.revoked_at is not None)


def _utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def _row(values: tuple[Any, ...]) -> DelegationRow:
    (id_, user_id, trial_id, start, end, duty, recorded_at, recorded_by, revoked_at,
     revoked_by, reason) = values
    recorded = _utc(recorded_at)
    assert recorded is not None
    return DelegationRow(int(id_), user_id, trial_id, date.fromisoformat(start),
                         None if end is None else date.fromisoformat(end), duty,
                         recorded, recorded_by, _utc(revoked_at), revoked_by, reason)


class DelegationRepository:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def all(self) -> list[DelegationRow]:
        """Every line, revoked ones included, in the order recorded."""
        with self._registry.read() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM delegation ORDER BY id").fetchall()
        return [_row(tuple(values)) for values in rows]

    def add(self, actor: str, user_id: str, trial_id: str, start: date, end: date | None,
            duty: str) -> DelegationRow:
        from sqlalchemy import text

        from desktop.registry.models.account import Delegation as DelegationModel
        from desktop.registry.models.audit import record_event

        with self._registry.session() as session:
            line = DelegationModel(user_id=user_id, trial_id=trial_id, start=start, end=end,
                                   duty=duty, recorded_by=actor)
            session.add(line)
            session.flush()
            assert line.id is not None
            record_event(session, actor=actor, action="delegation.add", entity=ENTITY,
                         entity_id=line.id, details={
                             "user_id": user_id, "trial_id": trial_id,
                             "start": start.isoformat(),
                             "end": None if end is None else end.isoformat(), "duty": duty})
            found = session.execute(text(f"SELECT {_COLUMNS} FROM delegation WHERE id = :id"),
                                    {"id": line.id}).first()
            assert found is not None
            return _row(tuple(found))

    def revoke(self, actor: str, delegation_id: int, reason: str) -> None:
        from desktop.registry.models.account import Delegation as DelegationModel
        from desktop.registry.models.audit import record_event
        from desktop.registry.models.base import utcnow

        with self._registry.session() as session:
            line = session.get(DelegationModel, delegation_id)
            if line is None:
                raise DelegationNotFound(f"No delegation line {delegation_id}.")
            if line.revoked_at is not None:
                return
            line.revoked_at, line.revoked_by, line.revoke_reason = utcnow(), actor, reason
            record_event(session, actor=actor, action="delegation.revoke", entity=ENTITY,
                         entity_id=delegation_id, details={"reason": reason})
