"""The headless commands' records and answers: reading RECORD or ``--jsonl FILE`` (at
most 10 MB of UTF-8 per record), one record per line in and one JSON answer per line out
(a bad line answered ``{"line": N, "error": ...}``), and the one stderr line the screening
contract allows (``one_line``). No Qt, no database; imports stay inside the functions
that need them, as in :mod:`desktop.cli`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from typing import Any

BAD_INPUT = 2


class BadInput(Exception):
    """Bad input: its message is the stderr line, and the exit status is 2."""


#: The longest line written to stderr, in characters (the contract's limit).
MAX_MESSAGE = 300


def one_line(message: str) -> str:
    """``nkscreen: message`` escaped to a single line of at most ``MAX_MESSAGE`` characters."""
    from desktop.domain.text_safety import escape

    line = escape(f"nkscreen: {message}", backslash=False)
    if len(line) > MAX_MESSAGE:
        line = line[: MAX_MESSAGE - 3] + "..."
    return line


def emit(payload: Any) -> int:
    data = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    sys.stdout.buffer.write(data.encode("utf-8"))
    sys.stdout.flush()
    return 0


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes" if moment.second == 0 else "seconds")


def run_zone() -> tzinfo:
    """The site's zone, once per run (after the site's ULN table is read, which may set
    it): reading the zone file for every record of a ``--jsonl`` run cost more than its
    evaluation."""
    from desktop.zone import site_zone

    return site_zone()


def parsed(data: Any, zone: tzinfo) -> Any:
    """The engine's record from a record's JSON data, as of now in ``zone``."""
    from desktop.domain.record import parse_record

    return parse_record(data, now=datetime.now(), zone=zone)


def run_records(args: argparse.Namespace, one: Callable[[Any], Any]) -> int:
    """One record (RECORD) or many (``--jsonl``); each RecordError is bad input."""
    from desktop.domain.record import RecordError
    from desktop.domain.record_json import load_record_json

    if (args.record is None) == (args.jsonl is None):
        raise BadInput("RECORD: give one record (a path, or - for standard input) or "
                       "--jsonl FILE, not both and not neither")
    if args.jsonl is None:
        text = read_text(args.record, "RECORD")
        try:
            return emit(one(load_record_json(text)))
        except RecordError as exc:
            raise BadInput(f"{exc.field}: {exc.message}") from None
    all_good = True
    out = sys.stdout.buffer
    for number, line in read_lines(args.jsonl):
        if line is not None and not line.strip():
            continue
        try:
            if line is None:
                raise RecordError("RECORD", "this line is not UTF-8 text")
            payload: Any = one(load_record_json(line))
        except RecordError as exc:
            all_good = False
            payload = {"line": number, "error": one_line(f"{exc.field}: {exc.message}")}
        except Exception as exc:
            all_good = False
            payload = {"line": number,
                       "error": one_line(f"internal error: {type(exc).__name__}: {exc}")}
        out.write((json.dumps(payload, ensure_ascii=False) + "\n").encode("utf-8"))
    sys.stdout.flush()
    return 0 if all_good else BAD_INPUT


def quote_value(value: object) -> str:
    from desktop.domain.text_safety import quote

    return quote(value)


def read_text(source: str, name: str) -> str:
    """The record's text: at most 10 MB of UTF-8 from a file or standard input."""
    from desktop.domain.record_json import MAX_BYTES

    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            with open(source, "rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BadInput(f"{name}: cannot read {quote_value(source)}: {reason}") from None
    if len(raw) > MAX_BYTES:
        raise BadInput(f"{name}: {quote_value(source)} is larger than 10 MB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{name}: {quote_value(source)} is not UTF-8 text") from None


def read_lines(source: str) -> Iterator[tuple[int, str | None]]:
    """``(line number, text)`` of a JSON Lines file; None for a line that is not UTF-8."""
    try:
        handle = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BadInput(f"--jsonl: cannot read {quote_value(source)}: {reason}") from None
    try:
        for number, raw in enumerate(handle, start=1):
            text: str | None
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                text = None
            yield number, text
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
