"""The site settings file's schema (``site.json``): the institutional ULN table, the
confirm thresholds and the MRN characters.

The registry holds the site's settings now (:mod:`desktop.services.site_settings`); a
file of this shape is what ``nkscreen site import`` and ``evaluate --site FILE`` read,
and what the previous release kept in the data folder. It is validated against a
declared schema (pydantic) so that any other shape gives one message naming the file
and the field::

    {"uln": {"ast": {"value": 40, "unit": "U/L"}, "bilirubin_total": {"value": 1.2}},
     "confirm": {"creatinine": {"below": 0.2, "unit": "mg/dL"}, "ast": {"above": 1000}}}

``confirm`` marks values that are possible but so unusual that whoever enters one must
confirm it (a creatinine under 0.2 mg/dL is confirmed at every site, whatever the file).
``mrn_characters`` (optional) is the set of characters an MRN may hold, as the body of a
regular-expression character class, e.g. ``"A-Z0-9\\-"`` (default: ASCII letters, digits,
space, ``-``, ``/`` and ``.``; see :mod:`desktop.domain.identifiers`).

A ``unit`` defaults to the code's canonical unit (see :mod:`desktop.domain.units`);
values are read exactly (never through a float) and must be above 0 and plausible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.domain.identifiers import IdentifierError, MrnRules
from desktop.domain.text_safety import cut
from desktop.domain.units import (
    CODES,
    UnitError,
    check_uln,
    check_value,
    convert,
    normalise_unit,
)

if TYPE_CHECKING:
    from desktop.site_schema import SiteFile

SITE_FILE = "site.json"
#: Largest site file read, in bytes (a ULN table is a few hundred bytes).
MAX_SITE_BYTES = 1024 * 1024


class SiteError(ValueError):
    """A site settings file that cannot be used; the message names the file and field."""


#: code -> (confirm below, confirm above), canonical unit; None where not set.
ConfirmTable = dict[str, tuple[Fraction | None, Fraction | None]]


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
        if len(loc) == 1:
            return "is not a setting of site.json (known: uln, confirm, mrn_characters)"
        return ("is not a field of a ULN entry (known: value, unit)" if loc[0] == "uln"
                else "is not a field of a confirm entry (known: below, above, unit)")
    if loc and loc[-1] in ("value", "below", "above"):
        return "must be a number" if kind != "missing" else "is required"
    if loc == ["mrn_characters"]:
        return 'must be text, a character class such as "A-Za-z0-9 \\-/."'
    if loc and loc[-1] == "unit":
        return "must be a unit, e.g. \"U/L\""
    if kind in ("dict_type", "model_type"):
        return ('must be an object of codes, e.g. {"ast": {"value": 40, "unit": "U/L"}}'
                if len(loc) == 1 else 'must be an object such as {"value": 40, "unit": "U/L"}')
    return cut(str(error["msg"]), 100)


def parse_site(text: str, name: str = SITE_FILE) -> dict[str, Fraction]:
    """The ULN table of a site file's text, in canonical units; raises :class:`SiteError`."""
    return parse_site_file(text, name)[0]


def parse_site_file(text: str, name: str = SITE_FILE) -> tuple[dict[str, Fraction],
                                                                ConfirmTable]:
    """The ULN table and the confirm table of a site file's text, in canonical units."""
    site = _site_file(text, name)
    table: dict[str, Fraction] = {}
    for code, entry in site.uln.items():
        where = f"{name}: uln.{cut(code, 40)}"
        if code in CODES and not CODES[code].carries_uln:
            raise SiteError(f"{where}: {code} has no upper limit of normal")
        unit = _unit(code, entry.unit, where)
        table[code] = _value(code, entry.value, unit, f"{where}.value", uln=True)
    confirm: ConfirmTable = {}
    for code, limits in site.confirm.items():
        where = f"{name}: confirm.{cut(code, 40)}"
        unit = _unit(code, limits.unit, where)
        if limits.below is None and limits.above is None:
            raise SiteError(f"{where}: give below, above or both")
        below = None if limits.below is None else \
            _value(code, limits.below, unit, f"{where}.below")
        above = None if limits.above is None else \
            _value(code, limits.above, unit, f"{where}.above")
        confirm[code] = (below, above)
    return table, confirm


