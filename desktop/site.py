"""Site settings shared by the app and the command line: the institutional ULN table.

Stored as ``site.json`` in the data folder, so the headless commands read it without
the database. Values are in the code's canonical unit (see :mod:`desktop.domain.units`).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from desktop.domain.units import CODES, UnitError, convert, normalise_unit

SITE_FILE = "site.json"


class SiteError(ValueError):
    """A site settings file that cannot be used."""


def load_site_uln(data_dir: Path) -> dict[str, Fraction]:
    """``{"uln": {"ast": {"value": 40, "unit": "U/L"}}}`` -> ``{"ast": 40}`` (canonical)."""
    path = data_dir / SITE_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SiteError(f"{path}: cannot be read as JSON ({exc})") from None
    table: dict[str, Fraction] = {}
    for code, entry in (data.get("uln") or {}).items():
        where = f"{path.name}: uln.{code}"
        if code not in CODES or not CODES[code].carries_uln:
            raise SiteError(f"{where}: {code!r} has no upper limit of normal here")
        try:
            unit = normalise_unit(code, str(entry.get("unit", CODES[code].canonical)))
            value = Fraction(str(entry["value"]))
        except (UnitError, KeyError, ValueError, TypeError, AttributeError) as exc:
            raise SiteError(f"{where}: {exc}") from None
        if value <= 0:
            raise SiteError(f"{where}: must be above 0")
        table[code] = convert(code, value, unit, CODES[code].canonical)
    return table
