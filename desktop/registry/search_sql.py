"""The statements of a patient search, and the search tables they read.

What a search matches is the domain's (:mod:`desktop.domain.patient_search`): any part of
the MRN, or the start of any word of the names for each word typed. The statements use
the stdlib ``sqlite3`` module's named parameters only, so the light read path
(``desktop.registry.reading``) and the write session (``sqlalchemy.text``) share them.

Most searches are one word, and most matches are at the start of the MRN, the family or
the given name: the key columns' covering indexes answer those (``key >= :lo AND key <
:hi``), as disjoint row sets whose union is counted and ordered without reading the table.
The rest come from two tables this module keeps (migration 0010):

- ``patient_name_word``: the name words a key's prefix does not find (inner words such as
  "lindqvist" of "Åberg-Lindqvist", first words written with accents), folded;
- ``patient_mrn_part``: each MRN's key from every inner position on, so a part of the MRN
  is the start of one of them.

Both are written in the same transaction as the patient (``index_sql``), by every write
of a patient's MRN or names: ``PatientRepository.add``/``update``, the bulk demo data, and
migration 0010 for the patients already there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Final

from desktop.domain.patient_search import Query, mrn_parts, name_words, parse

# Greater than any character SQLite will meet in a key: "key < prefix + MAX" bounds a prefix.
MAX_CHAR: Final = "\U0010ffff"

ACTIVE: Final = "patient.archived = 0"
ORDER: Final = "patient.family_key, patient.given_key, patient.mrn_key"

#: Removing a patient's stored word or MRN part (parameters ``word``/``part`` and ``id``):
#: by the primary key, from the values they were made of (``index_rows`` of the old ones).
DELETE_WORD_SQL: Final = "DELETE FROM patient_name_word WHERE word = :word AND patient_id = :id"
DELETE_PART_SQL: Final = "DELETE FROM patient_mrn_part WHERE part = :part AND patient_id = :id"
INSERT_WORD_SQL: Final = ("INSERT OR IGNORE INTO patient_name_word (word, patient_id) "
                          "VALUES (:word, :id)")
INSERT_PART_SQL: Final = ("INSERT OR IGNORE INTO patient_mrn_part (part, patient_id) "
                          "VALUES (:part, :id)")


def index_rows(patient_id: int, mrn: str, family_name: str,
               given_name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``patient_name_word`` and ``patient_mrn_part`` for one patient."""
    words = [{"word": word, "id": patient_id} for word in sorted(name_words(family_name,
                                                                              given_name))]
    parts = [{"part": part, "id": patient_id} for part in sorted(mrn_parts(mrn))]
    return words, parts


# -- conditions ---------------------------------------------------------------------

def _range(column: str, name: str) -> str:
    """``column`` starts with the bound prefix ``:{name}lo`` (an index-friendly range)."""
    return f"{column} >= :{name}lo AND {column} < :{name}hi"


def _not_range(column: str, name: str) -> str:
    return f"({column} < :{name}lo OR {column} >= :{name}hi)"


def _bounds(name: str, prefix: str) -> dict[str, str]:
    return {f"{name}lo": prefix, f"{name}hi": prefix + MAX_CHAR}


def _words(name: str) -> str:
    return f"SELECT patient_id FROM patient_name_word WHERE {_range('word', name)}"


def _parts(name: str) -> str:
    return f"SELECT patient_id FROM patient_mrn_part WHERE {_range('part', name)}"


def _key_match(column: str, accented: bool, negate: bool = False, k: str = "k",
               f: str = "f") -> str:
    """The name key column starts with the word as typed (parameters ``k``), or without
    its accents (``f``) when they differ."""
    if negate:
        parts = [_not_range(column, k)] + ([_not_range(column, f)] if accented else [])
        return " AND ".join(parts)
    if not accented:
        return _range(column, k)
    return f"(({_range(column, k)}) OR ({_range(column, f)}))"


@dataclass(frozen=True)
class RowSet:
    """One row set of a search, in the two ways it can be read.

    ``where`` reads it from the index of its leading condition (then sorts it into name
    order, unless that index gives it so: ``probe`` is then None); ``walk`` tests each
    entry of the name-order index instead, with no list built from the whole row set,
    which is quicker when the row set is dense. ``probe`` counts its rows up to ``:cap``
    (``_row_set`` says which): how ``desktop.registry.reading`` tells a dense row set."""

    where: str
    walk: str
    probe: str | None
    #: The leading condition is a list of the whole row set's ids (a stored-word or MRN-part
    #: range), built before the first row: costly for a dense one even when counting.
    listed: bool


