"""The ``nkscreen`` command: the desktop app, and the headless screening contract.

``nkscreen`` alone starts the app. ``trials``, ``criteria`` and ``evaluate`` are the
headless commands fixed by the screening contract: JSON on stdout and exit 0, or one
line on stderr naming the offending field and exit 2. They never import Qt, the
database layer or ReportLab; imports here stay inside the functions that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from desktop import __version__

BAD_INPUT = 2
FAILURE = 1


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Usage(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nkscreen", description="NK Screen: eligibility screening for "
                     "NK-cell therapy trials. Without a command, opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"nkscreen {__version__}")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="registry folder (default: $NKSCREEN_HOME, else the user data folder)")
    parser.add_argument("--smoke", action="store_true",
                        help="open the main window, wait for the first paint, exit 0")
    parser.add_argument("--demo", action="store_true",
                        help="add clearly fictional demo patients to the registry")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("trials", help="list the trial library (JSON)")
    crit = sub.add_parser("criteria", help="one stage's criteria (JSON)")
    crit.add_argument("trial", metavar="NCT_ID")
    crit.add_argument("--stage", required=True)
    ev = sub.add_parser("evaluate", help="evaluate a patient record at one stage (JSON)")
    ev.add_argument("trial", metavar="NCT_ID")
    ev.add_argument("--stage", required=True)
    ev.add_argument("record", metavar="RECORD", help="a JSON file, or - for standard input")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except _Usage as exc:
        return _fail(f"{exc} (see nkscreen --help)", BAD_INPUT)
    if args.command is None:
        return _gui(args)
    try:
        return _headless(args)
    except _BadInput as exc:
        return _fail(str(exc), BAD_INPUT)
    except Exception as exc:
        return _fail(f"internal error: {type(exc).__name__}: {exc}", FAILURE)


class _BadInput(Exception):
    pass


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"nkscreen: {message}\n")
    return code


def _emit(payload: Any) -> int:
    data = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    sys.stdout.buffer.write(data.encode("utf-8"))
    sys.stdout.flush()
    return 0


def _no_display() -> bool:
    """On Linux without X11 or Wayland, Qt would abort with a plugin error."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _gui(args: argparse.Namespace) -> int:
    if _no_display():
        if not args.smoke:
            return _fail("no graphical display (DISPLAY or WAYLAND_DISPLAY is not set): "
                         "start NK Screen from the desktop session; the headless commands "
                         "(trials, criteria, evaluate) work without one", FAILURE)
        # A smoke check of an install or bundle on a machine without a screen.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from desktop.paths import resolve_data_dir
    from desktop.ui.app import run_gui

    return run_gui(resolve_data_dir(args.data_dir), smoke=args.smoke, demo=args.demo)


def _headless(args: argparse.Namespace) -> int:
    # pydantic looks for third-party plugins by scanning every installed package's
    # metadata (~65 ms); the headless path has none and must start fast.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    from desktop.library import TrialFileError, UnknownTrial, find_trial, load_library

    try:
        if args.command == "trials":
            return _emit([
                {"id": t.id, "title": t.title, "protocol_version": t.protocol_version,
                 "stages": t.stage_ids}
                for t in load_library()
            ])
        trial = find_trial(args.trial)
    except UnknownTrial as exc:
        raise _BadInput(f"NCT_ID: {exc}") from None
    except TrialFileError as exc:
        return _fail(f"trial library: {exc}", FAILURE)

    from desktop.domain.engine import UnknownStage, evaluate, get_stage, inputs

    try:
        stage = get_stage(trial, args.stage)
    except UnknownStage as exc:
        raise _BadInput(f"--stage: {exc}") from None
    if args.command == "criteria":
        return _emit([
            {"id": c.id, "kind": c.kind, "text": c.text, "attested": c.attested,
             "inputs": inputs(c, stage)}
            for c in stage.criteria
        ])

    from desktop.domain.record import RecordError, parse_record
    from desktop.paths import resolve_data_dir
    from desktop.site import SiteError, load_site_uln

    data = _read_record(args.record)
    try:
        record = parse_record(data, now=datetime.now())
        site_uln = load_site_uln(resolve_data_dir(args.data_dir))
        verdict = evaluate(trial, stage.id, record, site_uln)
    except RecordError as exc:
        raise _BadInput(f"{exc.field}: {exc.message}") from None
    except SiteError as exc:
        return _fail(f"site settings: {exc}", FAILURE)
    return _emit(verdict.as_json())


def _read_record(source: str) -> Any:
    try:
        if source == "-":
            text = sys.stdin.buffer.read().decode("utf-8")
            name = "standard input"
        else:
            text = Path(source).read_text(encoding="utf-8")
            name = source
    except OSError as exc:
        raise _BadInput(f"RECORD: cannot read {source}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise _BadInput(f"RECORD: {source} is not UTF-8 text") from None

    def no_constants(token: str) -> Any:
        raise ValueError(f"{token} is not allowed in a record")

    try:
        return json.loads(text, parse_constant=no_constants)
    except ValueError as exc:
        raise _BadInput(f"RECORD: {name} is not valid JSON ({exc})") from None


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
