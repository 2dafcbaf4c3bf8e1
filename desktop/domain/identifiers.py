"""Medical record numbers and names as a registry keeps them: one spelling, one key.

An MRN typed on two keyboards must be one MRN: ``JOSÉ-1`` composed (NFC) or decomposed
(NFD), ``AB15`` and full-width ``AB１５``, ``AB 17`` and ``AB  17``. So an MRN is
normalised to Unicode NFKC and trimmed, and its uniqueness key also folds case and runs
of inner spaces. What cannot be seen cannot be checked against a wristband: control and
zero-width characters, tabs and line breaks are refused, and so is any character outside
the site's allowed set (by default ASCII letters, digits, space, ``-``, ``/`` and ``.``),
so a Cyrillic ``А`` that looks like a Latin ``A`` is refused with its name.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass

MRN_MAX = 32
NAME_MAX = 100
#: The default allowed MRN characters, as a regular-expression character class body.
DEFAULT_MRN_CHARACTERS = r"A-Za-z0-9 \-/."
_SPACES = re.compile(r" {2,}")


class IdentifierError(ValueError):
    """An MRN or name that cannot be kept; the message names the problem for the user."""


def describe_char(ch: str) -> str:
    """``'А' (U+0410 CYRILLIC CAPITAL LETTER A)``, or the code alone for an unnamed one."""
    name = unicodedata.name(ch, "")
    shown = f"'{ch}' " if unicodedata.category(ch)[0] not in "CZ" else ""
    return f"{shown}(U+{ord(ch):04X}{' ' + name if name else ''})"


def _invisible(text: str) -> str | None:
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] == "C" or category in ("Zl", "Zp") or (category == "Zs" and ch != " "):
            return ch
    return None


@dataclass(frozen=True)
class MrnRules:
    """The site's MRN rules: the allowed characters (a regex character class body)."""

    characters: str = DEFAULT_MRN_CHARACTERS

    def __post_init__(self) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", FutureWarning)  # "[[": a set inside a set
                re.compile(f"[{self.characters}]")
        except (re.error, FutureWarning) as exc:
            raise IdentifierError(f"the site's MRN characters [{self.characters}] are not a "
                                  f"valid character set ({exc})") from None

    def allowed(self, ch: str) -> bool:
        return re.fullmatch(f"[{self.characters}]", ch) is not None


def normalise_mrn(text: str, rules: MrnRules | None = None) -> str:
    """The MRN as stored: NFKC, trimmed, checked. Raises :class:`IdentifierError`."""
    rules = rules or MrnRules()
    bad = _invisible(text.strip())
    if bad is not None:
        raise IdentifierError(f"contains an invisible or control character {describe_char(bad)}"
                              "; type the MRN again")
    mrn = unicodedata.normalize("NFKC", text).strip()
    if not mrn:
        raise IdentifierError("is required")
    bad = _invisible(mrn)
    if bad is not None:
        raise IdentifierError(f"contains an invisible or control character {describe_char(bad)}")
    if len(mrn) > MRN_MAX:
        raise IdentifierError(f"is {len(mrn)} characters long; at most {MRN_MAX}")
    for ch in mrn:
        if not rules.allowed(ch):
            raise IdentifierError(f"{describe_char(ch)} is not allowed in an MRN at this site "
                                  f"(allowed: {_allowed_words(rules)})")
    return mrn


def mrn_key(mrn: str) -> str:
    """The uniqueness key of a normalised MRN: case and runs of inner spaces folded."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", mrn).strip()).casefold()


def normalise_name(text: str, what: str = "name") -> str:
    """A person's name as stored: NFC, trimmed, no control characters, at most 100."""
    name = unicodedata.normalize("NFC", text).strip()
    bad = _invisible(name)
    if bad is not None:
        raise IdentifierError(f"contains an invisible or control character {describe_char(bad)}")
    if len(name) > NAME_MAX:
        raise IdentifierError(f"is {len(name)} characters long; at most {NAME_MAX}")
    return name


def _allowed_words(rules: MrnRules) -> str:
    if rules.characters == DEFAULT_MRN_CHARACTERS:
        return "letters A-Z, digits, space, - / ."
    return f"[{rules.characters}]"
