"""The delegation of authority log: who may sign for which trial, from and until when.

An admin records and revokes lines; anyone may read and export it (as CSV for the
binder now; the PDF comes with the worksheets). ``in_force`` is what signing asks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date

from desktop.domain.accounts import (
    Actor,
    Permission,
    Role,
    delegated,
    delegation_problem,
)
from desktop.domain.text_safety import spreadsheet_cell as _cell
from desktop.registry.accounts import AccountRepository
from desktop.registry.database import Registry, RegistryError
from desktop.registry.delegations import DelegationRepository, DelegationRow
from desktop.services.acting import NotPermitted, need

__all__ = ["DelegationError", "DelegationRow", "DelegationService", "NotPermitted"]

MAX_DUTY = 80
CSV_COLUMNS = ("Line", "User id", "Name", "Trial", "Duty", "From", "Until", "Recorded by",
               "Recorded at (UTC)", "Revoked by", "Revoked at (UTC)", "Revoke reason")


class DelegationError(RegistryError):
    """A delegation that cannot be recorded; the message says why."""


class DelegationService:
    def __init__(self, registry: Registry) -> None:
        self._lines = DelegationRepository(registry)
        self._accounts = AccountRepository(registry)

    def lines(self, actor: Actor) -> list[DelegationRow]:
        need(actor, Permission.READ)
        return self._lines.all()

    def in_force(self, user_id: str, trial_id: str, day: date) -> bool:
        """Whether ``user_id`` may sign for ``trial_id`` on ``day``."""
        return delegated([row.line for row in self._lines.all()], user_id, trial_id, day)

    def add(self, admin: Actor, user_id: str, trial_id: str, start: date, end: date | None,
            duty: str = "Investigator") -> DelegationRow:
        need(admin, Permission.ADMINISTER)
        account = self._accounts.find(user_id)
        if account is None or not account.active:
            raise DelegationError(f"{user_id!r} is not an active account.")
        if Role.INVESTIGATOR not in account.roles:
            raise DelegationError(f"{account.full_name} is not an investigator; only "
                                  "investigators are delegated to sign.")
        problem = delegation_problem(start, end)
        if problem:
            raise DelegationError(problem)
        duty = " ".join(duty.split())[:MAX_DUTY]
        return self._lines.add(admin.user_id, user_id, trial_id, start, end, duty)

    def revoke(self, admin: Actor, delegation_id: int, reason: str) -> None:
        need(admin, Permission.ADMINISTER)
        reason = " ".join(reason.split())
        if not reason:
            raise DelegationError("Say why the delegation is revoked.")
        self._lines.revoke(admin.user_id, delegation_id, reason)

    def names(self) -> dict[str, str]:
        """User id -> printed name."""
        return self._accounts.names()

    def csv(self, actor: Actor) -> str:
        """The whole log as CSV (UTF-8 text; every line, revoked ones included)."""
        need(actor, Permission.EXPORT)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for cells in delegation_cells(self._lines.all(), self._accounts.names()):
            writer.writerow([_cell(cell) for cell in cells])
        return out.getvalue()


def delegation_cells(rows: Sequence[DelegationRow], names: Mapping[str, str]
                     ) -> list[tuple[str, ...]]:
    """Each line of the log as the words of ``CSV_COLUMNS`` (times in UTC)."""
    return [(str(row.id), row.user_id, names.get(row.user_id, ""), row.trial_id, row.duty,
             row.start.isoformat(), row.end.isoformat() if row.end else "open-ended",
             row.recorded_by, row.recorded_at.strftime("%Y-%m-%d %H:%M"),
             row.revoked_by or "",
             row.revoked_at.strftime("%Y-%m-%d %H:%M") if row.revoked_at else "",
             row.revoke_reason or "") for row in rows]
