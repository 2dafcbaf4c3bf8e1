"""``nkscreen worksheet``, ``worksheets``, ``screening-log``, ``delegation-log`` and
``archive``: documents for the binder and the inspector, headless, through the services
only (no Qt, no database layer here).

Each is an export, so it names the person who made it: ``--user`` and the password from
the terminal (or the first line of standard input, ``--password-stdin``), never from the
command line; the login and the export are audited. The answer is a JSON summary on
stdout (file, document id, SHA-256); exit 0 written, 1 refused (one line on stderr saying
why, no file written), 2 bad usage.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from desktop.cli_backup import BackupUsage, Refused, login_of

COMMANDS = ("worksheet", "worksheets", "screening-log", "delegation-log", "archive")


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
    archive = sub.add_parser("archive", help="write a complete copy of one patient's or one "
                                             "trial's records for inspection, as ZIP: signed "
                                             "worksheets, data and audit trail as CSV, "
                                             "certificates, trial files, manifest (JSON "
                                             "summary)")
    archive.add_argument("--patient", metavar="MRN", help="the patient's records")
    archive.add_argument("--trial", metavar="NCT_ID",
                         help="the records of every patient screened for the trial")
    for command, kinds in ((worksheet, "FILE.pdf"), (log, "FILE.pdf or FILE.csv"),
                           (delegation, "FILE.pdf or FILE.csv"), (archive, "FILE.zip")):
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
    allowed = {"worksheet": (".pdf",), "archive": (".zip",)}.get(args.command,
                                                                 (".pdf", ".csv"))
    if suffix not in allowed:
        raise BackupUsage(f"-o {args.output}: the file must end in "
                          f"{' or '.join(allowed)}")
    if not target.parent.is_dir():
        raise BackupUsage(f"-o {args.output}: there is no folder {target.parent}")
    scope = _scope(args) if args.command == "archive" else None
    credentials = login_of(args)
    try:
        if scope is not None:
            from desktop.services.archive import archive_command

            return archive_command(data_dir, scope, target, credentials)
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


def _scope(args: argparse.Namespace) -> Any:
    from desktop.services.archive import Scope

    if (args.patient is None) == (args.trial is None):
        raise BackupUsage("archive: give exactly one of --patient MRN or --trial NCT_ID")
    if args.trial is not None:
        if re.fullmatch(r"NCT[0-9]{8}", args.trial) is None:
            raise BackupUsage(f"--trial {args.trial!r}: an NCT id is NCT and 8 digits")
        return Scope(trial_id=args.trial)
    if not args.patient.strip():
        raise BackupUsage("--patient: give the patient's MRN")
    return Scope(mrn=args.patient)


def _trial(nct_id: str) -> Any:
    from desktop.library import TrialFileError, UnknownTrial, find_trial

    try:
        return find_trial(nct_id)
    except (UnknownTrial, TrialFileError) as exc:
        raise BackupUsage(str(exc)) from None
