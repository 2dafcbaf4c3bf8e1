"""``nkscreen site import FILE``: a site settings file into the registry, headless.

The registry holds the site's settings; a file in the previous release's ``site.json``
shape is imported. Its ULNs hold from ``--effective-from`` (default tomorrow: ULNs hold
by day, and tomorrow is the first day that changes no result already taken; a date of
today or earlier needs ``--backdated-because``, kept in the audit). Once the registry has
accounts, an administrator's user id (``--user``) and password (asked on the terminal,
never on the command line) are required, and the import is audited under their name.
No Qt is imported here.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any


class SiteCommandError(Exception):
    """Bad input for ``site``: the message names the field."""


def add_site_command(sub: Any) -> None:
    """Add ``site`` to the command line's subcommands (``sub``: argparse's subparsers)."""
    site = sub.add_parser("site", help="site settings: import a site file into the registry")
    actions = site.add_subparsers(dest="site_command", metavar="ACTION")
    imp = actions.add_parser("import", help="import a site.json file (ULNs, confirm "
                                            "thresholds, MRN characters)")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--effective-from", metavar="YYYY-MM-DD",
                     help="the date the file's ULNs take effect (default: tomorrow, the "
                          "first day that changes no result already taken)")
    imp.add_argument("--backdated-because", metavar="REASON", default="",
                     help="why the ULNs hold from today or earlier (required then; audited)")
    imp.add_argument("--user", metavar="USER_ID",
                     help="an administrator's user id (the password is asked for)")


def run_site(args: argparse.Namespace, data_dir: Path) -> str:
    """Run ``site import``; the line to print. Raises ``SiteCommandError``."""
    if args.site_command != "import":
        raise SiteCommandError("ACTION: give one: import (see nkscreen site --help)")
    try:
        effective = date.fromisoformat(args.effective_from) if args.effective_from \
            else date.today() + timedelta(days=1)
    except ValueError:
        raise SiteCommandError(f"--effective-from: {args.effective_from!r} is not a date "
                               "(YYYY-MM-DD)") from None
    from desktop.services.rows import RegistryError
    from desktop.services.site_settings import import_into

    credentials = None
    if args.user:
        user_id = str(args.user)

        def credentials() -> tuple[str, str]:
            return user_id, _password(user_id)

    try:
        count, where = import_into(data_dir, Path(args.file), effective, credentials,
                                   args.backdated_because)
    except RegistryError as exc:
        field = "--user" if not args.user or "password" in str(exc) or "account" in str(exc) \
            else "FILE"
        raise SiteCommandError(f"{field}: {exc}") from None
    return (f"imported {args.file}: {count} upper limits of normal in force from "
            f"{effective.isoformat()}, into {where}")


def _password(user_id: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(f"Password for {user_id}: ")
    return sys.stdin.readline().rstrip("\n")  # piped (scripts, tests): the first line
