"""Fixtures for the registry tests: a fresh registry per test and a repository on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from desktop.registry.database import Registry, open_registry
from desktop.registry.patients import PatientInput, PatientRepository


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(tmp_path / "data")
    yield reg
    reg.close()


@pytest.fixture
def repo(registry: Registry) -> PatientRepository:
    return PatientRepository(registry, "coordinator")


def patient(mrn: str = "AB12", family: str = "Fictional", given: str = "Ann",
            birth: date | None = date(1970, 5, 17), sex: str = "female") -> PatientInput:
    return PatientInput(mrn=mrn, family_name=family, given_name=given, birth_date=birth, sex=sex)
