"""``nkscreen backup -o FILE`` and ``nkscreen restore FILE``: headless, through the backup
service only (no Qt, no database layer here).

Both are an administrator's acts: once the registry has accounts, ``--user`` names the
administrator and the password is read from the terminal (or the first line of standard
input when piped, ``--password-stdin``), never from the command line. The answer is a JSON
summary on stdout (file, SHA-256, chain head); exit 0 done, 1 refused (one line on stderr
saying why, nothing changed), 2 bad usage.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


class BackupUsage(Exception):
    """Bad usage (exit 2); the message names the option."""


class Refused(Exception):
    """The backup or restore was refused (exit 1); one sentence, nothing changed."""


def add_backup_commands(sub: Any) -> None:
    """Add ``backup`` and ``restore`` to the command line's subcommands."""
    backup = sub.add_parser("backup", help="copy the registry, while it is in use, to a "
                                           "file with a manifest beside it (JSON summary)")
    backup.add_argument("-o", "--output", metavar="FILE", required=True,
                        help="the backup file to write (must not exist yet)")
    restore = sub.add_parser("restore", help="check a backup and put it in place as the "
                                             "registry (JSON summary)")
    restore.add_argument("file", metavar="FILE", help="a backup made by nkscreen backup")
    restore.add_argument("--confirm-older", action="store_true",
                         help="restore a copy older than the registry (throws away what "
                              "came after; needs --reason)")
    restore.add_argument("--reason", metavar="TEXT", default="",
                         help="why an older copy is restored (kept in the audit trail)")
    for command in (backup, restore):
        command.add_argument("--user", metavar="USER_ID",
                             help="an administrator's user id (the password is asked for)")
        command.add_argument("--password-stdin", action="store_true",
                             help="read the password from the first line of standard input")


def run_backup(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    """Run ``backup`` or ``restore``; the summary to print. Raises ``BackupUsage`` or
    ``Refused``."""
    from desktop.services.backup import OlderBackup, backup_command, restore_command
    from desktop.services.rows import RegistryError

    reason = " ".join(str(getattr(args, "reason", "")).split()) or None
    if args.command == "restore" and args.confirm_older != bool(reason):
        raise BackupUsage("--confirm-older and --reason: give both (an older copy is "
                          "restored only with a reason) or neither")
    credentials = login_of(args)
    try:
        if args.command == "backup":
            return backup_command(data_dir, Path(args.output), credentials)
        return restore_command(data_dir, Path(args.file), credentials, reason)
    except OlderBackup as exc:
        raise Refused(f"{exc} To restore it all the same: --confirm-older --reason TEXT."
                      ) from None
    except RegistryError as exc:
        raise Refused(str(exc)) from None


def login_of(args: argparse.Namespace) -> Callable[[], tuple[str, str]] | None:
    """The login ``--user`` names, asked for when the command needs it (None: no user)."""
    if not args.user:
        return None
    user_id, piped = str(args.user), bool(args.password_stdin)

    def credentials() -> tuple[str, str]:
        return user_id, read_password(user_id, piped)

    return credentials


def read_password(user_id: str, piped: bool) -> str:
    """The password from the terminal, or the first line of standard input. An empty one
    is bad usage (no terminal to ask at, nothing piped), never a failed login."""
    if not piped and sys.stdin.isatty():
        password = getpass.getpass(f"Password for {user_id}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise BackupUsage(f"no password given for {user_id}: type it at the terminal, or "
                          "pipe it on the first line of standard input with "
                          "--password-stdin")
    return password