def _row_set(conditions: list[str], archived: list[str], *, ordered: bool = False,
             listed_from: tuple[str, str] | None = None,
             walk_lead: str | None = None) -> RowSet:
    """A row set from its conditions (the leading one first). ``ordered``: its index gives
    it in name order (never walked, never probed). ``listed_from``: the table and range
    the leading condition lists the ids of, which the probe counts (building the list
    would cost what the probe is to spare). Otherwise the probe counts the rows left after
    every condition: a long range the others empty (the given names starting "b" when
    every MRN starts "BULK-") is quick to sort, slow to walk. ``walk_lead`` replaces the
    leading condition when walking (a test on the entry itself rather than a list)."""
    where = " WHERE " + " AND ".join([*conditions, *archived])
    walk = where if walk_lead is None else (
        " WHERE " + " AND ".join([walk_lead, *conditions[1:], *archived]))
    if ordered:
        probe = None
    elif listed_from is not None:
        table, lead = listed_from
        probe = f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {lead} LIMIT :cap)"
    else:
        probe = f"SELECT count(*) FROM (SELECT 1 FROM patient{where} LIMIT :cap)"
    return RowSet(where, walk, probe, listed=listed_from is not None)


def _inside_mrn(name: str) -> str:
    """The MRN key holds the text ``:{name}lo`` after its first character: a stored MRN
    part starts with it (``desktop.domain.patient_search.mrn_parts``; the text is at least
    ``MRN_PART_MIN`` long), tested on the entry rather than looked up."""
    return f"instr(substr(patient.mrn_key, 2), :{name}lo) > 0"


@functools.cache
def _one_word_branches(mrn_inside: bool, accented: bool,
                       include_archived: bool) -> list[RowSet]:
    """The disjoint row sets a one-word search lists (parameters ``k``, the word as typed,
    ``f`` without accents): MRN start; family name; given name; another name word; a part
    of the MRN. Each excludes the rows of those before it."""
    archived = [] if include_archived else [ACTIVE]
    mrn, not_mrn = _range("patient.mrn_key", "k"), _not_range("patient.mrn_key", "k")
    family = _key_match("patient.family_key", accented)
    not_family = _key_match("patient.family_key", accented, negate=True)
    given = _key_match("patient.given_key", accented)
    not_given = _key_match("patient.given_key", accented, negate=True)
    word = f"patient.id IN ({_words('f')})"
    row_sets = [
        _row_set([mrn], archived),
        _row_set([family, not_mrn], archived, ordered=not accented),
        _row_set([given, not_mrn, not_family], archived),
        _row_set([word, not_mrn, not_family, not_given], archived,
                 listed_from=("patient_name_word", _range("word", "f"))),
    ]
    if mrn_inside:
        row_sets.append(_row_set(
            [f"patient.id IN ({_parts('k')})", not_mrn, not_family, not_given,
             f"patient.id NOT IN ({_words('f')})"], archived,
            listed_from=("patient_mrn_part", _range("part", "k")), walk_lead=_inside_mrn("k")))
    return row_sets


def _term_check(i: int, accented: bool) -> str:
    """The row at hand has a name word starting with word ``i`` of the search."""
    family = _key_match("patient.family_key", accented, k=f"k{i}", f=f"f{i}")
    given = _key_match("patient.given_key", accented, k=f"k{i}", f=f"f{i}")
    return f"({family} OR {given} OR patient.id IN ({_words(f'f{i}')}))"


@functools.cache
def _several_words_branches(terms: int, driver: int, mrn_inside: bool,
                            accented: tuple[bool, ...],
                            include_archived: bool) -> list[RowSet]:
    """The row sets (overlapping: their union is taken) a search of several words lists
    (parameters ``m``, the whole text; ``k{i}``/``f{i}``, word ``i`` as typed and without
    accents): the MRN starts with or contains the text; or the patients with a name word
    starting with word ``driver`` (the longest, so usually the fewest), from the key
    columns' covering indexes or the stored words, each checked for the other words."""
    archived = [] if include_archived else [ACTIVE]
    row_sets = [_row_set([_range("patient.mrn_key", "m")], archived)]
    if mrn_inside:
        row_sets.append(_row_set([f"patient.id IN ({_parts('m')})"], archived,
                                 listed_from=("patient_mrn_part", _range("part", "m")),
                                 walk_lead=_inside_mrn("m")))
    if terms:
        checks = [_term_check(i, accented[i]) for i in range(terms) if i != driver]
        names = ["k", "f"] if accented[driver] else ["k"]
        for column in ("patient.family_key", "patient.given_key"):
            row_sets += [_row_set([_range(column, f"{name}{driver}"), *checks], archived,
                                  ordered=column == "patient.family_key") for name in names]
        row_sets.append(_row_set(
            [f"patient.id IN ({_words(f'f{driver}')})", *checks], archived,
            listed_from=("patient_name_word", _range("word", f"f{driver}"))))
    return row_sets


# -- statements ---------------------------------------------------------------------

def _one_word(query: Query) -> bool:
    return len(query.terms) == 1 and query.terms[0].key == query.mrn


