"""MRN problems already in a registry: patients sharing one MRN, and values breaking the rules.

The MRN and name rules (:mod:`desktop.domain.identifiers`) came after patients were
registered, so a registry may hold two patients whose MRNs differ only in case, spacing
or width (``AB 17`` and ``AB  17``: one MRN now), or an MRN with a character the rules
refuse (a zero-width space, a Cyrillic ``А``, 10,000 characters). Nothing of the kind is
changed silently: ``find_mrn_problems`` lists them for the administrator, who edits,
merges or voids (``PatientRepository``). Voided patients are left out: voiding is how a
problem is resolved.

Like :mod:`desktop.registry.reading`, this reads with the stdlib ``sqlite3`` module only,
the shared keys from ``mrn_fold``'s index, the rules in one pass over the table where a
fast check in C clears almost every row and only the rest go through the domain's
functions (100,000 patients take well under a second).
"""

from __future__ import annotations

import itertools
import operator
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final, Literal

from desktop.domain.identifiers import (
    MRN_MAX,
    NAME_MAX,
    IdentifierError,
    MrnRules,
    mrn_key,
    normalise_mrn,
    normalise_name,
)
from desktop.registry.reading import GET_SQL, PatientRow, Queryable, patient_row

#: Longest value quoted in a problem, in characters (an MRN may hold 10,000).
SHOWN_MAX: Final = 40

_ACTIVE: Final = "patient.void_reason IS NULL"
#: Every (not voided) patient's values, for the rules.
_SCAN_SQL: Final = ("SELECT patient.id, patient.mrn, patient.family_name, patient.given_name "
                    f"FROM patient WHERE {_ACTIVE} ORDER BY patient.id")
#: The patients whose folded MRN another one (not voided) has too, from the key's index.
_SHARED_SQL: Final = (
    "SELECT patient.mrn_fold, patient.id, patient.mrn FROM patient "
    f"WHERE {_ACTIVE} AND patient.mrn_fold IN (SELECT mrn_fold FROM patient "
    f"WHERE {_ACTIVE} AND mrn_fold IS NOT NULL GROUP BY mrn_fold HAVING count(*) > 1) "
    "ORDER BY patient.mrn_fold, patient.id")
_UNFOLDED_SQL: Final = (f"SELECT patient.id, patient.mrn FROM patient WHERE {_ACTIVE} "
                        "AND patient.mrn_fold IS NULL ORDER BY patient.id")
_HOLDERS_SQL: Final = (f"SELECT patient.id, patient.mrn FROM patient WHERE {_ACTIVE} "
                       "AND patient.mrn_fold = :fold")


@dataclass(frozen=True)
class MrnProblem:
    """One thing for the administrator to resolve.

    ``duplicate``: two or more patients (not voided) whose MRNs fold to one key, ``key``.
    ``rules``: one patient whose MRN or name breaks the rules as stored.
    ``message`` says which, quoting the values with invisible characters shown as escapes.
    """

    kind: Literal["duplicate", "rules"]
    message: str
    patients: tuple[PatientRow, ...]
    key: str = ""


def visible(text: str, limit: int = SHOWN_MAX, quotes: bool = True) -> str:
    """``text`` in quotes with every invisible or control character as ``\\uXXXX``, cut."""
    shown = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF
                    else f"\\U{ord(ch):08x}" for ch in text[:limit])
    more = f"... ({len(text):,} characters)" if len(text) > limit else ""
    return f"'{shown}{more}'" if quotes else f"{shown}{more}"


def _sentence(what: str, problem: str) -> str:
    return f"{what} {problem}" if problem.startswith(("is ", "contains ")) else \
        f"{what}: {problem}"


