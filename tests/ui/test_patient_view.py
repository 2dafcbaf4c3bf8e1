"""The patient view: screenings per trial, stage states, what is due, gating, the log.

The site here opens the next stage once a stage is completed eligible, before the
investigator's signature (the signature's gating: test_signing_dialog).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as clock_time

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.domain.visits import StageState
from desktop.registry.database import Registry
from desktop.registry.patients import PatientRow
from desktop.services.accounts import AccountService
from desktop.services.passwords import fast_hasher
from desktop.services.signing import Action, OverrideParty, SigningService
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.patients.main_window import MainWindow
from desktop.ui.screening.patient_view import PatientView
from desktop.ui.screening.screening_log import ScreeningLogWindow
from desktop.ui.screening.visit_form import VisitForm
from tests.registry.conftest import sign_as
from tests.ui.conftest import AddPatient, Clock
from tests.ui.screening_support import example, open_before_signature, store_example
from tests.ui.session_support import PASSWORD, seed_investigator

TRIAL = "NCT06152809"


@pytest.fixture(autouse=True)
def _next_stage_opens_before_signature(registry: Registry) -> None:
    open_before_signature(registry)


def _view(qtbot: QtBot, context: ScreeningContext, patient: PatientRow) -> PatientView:
    view = PatientView(context, patient)
    qtbot.addWidget(view)
    view.show()
    return view


def _patient(add_patient: AddPatient) -> PatientRow:
    return add_patient("P-1", "Doe", "Jane", date(1958, 4, 12), "male")


def _start(qtbot: QtBot, view: PatientView, trial_id: str) -> None:
    view.trial_choice.setCurrentIndex(view.trial_choice.findData(trial_id))
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)


def _cell(view: PatientView, row: int, column: int) -> str:
    return str(view.slots_model.index(row, column).data())


def test_a_new_patient_is_offered_every_trial(qtbot: QtBot, context: ScreeningContext,
                                               add_patient: AddPatient) -> None:
    view = _view(qtbot, context, _patient(add_patient))
    assert view.screenings_model.rowCount() == 0
    assert "Not screened for any trial yet" in view.due_label.text()
    assert not view.log_button.isEnabled()
    assert not view.open_button.isEnabled()
    offered = [view.trial_choice.itemData(i) for i in range(view.trial_choice.count())]
    assert offered == ["NCT05744440", "NCT06138587", "NCT06152809", "NCT06835140",
                       "NCT07011004"]
    assert "DOE, Jane (MRN P-1)" in view.header.text()
    assert "(68 y)" in view.header.text()  # on the test clock's 2 Nov 2026


def test_starting_a_screening_lists_its_stages_in_order_and_only_the_first_opens(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        messages: RecordingMessages) -> None:
    view = _view(qtbot, context, _patient(add_patient))
    _start(qtbot, view, TRIAL)
    assert view.screenings_model.rowCount() == 1
    # The chooser stays on the trial just started, marked, and it is not offered twice.
    assert view.trial_choice.currentData() == TRIAL
    assert view.trial_choice.currentText().endswith(" (being screened)")
    assert not view.start_button.isEnabled()
    assert view.start_button.toolTip() == ("DOE, Jane (MRN P-1) is already being screened "
                                           f"for {TRIAL}: choose another trial to start a "
                                           f"second screening.")
    view.trial_choice.setCurrentIndex(view.trial_choice.findData("NCT06835140"))
    assert view.start_button.isEnabled()
    stages = str(view.screenings_model.index(0, 1).data()).splitlines()
    assert stages == [
        "○ Screening #1: trial enrollment: not started",
        "○ Screening #2: start of investigational treatment: not started",
        "○ Before lymphodepletion (Day -5): not started",
        "○ Before CIML NK cell infusion: not started",
        "○ Before venetoclax: not started",
    ]
    assert [_cell(view, r, 2) for r in range(5)] == [
        "may be started now"] + ["waits for the stage before"] * 4

    view.slots.selectRow(1)
    assert view.open_selected_stage() is None
    assert messages.messages[-1].title == "Stage not open yet"
    assert context.screenings.visits(view.screenings_model.summary_at(0)
                                     .screening.id) == []  # type: ignore[union-attr]


def test_a_completed_eligible_stage_opens_the_next_and_says_what_is_due(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        clock: Clock) -> None:
    patient = _patient(add_patient)
    repo, trial = context.screenings, context.trial(TRIAL)
    screening = repo.start(patient.id, trial)
    visit = repo.start_visit(screening.id, trial, "screening-1")
    store_example(repo, patient.id, visit, TRIAL)
    assert repo.complete(visit.id).decision == "eligible"
    clock.now = datetime.fromisoformat(example(TRIAL, "screening-2")["as_of"])
    visit2 = repo.start_visit(screening.id, trial, "screening-2")
    store_example(repo, patient.id, visit2, TRIAL)
    assert repo.complete(visit2.id).decision == "eligible"

    view = _view(qtbot, context, patient)
    stages = str(view.screenings_model.index(0, 1).data()).splitlines()
    assert stages[0] == "✔ Screening #1: trial enrollment: eligible"
    assert stages[2] == "○ Before lymphodepletion (Day -5): not started"
    # The next slot is chosen and its button says what it does.
    assert view.slots.currentIndex().row() == 2
    assert view.open_button.text() == "Start stage: Before lymphodepletion (Day -5)"
    assert "completed eligible" in _cell(view, 0, 2)
    assert "by tester" in _cell(view, 0, 2)
    due = view.screenings_model.index(0, 2).data()
    assert due == view.due_label.text().removeprefix("Next: ")
    assert "Before lymphodepletion" in due


def test_a_not_eligible_stage_is_a_screen_failure_in_the_view_and_the_log(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        messages: RecordingMessages) -> None:
    patient = _patient(add_patient)
    repo, trial = context.screenings, context.trial(TRIAL)
    screening = repo.start(patient.id, trial)
    visit = repo.start_visit(screening.id, trial, "screening-1")
    store_example(repo, patient.id, visit, TRIAL, changes={"ecog": "3"})
    assert repo.complete(visit.id).decision == "not_eligible"

    view = _view(qtbot, context, patient)
    assert _cell(view, 0, 1) == "✘ not eligible"
    # The failing criterion by its number and text, never the trial file's id ("ecog").
    assert "screen failure: #5 ECOG performance status ≤2" in _cell(view, 0, 2)
    assert "ecog" not in _cell(view, 0, 2)
    tip = str(view.slots_model.index(0, 2).data(Qt.ItemDataRole.ToolTipRole))
    assert "• #5 ECOG performance status ≤2 (see Appendix A): ECOG 3 on" in tip
    assert "ecog:" not in tip
    assert view.screenings_model.index(0, 2).data() == \
        "Screen failure at Screening #1: trial enrollment"
    view.slots.selectRow(1)
    assert view.open_selected_stage() is None
    assert messages.messages[-1].title == "Stage not open yet"

    log = view.open_log()
    assert isinstance(log, ScreeningLogWindow)
    qtbot.addWidget(log)
    model = log.model
    assert model.rowCount() == 1
    row = [str(model.index(0, c).data()) for c in range(model.columnCount())]
    assert row[:2] == ["P-1", "DOE, Jane"]
    assert row[4] == "Screening #1: trial enrollment"
    assert row[5] == "✘ Screen failure"
    assert row[6] == "#5 ECOG performance status ≤2 (see Appendix A)"  # never the id
    tip = str(model.index(0, 6).data(Qt.ItemDataRole.ToolTipRole))
    assert ("#5 ECOG performance status ≤2 (see Appendix A) — "
            "ECOG 3 on 2026-11-02 08:30, not <= 2") in tip
    assert "1 patient screened, 1 screen failure." in log.heading.text()


def test_each_infusion_of_nct06835140_is_screened_in_its_own_visit(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        clock: Clock) -> None:
    trial_id = "NCT06835140"
    patient = add_patient("R-1", "Repeat", "Rita", date(1971, 7, 9), "male")
    repo, trial = context.screenings, context.trial(trial_id)
    screening = repo.start(patient.id, trial)
    clock.now = datetime.fromisoformat(example(trial_id, "screening-1")["as_of"])
    first = repo.start_visit(screening.id, trial, "screening-1")
    store_example(repo, patient.id, first, trial_id)
    assert repo.complete(first.id).decision == "eligible"
    infusion = datetime.fromisoformat(example(trial_id, "pre-infusion")["events"]["infusion"])
    clock.now = datetime.fromisoformat(example(trial_id, "pre-infusion")["as_of"])

    view = _view(qtbot, context, patient)
    titles = [view.slots_model.slot_at(r).title for r in range(4)]  # type: ignore[union-attr]
    assert titles == ["Screening #1", "Pre-infusion (1 of 3)", "Pre-infusion (2 of 3)",
                      "Pre-infusion (3 of 3)"]
    assert view.slots.currentIndex().row() == 1
    form = view.open_selected_stage()
    assert form is not None
    form.close()
    visits = repo.visits(screening.id)
    assert [(v.stage_id, v.repeat) for v in visits] == [("screening-1", 1), ("pre-infusion", 1)]
    # The planned dates carry forward from screening #1 into the infusion visit.
    assert repo.events(visits[1].id)["infusion"] == infusion

    store_example(repo, patient.id, visits[1], trial_id)
    assert repo.complete(visits[1].id).decision == "eligible"
    view.reload()
    assert view.slots.currentIndex().row() == 2
    assert view.open_button.text() == "Start stage: Pre-infusion (2 of 3)"
    second_form = view.open_selected_stage()
    assert second_form is not None
    second_form.close()
    second = repo.visits(screening.id)[-1]
    assert (second.stage_id, second.repeat, second.status) == ("pre-infusion", 2, "draft")
    assert second.id != visits[1].id
    # The second infusion has its own date; the first visit keeps its own.
    repo.set_event(second.id, "infusion", infusion + timedelta(days=14))
    assert repo.events(visits[1].id)["infusion"] == infusion
    view.reload()
    lines = str(view.screenings_model.index(0, 1).data()).splitlines()
    assert lines[1:3] == ["✔ Pre-infusion (1 of 3): eligible",
                          "◐ Pre-infusion (2 of 3): in progress"]


def test_the_view_models_are_well_behaved_qt_models(
        qtbot: QtBot, qtmodeltester: ModelTester, context: ScreeningContext,
        add_patient: AddPatient) -> None:
    view = _view(qtbot, context, _patient(add_patient))
    _start(qtbot, view, TRIAL)
    _start(qtbot, view, "NCT06835140")
    qtmodeltester.check(view.screenings_model)
    qtmodeltester.check(view.slots_model)
    log = view.open_log()
    assert isinstance(log, ScreeningLogWindow)
    qtbot.addWidget(log)
    qtmodeltester.check(log.model)
    assert view.slots_model.headerData(7, Qt.Orientation.Horizontal) is None


def test_an_override_is_shown_with_the_stage_and_opens_the_next(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        clock: Clock) -> None:
    patient = _patient(add_patient)
    repo, trial = context.screenings, context.trial(TRIAL)
    screening = repo.start(patient.id, trial)
    for stage_id in ("screening-1", "screening-2", "pre-lymphodepletion", "pre-infusion"):
        clock.now = datetime.fromisoformat(example(TRIAL, stage_id)["as_of"])
        visit = repo.start_visit(screening.id, trial, stage_id)
        # 20 mg prednisone on the day of infusion: more than the protocol allows.
        store_example(repo, patient.id, visit, TRIAL,
                      changes={"prednisone_equivalent": "20"})
        repo.complete(visit.id)
    failed = repo.visits(screening.id)[-1]
    assert failed.decision == "not_eligible"
    # A delegated investigator approves proceeding, naming the IND holder who agreed.
    ivy = seed_investigator(context.registry, TRIAL)
    signing = SigningService.open(context.registry, ivy,
                                  AccountService(context.registry, hasher=fast_hasher()),
                                  clock=clock)
    agreed = datetime.combine(clock.now.date(), clock_time(0, 0)).astimezone()
    sign_as(signing, failed.id, Action.OVERRIDE, "ivy", PASSWORD,
                 rationale="Steroid dose reviewed: a single premedication dose.",
                 parties=(OverrideParty("IND holder", "Dr B Holder", agreed, "email on file"),))

    view = _view(qtbot, context, patient)
    assert _cell(view, 3, 1) == "⚑ overridden"
    assert "approved to proceed despite unmet criteria Dr Ivy Investigator" in _cell(view, 3, 2)
    assert "rationale: Steroid dose reviewed" in _cell(view, 3, 2)
    assert "⚑ Before CIML NK cell infusion: overridden" in \
        str(view.screenings_model.index(0, 1).data())
    assert view.slots.currentIndex().row() == 4
    assert view.open_button.text() == "Start stage: Before venetoclax"
    badge = [lane.state for lane in view.timeline.timeline().lanes]  # type: ignore[union-attr]
    assert badge[3] is StageState.OVERRIDDEN
    log = view.open_log()
    assert isinstance(log, ScreeningLogWindow)
    qtbot.addWidget(log)
    assert "⚑" in str(log.model.index(0, 5).data())


def test_a_date_of_birth_changed_after_completion_shows_on_the_stage_and_the_open_stage_follows(
        qtbot: QtBot, window: MainWindow, context: ScreeningContext, add_patient: AddPatient,
        clock: Clock, messages: RecordingMessages) -> None:
    patient = _patient(add_patient)  # born 1958-04-12, male
    repo, trial = context.screenings, context.trial(TRIAL)
    screening = repo.start(patient.id, trial)
    first = repo.start_visit(screening.id, trial, "screening-1")
    store_example(repo, patient.id, first, TRIAL)
    assert repo.complete(first.id).decision == "eligible"
    clock.now = datetime.fromisoformat(example(TRIAL, "screening-2")["as_of"])
    second = repo.start_visit(screening.id, trial, "screening-2")
    store_example(repo, patient.id, second, TRIAL)  # in progress, everything saved

    window.model.refresh()
    window.table.selectRow(0)
    view = window.open_selected()
    assert view is not None
    view.slots.selectRow(0)
    done = view.open_selected_stage()
    view.slots.selectRow(1)
    draft = view.open_selected_stage()
    assert isinstance(done, VisitForm)
    assert isinstance(draft, VisitForm)
    assert draft.model.outcome("crcl") == "pass"
    assert "age 68 y" in (draft.model.reason("crcl") or "")
    assert "changed after completion" not in done.record_box.text()

    # Edited in the patient list (Edit patient…): born 2010, female.
    window.edit_selected()
    dialog = window.dialog
    assert dialog is not None
    dialog.birth_date.clear()
    qtbot.keyClicks(dialog.birth_date, "2010-01-01")
    dialog.sex.setCurrentIndex(dialog.sex.findData("female"))
    with qtbot.waitSignal(dialog.finished, timeout=1000):
        dialog.submit()

    [dob, _sex] = repo.patient_changes(patient.id)
    when = f"{dob.changed_at.astimezone():%Y-%m-%d %H:%M}"
    expected = (f"⚠ changed after completion: date of birth 1958-04-12 → 2010-01-01 by tester "
                f"on {when}; sex male → female by tester on {when}")
    # The patient view: the header, and the completed stage (not the draft).
    assert "born 2010-01-01 (16 y)   ·   female" in view.header.text()
    assert expected in _cell(view, 0, 2)
    assert "changed after completion" not in _cell(view, 1, 2)
    # The completed visit keeps its stored decision and says what changed since.
    assert done.banner.decision == "eligible"
    assert done.model.outcome("age") == "pass"
    assert expected in done.record_box.text()
    assert "assessed with the earlier value" in done.record_box.text()
    # The open visit re-evaluates with the new date of birth and sex at once.
    reason = draft.model.reason("crcl") or ""
    assert "age 16 y" in reason
    assert reason.endswith("female) >= 45")
    assert "born 2010-01-01 · female" in draft.header.text()
    # Asked why first (a completed stage was decided on them), and nothing else.
    assert [m.kind for m in messages.messages] == ["reason"]

    # Completing the open stage now decides on what the registry holds: the new values.
    assert repo.complete(second.id).decision == "eligible"
    snapshot = repo.verdict_snapshot(second.id)
    assert snapshot is not None
    crcl = next(c for c in snapshot["criteria"]  # type: ignore[attr-defined]
                if c["id"] == "crcl")
    assert "age 16 y" in crcl["reason"]
