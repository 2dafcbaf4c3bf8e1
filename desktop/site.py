"""Site settings shared by the app and the command line: the institutional ULN table.

Stored as ``site.json`` in the data folder, so the headless commands read it without
the database, and validated against a declared schema (pydantic) so that any shape
other than the documented one gives one message naming the file and the field::

    {"uln": {"ast": {"value": 40, "unit": "U/L"}, "bilirubin_total": {"value": 1.2}}}

A ``unit`` defaults to the code's canonical unit (see :mod:`desktop.domain.units`);
values are read exactly (never through a float) and must be above 0 and plausible.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from desktop.domain.text_safety import cut
from desktop.domain.units import CODES, UnitError, check_uln, convert, normalise_unit

SITE_FILE = "site.json"
#: Largest site file read, in bytes (a ULN table is a few hundred bytes).
MAX_SITE_BYTES = 1024 * 1024


class SiteError(ValueError):
    """A site settings file that cannot be used; the message names the file and field."""


class UlnEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    value: Decimal | int = Field(description="the upper limit of normal, above 0")
    unit: StrictStr | None = Field(default=None, description="default: the canonical unit")


class SiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    uln: dict[StrictStr, UlnEntry] = Field(default_factory=dict)


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise SiteError(f"{cut(name, 40)}: is repeated")
        out[name] = value
    return out


def _constant(token: str) -> Any:
    raise SiteError(f"{token} is not a number")


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if not (isinstance(p, str) and p in ("int", "decimal"))]
    return cut(".".join(parts), 80) or "(top level)"


def _plain_error(error: Any) -> str:
    """pydantic's error in the words of this file's format."""
    loc = [p for p in error["loc"] if p not in ("int", "decimal")]
    kind = error["type"]
    if kind == "extra_forbidden":
        return "is not a setting of site.json (known: uln)" if len(loc) == 1 else \
            "is not a field of a ULN entry (known: value, unit)"
    if loc and loc[-1] == "value":
        return "must be a number" if kind != "missing" else "is required"
    if loc and loc[-1] == "unit":
        return "must be a unit, e.g. \"U/L\""
    if kind in ("dict_type", "model_type"):
        return ('must be an object of codes, e.g. {"ast": {"value": 40, "unit": "U/L"}}'
                if len(loc) == 1 else 'must be an object such as {"value": 40, "unit": "U/L"}')
    return cut(str(error["msg"]), 100)


def parse_site(text: str, name: str = SITE_FILE) -> dict[str, Fraction]:
    """The ULN table of a site file's text, in canonical units; raises :class:`SiteError`."""
    try:
        raw = json.loads(text, object_pairs_hook=_no_repeats, parse_float=Decimal,
                         parse_constant=_constant)
    except SiteError as exc:
        raise SiteError(f"{name}: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise SiteError(f"{name}: is not valid JSON ({cut(str(exc), 80)})") from None
    if not isinstance(raw, dict):
        raise SiteError(f"{name}: must be a JSON object such as "
                        '{"uln": {"ast": {"value": 40, "unit": "U/L"}}}')
    try:
        site = SiteFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SiteError(f"{name}: {_field(first['loc'])}: {_plain_error(first)}") from None
    table: dict[str, Fraction] = {}
    for code, entry in site.uln.items():
        where = f"{name}: uln.{cut(code, 40)}"
        if code not in CODES:
            raise SiteError(f"{where}: unknown observation code")
        if not CODES[code].carries_uln:
            raise SiteError(f"{where}: {code} has no upper limit of normal")
        try:
            unit = normalise_unit(code, entry.unit or CODES[code].canonical)
        except UnitError as exc:
            raise SiteError(f"{where}.unit: {exc}") from None
        if isinstance(entry.value, Decimal) and not entry.value.is_finite():
            raise SiteError(f"{where}.value: is not a finite number")
        value = Fraction(entry.value)
        problem = check_uln(code, value, unit)
        if problem:
            raise SiteError(f"{where}.value: {problem}")
        table[code] = convert(code, value, unit, CODES[code].canonical)
    return table


def load_site_uln(data_dir: Path) -> dict[str, Fraction]:
    """The data folder's ``site.json`` ULN table (canonical units); {} when there is none."""
    path = data_dir / SITE_FILE
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SITE_BYTES + 1)
    except OSError as exc:
        raise SiteError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_SITE_BYTES:
        raise SiteError(f"{path.name}: is larger than 1 MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SiteError(f"{path.name}: is not UTF-8 text") from None
    return parse_site(text, path.name)