@dataclass(frozen=True)
class SiteImport:
    """A site file as the registry stores it: values as written (exact text, unit)."""

    #: (code, value text, unit) per ULN.
    uln: list[tuple[str, str, str]]
    #: code -> {"below": text | None, "above": text | None, "unit": unit}.
    confirm: dict[str, dict[str, str | None]]
    mrn_characters: str | None


def read_site_import(text: str, name: str = SITE_FILE) -> SiteImport:
    """A site file's text checked exactly as ``parse_site_file`` checks it, kept as typed."""
    parse_site_file(text, name)  # every check, with its message naming file and field
    site = _site_file(text, name)
    uln = [(code, _text(entry.value), normalise_unit(code, entry.unit or CODES[code].canonical))
           for code, entry in site.uln.items()]
    confirm = {code: {"below": None if limits.below is None else _text(limits.below),
                      "above": None if limits.above is None else _text(limits.above),
                      "unit": normalise_unit(code, limits.unit or CODES[code].canonical)}
               for code, limits in site.confirm.items()}
    return SiteImport(uln, confirm, site.mrn_characters)


def _text(number: Decimal | int) -> str:
    """A checked number as exact decimal text (no exponent)."""
    return format(number, "f") if isinstance(number, Decimal) else str(number)


def read_site_path(path: Path) -> str:
    """The text of a site file at ``path`` (size and encoding checked)."""
    text = _read_file(path)
    if text is None:
        raise SiteError(f"{path}: no such file")
    return text


def _site_file(text: str, name: str) -> SiteFile:
    """A site file's text read against the schema (its MRN characters checked too)."""
    from pydantic import ValidationError  # imported here: evaluate without --site needs none

    from desktop.site_schema import SiteFile

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
    if site.mrn_characters is not None:
        _mrn_rules(site.mrn_characters, name)
    return site


def _mrn_rules(characters: str, name: str) -> MrnRules:
    try:
        return MrnRules(characters)
    except IdentifierError as exc:
        raise SiteError(f"{name}: mrn_characters: {cut(str(exc), 200)}") from None


def _unit(code: str, unit: str | None, where: str) -> str:
    if code not in CODES:
        raise SiteError(f"{where}: unknown observation code")
    try:
        return normalise_unit(code, unit or CODES[code].canonical)
    except UnitError as exc:
        raise SiteError(f"{where}.unit: {exc}") from None


def _value(code: str, number: Decimal | int, unit: str, where: str,
           uln: bool = False) -> Fraction:
    """``number`` exactly, in the canonical unit, checked as a ULN or a plausible value."""
    if isinstance(number, Decimal) and not number.is_finite():
        raise SiteError(f"{where}: is not a finite number")
    value = Fraction(number)
    problem = check_uln(code, value, unit) if uln else check_value(code, value, unit)
    if problem:
        raise SiteError(f"{where}: {problem}")
    return convert(code, value, unit, CODES[code].canonical)


def load_site_confirm(data_dir: Path) -> ConfirmTable:
    """The data folder's ``site.json`` confirm table (canonical units); {} without one."""
    text = _read(data_dir)
    return {} if text is None else parse_site_file(text)[1]


def load_site_mrn_rules(data_dir: Path) -> MrnRules:
    """The data folder's ``site.json`` MRN rules; the default rules without one."""
    text = _read(data_dir)
    if text is None:
        return MrnRules()
    site = _site_file(text, SITE_FILE)
    return MrnRules() if site.mrn_characters is None else \
        _mrn_rules(site.mrn_characters, SITE_FILE)


def load_site_uln(data_dir: Path) -> dict[str, Fraction]:
    """The data folder's ``site.json`` ULN table (canonical units); {} when there is none."""
    text = _read(data_dir)
    return {} if text is None else parse_site_file(text)[0]


def _read(data_dir: Path) -> str | None:
    return _read_file(data_dir / SITE_FILE)


def _read_file(path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SITE_BYTES + 1)
    except OSError as exc:
        raise SiteError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_SITE_BYTES:
        raise SiteError(f"{path.name}: is larger than 1 MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SiteError(f"{path.name}: is not UTF-8 text") from None
