"""Checking a registry against its audit trail: ``nkscreen audit verify`` and the app's
check at start.

No login is needed and nothing is written: the check reads the registry file (never
migrating it) and reports only row numbers, tables, keys and field names - no patient
data - so anyone may run it and the report may be sent to anyone.

Besides the chain, its witnesses and the records (``desktop.registry.audit_verify``), it
re-runs every signed stage under the trial version it was decided with and lists those
whose decision would differ today.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from desktop.registry.audit_verify import AuditReport, Problem, verify_file
from desktop.registry.database import DB_FILENAME, Registry
from desktop.registry.revision import HEAD

__all__ = ["AuditCheck", "AuditError", "Problem", "StageDiffers", "verify_registry"]

_CHAIN_REVISION = "0007"


class AuditError(Exception):
    """The registry cannot be checked at all; ``str()`` is one sentence naming why."""


@dataclass(frozen=True)
class StageDiffers:
    """A signed stage whose decision, re-run today, is not the one signed (or cannot be
    re-run)."""

    visit_id: int
    version: int
    decision: str
    decision_now: str | None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        # The reason a re-run failed can quote a result: the report carries none.
        return {"visit_id": self.visit_id, "version": self.version,
                "decision": self.decision, "decision_now": self.decision_now,
                "rerun_failed": self.problem is not None}


@dataclass(frozen=True)
class AuditCheck:
    report: AuditReport
    signed_stages: int = 0
    differing: tuple[StageDiffers, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """The trail is intact (a differing verdict is listed, not a broken trail)."""
        return self.report.ok

    @property
    def first_problem(self) -> Problem | None:
        return self.report.problems[0] if self.report.problems else None

    def as_dict(self) -> dict[str, Any]:
        return self.report.as_dict() | {
            "signed_stages_checked": self.signed_stages,
            "verdicts_differ": [d.as_dict() for d in self.differing]}


def _revision(path: Path) -> str:
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise AuditError(f"the registry {path} cannot be read ({exc}).") from None
    return str(found[0][0]) if len(found) == 1 else ""


def verify_registry(data_dir: Path, *, stages: bool = True) -> AuditCheck:
    """Check the registry in ``data_dir``. ``AuditError`` when there is none, or it is
    from before the audit chain (open it with NK Screen once to upgrade) or newer."""
    path = Path(data_dir) / DB_FILENAME
    if not path.is_file():
        raise AuditError(f"there is no registry in {data_dir}.")
    revision = _revision(path)
    if revision != HEAD:
        if revision and revision < _CHAIN_REVISION:
            raise AuditError(f"the registry {path} is from before the audit chain "
                             f"(schema {revision}); open it once with this NK Screen to "
                             f"upgrade it, then check it.")
        raise AuditError(f"the registry {path} is at schema {revision or 'unknown'}, not "
                         f"{HEAD}; check it with the NK Screen that wrote it.")
    try:
        report = verify_file(path, mirror=True)
    except sqlite3.Error as exc:
        raise AuditError(f"the registry {path} cannot be read ({exc}).") from None
    if not stages:
        return AuditCheck(report)
    count, differing = _signed_stages(path)
    return AuditCheck(report, count, differing)


def _signed_stages(path: Path) -> tuple[int, tuple[StageDiffers, ...]]:
    """Re-run each signed stage (its current version) under its kept trial file."""
    from desktop.registry.screenings import ScreeningRepository
    from desktop.registry.site_reading import open_read_only, read_site

    conn = open_read_only(path)
    try:
        visits = [int(r[0]) for r in conn.execute(
            "SELECT DISTINCT s.visit_id FROM signature s JOIN visit v ON v.id = s.visit_id "
            "AND v.version = s.version WHERE typeof(s.visit_id) = 'integer' "
            "ORDER BY s.visit_id")]
        uln: Mapping[str, Fraction]
        try:
            uln = read_site(conn).uln
        except Exception:  # a site setting damaged by hand: the stages re-run without it
            uln = {}
    finally:
        conn.close()
    registry = Registry(path, read_only=True)
    try:
        repository = ScreeningRepository(registry, "audit-verify", site_uln=uln)
        differing = []
        for visit_id in visits:
            try:
                standing = repository.standing(visit_id)
            except Exception:  # a stage damaged by hand: listed, never a crash
                differing.append(StageDiffers(visit_id, 0, "", None, "could not be re-run"))
                continue
            version = standing.version
            if version is None:
                continue
            if standing.problem or standing.decision_now != version.decision:
                differing.append(StageDiffers(visit_id, version.version, version.decision,
                                              standing.decision_now, standing.problem))
        return len(visits), tuple(differing)
    finally:
        registry.close()
