"""Finding any patient (#18): by any word of the names, any part of the MRN, "Family, Given",
without regard to case or accents; the search tables follow every change of a patient."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.registry.database import Registry
from desktop.registry.patients import PatientRepository
from tests.registry.conftest import patient
from tests.registry.legacy import upgraded


@pytest.fixture
def people(repo: PatientRepository) -> PatientRepository:
    repo.add(patient(mrn="NKS-0002", family="Testwell", given="Demo Bob", sex="male"))
    repo.add(patient(mrn="NKS-0003", family="Åberg-Lindqvist", given="Sofia"))
    repo.add(patient(mrn="NKS-0120", family="Aberg", given="Ölof", sex="male"))
    repo.add(patient(mrn="H 77/3", family="O'Brien", given="Mary Ann"))
    repo.add(patient(mrn="NKS-9000", family="Bobson", given="Carl", sex="male"))
    return repo


def _found(repo: PatientRepository, text: str) -> list[str]:
    rows = repo.search(text)
    assert repo.count(text) == len(rows)
    return [row.mrn for row in rows]


def test_the_issues_examples_find_the_patient(people: PatientRepository) -> None:
    assert _found(people, "0002") == ["NKS-0002"]
    assert _found(people, "Bob") == ["NKS-9000", "NKS-0002"]  # Bobson; Demo Bob
    assert _found(people, "lindqvist") == ["NKS-0003"]
    assert _found(people, "Testwell, Demo") == ["NKS-0002"]


def test_words_in_any_order_each_must_match(people: PatientRepository) -> None:
    assert _found(people, "demo testwell") == ["NKS-0002"]
    assert _found(people, "bob testwell") == ["NKS-0002"]
    assert _found(people, "Testwell, Ann") == []
    assert _found(people, "mary ann o'brien") == ["H 77/3"]
    assert _found(people, "o'bri") == ["H 77/3"]
    assert _found(people, "Åberg-Lind") == ["NKS-0003"]


def test_names_without_case_or_accents(people: PatientRepository) -> None:
    both = ["NKS-0120", "NKS-0003"]  # Aberg, Ölof; Åberg-Lindqvist, Sofia
    assert _found(people, "aberg") == both
    assert _found(people, "ÅBERG") == both
    assert _found(people, "LINDQVIST") == ["NKS-0003"]
    assert _found(people, "olof") == ["NKS-0120"]
    assert _found(people, "ölof aberg") == ["NKS-0120"]


def test_mrn_any_part_case_insensitive(people: PatientRepository) -> None:
    assert _found(people, "nks-00") == ["NKS-0002", "NKS-0003"]  # Testwell before Åberg
    assert _found(people, "ks-0") == ["NKS-0120", "NKS-0002", "NKS-0003"]
    assert _found(people, "120") == ["NKS-0120"]
    assert _found(people, "77/3") == ["H 77/3"]
    assert _found(people, "h 77") == ["H 77/3"]
    assert _found(people, "12") == []  # two characters: the MRN's start only
    assert _found(people, "ks") == []


def test_names_match_word_starts_not_insides(people: PatientRepository) -> None:
    assert _found(people, "qvist") == []
    assert _found(people, "well") == []


def test_archived_patients_only_when_asked(people: PatientRepository) -> None:
    (row,) = people.search("lindqvist")
    people.set_archived(row.id, True)
    assert _found(people, "lindqvist") == []
    assert [r.mrn for r in people.search("lindqvist", include_archived=True)] == ["NKS-0003"]
    assert people.count("lindqvist", include_archived=True) == 1


def test_an_edit_moves_the_words_and_mrn_parts(people: PatientRepository) -> None:
    (row,) = people.search("lindqvist")
    people.update(row.id, patient(mrn="NKS-7777", family="Åberg-Nyström", given="Sofia Li"))
    assert _found(people, "lindqvist") == []
    assert _found(people, "0003") == []
    assert _found(people, "nystrom") == ["NKS-7777"]
    assert _found(people, "777") == ["NKS-7777"]
    assert _found(people, "li sofia") == ["NKS-7777"]


def test_a_merge_leaves_the_kept_patient_findable(tmp_path: Path) -> None:
    # Two records of one patient from before MRNs were folded ("AB 17", "AB  17").
    registry = upgraded(tmp_path / "twins", [("AB 17", "Older", "1960-02-03", "female"),
                                             ("AB  17", "Older", "1960-02-03", "female")])
    try:
        repo = PatientRepository(registry, "admin")
        repo.merge(2, 1, "Registered twice")
        assert [r.id for r in repo.search("b 17")] == [1]
        assert [r.id for r in repo.search("ola older")] == [1]
        assert sorted(r.id for r in repo.search("older ola", include_archived=True)) == [1, 2]
        assert [r.id for r in repo.search("b  17", include_archived=True)] == [2]
    finally:
        registry.close()


def test_migration_fills_the_search_tables_for_existing_patients(tmp_path: Path) -> None:
    registry: Registry = upgraded(tmp_path / "old", [
        ("OLD-4711", "Åberg-Lindqvist", "1960-01-02", "female"),
        ("OLD-4712", "Plain", "1960-01-02", "male")])
    try:
        repo = PatientRepository(registry, "coordinator")
        assert _found(repo, "lindqvist") == ["OLD-4711"]
        assert _found(repo, "4712") == ["OLD-4712"]
        assert _found(repo, "ola plain") == ["OLD-4712"]  # given name "Ola" (legacy.py)
    finally:
        registry.close()
