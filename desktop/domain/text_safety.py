"""Quoting what a person typed or a file held, safely, for one-line messages.

Every error message quotes bad input; a key of 50 MB or one holding a line break must
not become a 50 MB or two-line message. ``quote`` escapes control characters and line
breaks and cuts long text with ``...``. ``spreadsheet_cell`` makes a CSV cell that a
spreadsheet will not run as a formula (every CSV export uses it).
"""

from __future__ import annotations

import re
from typing import Any

_NEEDS_ESCAPE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b\u200e\u200f\ufeff\ud800-\udfff]")

#: Longest quoted text, in characters, before it is cut with "...".
MAX_QUOTED = 60


def escape(text: str, backslash: bool = True) -> str:
    """Control characters, line and paragraph separators as escapes; the rest as is.

    ``backslash=False`` leaves backslashes alone, for a message whose quoted parts were
    escaped already (escaping twice would show ``\\\\n`` for a line break).
    """
    if not _NEEDS_ESCAPE.search(text) and (not backslash or "\\" not in text):
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\\" and backslash:
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or 0x7F <= code < 0xA0 or code in (0x2028, 0x2029, 0x85) \
                or 0xD800 <= code < 0xE000 or code in (0x200B, 0x200E, 0x200F, 0xFEFF):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def cut(text: str, limit: int = MAX_QUOTED) -> str:
    """``text`` escaped and cut to about ``limit`` characters with ``...``."""
    head = text[: limit + 1]
    shown = escape(head)
    if len(text) > limit or len(shown) > limit:
        return escape(text[:limit])[:limit] + "..."
    return shown


def quote(value: Any, limit: int = MAX_QUOTED) -> str:
    """A value for a message: strings in quotes, escaped and cut; other values their repr."""
    if isinstance(value, str):
        return f"'{cut(value, limit)}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return cut(repr(value), limit)


def key(name: object) -> str:
    """A key of a record as it appears in a field path (``answers.<key>``); ``""`` shown."""
    if name == "":
        return '""'
    return cut(name if isinstance(name, str) else repr(name), 40)


#: What a spreadsheet may take as the start of a formula (or, for tab and carriage
#: return, a cell break that hides one): OWASP's "CSV injection" list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(text: str) -> str:
    """``text`` for a CSV cell a spreadsheet will not run as a formula: one beginning
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
