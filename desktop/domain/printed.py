"""Words as a person writes them on paper: µmol/L, 10⁹/L, ≥, × ULN.

The engine's reasons and the command line keep plain ASCII (the screening contract fixes
them); what is printed for a person (the worksheet, the logs) goes through ``printed``.
Only whole tokens change, so a number is never touched.
"""

from __future__ import annotations

import re
from typing import Final

#: Units as they are stored (``desktop.domain.units``) and as they are printed.
UNITS: Final[dict[str, str]] = {
    "umol/L": "µmol/L",
    "10^9/L": "10⁹/L",
    "10^3/uL": "10³/µL",
    "/uL": "/µL",
}

_OPERATORS: Final[dict[str, str]] = {">=": "≥", "<=": "≤", "!=": "≠"}
_TOKEN = re.compile(r"(?<![\w/^])(?:umol/L|10\^9/L|10\^3/uL|/uL)(?![\w/])"
                    r"|(?<=\s)(?:>=|<=|!=)(?=\s)"
                    r"|(?<=\d)\sx\s(?=ULN\b)|(?<=\s)x\s(?=ULN\b)")


def unit(text: str) -> str:
    """A stored unit as printed (``umol/L`` -> ``µmol/L``); other units as they are."""
    return UNITS.get(text, text)


def printed(text: str) -> str:
    """``text`` with units, comparison signs and ``x ULN`` as a person writes them."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in UNITS:
            return UNITS[token]
        if token in _OPERATORS:
            return _OPERATORS[token]
        return token.replace("x", "×")

    return _TOKEN.sub(swap, text)
