"""What a patient search matches: the words of the names and the parts of the MRN.

A coordinator types what they see on a wristband or a referral letter: the start of any
word of a name ("Bob" for "Anna Bob", "lindqvist" for "Åberg-Lindqvist"), several such
starts ("Testwell, Demo", "demo testwell", in any order), or any part of the MRN
("0002" for "NKS-0002"). Names are compared without case and without accents, since a
keyboard may not have them ("aberg" finds "Åberg", and "Åberg" finds "Aberg"). An MRN is
compared without case only (its characters are what tells two MRNs apart).

A part of an MRN from its middle matches once it is ``MRN_PART_MIN`` characters long:
shorter input ("4", "02") would match most of the registry, so it matches the start of
the MRN only, as it does for the start of a name.

The registry stores what it cannot find with the key columns' own prefix indexes: the
name words that do not start the folded name (``name_words``) and the MRN's inner
suffixes (``mrn_parts``); a part of an MRN is then the start of one of its suffixes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

#: Shortest input matched inside an MRN (shorter input matches the MRN's start only).
MRN_PART_MIN: Final = 3

# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS: Final = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d",
                                 "ð": "d", "þ": "th", "ı": "i", "ħ": "h", "ŧ": "t"})
# Anything that is not a letter or digit separates words (space, hyphen, apostrophe, comma).
_SEPARATORS: Final = re.compile(r"[\W_]+")


def key(text: str) -> str:
    """The case-folded form the registry's key columns hold (``reading.search_key``)."""
    return text.strip().casefold()


def fold(text: str) -> str:
    """``text`` case-folded and without accents: "Åberg-Lindqvist" -> "aberg-lindqvist"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold().translate(_LETTERS))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def words(text: str) -> list[str]:
    """The words of ``text`` as folded, in order: "Åberg-Lindqvist" -> [aberg, lindqvist]."""
    return [word for word in _SEPARATORS.split(fold(text)) if word]


def name_words(*names: str) -> set[str]:
    """The words of ``names`` that a prefix of the name's key column does not already find.

    A word the key starts with ("smith" of "Smith-Jones") is found by the key's index;
    every other word (an inner word, or a first word written with accents) is stored."""
    stored: set[str] = set()
    for name in names:
        name_key = key(name)
        stored.update(word for word in words(name) if not name_key.startswith(word))
    return stored


def mrn_parts(mrn: str) -> set[str]:
    """The MRN's key from each inner position on, at least ``MRN_PART_MIN`` long:
    "nks-0002" -> {"ks-0002", "s-0002", "-0002", "0002", "002"}. A part of the MRN is
    the start of one of them (its very start is found by the key's own index)."""
    mrn_key = key(mrn)
    return {mrn_key[start:] for start in range(1, len(mrn_key) - MRN_PART_MIN + 1)}


@dataclass(frozen=True)
class Term:
    """One word of the search text, as each kind of stored value is compared with it."""

    #: Case-folded, for the name key columns (which keep accents).
    key: str
    #: Case-folded without accents, for the stored name words and the key columns.
    folded: str


@dataclass(frozen=True)
class Query:
    """What a search text asks for: the MRN containing ``mrn`` (its start when shorter
    than ``MRN_PART_MIN``), or names with a word starting with each of ``terms``."""

    mrn: str
    terms: tuple[Term, ...]

    @property
    def empty(self) -> bool:
        return not self.mrn

    @property
    def mrn_inside(self) -> bool:
        """Whether the MRN may contain ``mrn`` anywhere (else only at its start)."""
        return len(self.mrn) >= MRN_PART_MIN


def parse(text: str) -> Query:
    """The query a search text asks for; ``Query.empty`` for blank text (everyone).

    "Testwell, Demo" -> terms testwell and demo (family, given or the other way round:
    each word must start a word of the names). The whole text, trimmed, is also what the
    MRN must contain."""
    terms: list[Term] = []
    for word in _SEPARATORS.split(key(text)):
        if word and (folded := fold(word)):
            terms.append(Term(key=word, folded=folded))
    return Query(mrn=key(text), terms=tuple(terms))