def params(text: str) -> tuple[Query, dict[str, Any]]:
    """The parsed query and its parameters (empty for a blank text)."""
    query = parse(text)
    values: dict[str, Any] = {}
    if query.empty:
        return query, values
    if _one_word(query):
        (term,) = query.terms
        values.update(_bounds("k", term.key), **_bounds("f", term.folded))
        return query, values
    values.update(_bounds("m", query.mrn))
    for i, term in enumerate(query.terms):
        values.update(_bounds(f"k{i}", term.key), **_bounds(f"f{i}", term.folded))
    return query, values


def _accented(query: Query) -> tuple[bool, ...]:
    return tuple(term.key != term.folded for term in query.terms)


def _branches(query: Query, include_archived: bool) -> tuple[list[RowSet], str]:
    """A non-empty query's row sets, and how to combine them."""
    if _one_word(query):
        return _one_word_branches(query.mrn_inside, _accented(query)[0],
                                  include_archived), "UNION ALL"
    lengths = [len(term.folded) for term in query.terms]
    driver = lengths.index(max(lengths)) if lengths else 0
    return _several_words_branches(len(query.terms), driver, query.mrn_inside,
                                   _accented(query), include_archived), "UNION"


#: The index walked in name order; it holds every key a row set's conditions test.
ORDER_INDEX: Final = "ix_patient_name_order"


def _keys(where: str, walked: bool = False) -> str:
    """The ids and ordering keys of the rows ``where`` picks; ``walked``, by walking the
    name-order index."""
    source = f"patient INDEXED BY {ORDER_INDEX}" if walked else "patient"
    return (f"SELECT patient.id AS id, patient.family_key AS family_key, "
            f"patient.given_key AS given_key, patient.mrn_key AS mrn_key FROM {source}{where}")


def _read(row_set: RowSet, walked: bool) -> str:
    """The SELECT of a row set's ids and ordering keys, read the chosen way."""
    return _keys(row_set.walk, walked=True) if walked else _keys(row_set.where)


def row_sets(query: Query, include_archived: bool) -> list[RowSet]:
    """The row sets of a non-empty ``query``, as ``count_sql`` and ``search_sql`` number
    them (their ``probe`` statements tell a dense one)."""
    return _branches(query, include_archived)[0]


def count_sql(query: Query, include_archived: bool, capped: bool = False,
              walked: frozenset[int] = frozenset()) -> list[str]:
    """Statements whose counts add up to the patients a non-empty ``query`` matches.

    When ``capped``, each counts only up to ``:cap`` (a total of ``:cap`` or more means
    "at least ``:cap``"). A one-word search's row sets are disjoint, so they come one
    statement each, most likely first: the caller lowers ``:cap`` by what the earlier ones
    found and stops once nothing is left, so "a" over 100,000 patients reads one index
    range of the cap's length rather than every row set (#18). Overlapping row sets are
    one statement: each cut at the cap still gives an exact count below it, and one of
    at least the cap if any row set reaches it. The row sets numbered in ``walked`` are
    read by walking the name-order index (``search_sql``)."""
    branches, combine = _branches(query, include_archived)

    def cut(select: str) -> str:
        return f"SELECT * FROM ({select} LIMIT :cap)" if capped else select

    reads = [_read(row_set, i in walked) for i, row_set in enumerate(branches)]
    if combine == "UNION ALL":  # disjoint: add the counts up
        return [f"SELECT count(*) FROM ({cut(read)})" for read in reads]
    union = " UNION ".join(cut(read) for read in reads)
    return [f"SELECT count(*) FROM ({union})"]


def search_sql(query: Query, include_archived: bool, columns: str,
               walked: frozenset[int] = frozenset()) -> str:
    """One page of the patients a non-empty ``query`` matches, in name order (parameters
    ``offset`` and ``limit`` besides the query's).

    The page lies among the first ``offset + limit`` of each row set in name order, so
    each is cut there before the union. A row set is read from its own index and sorted
    (cost: all its rows), or, for those numbered in ``walked``, found by walking the
    name-order index and testing each entry until enough match (cost: about
    ``(offset + limit) / density``): the quicker way for a dense one, such as "b" when
    every MRN starts "BULK-" (``desktop.registry.reading`` chooses)."""
    branches, combine = _branches(query, include_archived)
    union = f" {combine} ".join(
        f"SELECT * FROM ({_read(row_set, i in walked)} "
        f"ORDER BY family_key, given_key, mrn_key LIMIT :limit + :offset)"
        for i, row_set in enumerate(branches))
    return (f"SELECT {columns} FROM ({union} ORDER BY family_key, given_key, mrn_key "
            f"LIMIT :limit OFFSET :offset) AS page JOIN patient ON patient.id = page.id "
            f"ORDER BY page.family_key, page.given_key, page.mrn_key")
