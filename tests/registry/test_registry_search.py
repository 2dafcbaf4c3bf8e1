"""Search semantics (prefix on MRN / family / given name, order, paging) and its query plans."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from desktop.registry import reading
from desktop.registry.database import Registry
from desktop.registry.demo import seed_bulk
from desktop.registry.patients import PatientRepository, PatientRow
from tests.registry.conftest import patient


@pytest.fixture
def people(repo: PatientRepository) -> PatientRepository:
    repo.add(patient(mrn="H100", family="Smith", given="Zoe"))
    repo.add(patient(mrn="H101", family="smithers", given="Adam", sex="male"))
    repo.add(patient(mrn="X200", family="Jones", given="Smitty", sex="male"))
    repo.add(patient(mrn="SM-9", family="Brown", given="Ann"))
    repo.add(patient(mrn="Q300", family="Ängström", given="Éva"))
    archived = repo.add(patient(mrn="H102", family="Smith", given="Arch"))
    repo.set_archived(archived.id, True)
    return repo


def _mrns(repo: PatientRepository, text: str, **kwargs: Any) -> list[str]:
    return [row.mrn for row in repo.search(text, **kwargs)]


def test_empty_search_lists_active_in_name_order(people: PatientRepository) -> None:
    assert _mrns(people, "") == ["SM-9", "X200", "H100", "H101", "Q300"]
    assert _mrns(people, "   ") == _mrns(people, "")
    assert people.count() == 5
    assert people.count("  ") == 5


def test_prefix_matches_mrn_family_or_given_case_insensitive(people: PatientRepository) -> None:
    # "sm": family Smith/smithers, given Smitty, MRN SM-9; ordered by family, given, MRN.
    assert _mrns(people, "sm") == ["SM-9", "X200", "H100", "H101"]
    assert _mrns(people, "  SMIT ") == ["X200", "H100", "H101"]
    assert _mrns(people, "smith") == ["H100", "H101"]
    assert people.count("sm") == 4


def test_names_match_at_word_starts_only(people: PatientRepository) -> None:
    assert _mrns(people, "mith") == []
    assert people.count("mith") == 0


def test_mrn_matches_anywhere_from_three_characters(people: PatientRepository) -> None:
    assert _mrns(people, "100") == ["H100"]
    assert _mrns(people, "0") == []  # one or two characters: the MRN's start only
    assert _mrns(people, "00") == []
    assert _mrns(people, "m-9") == ["SM-9"]
    assert people.count("100") == 1


def test_mrn_prefix(people: PatientRepository) -> None:
    assert _mrns(people, "h10") == ["H100", "H101"]
    assert _mrns(people, "h10", include_archived=True) == ["H102", "H100", "H101"]
    assert people.count("h10", include_archived=True) == 3


def test_non_ascii_names(people: PatientRepository) -> None:
    assert _mrns(people, "äng") == ["Q300"]
    assert _mrns(people, "éVA") == ["Q300"]


def test_patient_matching_several_ways_listed_once(repo: PatientRepository) -> None:
    repo.add(patient(mrn="ann-1", family="Annis", given="Anna"))
    assert _mrns(repo, "ann") == ["ann-1"]
    assert repo.count("ann") == 1


def test_paging(people: PatientRepository) -> None:
    everyone = _mrns(people, "", include_archived=True)
    assert len(everyone) == 6
    pages = [_mrns(people, "", offset=o, limit=2, include_archived=True) for o in (0, 2, 4, 6)]
    assert pages == [everyone[0:2], everyone[2:4], everyone[4:6], []]
    assert _mrns(people, "sm", offset=1, limit=2) == ["X200", "H100"]
    assert _mrns(people, "sm", limit=0) == []


@pytest.fixture
def bulk_registry(registry: Registry) -> Registry:
    seed_bulk(registry, 3000)
    return registry


class _Recording:
    """A read connection that notes every statement it runs."""

    def __init__(self, conn: sqlite3.Connection, statements: list[tuple[str, Any]]) -> None:
        self._conn = conn
        self._statements = statements

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        if sql.lstrip().upper().startswith("SELECT"):
            self._statements.append((sql, parameters))
        return self._conn.execute(sql, parameters)


@pytest.fixture
def captured_sql(bulk_registry: Registry,
                 monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """The SELECTs the repository runs on ``bulk_registry``'s read connections."""
    statements: list[tuple[str, Any]] = []
    read = bulk_registry.read

    @contextlib.contextmanager
    def recording_read() -> Iterator[_Recording]:
        with read() as conn:
            yield _Recording(conn, statements)

    monkeypatch.setattr(bulk_registry, "read", recording_read)
    return statements


