"""The audit view's use cases: list the audit trail by filter, and export it as CSV.

For administrators and monitors only (the issue's "audit view (admin and monitor)"): a
coordinator or investigator may read patients and logs but not the trail, which holds
every user's actions; ``AuditLogService`` refuses them with ``NotPermitted`` whatever the
screen offers. Viewing needs ``Permission.READ``, exporting ``Permission.EXPORT``, both
checked against the account as it is now.

The CSV has one line per field change (an audit row without field changes, a login say,
has one line, with its details), UTF-8 with a byte order mark so a spreadsheet opened by
double-click reads accented names right, and every text cell safe from being run as a
formula (``desktop.domain.text_safety.spreadsheet_cell``). The export is audited: an
``audit.export`` row with the filters and how many audit rows were written. No Qt.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, Final, TextIO, TypeVar

from desktop.domain.accounts import AUDIT_ROLES, Actor, Permission
from desktop.domain.accounts import may_view_audit as may_view
from desktop.domain.text_safety import spreadsheet_cell
from desktop.registry.accounts import AccountRepository
from desktop.registry.audit_exports import record_export
from desktop.registry.audit_reads import (
    MAX_PAGE,
    AuditChoices,
    AuditFilter,
    AuditFilterError,
    AuditReads,
    AuditRow,
    FieldChange,
)
from desktop.registry.database import Registry, RegistryError
from desktop.registry.reading import PatientRow
from desktop.services.acting import NotPermitted, need
from desktop.services.documents import write_streamed

__all__ = ["CLOCK_BACK", "CSV_COLUMNS", "MAX_PAGE", "AuditChoices", "AuditFilter",
           "AuditLogService", "AuditRow", "AuditViewError", "FieldChange", "NotPermitted",
           "may_view"]

CLOCK_BACK: Final = "clock set back"
CSV_COLUMNS: Final = ("Row", "Workstation clock", "Time zone", "User", "Action", "Entity",
                      "Id", "Changed row", "Field", "Old value", "New value", "Reason",
                      "Clock", "Anomaly", "Details")


T = TypeVar("T")


class AuditViewError(RegistryError):
    """A filter or an export that cannot be done; the message names the field or file."""


def _refusal(name: str, roles: str) -> NotPermitted:
    return NotPermitted(f"{name} ({roles or 'no role'}) may not see the audit trail: it is "
                        "for administrators and monitors.")


class AuditLogService:
    """The audit view's reads and export for ``actor`` on an open registry."""

    def __init__(self, registry: Registry, actor: Actor, reads: AuditReads | None = None
                 ) -> None:
        self._registry = registry
        self.actor = actor
        self._reads = reads or AuditReads(registry)

    def _need(self, permission: Permission) -> None:
        need(self.actor, permission, self._registry)
        if not self.actor.roles & AUDIT_ROLES:
            raise _refusal(self.actor.full_name, self.actor.roles_label)
        row = AccountRepository(self._registry).find(self.actor.user_id)
        if row is not None and not row.roles & AUDIT_ROLES:
            raise NotPermitted(f"{row.full_name}'s roles changed since the login; log in "
                               "again.")

    def choices(self) -> AuditChoices:
        """The users, actions and entity kinds on the trail, for the filter lists."""
        self._need(Permission.READ)
        return self._reads.choices()

    def count(self, filters: AuditFilter) -> int:
        self._need(Permission.READ)
        return _filtered(lambda: self._reads.count(filters))

    def page(self, filters: AuditFilter, offset: int = 0, limit: int = 200) -> list[AuditRow]:
        """The rows ``filters`` lists, newest first (at most ``MAX_PAGE``)."""
        self._need(Permission.READ)
        return _filtered(lambda: self._reads.page(filters, offset, limit))

    def listing(self, filters: AuditFilter, offset: int = 0,
                limit: int = 200) -> tuple[int, list[AuditRow]]:
        """(how many rows ``filters`` lists, the page from ``offset``): what "Show" reads."""
        self._need(Permission.READ)
        return _filtered(lambda: self._reads.listing(filters, offset, limit))

    def patient_by_mrn(self, mrn: str) -> PatientRow:
        """The patient the MRN filter names: the one not voided holding it (or the only
        one, voided); ``AuditViewError`` when there is none or several."""
        self._need(Permission.READ)
        text = mrn.strip()
        if not text:
            raise AuditViewError("Patient MRN: type the MRN of the patient.")
        found = self._reads.patients_with_mrn(text)
        standing = [row for row in found if not row.voided]
        chosen = standing if standing else found
        if not chosen:
            raise AuditViewError(f"Patient MRN: no patient has the MRN {text!r}.")
        if len(chosen) > 1:
            raise AuditViewError(f"Patient MRN: {len(chosen)} patients share the MRN "
                                 f"{text!r}; resolve them in the MRN problems list first.")
        return chosen[0]

    def export_csv(self, path: Path, filters: AuditFilter) -> int:
        """Write every row ``filters`` lists to ``path`` as CSV; how many audit rows.

        The file appears whole or not at all (written beside it, then renamed), and only
        once the export's own audit row is saved."""
        self._need(Permission.EXPORT)
        path = Path(path)

        def write(out: BinaryIO) -> int:
            text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
            count = _filtered(lambda: _write(text, self._reads, filters))
            text.flush()
            text.detach()  # the caller closes the file
            return count

        def audit(count: int) -> None:
            record_export(self._registry, self.actor.user_id,
                          {"filters": filters.as_dict(), "rows": count, "file": path.name})

        return write_streamed(path, write, audit, AuditViewError)

    def csv_data(self, filters: Sequence[AuditFilter]) -> tuple[bytes, int]:
        """The CSV of every row any of ``filters`` lists (each once, newest first) and how
        many audit rows, for a document that carries the trail (an inspection archive);
        the caller audits the document."""
        self._need(Permission.EXPORT)
        rows: dict[int, AuditRow] = {}

        def read() -> None:
            for one in filters:
                rows.update((row.id, row) for row in self._reads.each(one))

        _filtered(read)
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for key in sorted(rows, reverse=True):
            writer.writerows(csv_lines(rows[key]))
        return text.getvalue().encode("utf-8-sig"), len(rows)


def _filtered(call: Callable[[], T]) -> T:
    try:
        return call()
    except AuditFilterError as exc:
        raise AuditViewError(str(exc)) from None


def _write(out: TextIO, reads: AuditReads, filters: AuditFilter) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in reads.each(filters):
        count += 1
        for line in csv_lines(row):
            writer.writerow(line)
    return count


def csv_lines(row: AuditRow) -> list[list[str]]:
    """The CSV lines of one audit row: one per field change, or one with its details."""
    c = spreadsheet_cell
    head = [str(row.id), row.clock, c(row.time_zone), c(row.actor), c(row.action),
            c(row.entity), str(row.entity_id)]
    tail = [c(row.reason or ""), CLOCK_BACK if row.clock_back else "", c(row.anomaly or "")]
    if not row.changes:
        return [[*head, "", "", "", "", *tail, c(row.details)]]
    return [[*head, c(f"{change.table} {change.key}"), c(change.field), c(change.old or ""),
             c(change.new or ""), *tail, ""] for change in row.changes]