class _Checker:
    """The rules, with a fast path that never disagrees with the domain's functions.

    The fast path is one regular expression per column, applied in C: it accepts only
    values the domain keeps exactly as they are (printable ASCII in the site's set for an
    MRN, printable Latin-1 for a name, trimmed, not too long). Anything else goes through
    :func:`normalise_mrn` / :func:`normalise_name`, which say what is wrong.
    """

    #: Printable ASCII, or a Latin-1 letter: all printable, NFC and NFKC as they are.
    _NAME_CHAR = "[ -~\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]"

    def __init__(self, rules: MrnRules) -> None:
        self._rules = rules
        # The printable ASCII characters the site allows, as a class of their own.
        plain = "".join(re.escape(chr(code)) for code in range(0x20, 0x7F)
                        if rules.allowed(chr(code)))
        self.plain_mrn = re.compile(f"(?! )[{plain}]{{1,{MRN_MAX}}}(?<! )" if plain else "(?!)")
        self.plain_name = re.compile(f"(?! ){self._NAME_CHAR}{{0,{NAME_MAX}}}(?<! )")

    def mrn(self, mrn: str) -> str | None:
        """What is wrong with a stored MRN, or None."""
        try:
            kept = normalise_mrn(mrn, self._rules)
        except IdentifierError as exc:
            return _sentence(f"MRN {visible(mrn)}", str(exc))
        if kept != mrn:
            return f"MRN {visible(mrn)} is not stored as the rules keep it ({visible(kept)})"
        return None

    @staticmethod
    def name(what: str, name: str) -> str | None:
        try:
            kept = normalise_name(name)
        except IdentifierError as exc:
            return _sentence(f"the {what} {visible(name)}", str(exc))
        if kept != name:
            return f"the {what} {visible(name)} is not stored as the rules keep it"
        return None

    def problems(self, mrn: str, family_name: str, given_name: str) -> list[str]:
        found = (self.mrn(mrn), self.name("family name", family_name),
                 self.name("given name", given_name))
        return [problem for problem in found if problem]


def _suspects(rows: list[tuple[Any, ...]], checker: _Checker) -> list[tuple[Any, ...]]:
    """The rows the fast path does not clear (``rows``: id, mrn, family, given)."""
    if not rows:
        return []
    _, mrns, families, givens = zip(*rows, strict=True)
    fine = map(all, zip(map(checker.plain_mrn.fullmatch, mrns),
                        map(checker.plain_name.fullmatch, families),
                        map(checker.plain_name.fullmatch, givens), strict=True))
    return list(itertools.compress(rows, map(operator.not_, fine)))


def find_mrn_problems(conn: Queryable, rules: MrnRules) -> list[MrnProblem]:
    """Every group of patients sharing an MRN, then every patient breaking the rules.

    Patients not voided only; archived ones count (they keep their MRN).
    """
    checker = _Checker(rules)
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for fold, id_, mrn in conn.execute(_SHARED_SQL, {}):
        groups[fold].append((int(id_), mrn))
    # mrn_fold is NULL only in a row another program wrote: fold it here.
    for id_, mrn in conn.execute(_UNFOLDED_SQL, {}).fetchall():
        key = mrn_key(mrn)
        if key not in groups:
            groups[key].extend((int(i), m) for i, m in conn.execute(_HOLDERS_SQL, {"fold": key}))
        groups[key].append((int(id_), mrn))
    shared = {key: sorted(members) for key, members in groups.items() if len(members) > 1}

    broken: list[tuple[int, list[str]]] = []
    for id_, mrn, family_name, given_name in _suspects(
            conn.execute(_SCAN_SQL, {}).fetchall(), checker):
        found = checker.problems(mrn, family_name, given_name)
        if found:
            broken.append((int(id_), found))

    wanted = {id_ for members in shared.values() for id_, _ in members}
    wanted.update(id_ for id_, _ in broken)
    rows = {id_: _get(conn, id_) for id_ in sorted(wanted)}

    problems: list[MrnProblem] = []
    for key, members in sorted(shared.items(), key=lambda item: item[1][0][0]):
        spellings = list(dict.fromkeys(mrn for _, mrn in members))
        quoted = " and ".join(visible(mrn) for mrn in spellings)
        problems.append(MrnProblem(
            kind="duplicate", key=key, patients=tuple(rows[id_] for id_, _ in members),
            message=(f"{len(members)} patients share one MRN: {quoted} "
                     "(MRNs differing only in case, spacing or full-width characters are "
                     "one MRN). Merge or void the duplicate.")))
    for id_, found in broken:
        row = rows[id_]
        text = "; ".join(found)
        problems.append(MrnProblem(
            kind="rules", patients=(row,),
            message=(f"{visible(row.family_name, quotes=False)}, "
                     f"{visible(row.given_name, quotes=False)}: "
                     f"{text[0].upper()}{text[1:]}. Edit the patient to correct it, or void "
                     "the record.")))
    return problems


def _get(conn: Queryable, patient_id: int) -> PatientRow:
    (values,) = conn.execute(GET_SQL, {"id": patient_id}).fetchall()
    return patient_row(values)
