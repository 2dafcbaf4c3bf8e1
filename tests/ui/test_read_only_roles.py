"""The screening windows for someone who may not enter data (a monitor, an administrator
alone): everything shows, nothing that would be refused is offered, each disabled
control says why, and nothing is written, not even on closing. Complete follows the
screening service's answers for the logged-in user's roles, the signing buttons the
signing service's (signing itself: test_signing_dialog).

The visits are built with a coordinator's service first (test data); the windows under
test get a service opened for the actor whose screen it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor, Role
from desktop.domain.trial import Trial
from desktop.library import load_library
from desktop.registry.database import Registry
from desktop.registry.delegations import DelegationRepository
from desktop.registry.patients import PatientRow
from desktop.registry.screening_rows import VisitRow
from desktop.services.accounts import AccountService
from desktop.services.patients import PatientService
from desktop.services.screening import NotPermitted, ScreeningService
from desktop.services.signing import Action, SigningService
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.screening.patient_view import PatientView
from desktop.ui.screening.screening_log import ScreeningLogWindow
from desktop.ui.screening.visit_form import VisitForm
from tests.ui.conftest import AddPatient, Clock
from tests.ui.screening_support import (
    example,
    open_before_signature,
    store_example,
    type_text,
)

TRIAL = "NCT06152809"
SITE_ULN = {"ast": Fraction(40), "alt": Fraction(45), "bilirubin_total": Fraction("1.2"),
            "bilirubin_direct": Fraction("0.3")}
MONITOR = Actor("mo", "Mo Monitor", frozenset({Role.MONITOR}))
ADMIN = Actor("ada", "Ada Admin", frozenset({Role.ADMIN}))
COORDINATOR = Actor("cora", "Cora Coordinator", frozenset({Role.COORDINATOR}))
INVESTIGATOR = Actor("ivy", "Dr Ivy Investigator", frozenset({Role.INVESTIGATOR}))
MONITOR_WHY = ("Logged in as Monitor / auditor (read-only): you can see screenings but not "
               "change them.")


@pytest.fixture(scope="module")
def library() -> dict[str, Trial]:
    return {t.id: t for t in load_library()}


@pytest.fixture(autouse=True)
def _next_stage_opens_before_signature(registry: Registry) -> None:
    """The stages before the one under test open without the investigator's signature
    (these tests are about roles, not signing)."""
    open_before_signature(registry)


@pytest.fixture
def patient(add_patient: AddPatient) -> PatientRow:
    # The example records' patient: male, born 1958-04-12.
    return add_patient("123", "Doe", "John", date(1958, 4, 12), "male")


def _service(registry: Registry, actor: Actor, clock: Clock) -> ScreeningService:
    return ScreeningService.open(registry, actor, clock, site_uln=SITE_ULN)


def _audit_count(registry: Registry) -> int:
    with registry.read() as conn:
        return int(conn.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0])


def _screen_to(service: ScreeningService, trial: Trial, patient: PatientRow, clock: Clock,
               stage_id: str, changes: dict[str, str] | None = None) -> VisitRow:
    """Every stage before ``stage_id`` completed eligible from the example records, and
    a draft of ``stage_id`` holding its example record (with ``changes``)."""
    screening = service.start(patient.id, trial)
    for stage in trial.stages:
        clock.now = datetime.fromisoformat(example(trial.id, stage.id)["as_of"])
        visit = service.start_visit(screening.id, trial, stage.id)
        store_example(service, patient.id, visit, trial.id,  # type: ignore[arg-type]
                      changes=changes if stage.id == stage_id else None)
        if stage.id == stage_id:
            return service.visit(visit.id)
        assert service.complete(visit.id).decision == "eligible"
    raise AssertionError(f"{stage_id} is not a stage of {trial.id}")


FormFor = Callable[[Actor, VisitRow], VisitForm]


@pytest.fixture
def form_for(qtbot: QtBot, registry: Registry, library: dict[str, Trial],
             patient: PatientRow, messages: RecordingMessages, clock: Clock) -> FormFor:
    """The visit form as ``actor`` sees it: on a service opened for them."""
    def make(actor: Actor, visit: VisitRow) -> VisitForm:
        service = _service(registry, actor, clock)
        signing = SigningService.open(registry, actor, AccountService(registry), clock=clock,
                                      site_uln=SITE_ULN)
        form = VisitForm(repository=service, trial=library[TRIAL], patient=patient,
                         visit=service.visit(visit.id), site_uln=SITE_ULN,
                         messages=messages, clock=clock, signing=signing)
        qtbot.addWidget(form)
        form.resize(1280, 720)
        form.show()
        qtbot.waitExposed(form)
        return form
    return make


def _assert_inputs(form: VisitForm, *, read_only: bool) -> None:
    assert all((form.event_rows, form.result_rows, form.fact_rows, form.questions))
    for event_row in form.event_rows.values():
        assert event_row.field.isReadOnly() is read_only
    for row in form.result_rows.values():
        for field in (row.value, row.at, row.uln):
            if field is not None:
                assert field.isReadOnly() is read_only
        assert row.unit.isEnabled() is not read_only
    for fact_row in form.fact_rows.values():
        assert all(b.isEnabled() is not read_only for b in fact_row.buttons.values())
    for card in form.questions.values():
        assert all(b.isEnabled() is not read_only for b in card.buttons.values())
        assert card.clear.isEnabled() is (not read_only and card.value() is not None)
        assert card.note.isReadOnly() is read_only
        assert card.source.isReadOnly() is read_only


# -- the visit form -------------------------------------------------------------------


@pytest.mark.parametrize(("actor", "roles"), [
    (MONITOR, "Monitor / auditor (read-only)"), (ADMIN, "Administrator")])
def test_a_draft_opens_read_only_for_whoever_may_not_enter_data_and_says_why(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, messages: RecordingMessages, form_for: FormFor, actor: Actor,
        roles: str) -> None:
    coordinator = _service(registry, COORDINATOR, clock)
    visit = _screen_to(coordinator, library[TRIAL], patient, clock, "pre-infusion")
    before = _audit_count(registry)

    form = form_for(actor, visit)
    assert form.visit.status == "draft"  # shown read-only, not as completed
    assert form.read_only
    assert form.role_note.isVisible()
    assert form.role_note.text() == (
        f"Logged in as {roles}: you can see screenings but not change them. This visit "
        f"is shown read-only: nothing is saved from it.")
    assert not form.record_box.isVisible()
    # Everything entered shows, and the draft is evaluated live as for anyone.
    assert form.result_rows["prednisone_equivalent"].value_text() == "0"
    assert form.event_rows["infusion"].text() == "2026-12-12 10:00"
    assert form.banner.decision == "eligible"
    _assert_inputs(form, read_only=True)

    assert form.complete_button.isVisible()
    assert not form.complete_button.isEnabled()
    assert form.complete_button.toolTip() == (
        f"Logged in as {roles}: only a coordinator or an investigator completes a stage.")
    # A draft: no signature is offered, nor a correction.
    for button in (form.prepare_button, form.sign_button, form.override_button,
                   form.correction_button):
        assert not button.isVisible()

    # Typing, clicking and the shortcuts write nothing.
    type_text(qtbot, form.result_rows["prednisone_equivalent"].value, "20")
    assert form.result_rows["prednisone_equivalent"].value_text() == "0"
    card = next(iter(form.questions.values()))
    qtbot.mouseClick(card.buttons["no"], Qt.MouseButton.LeftButton)
    assert card.value() == "yes"
    form.complete()
    form.open_signing(Action.OVERRIDE)
    assert form.signing_dialog is None
    form.open_correction()
    assert form.correction_dialog is None
    assert form.flush() == []
    assert form.unsaved() == []
    form.close()
    assert not form.isVisible()
    assert messages.messages == []  # closed without asking about anything unsaved
    assert _audit_count(registry) == before
    assert coordinator.visit(visit.id).status == "draft"


def test_the_service_refuses_the_monitor_whatever_the_form_offers(
        registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock) -> None:
    coordinator = _service(registry, COORDINATOR, clock)
    visit = _screen_to(coordinator, library[TRIAL], patient, clock, "pre-infusion")
    monitor = _service(registry, MONITOR, clock)
    assert not monitor.may_enter_data
    assert not monitor.may_complete
    with pytest.raises(NotPermitted):
        monitor.complete(visit.id)
    with pytest.raises(NotPermitted):
        monitor.set_event(visit.id, "infusion", None, expected=None)


def test_a_coordinators_form_on_the_same_visit_is_editable_and_the_monitors_follows(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, messages: RecordingMessages, form_for: FormFor) -> None:
    coordinator = _service(registry, COORDINATOR, clock)
    visit = _screen_to(coordinator, library[TRIAL], patient, clock, "pre-infusion")
    watching = form_for(MONITOR, visit)
    form = form_for(COORDINATOR, visit)
    assert not form.read_only
    assert not form.role_note.isVisible()
    _assert_inputs(form, read_only=False)
    assert form.complete_button.isEnabled()
    assert form.complete_button.toolTip().startswith("Record the decision.")

    before = _audit_count(registry)
    type_text(qtbot, form.result_rows["prednisone_equivalent"].value, "20")
    assert _audit_count(registry) == before + 1
    assert form.banner.decision == "not_eligible"
    # The monitor's window, activated again, shows what the registry holds now.
    watching.refresh_entries()
    assert watching.result_rows["prednisone_equivalent"].value_text() == "20"
    assert watching.banner.decision == "not_eligible"
    _assert_inputs(watching, read_only=True)
    # Asked why first (screening #1 is completed), and nothing else.
    assert [m.kind for m in messages.messages] == ["reason"]


def _not_eligible_pre_infusion(registry: Registry, library: dict[str, Trial],
                               patient: PatientRow, clock: Clock) -> VisitRow:
    coordinator = _service(registry, COORDINATOR, clock)
    visit = _screen_to(coordinator, library[TRIAL], patient, clock, "pre-infusion",
                       changes={"prednisone_equivalent": "20"})  # > 10 mg: fails
    done = coordinator.complete(visit.id)
    assert done.decision == "not_eligible"
    return done


def test_each_role_is_offered_its_own_signatures_and_the_others_are_told_why(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, messages: RecordingMessages, form_for: FormFor) -> None:
    visit = _not_eligible_pre_infusion(registry, library, patient, clock)
    before = _audit_count(registry)

    cora = form_for(COORDINATOR, visit)
    assert cora.prepare_button.isVisible()  # "Prepared by" is a coordinator's
    assert cora.prepare_button.isEnabled()
    assert not cora.sign_button.isVisible()  # confirming and approving: an investigator's
    assert not cora.override_button.isVisible()
    assert not cora.role_note.isVisible()  # a coordinator enters data
    assert cora.correction_button.isEnabled()
    cora.open_signing(Action.OVERRIDE)
    assert cora.signing_dialog is None

    mo = form_for(MONITOR, visit)
    for button in (mo.prepare_button, mo.sign_button, mo.override_button):
        assert not button.isVisible()
    assert mo.correction_button.isVisible()
    assert not mo.correction_button.isEnabled()
    assert mo.correction_button.toolTip() == MONITOR_WHY
    assert mo.role_note.text().startswith(MONITOR_WHY)
    mo.open_correction()
    assert mo.correction_dialog is None
    mo.close()
    cora.close()
    assert _audit_count(registry) == before

    undelegated = form_for(INVESTIGATOR, visit)
    for button in (undelegated.sign_button, undelegated.override_button):
        assert button.isVisible()
        assert not button.isEnabled()
        assert button.toolTip() == ("Dr Ivy Investigator has no delegation in force today "
                                    f"to sign for {TRIAL} (see the delegation log).")
    assert undelegated.sign_button.text() == "Confirm… (Screen failure confirmed by)"
    undelegated.close()
    DelegationRepository(registry).add("admin", "ivy", TRIAL, date(2020, 1, 1), None, "PI")
    before = _audit_count(registry)
    ivy = form_for(INVESTIGATOR, visit)
    assert ivy.override_button.isEnabled()
    assert ivy.override_button.toolTip().startswith(
        "Sign: Approved to proceed despite unmet criteria")
    qtbot.mouseClick(ivy.override_button, Qt.MouseButton.LeftButton)
    dialog = ivy.signing_dialog
    assert dialog is not None
    assert [name.objectName() for name in dialog.party_names] == ["signing_party_name_0"]
    dialog.reject()
    assert ivy.signing_dialog is None
    assert _audit_count(registry) == before  # opening the dialog signs nothing
    assert messages.messages == []


def test_a_monitors_completed_visit_stays_read_only_and_says_why(
        registry: Registry, library: dict[str, Trial], patient: PatientRow, clock: Clock,
        messages: RecordingMessages, form_for: FormFor) -> None:
    visit = _not_eligible_pre_infusion(registry, library, patient, clock)
    form = form_for(MONITOR, visit)
    assert form.read_only
    assert "Completed: not eligible" in form.record_box.text()
    assert form.role_note.text().startswith(MONITOR_WHY)
    assert not form.complete_button.isVisible()
    _assert_inputs(form, read_only=True)


# -- the patient view and the screening log ---------------------------------------------


def _context(registry: Registry, messages: RecordingMessages, data_dir: Path,
             clock: Clock, actor: Actor) -> ScreeningContext:
    return ScreeningContext(registry=registry, user=actor.user_id,
                            patients=PatientService.open(registry, actor), messages=messages,
                            data_dir=data_dir, clock=clock, actor=actor)


def _view(qtbot: QtBot, context: ScreeningContext, patient: PatientRow) -> PatientView:
    view = PatientView(context, patient)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_a_monitor_sees_the_patients_screenings_and_may_start_nothing(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, messages: RecordingMessages, data_dir: Path) -> None:
    trial = library[TRIAL]
    coordinator = _service(registry, COORDINATOR, clock)
    screening = coordinator.start(patient.id, trial)
    first = coordinator.start_visit(screening.id, trial, "screening-1")
    store_example(coordinator, patient.id, first, TRIAL)  # type: ignore[arg-type]
    assert coordinator.complete(first.id).decision == "eligible"
    clock.now = datetime.fromisoformat(example(TRIAL, "screening-2")["as_of"])
    before = _audit_count(registry)

    view = _view(qtbot, _context(registry, messages, data_dir, clock, MONITOR), patient)
    assert view.role_line.isVisible()
    assert view.role_line.text() == MONITOR_WHY
    assert view.screenings_model.rowCount() == 1
    assert not view.start_button.isEnabled()
    assert view.start_button.toolTip() == MONITOR_WHY
    assert not view.trial_choice.isEnabled()
    assert view.trial_choice.count() > 0  # the trials still show
    view.start_screening()  # the shortcut path is closed too, and says why
    assert messages.messages[-1].title == "Screening not started"
    assert messages.messages[-1].text == MONITOR_WHY
    assert coordinator.screenings(patient.id) == [screening]

    # The next stage would be started by opening it: a write, so not offered.
    slot = view.selected_slot()
    assert slot is not None
    assert slot.slot.stage.id == "screening-2"
    assert slot.visit is None
    assert view.open_button.text() == ("Start stage: Screening #2: start of "
                                       "investigational treatment")
    assert not view.open_button.isEnabled()
    assert view.open_button.toolTip() == MONITOR_WHY
    assert view.open_selected_stage() is None  # a double click on the row
    assert messages.messages[-1].title == "Stage not started"
    assert messages.messages[-1].text == MONITOR_WHY
    assert [v.id for v in coordinator.visits(screening.id)] == [first.id]

    # A stage already started opens, read-only.
    view.slots.selectRow(0)
    assert view.open_button.isEnabled()
    assert view.open_button.toolTip() == ""
    form = view.open_selected_stage()
    assert isinstance(form, VisitForm)
    qtbot.addWidget(form)
    assert form.read_only
    assert form.role_note.text().startswith(MONITOR_WHY)

    # The screening log reads only: it opens for a monitor.
    assert view.log_button.isEnabled()
    log = view.open_log()
    assert isinstance(log, ScreeningLogWindow)
    qtbot.addWidget(log)
    assert log.model.rowCount() == 1

    view.close()
    assert _audit_count(registry) == before


def test_an_administrator_alone_may_not_start_a_screening(
        qtbot: QtBot, registry: Registry, patient: PatientRow, clock: Clock,
        messages: RecordingMessages, data_dir: Path) -> None:
    view = _view(qtbot, _context(registry, messages, data_dir, clock, ADMIN), patient)
    why = "Logged in as Administrator: you can see screenings but not change them."
    assert view.role_line.text() == why
    assert not view.start_button.isEnabled()
    assert view.start_button.toolTip() == why
    assert view.due_label.text() == "Not screened for any trial yet."


def test_a_coordinators_patient_view_offers_starting(
        qtbot: QtBot, registry: Registry, patient: PatientRow, clock: Clock,
        messages: RecordingMessages, data_dir: Path) -> None:
    view = _view(qtbot, _context(registry, messages, data_dir, clock, COORDINATOR), patient)
    assert not view.role_line.isVisible()
    assert view.start_button.isEnabled()
    assert view.trial_choice.isEnabled()
    assert view.start_button.toolTip() == ""
    view.trial_choice.setCurrentIndex(view.trial_choice.findData(TRIAL))
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    assert view.screenings_model.rowCount() == 1
    assert view.open_button.isEnabled()
    assert view.open_button.text() == "Start stage: Screening #1: trial enrollment"
