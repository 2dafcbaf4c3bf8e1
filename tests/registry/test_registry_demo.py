"""Demo seeding is fictional, audited and idempotent; bulk seeding is fast and valid."""

from __future__ import annotations

import time

from desktop.registry.database import Registry
from desktop.registry.demo import seed_bulk, seed_demo
from desktop.registry.patients import PatientInput, PatientRepository


def test_seed_demo_idempotent(registry: Registry) -> None:
    assert seed_demo(registry) == 12
    assert seed_demo(registry) == 0
    assert seed_demo(registry, count=14) == 2
    repo = PatientRepository(registry, "check")
    rows = repo.search("", limit=100)
    assert [r.mrn for r in sorted(rows, key=lambda r: r.mrn)] == [
        f"DEMO-{n:04d}" for n in range(1, 15)]
    assert all(r.given_name.startswith("Demo ") for r in rows)
    with registry.engine.connect() as conn:
        actors = conn.exec_driver_sql("SELECT DISTINCT actor FROM audit_event").scalars().all()
    assert actors == ["demo"]


def test_seed_demo_rows_pass_validation(registry: Registry) -> None:
    seed_demo(registry)
    repo = PatientRepository(registry, "check")
    for row in repo.search("", limit=100):
        data = PatientInput(row.mrn, row.family_name, row.given_name, row.birth_date, row.sex)
        assert repo.validate(data, patient_id=row.id) == {}


def test_seed_bulk(registry: Registry) -> None:
    started = time.perf_counter()
    seed_bulk(registry, 5000)
    seed_bulk(registry, 10)  # appends after the existing rows, no MRN clash
    assert time.perf_counter() - started < 10
    repo = PatientRepository(registry, "check")
    assert repo.count(include_archived=True) == 5010
    assert 0 < repo.count(include_archived=True) - repo.count() < 5010
    assert repo.count("bulk-") == repo.count()