def _plan(registry: Registry, statement: str, parameters: Any) -> list[str]:
    with registry.read() as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    return [row[3] for row in rows]


@pytest.mark.parametrize("include_archived", [False, True])
@pytest.mark.parametrize("text", ["a", "Sm", "bulk-00", "ada"])
def test_prefix_search_uses_indexes(bulk_registry: Registry, captured_sql: list[tuple[str, Any]],
                                    text: str, include_archived: bool) -> None:
    repo = PatientRepository(bulk_registry, "bench")
    assert repo.count(text, include_archived=include_archived) > 0
    assert repo.search(text, include_archived=include_archived)
    # Probes, the count (one statement per row set of a one-word search: they are disjoint
    # and added up) and the page: none reads the table itself. A dense row set walks the
    # name-order index, stopping at its LIMIT (test_search_agrees_with_brute_force).
    assert len(captured_sql) >= 2
    for statement, parameters in captured_sql:
        if statement == reading.PATIENTS_SQL:  # the rowid b-tree's last entry
            continue
        plan = _plan(bulk_registry, statement, parameters)
        scans = [step for step in plan if step.startswith("SCAN patient")]
        assert all(step == "SCAN patient USING COVERING INDEX ix_patient_name_order"
                   for step in scans), plan
        assert all("USING" in step for step in plan if step.startswith("SEARCH")), plan
    plans = [_plan(bulk_registry, *captured) for captured in captured_sql]
    assert any("COVERING INDEX" in step for plan in plans for step in plan), plans


def test_empty_search_walks_ordering_index(bulk_registry: Registry,
                                           captured_sql: list[tuple[str, Any]]) -> None:
    PatientRepository(bulk_registry, "bench").search("")
    (statement, parameters), = captured_sql
    plan = _plan(bulk_registry, statement, parameters)
    assert plan == ["SCAN patient USING INDEX ix_patient_name_order"]


def _brute_force(row: PatientRow, text: str) -> bool:
    """What a search for ``text`` means, spelt out: the MRN contains it (from three
    characters, else starts with it), or each word of it starts a word of the names."""
    mrn, text = row.mrn.casefold(), text.strip().casefold()
    if mrn.startswith(text) or (len(text) >= 3 and text in mrn):
        return True
    words = re.split(r"[ ,-]+", f"{row.family_name} {row.given_name}".casefold())
    typed = [word for word in re.split(r"[ ,-]+", text) if word]
    return bool(typed) and all(any(word.startswith(t) for word in words) for t in typed)


@pytest.mark.parametrize("walking", ["as chosen", "every row set", "none"])
def test_search_agrees_with_brute_force(bulk_registry: Registry, walking: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whichever way each row set is read (its own index, or walking the name order when
    dense: ``reading.dense_threshold``), the same patients in the same order."""
    if walking != "as chosen":
        threshold = 0 if walking == "every row set" else 10**9
        monkeypatch.setattr(reading, "dense_threshold", lambda patients, wanted: threshold)
    repo = PatientRepository(bulk_registry, "bench")
    everyone = repo.search("", limit=10_000, include_archived=True)
    assert len(everyone) == 3000
    for text in ["", "a", "sm", "bulk-0001", "ada", "zz", "0002", "00", "ton", "ada ben",
                 "smith, ada", "bel-", "-sm", "ulk-000123", "b", "ulk", "k-0", "000",
                 "ada b", "k-00 ada"]:
        expected = [r for r in everyone if not r.archived and _brute_force(r, text)]
        assert repo.count(text) == len(expected)
        assert repo.search(text, limit=10_000) == expected
        assert repo.search(text, offset=5, limit=7) == expected[5:12]
        tail = max(len(expected) - 3, 0)
        assert repo.search(text, offset=tail, limit=200) == expected[tail:]
        for cap in (1, 7, len(expected), len(expected) + 1, 1000):
            assert repo.count(text, cap=cap) == min(len(expected), cap), (text, cap)
            assert repo.count(text, include_archived=True, cap=cap) == min(
                repo.count(text, include_archived=True), cap), (text, cap)


def test_results_are_rows_with_dates(people: PatientRepository) -> None:
    (row,) = people.search("X200")
    assert row.birth_date == date(1970, 5, 17)
    assert row.sex == "male"
