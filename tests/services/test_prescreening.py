"""Prescreening from the registry: held to the engine, and never writing."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from desktop.domain.draft import observation as checked
from desktop.domain.engine import evaluate
from desktop.domain.prescreen import prescreen
from desktop.domain.record import Record
from desktop.domain.visits import events_of
from desktop.library import find_trial, load_library
from desktop.registry.database import Registry, open_registry
from desktop.services.candidate_export import export_candidates
from desktop.services.patients import PatientInput, PatientService
from desktop.services.prescreening import PrescreenService, needs_text
from desktop.services.rows import ObservationInput
from desktop.services.screening import ScreeningService
from desktop.zone import site_zone
from tests.services.candidates_support import seed_candidates

NOW = datetime(2026, 11, 2, 9, 0)
LIBRARY = load_library()
#: A patient's results: (code, value, unit, at, ULN).
RESULTS = (("ecog", "1", "score", datetime(2026, 10, 30, 8, 0), None),
           ("lvef", "45", "%", datetime(2026, 10, 20, 9, 0), None),
           ("creatinine", "0.9", "mg/dL", datetime(2026, 10, 31, 7, 0), "1.2"),
           ("weight", "70", "kg", datetime(2026, 10, 31, 7, 0), None),
           ("ast", "30", "U/L", datetime(2026, 10, 31, 7, 0), "40"),
           ("alt", "150", "U/L", datetime(2026, 10, 31, 7, 0), "40"),
           ("karnofsky", "80", "%", datetime(2026, 10, 30, 8, 0), None))
BORN = date(1968, 3, 14)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(tmp_path / "data")
    yield reg
    reg.close()


@pytest.fixture
def service(registry: Registry) -> PrescreenService:
    return PrescreenService(registry, "coordinator", trials=LIBRARY, site_uln={},
                            clock=lambda: NOW)


def _patient(registry: Registry, mrn: str = "PRE1") -> int:
    patients = PatientService.open(registry, "coordinator")
    pid = patients.add(PatientInput(mrn=mrn, family_name="Fictional", given_name="Ann",
                                    birth_date=BORN, sex="female")).id
    screenings = ScreeningService.open(registry, "coordinator", lambda: NOW)
    for code, value, unit, at, uln in RESULTS:
        screenings.add_observation(pid, None, ObservationInput(code, value, unit, at, uln))
    screenings.set_fact(pid, "childbearing_potential", False)
    return pid


def _record(events: dict[str, datetime] | None = None) -> Record:
    """The patient's record, built here from the test's own values."""
    return Record(as_of=NOW, birth_date=BORN, sex="female", events=events or {},
                  facts={"childbearing_potential": False},
                  observations=tuple(checked(c, v, u, at, uln=uln)
                                     for c, v, u, at, uln in RESULTS),
                  answers={}, zone=site_zone())


def _counts(registry: Registry) -> tuple[int, ...]:
    with registry.read() as conn:
        return tuple(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                     for table in ("audit_event", "screening", "visit", "answer"))


def test_each_trial_decides_as_its_first_stage_does_on_the_same_data(
        registry: Registry, service: PrescreenService) -> None:
    pid = _patient(registry)
    found = service.for_patient(pid)
    assert [r.trial.id for r in found] == [t.id for t in LIBRARY]
    for result in found:
        stage = result.trial.stages[0]
        strict = evaluate(result.trial, stage.id, _record())
        now = evaluate(result.trial, stage.id,
                       _record(dict.fromkeys(events_of(stage), NOW)))
        assert result.entry is not None
        assert result.problem is None
        assert result.decision == strict.decision, result.trial.id
        assert [r.id for r in result.entry.verdict.failing] == [r.id for r in strict.failing]
        assert result.provisional_decision == now.decision, result.trial.id
        assert not result.screened
    decisions = {r.trial.id: (r.decision, r.provisional_decision) for r in found}
    # ALT 150 U/L is over NCT06152809's 3 x ULN (no window: it fails at once).
    assert decisions["NCT06152809"][0] == "not_eligible"
    assert len({d for d, _ in decisions.values()}) > 1  # the trials do not all agree


def test_what_is_missing_is_named_in_words(registry: Registry,
                                           service: PrescreenService) -> None:
    pid = _patient(registry)
    by_trial = {r.trial.id: r for r in service.for_patient(pid)}
    needs = needs_text(by_trial["NCT06835140"].missing_inputs)
    assert "CD123 expression" in needs
    assert "cd123" not in needs
    expected = prescreen([find_trial("NCT06835140")], _record())[0].missing_inputs
    assert by_trial["NCT06835140"].missing_inputs == expected


def test_prescreening_writes_nothing_and_marks_trials_already_screened(
        registry: Registry, service: PrescreenService) -> None:
    pid = _patient(registry)
    ScreeningService.open(registry, "coordinator", lambda: NOW).start(
        pid, find_trial("NCT06138587"))
    before = _counts(registry)
    found = service.for_patient(pid)
    service.candidates(find_trial("NCT06138587"), service.patient_ids())
    assert _counts(registry) == before
    assert [r.trial.id for r in found if r.screened] == ["NCT06138587"]


def test_an_unreadable_saved_result_is_said_not_skipped(
        registry: Registry, service: PrescreenService) -> None:
    pid = _patient(registry)
    with registry.session() as session:  # a row another program wrote
        session.connection().exec_driver_sql(
            "UPDATE observation SET value = 'forty-five' WHERE code = 'lvef'")
    by_trial = {r.trial.id: r for r in service.for_patient(pid)}
    reads_lvef = by_trial["NCT06152809"]
    assert reads_lvef.entry is None
    assert reads_lvef.problem is not None
    assert "forty-five" in reads_lvef.problem
    assert by_trial["NCT06835140"].entry is not None  # reads no LVEF


def test_a_batch_of_candidates_agrees_with_the_engine_patient_by_patient(
        registry: Registry, service: PrescreenService) -> None:
    trial = find_trial("NCT05744440")
    made = seed_candidates(registry, 300, NOW, (trial.id,))
    ids = service.patient_ids()
    assert set(ids) == set(made.births) - made.archived
    found = service.candidates(trial, ids)
    assert [c.patient_id for c in found] == ids
    stage = trial.stages[0]
    for candidate in found:
        born, sex = made.births[candidate.patient_id]
        record = Record(as_of=NOW, birth_date=born, sex=sex,
                        facts=made.facts[candidate.patient_id],
                        observations=tuple(checked(c, v, u, at, uln=uln) for c, v, u, at, uln
                                           in made.results[candidate.patient_id]),
                        answers={}, events={}, zone=site_zone())
        assert candidate.result.decision == evaluate(trial, stage.id, record).decision
        now = replace(record, events=dict.fromkeys(events_of(stage), NOW))
        assert candidate.result.provisional_decision == evaluate(trial, stage.id,
                                                                 now).decision
        assert candidate.result.screened == (trial.id in made.screened[candidate.patient_id])
    assert len(Counter(c.result.decision for c in found)) > 1


def test_the_exported_list_is_audited_with_who_exported_it(
        registry: Registry, service: PrescreenService, tmp_path: Path) -> None:
    pid = _patient(registry)
    trial = find_trial("NCT06152809")
    rows = service.candidates(trial, [pid])
    target = tmp_path / "candidates.csv"
    exported = export_candidates(registry, "coordinator", trial, rows, target)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0][:2] == ["Patient", "MRN"]
    assert lines[1][1] == "PRE1"
    assert lines[1][5] == "not eligible"
    # ALT 150 U/L is 3.75 x ULN: criterion 7, by number and protocol text.
    assert lines[1][7] == "7. AST(SGOT)/ALT(SGPT): ≤3 x institutional ULN"
    with registry.read() as conn:
        actor, details = conn.execute(
            "SELECT actor, details FROM audit_event WHERE action = 'candidates.export'"
        ).fetchone()
    assert actor == "coordinator"
    assert json.loads(details)["rows"] == exported.rows == 1
    assert json.loads(details)["trial_id"] == trial.id
