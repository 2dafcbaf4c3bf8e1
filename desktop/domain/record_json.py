"""Reading a RECORD's JSON text strictly, as the screening contract's "Reading the record".

One JSON object; a key repeated in any object, nesting deeper than 20 levels, ``NaN`` or
``Infinity`` are bad input naming the field (``answers.hiv``, ``observations[3].value``).
Numbers stay as their text (:class:`JsonNumber`) so the record parser converts them
exactly. Pure: the caller reads the bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from desktop.domain.numbers import JsonNumber
from desktop.domain.record import RecordError
from desktop.domain.text_safety import cut, key

MAX_DEPTH = 20
#: Largest record accepted, in bytes of UTF-8.
MAX_BYTES = 10 * 1024 * 1024

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class _Duplicate(dict[str, Any]):
    """An object in which ``repeated`` appeared more than once (found after parsing)."""

    repeated: str = ""


class _Constant:
    """``NaN``, ``Infinity`` or ``-Infinity``: kept so the error can name its field."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            dup = _Duplicate(out)
            dup.repeated = name
            return dup
        out[name] = value
    return out


def _too_deep(text: str) -> bool:
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _path(parent: str, name: object) -> str:
    if isinstance(name, int):
        return f"{parent}[{name}]"
    return f"{parent}.{key(name)}" if parent else key(name)


def _any_problem(value: Any) -> bool:
    """Whether a repeated key or a non-finite constant is anywhere in ``value`` (a walk
    without the field names, which only a problem needs)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is _Duplicate or kind is _Constant:
            return True
    return False


def _find_problem(value: Any, where: str) -> RecordError | None:
    """The first repeated key or non-finite constant, depth first, in document order."""
    if not _any_problem(value):
        return None
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, _Duplicate):
            return RecordError(_path(at, item.repeated) if at != "RECORD"
                               else key(item.repeated),
                               "is repeated: each key may appear only once")
        if isinstance(item, _Constant):
            return RecordError(at, f"{item.text} is not a finite number")
        if isinstance(item, dict):
            children = [(v, _path("" if at == "RECORD" else at, k)) for k, v in item.items()]
        elif isinstance(item, list):
            children = [(v, f"{at}[{i}]") for i, v in enumerate(item)]
        else:
            continue
        stack.extend(reversed(children))
    return None


def load_record_json(text: str) -> Any:
    """The JSON value of ``text``; :class:`RecordError` (field ``record``...) when bad."""
    if len(text) > MAX_BYTES:
        raise RecordError("RECORD", f"is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if _too_deep(text):
        raise RecordError("RECORD", f"nests deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_float=JsonNumber,
                          parse_int=JsonNumber, parse_constant=_Constant)
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise RecordError("RECORD", f"nests deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise RecordError("RECORD", f"is not valid JSON: {cut(exc.msg, 80)} at line "
                                    f"{exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise RecordError("RECORD", f"is not valid JSON: {cut(str(exc), 80)}") from None
    problem = _find_problem(data, "RECORD")
    if problem is not None:
        raise problem
    return data
