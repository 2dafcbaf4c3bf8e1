"""``nkscreen worksheet``, ``worksheets``, ``screening-log`` and ``delegation-log``:
documents for the binder, headless, through the services only (no Qt, no database layer here).

Each is an export, so it names the person who made it: ``--user`` and the password from
the terminal (or the first line of standard input, ``--password-stdin``), never from the
command line; the login and the export are audited. The answer is a JSON summary on
stdout (file, document id, SHA-256); exit 0 written, 1 refused (one line on stderr saying
why, no file written), 2 bad usage.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from desktop.cli_backup import BackupUsage, Refused, login_of

COMMANDS = ("worksheet", "worksheets", "screening-log", "delegation-log")


def add_document_commands(sub: Any) -> None:
    """Add the document commands to the command line's subcommands."""
    worksheet = sub.add_parser(
        "worksheet", help="write a stage visit's eligibility worksheet as PDF (JSON summary)")
    worksheet.add_argument("visit", metavar="VISIT_ID", help="the stage visit's number")
    worksheet.add_argument("--version", metavar="N", help="the stage version (default: "
                                                          "the current one)")
    log = sub.add_parser("screening-log", help="write a trial's subject screening log as "
                                               "PDF or CSV (JSON summary)")
    log.add_argument("trial", metavar="NCT_ID")
    log.add_argument("--sponsor-copy", action="store_true",
                     help="initials and screening numbers only: no MRN, no date of birth")
    delegation = sub.add_parser("delegation-log", help="write the delegation of authority "
                                                       "log as PDF or CSV (JSON summary)")
    listing = sub.add_parser("worksheets", help="list the digitally signed worksheets the "
                                                "registry keeps, with their signers (JSON)")
    _login_options(listing)
    for command, kinds in ((worksheet, "FILE.pdf"), (log, "FILE.pdf or FILE.csv"),
                           (delegation, "FILE.pdf or FILE.csv")):
        command.add_argument("-o", "--output", metavar="FILE", required=True,
                             help=f"the file to write ({kinds}; replaced if it exists)")
        _login_options(command)


def _login_options(command: Any) -> None:
    command.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                         help="registry folder (default: as for the app)")
    command.add_argument("--user", metavar="USER_ID",
                         help="your user id (the password is asked for)")
    command.add_argument("--password-stdin", action="store_true",
                         help="read the password from the first line of standard input")


def _number(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        raise BackupUsage(f"{option}: give a whole number from 1 (got {text!r})")
    return int(text)


def run_documents(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    """Run one document command; the summary to print. Raises ``BackupUsage`` (exit 2) or
    ``Refused`` (exit 1)."""
    from desktop.services.rows import RegistryError

    if args.command == "worksheets":
        from desktop.services.worksheets import worksheets_command

        try:
            return worksheets_command(data_dir, login_of(args))
        except RegistryError as exc:
            raise Refused(str(exc)) from None
    target = Path(args.output)
    suffix = target.suffix.lower()
    allowed = (".pdf",) if args.command == "worksheet" else (".pdf", ".csv")
    if suffix not in allowed:
        raise BackupUsage(f"-o {args.output}: the file must end in "
                          f"{' or '.join(allowed)}")
    if not target.parent.is_dir():
        raise BackupUsage(f"-o {args.output}: there is no folder {target.parent}")
    credentials = login_of(args)
    try:
        if args.command == "worksheet":
            from desktop.services.worksheets import worksheet_command

            visit = _number(args.visit, "VISIT_ID")
            assert visit is not None
            return worksheet_command(data_dir, visit, _number(args.version, "--version"),
                                     target, credentials)
        from desktop.services.logs import delegation_log_command, screening_log_command

        if args.command == "delegation-log":
            return delegation_log_command(data_dir, target, credentials)
        return screening_log_command(data_dir, _trial(args.trial), target,
                                     bool(args.sponsor_copy), credentials)
    except RegistryError as exc:
        raise Refused(str(exc)) from None


def _trial(nct_id: str) -> Any:
    from desktop.library import TrialFileError, UnknownTrial, find_trial

    try:
        return find_trial(nct_id)
    except (UnknownTrial, TrialFileError) as exc:
        raise BackupUsage(str(exc)) from None
