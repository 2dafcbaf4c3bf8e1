"""The ``nkscreen`` command: the desktop app, and the headless screening contract.

``nkscreen`` alone starts the app. ``trials``, ``criteria``, ``evaluate`` and
``prescreen`` are the headless commands fixed by the screening contract: JSON on stdout
and exit 0, or one line on stderr naming the offending field and exit 2. They never import Qt, the
database layer or ReportLab; imports here stay inside the functions that need them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from desktop import __version__
from desktop.cli_records import (
    BAD_INPUT,
    BadInput,
    emit,
    iso,
    one_line,
    parsed,
    quote_value,
    run_records,
    run_zone,
)

FAILURE = 1


class _Usage(Exception):
    pass


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, as wide as ``shutil.get_terminal_size`` says, found
    without importing :mod:`shutil` (and the compression modules it brings, ~2 ms): every
    ``add_argument`` makes a formatter, and most runs never print help."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _terminal_columns() - 2 if width is None else width)


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: ``COLUMNS``, else the terminal's, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):  # no stdout, or not a terminal
        return 80


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise _Usage(message)


#: The screening contract's commands: asked for one of them, the parser is built without
#: the other commands (their modules and arguments cost start-up time the contract's
#: commands never need).
_CONTRACT_COMMANDS = frozenset({"trials", "criteria", "evaluate", "prescreen"})


def _command_word(argv: list[str]) -> str | None:
    """The command ``argv`` names, read as argparse would; None where anything before it
    is not one of the top-level options spelt out in full (argparse decides then)."""
    tokens = iter(argv)
    for token in tokens:
        if token in ("--smoke", "--demo") or token.startswith("--data-dir="):
            continue
        if token == "--data-dir":
            next(tokens, None)
            continue
        return None if token.startswith("-") else token
    return None


def _parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; for one of the contract's commands in ``argv``, the
    parser of those commands alone (which reads that command's arguments the same)."""
    parser = _Parser(prog="nkscreen", description="NK Screen: eligibility screening for "
                     "NK-cell therapy trials. Without a command, opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"nkscreen {__version__}")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="registry folder (default: $NKSCREEN_HOME, else the user data folder)")
    parser.add_argument("--smoke", action="store_true",
                        help="open the main window, wait for the first paint, exit 0")
    parser.add_argument("--demo", action="store_true",
                        help="open the demo: a registry of its own with fictional patients "
                        "and one account per role (without --data-dir, a 'demo' folder "
                        "inside the data folder; never a site's registry)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("trials", help="list the trial library (JSON)")
    crit = sub.add_parser("criteria", help="one stage's criteria (JSON)")
    crit.add_argument("trial", metavar="NCT_ID")
    crit.add_argument("--stage", required=True)
    ev = sub.add_parser("evaluate", help="evaluate a patient record at one stage (JSON)")
    ev.add_argument("trial", metavar="NCT_ID")
    ev.add_argument("--stage", required=True)
    _record_source(ev)
    pre = sub.add_parser("prescreen", help="a patient record against every trial's first "
                                           "stage (JSON)")
    _record_source(pre)
    for command in (ev, pre):
        command.add_argument("--site", metavar="FILE",
                             help="a site file (site.json shape) whose ULN table is used, "
                                  "for records screened outside any registry (default: "
                                  "the registry's ULN table in the data folder)")
    if argv is not None and _command_word(argv) in _CONTRACT_COMMANDS:
        return parser
    from desktop.cli_site import add_site_command

    add_site_command(sub)
    from desktop.cli_audit import add_audit_command
    from desktop.cli_backup import add_backup_commands
    from desktop.cli_documents import add_document_commands
    from desktop.cli_verify import add_verify_command

    for add in (add_audit_command, add_backup_commands, add_document_commands,
                add_verify_command):
        add(sub)
    return parser


def _record_source(command: argparse.ArgumentParser) -> None:
    # RECORD or --jsonl FILE, exactly one (checked in _run_records: argparse's mutually
    # exclusive groups mis-handle an optional positional after another positional).
    command.add_argument("record", metavar="RECORD", nargs="?",
                         help="a JSON file, or - for standard input")
    command.add_argument("--jsonl", metavar="FILE",
                         help="one record per line (JSON Lines), a path or - for standard "
                              "input")


def main(argv: list[str] | None = None,
         app: Callable[[argparse.Namespace], int] | None = None) -> int:
    """Run the command in ``argv``; without one, ``app`` opens the desktop app.

    ``app`` is given by :mod:`desktop.launcher` (the ``nkscreen`` entry point): this
    module never imports Qt.
    """
    try:
        words = sys.argv[1:] if argv is None else list(argv)
        args, extra = _parser(words).parse_known_args(words)
        # argparse gives an optional positional (RECORD) nothing when it follows another
        # positional and an option (NCT_ID --stage S RECORD): pick it up here.
        if (extra and getattr(args, "record", "set") is None and len(extra) == 1
                and (extra[0] == "-" or not extra[0].startswith("-"))):
            args.record = extra.pop()
        if extra:
            raise _Usage(f"unrecognized arguments: {' '.join(extra)}")
    except _Usage as exc:
        return _fail(f"{exc} (see nkscreen --help)", BAD_INPUT)
    if args.command is None:
        if app is None:
            return _fail("give a command: trials, criteria, evaluate, prescreen or site "
                         "(see nkscreen --help)", BAD_INPUT)
        return app(args)
    if args.demo and not getattr(args, "data_dir", None):
        # A command with --demo works on the demo's registry, as the app does: never
        # silently on the site's.
        from desktop.paths import resolve_data_dir

        args.data_dir = str(resolve_data_dir(None) / "demo")
    try:
        return _headless(args)
    except BadInput as exc:
        return _fail(str(exc), BAD_INPUT)
    except _Broken as exc:  # a broken install is bad input too: never an empty answer
        return _fail(str(exc), BAD_INPUT)
    except Exception as exc:
        return _fail(f"internal error: {type(exc).__name__}: {exc}", FAILURE)


class _Broken(Exception):
    """The installation, not the input: a trial library or site file that cannot be used."""


def fail(message: str, code: int) -> int:
    """Write ``message`` as the one stderr line the contract allows; return ``code``."""
    return _fail(message, code)


def _fail(message: str, code: int) -> int:
    sys.stderr.write(one_line(message) + "\n")
    return code


_NCT_ID = re.compile(r"NCT[0-9]{8}")


#: Commands on a registry with a login: (module, function) answering a JSON summary and
#: raising ``BackupUsage`` (exit 2) or ``Refused`` (exit 1).
_REGISTRY_COMMANDS = {
    "backup": ("desktop.cli_backup", "run_backup"),
    "restore": ("desktop.cli_backup", "run_backup"),
    "worksheet": ("desktop.cli_documents", "run_documents"),
    "worksheets": ("desktop.cli_documents", "run_documents"),
    "screening-log": ("desktop.cli_documents", "run_documents"),
    "delegation-log": ("desktop.cli_documents", "run_documents"),
    "archive": ("desktop.cli_documents", "run_documents"),
}


def _registry_command(args: argparse.Namespace, module: str, name: str) -> int:
    from importlib import import_module

    from desktop.cli_backup import BackupUsage, Refused
    from desktop.paths import resolve_data_dir

    run = getattr(import_module(module), name)
    try:
        return emit(run(args, resolve_data_dir(args.data_dir)))
    except BackupUsage as exc:
        raise BadInput(str(exc)) from None
    except Refused as exc:
        return _fail(str(exc), FAILURE)


def _headless(args: argparse.Namespace) -> int:
    # pydantic looks for third-party plugins by scanning every installed package's
    # metadata (~65 ms); the headless path has none and must start fast.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    if args.command == "audit":
        from desktop.cli_audit import AuditUsage, run_audit

        try:
            summary, problem = run_audit(args)
        except AuditUsage as exc:
            raise BadInput(str(exc)) from None
        if summary is not None:
            emit(summary)
        return 0 if problem is None else _fail(problem, FAILURE)
    if args.command == "site":
        from desktop.cli_site import SiteCommandError, run_site
        from desktop.paths import resolve_data_dir

        try:
            print(run_site(args, resolve_data_dir(args.data_dir)), flush=True)
        except SiteCommandError as exc:
            raise BadInput(str(exc)) from None
        return 0
    if args.command in _REGISTRY_COMMANDS:
        return _registry_command(args, *_REGISTRY_COMMANDS[args.command])
    if args.command == "verify":
        from desktop.cli_verify import run_verify
        from desktop.services.verification import VerifyUsage

        try:
            summary, code = run_verify(args)
        except VerifyUsage as exc:
            raise BadInput(str(exc)) from None
        emit(summary)
        return code
    from desktop.library import TrialFileError, UnknownTrial, find_trial, load_library

    try:
        if args.command in ("trials", "prescreen"):
            library = load_library(cached=True)
            if not library:
                raise _Broken("trial library: no trial files found (is the installation "
                              "complete?)")
            if args.command == "prescreen":
                return _prescreen(args, library)
            return emit([
                {"id": t.id, "title": t.title, "protocol_version": t.protocol_version,
                 "stages": t.stage_ids}
                for t in library
            ])
        if not isinstance(args.trial, str) or not _NCT_ID.fullmatch(args.trial):
            raise BadInput(f"NCT_ID: {quote_value(args.trial)} is not an NCT number "
                            "(NCT and 8 digits, e.g. NCT06152809)")
        trial = find_trial(args.trial, cached=True)
    except UnknownTrial as exc:
        raise BadInput(f"NCT_ID: {exc}") from None
    except TrialFileError as exc:
        raise _Broken(f"trial library: {exc}") from None

    from desktop.domain.engine import UnknownStage, get_stage, inputs

    try:
        stage = get_stage(trial, args.stage)
    except UnknownStage as exc:
        raise BadInput(f"--stage: {exc}") from None
    if args.command == "criteria":
        return emit([
            {"id": c.id, "kind": c.kind, "text": c.text, "attested": c.attested,
             "inputs": inputs(c, stage)}
            for c in stage.criteria
        ])

    from desktop.domain.engine import evaluate

    site_uln = _site_uln(args)
    zone = run_zone()

    def one(data: Any) -> Any:
        record = parsed(data, zone)
        verdict = evaluate(trial, stage.id, record, site_uln)
        return verdict.as_json() | {"as_of": iso(record.as_of)}

    return run_records(args, one)


def _prescreen(args: argparse.Namespace, library: list[Any]) -> int:
    from desktop.domain.prescreen import prescreen

    site_uln = _site_uln(args)
    zone = run_zone()

    def one(data: Any) -> Any:
        record = parsed(data, zone)
        return [entry.as_json() | {"as_of": iso(record.as_of)}
                for entry in prescreen(library, record, site_uln)]

    return run_records(args, one)


def _site_uln(args: argparse.Namespace) -> Any:
    """``--site FILE``'s ULN table, else the registry's dated one (read-only, with the
    stdlib ``sqlite3``), else none."""
    from pathlib import Path

    from desktop.paths import resolve_data_dir

    if args.site:
        from desktop.site import SiteError, parse_site, read_site_path

        path = Path(args.site)
        try:
            return parse_site(read_site_path(path), path.name)
        except SiteError as exc:
            raise BadInput(f"--site: {exc}") from None
    from desktop.services.site_values import has_registry

    data_dir = resolve_data_dir(args.data_dir)
    if not has_registry(data_dir):  # checked first: the settings service is a large import
        return {}
    from desktop.services.site_settings import SiteSettingError, registry_site
    from desktop.zone import use_site_zone

    try:
        site = registry_site(data_dir)
    except SiteSettingError as exc:
        raise BadInput(f"--data-dir: {exc}") from None
    if site is None:
        return {}
    if site.time_zone:  # the registry's zone, unless TZ says otherwise
        use_site_zone(site.time_zone)
    return site.uln


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
