"""The site's settings and dated ULN table, read with the stdlib ``sqlite3`` only.

This is the read path the command line uses (``evaluate --data-dir``: no SQLAlchemy is
imported) and the app reads at login. ``read_site`` takes an open connection; a registry
file is opened read-only with ``open_read_only`` so a headless read can never change it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from desktop.domain.numbers import parse_decimal
from desktop.domain.uln_history import UlnHistory
from desktop.domain.units import CODES, convert

#: code -> (confirm below, confirm above) in the code's canonical unit.
ConfirmTable = dict[str, tuple[Fraction | None, Fraction | None]]


@dataclass(frozen=True)
class SiteValues:
    """Every site setting, with its default where the registry holds none."""

    site_name: str = ""
    #: An IANA zone name; None: the workstation's own zone.
    time_zone: str | None = None
    paper_size: str = "A4"
    idle_lock_minutes: int = 15
    #: 0: passwords do not expire.
    password_expiry_days: int = 0
    #: The body of a character class for MRNs; None: the default rules.
    mrn_characters: str | None = None
    confirm: ConfirmTable = field(default_factory=dict)
    #: The next stage may open once a stage is completed eligible, before the
    #: investigator's confirmation (default: the signature is required first).
    open_before_signature: bool = False
    #: The scheduled backup's folder; None: ``backups`` in the data folder.
    backup_folder: str | None = None
    #: Hours between scheduled backups; 0: no scheduled backup.
    backup_interval_hours: int = 24
    #: How many scheduled backups are kept (the oldest beyond are removed).
    backup_keep: int = 30
    uln: UlnHistory = field(default_factory=UlnHistory)


def _stored(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _fraction(text: Any) -> Fraction | None:
    return None if text is None else parse_decimal(str(text))


def read_site(conn: sqlite3.Connection) -> SiteValues:
    """The registry's site settings and ULN history (``conn``: a ``sqlite3`` connection)."""
    rows = dict(conn.execute("SELECT key, value FROM site_setting").fetchall())
    stored = {key: _stored(value) for key, value in rows.items()}
    confirm: ConfirmTable = {}
    for code, entry in (stored.get("confirm") or {}).items():
        if code not in CODES:
            continue
        unit = entry.get("unit") or CODES[code].canonical
        below, above = _fraction(entry.get("below")), _fraction(entry.get("above"))
        confirm[code] = tuple(  # type: ignore[assignment]
            None if v is None else convert(code, v, unit, CODES[code].canonical)
            for v in (below, above))
    entries = []
    for code, value, unit, effective in conn.execute(
            "SELECT code, value, unit, effective_from FROM uln_value ORDER BY id").fetchall():
        if code in CODES:
            exact = parse_decimal(value)
            entries.append((code, date.fromisoformat(effective),
                            convert(code, exact, unit, CODES[code].canonical)))
    defaults = SiteValues()
    return SiteValues(
        site_name=str(stored.get("site_name", defaults.site_name)),
        time_zone=stored.get("time_zone"),
        paper_size=str(stored.get("paper_size", defaults.paper_size)),
        idle_lock_minutes=int(stored.get("idle_lock_minutes", defaults.idle_lock_minutes)),
        password_expiry_days=int(stored.get("password_expiry_days", 0)),
        mrn_characters=stored.get("mrn_characters"),
        confirm=confirm,
        open_before_signature=stored.get("open_before_signature") is True,
        backup_folder=stored.get("backup_folder") or None,
        backup_interval_hours=int(stored.get("backup_interval_hours",
                                             defaults.backup_interval_hours)),
        backup_keep=int(stored.get("backup_keep", defaults.backup_keep)),
        uln=UlnHistory(entries),
    )


def open_read_only(path: Path) -> sqlite3.Connection:
    """The registry file at ``path``, read-only (``sqlite3.Error`` if it is not one)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
