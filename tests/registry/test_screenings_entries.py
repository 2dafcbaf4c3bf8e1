"""What a visit holds: results (per patient), facts, planned events and answers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from desktop.library import find_trial
from desktop.registry.database import Registry
from desktop.registry.patients import PatientNotFound, PatientRepository
from desktop.registry.screening_rows import AnswerValue, ObservationInput, VisitRow
from desktop.registry.screenings import (
    ObservationNotFound,
    ScreeningRefused,
    ScreeningRepository,
    ValidationFailed,
)
from tests.registry.conftest import CLOCK, patient
from tests.registry.test_screenings import audit

TRIAL = find_trial("NCT06835140")
AT = datetime(2026, 11, 1, 8, 30)


def _draft(screenings: ScreeningRepository, patient_id: int) -> VisitRow:
    screening = screenings.start(patient_id, TRIAL)
    return screenings.start_visit(screening.id, TRIAL, "screening-1")


def _obs(code: str = "creatinine", value: str = "1.90", unit: str = "mg/dL",
         at: datetime | None = AT, uln: str | None = None, source: str = "") -> ObservationInput:
    return ObservationInput(code=code, value=value, unit=unit, at=at, uln=uln, source=source)


# -- observations -----------------------------------------------------------------------

def test_result_round_trips_exactly(screenings: ScreeningRepository, patient_id: int) -> None:
    visit = _draft(screenings, patient_id)
    at = datetime(2026, 11, 1, 8, 30, 15, 123456)
    row = screenings.add_observation(patient_id, visit.id, _obs(
        value=" 1.90 ", unit="MG/DL", at=at, uln="1.20", source=" lab report 7 "))
    assert (row.code, row.value, row.unit, row.at, row.uln, row.source, row.visit_id) == (
        "creatinine", "1.90", "mg/dL", at, "1.20", "lab report 7", visit.id)
    assert row.at.tzinfo is None
    assert (row.entered_by, row.entered_at.tzinfo) == ("coordinator", UTC)
    assert screenings.observations(patient_id) == [row]
    # micro units are accepted as typed with µ and stored in the accepted spelling
    other = screenings.add_observation(patient_id, None, _obs(value="168", unit="µmol/L"))
    assert (other.unit, other.visit_id, other.uln) == ("umol/L", None, None)


def test_results_newest_first_and_by_code(screenings: ScreeningRepository,
                                          patient_id: int) -> None:
    old = screenings.add_observation(patient_id, None, _obs(at=datetime(2026, 10, 1, 9)))
    new = screenings.add_observation(patient_id, None, _obs(value="2.0",
                                                            at=datetime(2026, 11, 1, 9)))
    ecog = screenings.add_observation(patient_id, None, _obs("ecog", "1", "score",
                                                             datetime(2026, 10, 15, 9)))
    assert screenings.observations(patient_id) == [new, ecog, old]
    assert screenings.observations(patient_id, "creatinine") == [new, old]
    assert screenings.observations(patient_id, "ecog") == [ecog]
    assert screenings.observations(patient_id, "alt") == []


BORN = date(1971, 7, 9)


@pytest.mark.parametrize(("data", "field", "message"), [
    (_obs(value="abc"), "value", "Value: 'abc' is not a number (use a point for decimals)."),
    (_obs(value="1,90"), "value", "Value: '1,90' is not a number (use a point for decimals)."),
    (_obs(value=""), "value", "Value: enter a number."),
    (_obs("ecog", "7", "score"), "value", "Value: ECOG 7 is outside the plausible range 0 to 5."),
    (_obs(value="-1"), "value", "Value: Serum creatinine -1 mg/dL is outside the plausible "
                              "range 0 to 40 mg/dL."),
    (_obs(value="41"), "value", "Value: Serum creatinine 41 mg/dL is outside the plausible "
                                "range 0 to 40 mg/dL."),
    (_obs(unit="mg"), "unit", "Unit: unit 'mg' is not accepted for creatinine (accepted: "
                              "mg/dL, umol/L)."),
    (_obs(at=datetime(2027, 1, 1, 8, 0)), "at", "Time taken: 2027-01-01 08:00 is in the "
                                                "future."),
    (_obs(at=datetime(1971, 7, 8, 23, 0)), "at", "Time taken: 1971-07-08 is before the "
                                                 "patient's date of birth."),
    (_obs(at=None), "at", "Time taken: enter the date and time the sample was taken."),
    (_obs(at=datetime(2026, 11, 1, 8, 30, tzinfo=UTC)), "at",
     "Time taken: give the local date and time, without a time zone."),
    (_obs(uln="0"), "uln", "Upper limit of normal: ULN 0 mg/dL must be above 0."),
    (_obs(uln="x"), "uln", "Upper limit of normal: 'x' is not a number (use a point for "
                           "decimals)."),
    (_obs(code="glucose"), "code", "Test: unknown observation code 'glucose'."),
])
def test_result_checks_name_the_field(screenings: ScreeningRepository, registry: Registry,
                                      patient_id: int, data: ObservationInput, field: str,
                                      message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        screenings.add_observation(patient_id, None, data)
    assert caught.value.errors == {field: message}
    assert str(caught.value) == f"The result was not saved: {message}"
    assert screenings.observations(patient_id) == []
    assert audit(registry, "observation.add") == []


def test_result_at_the_clock_and_on_the_birth_day_are_accepted(
        screenings: ScreeningRepository, patient_id: int) -> None:
    screenings.add_observation(patient_id, None, _obs(at=CLOCK))
    screenings.add_observation(patient_id, None, _obs(at=datetime(1971, 7, 9, 0, 0)))
    assert len(screenings.observations(patient_id)) == 2


def test_result_needs_a_known_patient_and_their_own_visit(
        screenings: ScreeningRepository, repo: PatientRepository, patient_id: int) -> None:
    with pytest.raises(PatientNotFound):
        screenings.add_observation(999, None, _obs())
    with pytest.raises(PatientNotFound):
        screenings.observations(999)
    other = repo.add(patient(mrn="OTHER", birth=BORN)).id
    visit = _draft(screenings, patient_id)
    with pytest.raises(ScreeningRefused, match="belongs to another patient"):
        screenings.add_observation(other, visit.id, _obs())
    assert screenings.observations(other) == []


def test_correct_a_result(screenings: ScreeningRepository, registry: Registry,
                          patient_id: int) -> None:
    row = screenings.add_observation(patient_id, None, _obs(value="1.90", uln="1.2"))
    fixed = screenings.update_observation(row.id, _obs(value="1.09", unit="MG/DL", uln="1.2"))
    assert (fixed.id, fixed.value, fixed.unit, fixed.uln) == (row.id, "1.09", "mg/dL", "1.2")
    assert screenings.observations(patient_id) == [fixed]
    [(actor, entity, entity_id, details)] = audit(registry, "observation.update")
    assert (actor, entity, entity_id) == ("coordinator", "observation", row.id)
    assert details == {"patient_id": patient_id,
                       "changes": {"value": {"old": "1.90", "new": "1.09"}}}
    # no change, no audit
    screenings.update_observation(row.id, _obs(value="1.09", uln="1.2"))
    assert len(audit(registry, "observation.update")) == 1
    with pytest.raises(ValidationFailed) as caught:
        screenings.update_observation(row.id, _obs(value="abc"))
    assert list(caught.value.errors) == ["value"]
    assert screenings.observations(patient_id) == [fixed]
    with pytest.raises(ObservationNotFound, match="No result with id 999"):
        screenings.update_observation(999, _obs())


def test_retract_hides_but_keeps_the_result(screenings: ScreeningRepository,
                                            registry: Registry, patient_id: int) -> None:
    row = screenings.add_observation(patient_id, None, _obs())
    kept = screenings.add_observation(patient_id, None, _obs("ecog", "1", "score"))
    with pytest.raises(ValidationFailed) as caught:
        screenings.retract_observation(row.id, "  ")
    assert caught.value.errors == {"reason": "Reason: enter why the result is withdrawn."}
    screenings.retract_observation(row.id, " entered for the wrong patient ")
    assert screenings.observations(patient_id) == [kept]
    assert screenings.observations(patient_id, "creatinine") == []
    with registry.read() as conn:
        assert conn.execute(
            "SELECT value, retracted, retracted_reason, retracted_by FROM observation "
            "WHERE id = ?", (row.id,)).fetchone() == (
            "1.90", 1, "entered for the wrong patient", "coordinator")
    [(actor, _, entity_id, details)] = audit(registry, "observation.retract")
    assert (actor, entity_id, details["reason"], details["value"]) == (
        "coordinator", row.id, "entered for the wrong patient", "1.90")
    with pytest.raises(ScreeningRefused, match="already been retracted"):
        screenings.retract_observation(row.id, "again")
    with pytest.raises(ScreeningRefused, match="retracted and cannot be corrected"):
        screenings.update_observation(row.id, _obs(value="2"))
    with pytest.raises(ObservationNotFound):
        screenings.retract_observation(999, "no such result")


def test_results_belong_to_the_patient_across_screenings(
        screenings: ScreeningRepository, patient_id: int) -> None:
    visit = _draft(screenings, patient_id)
    row = screenings.add_observation(patient_id, visit.id, _obs())
    other = screenings.start(patient_id, find_trial("NCT06138587"))
    screenings.start_visit(other.id, find_trial("NCT06138587"), "screening-1")
    assert screenings.observations(patient_id) == [row]


# -- facts ------------------------------------------------------------------------------

def test_facts(screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    assert screenings.facts(patient_id) == {}
    screenings.set_fact(patient_id, "gilbert_syndrome", True)
    screenings.set_fact(patient_id, "childbearing_potential", False)
    assert screenings.facts(patient_id) == {"gilbert_syndrome": True,
                                            "childbearing_potential": False}
    screenings.set_fact(patient_id, "gilbert_syndrome", False)
    screenings.set_fact(patient_id, "childbearing_potential", None)
    screenings.set_fact(patient_id, "childbearing_potential", None)  # no change, no audit
    assert screenings.facts(patient_id) == {"gilbert_syndrome": False}
    assert [(a, e, i, d) for a, e, i, d in audit(registry, "fact.set")] == [
        ("coordinator", "patient", patient_id, {"name": "gilbert_syndrome", "old": None,
                                                "new": True}),
        ("coordinator", "patient", patient_id, {"name": "childbearing_potential",
                                                "old": None, "new": False}),
        ("coordinator", "patient", patient_id, {"name": "gilbert_syndrome", "old": True,
                                                "new": False}),
        ("coordinator", "patient", patient_id, {"name": "childbearing_potential",
                                                "old": False, "new": None}),
    ]
    with pytest.raises(ValidationFailed) as caught:
        screenings.set_fact(patient_id, "smoker", True)
    assert list(caught.value.errors) == ["name"]
    with pytest.raises(PatientNotFound):
        screenings.set_fact(999, "gilbert_syndrome", True)
    with pytest.raises(PatientNotFound):
        screenings.facts(999)


# -- events -----------------------------------------------------------------------------

def test_events(screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    visit = _draft(screenings, patient_id)
    at = datetime(2026, 11, 17, 10, 0, 30, 5)
    screenings.set_event(visit.id, "infusion", at)
    screenings.set_event(visit.id, "infusion", at)  # no change, no audit
    assert screenings.events(visit.id) == {"infusion": at}
    screenings.set_event(visit.id, "infusion", None)
    assert screenings.events(visit.id) == {}
    assert [d for *_, d in audit(registry, "event.set")] == [
        {"name": "infusion", "old": None, "new": "2026-11-17T10:00:30.000005"},
        {"name": "infusion", "old": "2026-11-17T10:00:30.000005", "new": None}]
    with pytest.raises(ValidationFailed) as caught:
        screenings.set_event(visit.id, "surgery", at)
    assert caught.value.errors["name"].startswith("Event: 'surgery' is not a planned event")
    with pytest.raises(ValidationFailed) as caught:
        screenings.set_event(visit.id, "infusion", at.replace(tzinfo=UTC))
    assert list(caught.value.errors) == ["at"]
    assert screenings.events(visit.id) == {}


# -- answers ----------------------------------------------------------------------------

def test_answers(screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    visit = _draft(screenings, patient_id)
    assert screenings.answers(visit.id) == {}
    version = screenings.set_answer(visit.id, "apl", "no", " checked ", " path report ")
    [row] = screenings.answers(visit.id).values()
    assert (row.visit_id, row.criterion_id, row.value, row.note, row.source_document,
            row.entered_by, row.version) == (visit.id, "apl", "no", "checked", "path report",
                                             "coordinator", version)
    # the same answer again: nothing written, the version stays
    assert screenings.set_answer(visit.id, "apl", "no", "checked", "path report") == version
    donor = screenings.set_answer(visit.id, "donor", "yes")
    changed = screenings.set_answer(visit.id, "apl", "n/a", "checked", "path report")
    assert version < donor < changed
    assert {cid: a.version for cid, a in screenings.answers(visit.id).items()} == {
        "apl": changed, "donor": donor}
    cleared = screenings.set_answer(visit.id, "donor", None)
    assert cleared > changed
    assert list(screenings.answers(visit.id)) == ["apl"]
    assert screenings.entries(visit.id).version("answer", "donor") == cleared
    details = [d for *_, d in audit(registry, "answer.set")]
    assert details[0] == {"criterion_id": "apl", "old": None,
                          "new": {"value": "no", "note": "checked",
                                  "source_document": "path report"}}
    assert details[2]["old"]["value"] == "no"
    assert details[2]["new"]["value"] == "n/a"
    assert details[3] == {"criterion_id": "donor", "old": {"value": "yes", "note": "",
                                                           "source_document": ""},
                          "new": None}
    assert len(details) == 4


def test_answer_value_checked(screenings: ScreeningRepository, patient_id: int) -> None:
    visit = _draft(screenings, patient_id)
    with pytest.raises(ValidationFailed) as caught:
        screenings.set_answer(visit.id, "apl", "maybe")  # type: ignore[arg-type]
    assert caught.value.errors == {"value": "Answer: choose yes, no or n/a."}
    with pytest.raises(ValidationFailed) as caught:
        screenings.set_answer(visit.id, " ", "yes")
    assert list(caught.value.errors) == ["criterion_id"]
    assert screenings.answers(visit.id) == {}


@pytest.mark.parametrize("value", ["yes", "no", "n/a"])
def test_answer_values_stored(screenings: ScreeningRepository, registry: Registry,
                              patient_id: int, value: AnswerValue) -> None:
    visit = _draft(screenings, patient_id)
    screenings.set_answer(visit.id, "apl", value)
    with registry.read() as conn:
        assert conn.execute("SELECT value FROM answer").fetchone() == (value,)


def test_answer_check_constraint_in_database(registry: Registry, screenings: ScreeningRepository,
                                             patient_id: int) -> None:
    visit = _draft(screenings, patient_id)
    with registry.engine.connect() as conn, pytest.raises(Exception, match="CHECK"):
        conn.exec_driver_sql(
            "INSERT INTO answer (visit_id, criterion_id, value, note, source_document, "
            f"entered_by, entered_at) VALUES ({visit.id}, 'apl', 'maybe', '', '', 'x', "
            "'2026-11-01 00:00:00.000000')")

