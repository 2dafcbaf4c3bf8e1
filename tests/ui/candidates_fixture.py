"""A registry of 10,000 generated patients with results, built once per module, and the
screening context on it (for Find candidates' tests and benchmark)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop.registry.database import Registry, open_registry
from desktop.services.patients import PatientService
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages
from tests.services.candidates_support import Generated, seed_candidates
from tests.ui.conftest import NOW, Clock

PATIENTS = 10_000
#: The trials some generated patients are already screened for.
SCREENED_FOR = ("NCT06835140", "NCT05744440")


@dataclass
class Bulk:
    registry: Registry
    folder: Path
    made: Generated


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bulk]:
    folder = tmp_path_factory.mktemp("candidates")
    registry = open_registry(folder)
    made = seed_candidates(registry, PATIENTS, NOW, SCREENED_FOR)
    yield Bulk(registry, folder, made)
    registry.close()


@pytest.fixture
def bulk_context(bulk: Bulk) -> ScreeningContext:
    return ScreeningContext(registry=bulk.registry, user="tester",
                            patients=PatientService.open(bulk.registry, "tester"),
                            messages=RecordingMessages(), data_dir=bulk.folder, clock=Clock())
