"""The site's settings, held in the registry: the one source of truth.

Site name, time zone, paper size, idle-lock minutes, password expiry, the MRN character
set, the "confirm below / above" values, the scheduled backup (folder, hours, how many
kept), and the institution's ULN table with the date each value takes effect. Everyone
reads them; only an administrator changes them, and every change is audited.
``site.json`` (the previous release's file) is now an import:
``nkscreen site import FILE`` or the first start on a registry that has never imported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop.domain.accounts import Actor, Permission
from desktop.domain.identifiers import IdentifierError, MrnRules
from desktop.domain.numbers import NumberTextError, parse_decimal
from desktop.domain.units import CODES, UnitError, check_uln, check_value, normalise_unit
from desktop.registry.database import Registry, RegistryError
from desktop.registry.site_reading import SiteValues, read_site
from desktop.registry.site_settings import SiteSettingRepository, UlnRepository, UlnRow
from desktop.services.acting import NotPermitted, need

__all__ = ["PAPER_SIZES", "NotPermitted", "SiteSettingError", "SiteSettingsService",
           "SiteValues", "UlnRow"]

PAPER_SIZES: Final = ("A4", "Letter")
MAX_IDLE_MINUTES: Final = 240
MAX_EXPIRY_DAYS: Final = 3650
MAX_BACKUP_HOURS: Final = 24 * 31
MAX_BACKUP_KEEP: Final = 1000
IMPORTED_KEY: Final = "site_file_sha256"
#: The effective date of ULNs imported from the previous release's ``site.json`` on the
#: first start: they applied to every result then, so they still do.
SINCE_ALWAYS: Final = date(1900, 1, 1)


class SiteSettingError(RegistryError):
    """A setting that cannot be stored; the message names the setting."""


class SiteSettingsService:
    def __init__(self, registry: Registry,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self._registry = registry
        self._settings = SiteSettingRepository(registry)
        self._uln = UlnRepository(registry)
        self._clock = clock

    def values(self) -> SiteValues:
        """Every setting (defaults where none is stored) and the dated ULN table."""
        with self._registry.read() as conn:
            return read_site(conn)

    def uln_rows(self) -> list[UlnRow]:
        return self._uln.all()

    # -- changes (administrators) --------------------------------------------------------

    def update(self, admin: Actor, **changes: Any) -> SiteValues:
        """Store the given settings (each checked; nothing is stored if one is wrong)."""
        need(admin, Permission.ADMINISTER)
        self._settings.set(admin.user_id, {key: _checked(key, value)
                                           for key, value in changes.items()})
        return self.values()

    def add_uln(self, admin: Actor, code: str, value: str, unit: str,
                effective_from: date, *, backdated_because: str = "") -> None:
        """A ULN for ``code`` from ``effective_from`` on; results before keep theirs.

        ULNs hold by day, so a value in force from today or earlier would change the ULN
        of results already taken: that needs ``backdated_because`` (a correction of a
        wrong entry, say), which the audit keeps."""
        need(admin, Permission.ADMINISTER)
        entry = _uln_entry(code, value, unit, effective_from)
        reason = _backdating(effective_from, backdated_because, self._today())
        self._uln.add(admin.user_id, [entry], reason)

    def _today(self) -> date:
        return self._clock().date()

    def import_file(self, actor: str, path: Path, effective_from: date, *,
                    backdated_because: str = "") -> int:
        """Store a site file's settings and ULNs (from ``effective_from``); how many ULNs.

        ``actor``: the administrator's user id (the command line checks the login), or
        the setup's name on a registry without accounts. An ``effective_from`` of today
        or earlier needs ``backdated_because``, as for ``add_uln``."""
        from desktop.site import SiteError, read_site_import, read_site_path

        try:
            text = read_site_path(path)
            site = read_site_import(text, path.name)
        except SiteError as exc:
            raise SiteSettingError(str(exc)) from None
        rows = [_uln_entry(code, value, unit, effective_from) for code, value, unit in site.uln]
        values: dict[str, Any] = {IMPORTED_KEY: _digest(text)}
        if site.confirm:  # checked as an admin's change is; a file without any keeps them
            values["confirm"] = _confirm(site.confirm)
        if site.mrn_characters is not None:
            values["mrn_characters"] = site.mrn_characters
        reason = _backdating(effective_from, backdated_because, self._today()) if rows else ""
        self._settings.set(actor, values)
        if rows:
            self._uln.add(actor, rows, reason)
        return len(rows)

    def import_previous_site_file(self, data_dir: Path) -> str | None:
        """On start: the previous release's ``site.json`` in the data folder, imported once,
        while the registry has no accounts yet (the upgrade from that release; its ULNs
        stay in force for every result, as they were). Once there are accounts a file
        there is never read: only an administrator changes the site's settings. A
        sentence saying what happened, or None when there is nothing to do; a broken
        file raises ``SiteSettingError`` naming the file and field."""
        from desktop.registry.accounts import AccountRepository

        path = data_dir / "site.json"
        if not path.is_file():
            return None
        stored = self._settings.get(IMPORTED_KEY)
        if stored is None and AccountRepository(self._registry).count():
            return (f"{path} is not read: the registry holds the site's settings. An "
                    "administrator changes them in Administration > Site settings (or "
                    "imports the file with nkscreen site import).")
        if stored is not None:
            if stored != _digest(path.read_text(encoding="utf-8-sig", errors="replace")):
                return (f"{path} has changed since it was imported, and is not read any "
                        "more: the registry's site settings are used. An administrator "
                        "changes them in Administration > Site settings (or imports the "
                        "file with nkscreen site import).")
            return None
        count = self.import_file("site.json import (before accounts)", path, SINCE_ALWAYS,
                                 backdated_because="the previous release's site.json, in "
                                 "force for every result as it was")
        return f"{path} was imported into the registry ({count} upper limits of normal)."


def _backdating(effective_from: date, reason: str, today: date) -> str:
    """The backdating reason to audit ("" for a date after today); ``SiteSettingError``
    for a date of today or earlier without one."""
    reason = " ".join(reason.split())
    if effective_from > today:
        return ""
    if not reason:
        raise SiteSettingError(
            f"ULN in force from {effective_from.isoformat()}: a ULN holds by day, so from "
            f"{'today' if effective_from == today else 'that day'} on it would change the "
            "ULN of results already taken. Choose a date after today, or give the reason "
            "for backdating it (it is kept in the audit trail).")
    return reason


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _uln_entry(code: str, value: str, unit: str,
               effective_from: date) -> tuple[str, str, str, date]:
    if code not in CODES or not CODES[code].carries_uln:
        raise SiteSettingError(f"ULN: {code!r} is not an observation with an upper limit "
                               "of normal.")
    try:
        unit = normalise_unit(code, unit or CODES[code].canonical)
        number = parse_decimal(value.strip(), exponent=False)
    except UnitError as exc:
        raise SiteSettingError(f"ULN {code} unit: {exc}") from None
    except NumberTextError:
        raise SiteSettingError(f"ULN {code}: {value!r} is not a number.") from None
    problem = check_uln(code, number, unit)
    if problem:
        raise SiteSettingError(f"ULN {code}: {problem}")
    return code, value.strip(), unit, effective_from


def _checked(key: str, value: Any) -> Any:
    """``value`` as stored for ``key``; ``SiteSettingError`` naming the setting."""
    if key == "site_name":
        text = " ".join(str(value).split())
        if len(text) > 120:
            raise SiteSettingError("Site name: at most 120 characters.")
        return text
    if key == "time_zone":
        if value in (None, ""):
            return None
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            raise SiteSettingError(f"Time zone: {value!r} is not a time zone name such as "
                                   "Europe/Berlin or America/New_York.") from None
        return str(value)
    if key == "paper_size":
        if value not in PAPER_SIZES:
            raise SiteSettingError("Paper size: A4 or Letter.")
        return value
    if key == "idle_lock_minutes":
        return _whole(value, "Idle lock", 1, MAX_IDLE_MINUTES, "minutes")
    if key == "password_expiry_days":
        return _whole(value, "Password expiry", 0, MAX_EXPIRY_DAYS, "days (0: never)")
    if key == "mrn_characters":
        if value in (None, ""):
            return None
        try:
            MrnRules(str(value))
        except IdentifierError as exc:
            raise SiteSettingError(f"MRN characters: {exc}") from None
        return str(value)
    if key == "confirm":
        return _confirm(value)
    if key == "open_before_signature":
        if not isinstance(value, bool):
            raise SiteSettingError("Open the next stage before the investigator signs: "
                                   "yes or no.")
        return value
    if key == "backup_folder":
        return _backup_folder(value)
    if key == "backup_interval_hours":
        return _whole(value, "Backup every", 0, MAX_BACKUP_HOURS, "hours (0: never)")
    if key == "backup_keep":
        return _whole(value, "Backups kept", 1, MAX_BACKUP_KEEP, "backups")
    raise SiteSettingError(f"{key!r} is not a site setting.")


def _backup_folder(value: Any) -> str | None:
    if value in (None, ""):
        return None
    folder = Path(str(value).strip()).expanduser()
    if not folder.is_absolute():
        raise SiteSettingError(f"Backup folder: {value!r} is not a full path (such as "
                               "D:\\NK Screen backups or /media/backup/nkscreen).")
    return str(folder)


def _whole(value: Any, name: str, low: int, high: int, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SiteSettingError(f"{name}: a whole number of {unit} from {low} to {high}.")
    return value


def _confirm(value: Any) -> dict[str, dict[str, str | None]]:
    if not isinstance(value, dict):
        raise SiteSettingError("Confirm thresholds: a table by observation code.")
    out: dict[str, dict[str, str | None]] = {}
    for code, entry in value.items():
        if code not in CODES or not isinstance(entry, dict):
            raise SiteSettingError(f"Confirm thresholds: {code!r} is not an observation.")
        try:
            unit = normalise_unit(code, entry.get("unit") or CODES[code].canonical)
        except UnitError as exc:
            raise SiteSettingError(f"Confirm thresholds: {code} unit: {exc}") from None
        limits: dict[str, str | None] = {"unit": unit}
        numbers: dict[str, Fraction] = {}
        for side in ("below", "above"):
            text = entry.get(side)
            if text in (None, ""):
                limits[side] = None
                continue
            try:
                number = parse_decimal(str(text).strip(), exponent=False)
            except NumberTextError:
                raise SiteSettingError(f"Confirm thresholds: {code} {side} {text!r} is not a "
                                       "number.") from None
            problem = check_value(code, number, unit)
            if problem:
                raise SiteSettingError(f"Confirm thresholds: {code} {side}: {problem}")
            limits[side], numbers[side] = str(text).strip(), number
        if limits["below"] is None and limits["above"] is None:
            continue
        if "below" in numbers and "above" in numbers and numbers["below"] >= numbers["above"]:
            raise SiteSettingError(f"Confirm thresholds: {code}: 'confirm below' must be "
                                   "less than 'confirm above'.")
        out[code] = limits
    return out


def registry_site(data_dir: Path) -> SiteValues | None:
    """The site settings of the registry in ``data_dir``, read-only with the stdlib
    ``sqlite3`` (no SQLAlchemy: the command line's ``evaluate --data-dir``); None where
    there is no registry yet. ``SiteSettingError`` if the file cannot be read."""
    import sqlite3

    from desktop.registry.database import DB_FILENAME
    from desktop.registry.site_reading import open_read_only

    db = data_dir / DB_FILENAME
    if not db.is_file():
        return None
    try:
        conn = open_read_only(db)
        try:
            return read_site(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if "no such table" in str(exc):  # a registry from before site settings: none
            return None
        raise SiteSettingError(f"the registry {db} cannot be read ({exc})") from None


def import_into(data_dir: Path, path: Path, effective_from: date,
                credentials: Callable[[], tuple[str, str]] | None,
                backdated_because: str = "") -> tuple[int, Path]:
    """``nkscreen site import``: open the registry in ``data_dir``, check the
    administrator (``credentials()`` gives user id and password; not needed before the
    registry has accounts), import ``path``. (ULN count, registry file)."""
    from desktop.registry.database import open_registry
    from desktop.services.accounts import AccountService

    registry = open_registry(data_dir)
    try:
        accounts = AccountService(registry)
        if accounts.needs_first_admin():
            actor = "site import (before accounts)"
        else:
            if credentials is None:
                raise NotPermitted("the registry has accounts: an administrator's user id "
                                   "and password are needed")
            user_id, password = credentials()
            who = accounts.login(user_id, password, action="cli.login")
            need(who, Permission.ADMINISTER)
            actor = who.user_id
        return SiteSettingsService(registry).import_file(
            actor, path, effective_from, backdated_because=backdated_because), registry.path
    finally:
        registry.close()
