"""Screenings and visits: starting, gating by visit slots, completing, overriding, signing."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from desktop.domain.draft import make_record, observation
from desktop.domain.engine import evaluate
from desktop.domain.signing import Action
from desktop.domain.trial import Trial
from desktop.domain.visits import StageState
from desktop.library import find_trial
from desktop.registry.database import Registry
from desktop.registry.patients import PatientInput, PatientNotFound, PatientRepository
from desktop.registry.screening_rows import ObservationInput, VisitRow, changed_after_completion
from desktop.registry.screenings import (
    ScreeningNotFound,
    ScreeningRefused,
    ScreeningRepository,
    VisitNotFound,
    trials_from,
)
from desktop.site import SiteError
from tests.registry.conftest import CLOCK, IND_HOLDER, example, sign, store_example

#: screening-1, pre-infusion repeated 3 times, no override.
REPEATED = find_trial("NCT06835140")
#: screening-1, pre-infusion with an override agreed by PI and IND holder.
TWO_STAGES = find_trial("NCT06138587")
#: five stages; pre-infusion (4th) may be overridden.
FIVE_STAGES = find_trial("NCT06152809")


def _complete(screenings: ScreeningRepository, visit: VisitRow, trial: Trial,
              answers: dict[str, Any] | None = None) -> VisitRow:
    """Save the example record of the visit's stage (``answers`` changed) and complete it:
    the repository decides from what was saved."""
    patient_id = screenings.screening(visit.screening_id).patient_id
    store_example(screenings, patient_id, visit, trial.id, answers)
    return screenings.complete(visit.id)


def _run(screenings: ScreeningRepository, screening_id: int, trial: Trial, stage_id: str,
         answers: dict[str, Any] | None = None) -> VisitRow:
    """Start a visit of ``stage_id``, enter its example record and complete it; an
    eligible one is confirmed by the investigator, so the next stage may open."""
    done = _complete(screenings, screenings.start_visit(screening_id, trial, stage_id), trial,
                     answers)
    if done.decision == "eligible":
        sign(screenings, done.id)
        return screenings.visit(done.id)
    return done


def audit(registry: Registry, action: str) -> list[tuple[str, str, int, dict[str, Any]]]:
    with registry.read() as conn:
        rows = conn.execute("SELECT actor, entity, entity_id, details FROM audit_event "
                            "WHERE action = ? ORDER BY id", (action,)).fetchall()
    return [(actor, entity, entity_id, json.loads(details))
            for actor, entity, entity_id, details in rows]


# -- screenings -------------------------------------------------------------------------

def test_start_a_screening(screenings: ScreeningRepository, registry: Registry,
                           patient_id: int) -> None:
    row = screenings.start(patient_id, REPEATED)
    assert (row.patient_id, row.trial_id, row.started_by) == (patient_id, REPEATED.id,
                                                              "coordinator")
    assert row.started_at.tzinfo is UTC
    assert screenings.screening(row.id) == row
    assert screenings.screenings(patient_id) == [row]
    assert screenings.visits(row.id) == []
    assert audit(registry, "screening.start") == [
        ("coordinator", "screening", row.id,
         {"patient_id": patient_id, "trial_id": REPEATED.id,
          "protocol_version": REPEATED.protocol_version})]


def test_a_patient_is_screened_once_per_trial(screenings: ScreeningRepository,
                                              patient_id: int) -> None:
    first = screenings.start(patient_id, REPEATED)
    with pytest.raises(ScreeningRefused, match=f"already being screened for {REPEATED.id}"):
        screenings.start(patient_id, REPEATED)
    second = screenings.start(patient_id, TWO_STAGES)
    assert screenings.screenings(patient_id) == [first, second]


def test_archived_patient_cannot_start(screenings: ScreeningRepository, repo: PatientRepository,
                                       patient_id: int) -> None:
    repo.set_archived(patient_id, True)
    with pytest.raises(ScreeningRefused, match="archived; restore the patient"):
        screenings.start(patient_id, REPEATED)


def test_unknown_ids(screenings: ScreeningRepository, patient_id: int) -> None:
    with pytest.raises(PatientNotFound, match="No patient with id 999"):
        screenings.start(999, REPEATED)
    with pytest.raises(PatientNotFound):
        screenings.screenings(999)
    with pytest.raises(ScreeningNotFound, match="No screening with id 999"):
        screenings.screening(999)
    with pytest.raises(ScreeningNotFound):
        screenings.visits(999)
    with pytest.raises(ScreeningNotFound):
        screenings.start_visit(999, REPEATED, "screening-1")
    with pytest.raises(ScreeningNotFound):
        screenings.screen_failures(999)
    with pytest.raises(VisitNotFound, match="No visit with id 999"):
        screenings.visit(999)
    for read in (screenings.events, screenings.answers, screenings.verdict_snapshot):
        with pytest.raises(VisitNotFound):
            read(999)
    with pytest.raises(VisitNotFound):
        screenings.set_event(999, "infusion", None)
    with pytest.raises(VisitNotFound):
        sign(screenings, 999)


# -- gating -----------------------------------------------------------------------------

def test_stages_open_in_order(screenings: ScreeningRepository, patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    with pytest.raises(ScreeningRefused,
                       match=r"Pre-infusion \(1 of 3\) cannot start before Screening #1 is "
                             r"completed\."):
        screenings.start_visit(screening.id, REPEATED, "pre-infusion")
    first = screenings.start_visit(screening.id, REPEATED, "screening-1")
    assert (first.stage_id, first.repeat, first.status, first.state) == (
        "screening-1", 1, "draft", StageState.IN_PROGRESS)
    with pytest.raises(ScreeningRefused, match="while Screening #1 is in progress"):
        screenings.start_visit(screening.id, REPEATED, "pre-infusion")
    with pytest.raises(ScreeningRefused, match="A draft Screening #1 visit is already open"):
        screenings.start_visit(screening.id, REPEATED, "screening-1")
    done = _complete(screenings, first, REPEATED)
    assert done.state is StageState.AWAITING_SIGNATURE
    with pytest.raises(ScreeningRefused, match=r"Pre-infusion \(1 of 3\) cannot start before "
                                               r"an investigator confirms Screening #1"):
        screenings.start_visit(screening.id, REPEATED, "pre-infusion")
    sign(screenings, done.id)
    done = screenings.visit(done.id)
    assert done.state is StageState.SIGNED
    with pytest.raises(ScreeningRefused, match="Screening #1 has already been completed"):
        screenings.start_visit(screening.id, REPEATED, "screening-1")
    second = screenings.start_visit(screening.id, REPEATED, "pre-infusion")
    assert (second.stage_id, second.repeat) == ("pre-infusion", 1)
    assert screenings.visits(screening.id) == [done, second]


def test_unknown_stage_and_other_trial_refused(screenings: ScreeningRepository,
                                               patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    with pytest.raises(ScreeningRefused, match="'pre-venetoclax' is not a stage of NCT06835140"):
        screenings.start_visit(screening.id, REPEATED, "pre-venetoclax")
    with pytest.raises(ScreeningRefused, match="This screening is for NCT06835140, not "
                                               "NCT06138587"):
        screenings.start_visit(screening.id, TWO_STAGES, "screening-1")
    assert screenings.visits(screening.id) == []


def test_not_eligible_ends_the_screening(screenings: ScreeningRepository, registry: Registry,
                                         patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    visit = screenings.start_visit(screening.id, REPEATED, "screening-1")
    done = _complete(screenings, visit, REPEATED, {"apl": True})
    assert (done.decision, done.state) == ("not_eligible", StageState.NOT_ELIGIBLE)
    with pytest.raises(ScreeningRefused, match="Screening #1 was completed not eligible; the "
                                               "screening ended there"):
        screenings.start_visit(screening.id, REPEATED, "pre-infusion")
    with pytest.raises(ScreeningRefused, match="screen failure"):
        screenings.start_visit(screening.id, REPEATED, "screening-1")

    [failure] = screenings.screen_failures(screening.id)
    # APL is an exclusion: "yes" means the patient has it.
    assert failure.reasons == (("apl", "Answered yes: condition present"),)
    assert (failure.visit_id, failure.screening_id, failure.stage_id, failure.repeat,
            failure.recorded_by) == (visit.id, screening.id, "screening-1", 1, "coordinator")
    [(actor, entity, entity_id, details)] = audit(registry, "visit.complete")
    assert (actor, entity, entity_id) == ("coordinator", "visit", visit.id)
    assert details["decision"] == "not_eligible"
    assert details["failing"] == [["apl", "Answered yes: condition present"]]


def test_repeated_stage_up_to_its_repeats(screenings: ScreeningRepository,
                                          patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    _run(screenings, screening.id, REPEATED, "screening-1")
    repeats = []
    for expected in (1, 2, 3):
        visit = screenings.start_visit(screening.id, REPEATED, "pre-infusion")
        assert visit.repeat == expected
        with pytest.raises(ScreeningRefused, match=rf"draft Pre-infusion \({expected} of 3\) "
                                                   rf"visit is already open"):
            screenings.start_visit(screening.id, REPEATED, "pre-infusion")
        repeats.append(_complete(screenings, visit, REPEATED))
        assert repeats[-1].state is StageState.AWAITING_SIGNATURE
        sign(screenings, visit.id)
    assert [screenings.visit(v.id).state for v in repeats] == [StageState.SIGNED] * 3
    with pytest.raises(ScreeningRefused, match="All 3 Pre-infusion visits the protocol plans "
                                               "have already been completed"):
        screenings.start_visit(screening.id, REPEATED, "pre-infusion")
    assert [(v.stage_id, v.repeat) for v in screenings.visits(screening.id)] == [
        ("screening-1", 1), ("pre-infusion", 1), ("pre-infusion", 2), ("pre-infusion", 3)]


def test_a_not_eligible_repeat_stops_the_next_repeat(screenings: ScreeningRepository,
                                                     patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    _run(screenings, screening.id, REPEATED, "screening-1")
    _run(screenings, screening.id, REPEATED, "pre-infusion")
    failed = _run(screenings, screening.id, REPEATED, "pre-infusion", {"steroids": True})
    assert (failed.repeat, failed.state) == (2, StageState.NOT_ELIGIBLE)
    with pytest.raises(ScreeningRefused, match=r"Pre-infusion \(2 of 3\) was completed not "
                                               r"eligible \(a screen failure\)"):
        screenings.start_visit(screening.id, REPEATED, "pre-infusion")


def _failed_pre_infusion(screenings: ScreeningRepository, patient_id: int) -> VisitRow:
    screening = screenings.start(patient_id, TWO_STAGES)
    _run(screenings, screening.id, TWO_STAGES, "screening-1")
    return _run(screenings, screening.id, TWO_STAGES, "pre-infusion", {"clinical-status": False})


# -- completing -------------------------------------------------------------------------

def test_complete_stores_decision_and_snapshot(screenings: ScreeningRepository,
                                               patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    visit = screenings.start_visit(screening.id, REPEATED, "screening-1")
    assert screenings.verdict_snapshot(visit.id) is None
    store_example(screenings, patient_id, visit, REPEATED.id)
    done = screenings.complete(visit.id)
    assert (done.status, done.decision, done.completed_by, done.assessed_at) == (
        "completed", "eligible", "coordinator", CLOCK)  # assessed as of the completion
    assert done.completed_at is not None
    assert done.completed_at.tzinfo is UTC
    assert screenings.visit(visit.id) == done
    snapshot = screenings.verdict_snapshot(visit.id)
    assert snapshot is not None
    assert (snapshot["trial"], snapshot["stage"], snapshot["decision"]) == (
        "NCT06835140", "screening-1", "eligible")
    criteria = snapshot["criteria"]
    assert isinstance(criteria, list)
    assert [c["id"] for c in criteria] == [
        "age", "diagnosis-rr-aml", "cd123", "performance-status", "donor", "apl",
        "cd123-low", "prior-toxicity", "gvhd", "cv-disease-6mo", "nyha-arrhythmia",
        "cv-other", "pregnant-breastfeeding", "cmv-dna", "infections", "allergy",
        "neurological"]
    assert {c["outcome"] for c in criteria} == {"pass"}
    # The patient of the registry (born 1971-07-09), on the completion date.
    assert criteria[0]["reason"] == ("Age 55 y (born 1971-07-09, on 2026-12-31) >= 18; "
                                     "Age 55 y (born 1971-07-09, on 2026-12-31) <= 70")
    assert screenings.screen_failures(screening.id) == []


def test_a_verdict_cannot_be_handed_in(screenings: ScreeningRepository,
                                       patient_id: int) -> None:
    """The bug: an empty draft completed with an unrelated example's verdict was stored
    as eligible. Now nothing but the visit is named; the registry decides."""
    assert list(inspect.signature(screenings.complete).parameters) == ["visit_id", "expect"]
    screening = screenings.start(patient_id, REPEATED)
    visit = screenings.start_visit(screening.id, REPEATED, "screening-1")
    data = example(REPEATED.id, "screening-1")
    record = make_record(date(1971, 7, 9), "male", CLOCK, {}, {}, [
        observation(o["code"], str(o["value"]), o["unit"], datetime.fromisoformat(o["at"]))
        for o in data["observations"]], {k: {True: "yes", False: "no"}.get(v, "n/a")
                                         for k, v in data["answers"].items()})
    eligible = evaluate(REPEATED, "screening-1", record)
    assert eligible.decision == "eligible"
    with pytest.raises(TypeError):
        screenings.complete(visit.id, eligible)  # type: ignore[misc]
    with pytest.raises(TypeError):
        screenings.complete(visit.id, verdict=eligible)  # type: ignore[call-arg]
    assert screenings.visit(visit.id).status == "draft"


def test_an_empty_draft_is_never_completed_eligible(screenings: ScreeningRepository,
                                                    registry: Registry,
                                                    patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    visit = screenings.start_visit(screening.id, REPEATED, "screening-1")
    assert screenings.evaluate_visit(visit.id).decision == "incomplete"
    for expect in (None, "eligible"):
        with pytest.raises(ScreeningRefused, match=r"Screening #1 cannot be completed while "
                                                   r"its decision is incomplete: 16 criteria "
                                                   r"have no answer or result yet "
                                                   r"\(diagnosis-rr-aml, cd123, "):
            screenings.complete(visit.id, expect=expect)  # type: ignore[arg-type]
    assert screenings.visit(visit.id) == visit
    assert screenings.verdict_snapshot(visit.id) is None
    assert audit(registry, "visit.complete") == []


def test_complete_refuses_an_incomplete_record(screenings: ScreeningRepository,
                                               registry: Registry, patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    visit = screenings.start_visit(screening.id, REPEATED, "screening-1")
    store_example(screenings, patient_id, visit, REPEATED.id, keep_answers=False)
    with pytest.raises(ScreeningRefused, match=r"Screening #1 cannot be completed while its "
                                               r"decision is incomplete: 12 criteria have no "
                                               r"answer or result yet"):
        screenings.complete(visit.id)
    assert screenings.visit(visit.id) == visit
    assert audit(registry, "visit.complete") == []


def test_expect_only_guards_the_decision_the_user_saw(screenings: ScreeningRepository,
                                                      registry: Registry,
                                                      patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    visit = screenings.start_visit(screening.id, REPEATED, "screening-1")
    store_example(screenings, patient_id, visit, REPEATED.id, {"apl": True})
    with pytest.raises(ScreeningRefused, match=r"Screening #1 was not completed: it was to be "
                                               r"completed eligible, but what the registry "
                                               r"holds now decides not eligible \(an entry "
                                               r"changed meanwhile\)"):
        screenings.complete(visit.id, expect="eligible")
    assert screenings.visit(visit.id).status == "draft"
    assert audit(registry, "visit.complete") == []
    done = screenings.complete(visit.id, expect="not_eligible")
    assert done.decision == "not_eligible"


def test_completion_reads_the_patient_as_the_registry_holds_it(
        screenings: ScreeningRepository, repo: PatientRepository, patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    visit = screenings.start_visit(screening.id, REPEATED, "screening-1")
    store_example(screenings, patient_id, visit, REPEATED.id)
    # Born 2010: 16 on the completion date, below the trial's 18.
    repo.update(patient_id, PatientInput("SCR1", "Fictional", "Ann", date(2010, 1, 1), "male"))
    done = screenings.complete(visit.id)
    assert done.decision == "not_eligible"
    [failure] = screenings.screen_failures(screening.id)
    assert failure.reasons == (("age", "Age 16 y (born 2010-01-01, on 2026-12-31), not >= 18; "
                                       "Age 16 y (born 2010-01-01, on 2026-12-31) <= 70"),)


def test_completion_leaves_retracted_results_out(screenings: ScreeningRepository,
                                                 patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    visit = screenings.start_visit(screening.id, REPEATED, "screening-1")
    store_example(screenings, patient_id, visit, REPEATED.id)
    [ecog] = screenings.observations(patient_id, "ecog")
    screenings.retract_observation(ecog.id, "entered for the wrong patient")
    with pytest.raises(ScreeningRefused, match=r"1 criterion has no answer or result yet "
                                               r"\(performance-status\)"):
        screenings.complete(visit.id)


def test_a_saved_result_that_cannot_be_read_refuses_completion(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    """Never skipped: an older ECOG would stand in for it."""
    screening = screenings.start(patient_id, REPEATED)
    visit = screenings.start_visit(screening.id, REPEATED, "screening-1")
    store_example(screenings, patient_id, visit, REPEATED.id)
    with registry.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE observation SET value = '1,5' WHERE code = 'ecog'")
    with pytest.raises(ScreeningRefused, match=r"Screening #1 cannot be evaluated: saved "
                                               r"results can no longer be read: 1,5 score "
                                               r"taken 2026-10-30 10:00 \('1,5' is not a "
                                               r"number"):
        screenings.complete(visit.id)
    assert screenings.visit(visit.id).status == "draft"


def test_completion_refused_when_the_trial_or_site_cannot_be_read(
        registry: Registry, patient_id: int) -> None:
    writer = ScreeningRepository(registry, "coordinator", lambda: CLOCK)
    screening = writer.start(patient_id, REPEATED)
    visit = writer.start_visit(screening.id, REPEATED, "screening-1")
    store_example(writer, patient_id, visit, REPEATED.id)
    nothing = ScreeningRepository(registry, "coordinator", lambda: CLOCK,
                                  trials=trials_from({}))
    with pytest.raises(ScreeningRefused, match="The trial file of NCT06835140 could not be "
                                               "read, so the visit cannot be evaluated"):
        nothing.complete(visit.id)
    def unreadable() -> dict[str, Fraction]:
        raise SiteError("site.json: is not valid JSON")

    broken = ScreeningRepository(registry, "coordinator", lambda: CLOCK, site_uln=unreadable)
    with pytest.raises(ScreeningRefused, match="The site settings could not be read"):
        broken.complete(visit.id)
    assert writer.visit(visit.id).status == "draft"
    # A stray site.json is not read: the registry holds the site's settings.
    (Path(registry.path.parent) / "site.json").write_text("{not json", encoding="utf-8")
    # An explicit table (the app's, already read) is used as it is.
    given = ScreeningRepository(registry, "coordinator", lambda: CLOCK, site_uln={})
    assert given.complete(visit.id).decision == "eligible"


def test_a_completed_visit_is_locked(screenings: ScreeningRepository, patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    visit = screenings.start_visit(screening.id, REPEATED, "screening-1")
    done = _complete(screenings, visit, REPEATED)  # the example: APL "no", infusion 17 Nov
    saved = screenings.observations(patient_id)
    with pytest.raises(ScreeningRefused, match="completed and locked; its decision"):
        screenings.complete(visit.id)
    with pytest.raises(ScreeningRefused, match="completed and locked; its event dates"):
        screenings.set_event(visit.id, "infusion", datetime(2026, 11, 18, 10, 0))
    with pytest.raises(ScreeningRefused, match="completed and locked; its event dates"):
        screenings.set_event(visit.id, "infusion", None)
    with pytest.raises(ScreeningRefused, match="completed and locked; its answers"):
        screenings.set_answer(visit.id, "apl", "yes")
    with pytest.raises(ScreeningRefused, match="completed and locked"):
        screenings.set_answer(visit.id, "apl", None)
    with pytest.raises(ScreeningRefused, match="completed and locked"):
        screenings.add_observation(patient_id, visit.id, ObservationInput(
            "ecog", "1", "score", datetime(2026, 11, 1, 9, 0)))
    assert screenings.visit(visit.id) == done
    assert screenings.events(visit.id) == {"treatment_start": datetime(2026, 11, 12, 8, 0),
                                           "infusion": datetime(2026, 11, 17, 10, 0)}
    assert screenings.answers(visit.id)["apl"].value == "no"
    assert screenings.observations(patient_id) == saved


# -- events carried forward, and the audit of a whole visit ---------------------------

def test_events_are_carried_forward(screenings: ScreeningRepository, registry: Registry,
                                    patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    first = screenings.start_visit(screening.id, REPEATED, "screening-1")
    events = {"treatment_start": datetime(2026, 11, 12, 8, 0),
              "infusion": datetime(2026, 11, 17, 10, 0)}
    store_example(screenings, patient_id, first, REPEATED.id)  # the example's dates:
    assert screenings.events(first.id) == events
    screenings.complete(first.id)
    sign(screenings, first.id)
    second = screenings.start_visit(screening.id, REPEATED, "pre-infusion")
    assert screenings.events(second.id) == events
    # changed in the new visit only
    screenings.set_event(second.id, "infusion", datetime(2026, 11, 24, 10, 0))
    assert screenings.events(first.id) == events
    store_example(screenings, patient_id, second, REPEATED.id, events=False)
    screenings.complete(second.id)
    sign(screenings, second.id)
    third = screenings.start_visit(screening.id, REPEATED, "pre-infusion")
    assert screenings.events(third.id)["infusion"] == datetime(2026, 11, 24, 10, 0)

    starts = audit(registry, "visit.start")
    assert starts[0][3] == {"screening_id": screening.id, "stage_id": "screening-1",
                            "repeat": 1}
    assert starts[1][3]["events_carried_forward"] == {
        "from_visit": first.id,
        "events": {"infusion": "2026-11-17T10:00:00",
                   "treatment_start": "2026-11-12T08:00:00"}}
    assert starts[2][3]["events_carried_forward"]["from_visit"] == second.id


def test_every_write_is_audited_with_its_actor(registry: Registry, patient_id: int) -> None:
    screenings = ScreeningRepository(registry, " Casey Coordinator ", lambda: CLOCK)
    screening = screenings.start(patient_id, TWO_STAGES)
    visit = screenings.start_visit(screening.id, TWO_STAGES, "screening-1")
    screenings.set_event(visit.id, "infusion", datetime(2026, 11, 12, 10, 0))
    screenings.set_fact(patient_id, "gilbert_syndrome", True)
    obs = screenings.add_observation(patient_id, visit.id, ObservationInput(
        "ecog", "1", "score", datetime(2026, 11, 1, 9, 0)))
    screenings.update_observation(obs.id, ObservationInput(
        "ecog", "2", "score", datetime(2026, 11, 1, 9, 0)))
    screenings.retract_observation(obs.id, "wrong patient")
    screenings.set_answer(visit.id, "diagnosis-high-risk", "yes", "note", "clinic letter")
    _complete(screenings, visit, TWO_STAGES)
    sign(screenings, visit.id)
    pre = _run(screenings, screening.id, TWO_STAGES, "pre-infusion", {"clinical-status": False})
    sign(screenings, pre.id, Action.OVERRIDE, rationale="Reviewed: transient, agreed.",
         parties=[IND_HOLDER])
    with registry.read() as conn:
        rows = conn.execute("SELECT action, actor FROM audit_event WHERE action != "
                            "'patient.create' ORDER BY id").fetchall()
    assert {actor for _, actor in rows} == {"Casey Coordinator"}
    actions = [action for action, _ in rows]
    assert actions[:8] == [
        "screening.start", "visit.start", "event.set", "fact.set", "observation.add",
        "observation.update", "observation.retract", "answer.set"]
    # Then the example records' entries, each audited, around the visits' own steps.
    entries = {"event.set", "fact.set", "observation.add", "answer.set"}
    assert set(actions[8:]) - entries == {"visit.complete", "visit.signature", "visit.start"}
    assert [a for a in actions[8:] if a not in entries] == [
        "visit.complete", "visit.signature", "visit.start", "visit.complete",
        "visit.signature"]


def test_a_refused_write_leaves_no_audit(screenings: ScreeningRepository, registry: Registry,
                                         patient_id: int) -> None:
    screening = screenings.start(patient_id, REPEATED)
    with pytest.raises(ScreeningRefused):
        screenings.start_visit(screening.id, REPEATED, "pre-infusion")
    assert audit(registry, "visit.start") == []
    with registry.read() as conn:
        assert conn.execute("SELECT count(*) FROM visit").fetchone() == (0,)


def test_one_draft_per_screening_in_the_database(screenings: ScreeningRepository,
                                                 registry: Registry, patient_id: int) -> None:
    """The partial unique index backs the gating up, whatever a caller does."""
    screening = screenings.start(patient_id, REPEATED)
    screenings.start_visit(screening.id, REPEATED, "screening-1")
    with registry.engine.connect() as conn, pytest.raises(Exception, match="UNIQUE"):
        conn.exec_driver_sql(
            "INSERT INTO visit (screening_id, stage_id, repeat, status, started_at, "
            f"started_by) VALUES ({screening.id}, 'pre-infusion', 1, 'draft', "
            "'2026-11-01 00:00:00.000000', 'x')")
    with registry.engine.connect() as conn, pytest.raises(Exception, match="CHECK"):
        conn.exec_driver_sql(
            "INSERT INTO visit (screening_id, stage_id, repeat, status, started_at, "
            f"started_by) VALUES ({screening.id}, 'pre-infusion', 1, 'completed', "
            "'2026-11-01 00:00:00.000000', 'x')")



# -- the patient's details after completion -----------------------------------------------

def test_patient_changes_come_from_the_audit_trail(screenings: ScreeningRepository,
                                                   registry: Registry,
                                                   repo: PatientRepository,
                                                   patient_id: int) -> None:
    assert screenings.patient_changes(patient_id) == []
    repo.update(patient_id, PatientInput("SCR1", "Fictional", "Ann", date(1971, 7, 10), "male"))
    screening = screenings.start(patient_id, REPEATED)
    visit = _run(screenings, screening.id, REPEATED, "screening-1")
    assert visit.completed_at is not None
    assert changed_after_completion(screenings.patient_changes(patient_id), visit) == []
    renamed = PatientInput("SCR1", "Renamed", "Ann", date(1971, 7, 10), "male")
    repo.update(patient_id, renamed)  # not a detail a decision rests on
    assert len(screenings.patient_changes(patient_id)) == 1
    editor = PatientRepository(registry, "Dana Editor")
    editor.update(patient_id, PatientInput("SCR1", "Renamed", "Ann", date(2010, 1, 1),
                                           "female"), reason="birth certificate seen")

    changes = screenings.patient_changes(patient_id)
    assert [(c.field, c.label, c.old, c.new, c.changed_by) for c in changes] == [
        ("birth_date", "date of birth", "1971-07-09", "1971-07-10", "coordinator"),
        ("birth_date", "date of birth", "1971-07-10", "2010-01-01", "Dana Editor"),
        ("sex", "sex", "male", "female", "Dana Editor")]
    assert all(c.changed_at.tzinfo is UTC for c in changes)
    after = changed_after_completion(changes, visit)
    assert after == changes[1:]
    when = f"{after[0].changed_at.astimezone():%Y-%m-%d %H:%M}"
    assert after[0].text() == f"date of birth 1971-07-10 → 2010-01-01 by Dana Editor on {when}"
    # The stored decision is what it was; a draft has no "after completion".
    assert screenings.visit(visit.id).decision == "eligible"
    draft = screenings.start_visit(screening.id, REPEATED, "pre-infusion")
    assert changed_after_completion(changes, draft) == []
    assert screenings.patient(patient_id).birth_date == date(2010, 1, 1)
    with pytest.raises(PatientNotFound):
        screenings.patient_changes(999)
    with pytest.raises(PatientNotFound):
        screenings.patient(999)
