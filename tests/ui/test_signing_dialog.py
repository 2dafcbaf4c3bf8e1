"""Electronic signatures in the visit form: the signing dialog shows what is signed and
what the signature means, takes the user id and password typed again, shows a refusal
in place, and the record box then lists the signature and whether it still holds.

Accounts are real (an admin, a coordinator, an investigator with a delegation), so the
password check is the one the app makes; the stages are screened through the services
(test data), and the dialog is driven as a user would, with qtbot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor, Role
from desktop.domain.trial import Trial
from desktop.domain.visits import StageState
from desktop.library import load_library
from desktop.registry.database import Registry
from desktop.registry.patients import PatientRow
from desktop.registry.screening_rows import ObservationInput, VisitRow
from desktop.services.accounts import AccountService
from desktop.services.delegations import DelegationService
from desktop.services.passwords import fast_hasher
from desktop.services.screening import ScreeningService
from desktop.services.signing import Action, SigningService
from desktop.services.site_settings import SiteSettingsService
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.screening.patient_view import PatientView
from desktop.ui.screening.signing_dialog import SigningDialog
from desktop.ui.screening.visit_form import VisitForm
from tests.registry.conftest import sign_as
from tests.ui.conftest import AddPatient, Clock
from tests.ui.screening_support import example, store_example

TRIAL = "NCT06152809"
SITE_ULN = {"ast": Fraction(40), "alt": Fraction(45), "bilirubin_total": Fraction("1.2"),
            "bilirubin_direct": Fraction("0.3")}
PASSWORD = "signing pass 42"


@dataclass(frozen=True)
class People:
    admin: Actor
    cora: Actor
    ivy: Actor


@pytest.fixture(scope="module")
def library() -> dict[str, Trial]:
    return {t.id: t for t in load_library()}


@pytest.fixture
def patient(add_patient: AddPatient) -> PatientRow:
    # The example records' patient: male, born 1958-04-12.
    return add_patient("123", "Doe", "John", date(1958, 4, 12), "male")


def _accounts(registry: Registry) -> AccountService:
    return AccountService(registry, hasher=fast_hasher())


@pytest.fixture
def people(registry: Registry) -> People:
    """An admin, a coordinator (cora) and an investigator (ivy) delegated for the trial."""
    accounts = _accounts(registry)
    admin = accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor
    made: dict[str, Actor] = {}
    for user_id, name, role in (("cora", "Cora Coordinator", Role.COORDINATOR),
                                ("ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)):
        new = accounts.create_account(admin, user_id, name, frozenset({role}))
        first = accounts.login(user_id, new.one_time_password)
        made[user_id] = accounts.change_password(first, new.one_time_password, PASSWORD)
        accounts.keys.issue(admin, "admin password 1", user_id)  # so they sign (issue 16)
    DelegationService(registry).add(admin, "ivy", TRIAL, date(2020, 1, 1), None, "PI")
    return People(admin, made["cora"], made["ivy"])


def _screening(registry: Registry, actor: Actor, clock: Clock) -> ScreeningService:
    return ScreeningService.open(registry, actor, clock, site_uln=SITE_ULN)


def _signing(registry: Registry, actor: Actor, clock: Clock) -> SigningService:
    return SigningService.open(registry, actor, _accounts(registry), clock=clock,
                               site_uln=SITE_ULN)


FormFor = Callable[[Actor, VisitRow], VisitForm]


@pytest.fixture
def form_for(qtbot: QtBot, registry: Registry, library: dict[str, Trial],
             patient: PatientRow, messages: RecordingMessages, clock: Clock) -> FormFor:
    """The visit form as ``actor`` sees it, with their screening and signing services."""
    def make(actor: Actor, visit: VisitRow) -> VisitForm:
        service = _screening(registry, actor, clock)
        form = VisitForm(repository=service, trial=library[TRIAL], patient=patient,
                         visit=service.visit(visit.id), site_uln=SITE_ULN,
                         messages=messages, clock=clock,
                         signing=_signing(registry, actor, clock))
        qtbot.addWidget(form)
        form.resize(1280, 760)
        form.show()
        qtbot.waitExposed(form)
        return form
    return make


def _completed(registry: Registry, people: People, library: dict[str, Trial],
               patient: PatientRow, clock: Clock, stage_id: str = "screening-1",
               changes: dict[str, str] | None = None) -> VisitRow:
    """The coordinator screens the example patient up to ``stage_id`` and completes it
    (the stages before completed eligible; the site opens the next stage before the
    investigator signs, which these tests are not about)."""
    SiteSettingsService(registry).update(people.admin, open_before_signature=True)
    service = _screening(registry, people.cora, clock)
    trial = library[TRIAL]
    screening = service.start(patient.id, trial)
    for stage in trial.stages:
        clock.now = datetime.fromisoformat(example(TRIAL, stage.id)["as_of"])
        visit = service.start_visit(screening.id, trial, stage.id)
        last = stage.id == stage_id
        store_example(service, patient.id, visit, TRIAL,  # type: ignore[arg-type]
                      changes=changes if last else None)
        done = service.complete(visit.id)
        if last:
            return done
        assert done.decision == "eligible"
    raise AssertionError(f"{stage_id} is not a stage of {TRIAL}")


def _plain(label: QLabel) -> str:
    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText().replace("\xa0", " ")


def _open_dialog(qtbot: QtBot, form: VisitForm, action: Action) -> SigningDialog:
    button = {Action.PREPARE: form.prepare_button, Action.CONFIRM: form.sign_button,
              Action.OVERRIDE: form.override_button}[action]
    assert button.isVisible()
    assert button.isEnabled(), button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = form.signing_dialog
    assert isinstance(dialog, SigningDialog)
    qtbot.waitExposed(dialog)
    return dialog


def _type(qtbot: QtBot, dialog: SigningDialog, user_id: str, password: str) -> None:
    fields = {"signing_user_id": user_id, "signing_password": password}
    for name, text in fields.items():
        field = dialog.findChild(QLineEdit, name)
        assert field is not None
        field.clear()
        qtbot.keyClicks(field, text)


# -- confirming -------------------------------------------------------------------------


def test_a_delegated_investigator_confirms_a_completed_eligible_stage(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, people: People, messages: RecordingMessages,
        form_for: FormFor) -> None:
    SiteSettingsService(registry).update(people.admin, open_before_signature=False)
    service = _screening(registry, people.cora, clock)
    screening = service.start(patient.id, library[TRIAL])
    visit = service.start_visit(screening.id, library[TRIAL], "screening-1")
    store_example(service, patient.id, visit, TRIAL)  # type: ignore[arg-type]
    visit = service.complete(visit.id)
    assert visit.state is StageState.AWAITING_SIGNATURE  # the next stage waits for it

    form = form_for(people.ivy, visit)
    assert "Not signed yet." in _plain(form.record_box)
    assert "The next stage opens once an investigator confirms this one." in \
        _plain(form.record_box)
    assert form.sign_button.text() == "Confirm… (Eligibility confirmed by)"
    assert not form.prepare_button.isVisible()  # a coordinator's signature
    assert not form.override_button.isVisible()  # eligible: nothing to override
    dialog = _open_dialog(qtbot, form, Action.CONFIRM)
    assert dialog.isModal()
    what = _plain(dialog.findChild(QLabel, "signing_what"))
    assert "Patient: DOE, John (MRN 123)" in what
    assert f"Trial: {TRIAL}" in what
    assert "Stage: Screening #1: trial enrollment, version 1" in what
    assert "Decision: eligible" in what
    sha = _signing(registry, people.ivy, clock).standing(visit.id).version
    assert sha is not None
    assert f"Content SHA-256: {sha.content_sha256[:16]}…" in what
    meaning = dialog.findChild(QLabel, "signing_meaning")
    assert "<b>" in meaning.text()  # bold
    assert _plain(meaning) == "Eligibility confirmed by  Dr Ivy Investigator (ivy)"
    assert "legally binding equivalent of my handwritten signature" in \
        _plain(dialog.findChild(QLabel, "signing_statement"))
    # Both components, typed every time: nothing is filled in.
    assert dialog.user_id.text() == ""
    assert dialog.password.text() == ""
    assert dialog.password.echoMode() is QLineEdit.EchoMode.Password
    assert not dialog.submit_button.isEnabled()
    qtbot.keyClicks(dialog.user_id, "ivy")
    assert not dialog.submit_button.isEnabled()  # the password too
    qtbot.keyClicks(dialog.password, PASSWORD)
    assert dialog.submit_button.isEnabled()
    with qtbot.waitSignal(form.changed, timeout=5000):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)

    assert not dialog.isVisible()
    assert dialog.saved is not None
    assert dialog.saved.user_id == "ivy"
    assert form.signing_dialog is None
    assert form.visit.state is StageState.SIGNED
    record = _plain(form.record_box)
    assert "Eligibility confirmed by Dr Ivy Investigator (ivy, Investigator) on " \
           "2026-11-02 09:00:00 " in record  # with its UTC offset
    assert dialog.saved.manifestation in record
    assert "Not signed yet." not in record
    assert "Data changed since signing" not in record
    assert not form.sign_button.isVisible()  # confirmed: locked
    assert messages.messages == []


def test_a_wrong_password_is_refused_in_the_dialog_which_stays_open(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, people: People, messages: RecordingMessages,
        form_for: FormFor) -> None:
    visit = _completed(registry, people, library, patient, clock)
    form = form_for(people.ivy, visit)
    dialog = _open_dialog(qtbot, form, Action.CONFIRM)
    error = dialog.findChild(QLabel, "signing_error")
    assert not error.isVisible()
    # Enter in the password field signs (and must never cancel the dialog).
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # nothing typed yet: nothing
    assert dialog.isVisible()
    assert not error.isVisible()
    _type(qtbot, dialog, "ivy", "not the password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert error.isVisible()
    assert error.text().startswith("Not signed: ")
    assert dialog.password.text() == ""  # cleared: typed again
    assert dialog.user_id.text() == "ivy"
    assert not dialog.submit_button.isEnabled()
    assert dialog.saved is None
    assert _signing(registry, people.ivy, clock).standing(visit.id).signatures == ()

    # Another person's user id is refused too: a signature is its owner's alone.
    _type(qtbot, dialog, "cora", PASSWORD)
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "Only the logged-in user (ivy) signs here" in error.text()

    _type(qtbot, dialog, "ivy", PASSWORD)
    with qtbot.waitSignal(form.changed, timeout=5000):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert form.visit.state is StageState.SIGNED
    assert messages.messages == []


def test_the_signing_buttons_follow_the_roles_and_say_why_not(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, people: People, form_for: FormFor) -> None:
    visit = _completed(registry, people, library, patient, clock)
    cora = form_for(people.cora, visit)
    assert cora.prepare_button.isVisible()
    assert cora.prepare_button.text() == "Prepare… (Prepared by)"
    assert not cora.sign_button.isVisible()
    assert not cora.override_button.isVisible()
    dialog = _open_dialog(qtbot, cora, Action.PREPARE)
    assert _plain(dialog.findChild(QLabel, "signing_meaning")) == \
        "Prepared by  Cora Coordinator (cora)"
    _type(qtbot, dialog, "cora", PASSWORD)
    with qtbot.waitSignal(cora.changed, timeout=5000):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert "Prepared by Cora Coordinator (cora, Coordinator) on " in _plain(cora.record_box)
    assert not cora.prepare_button.isVisible()  # prepared once

    # An investigator without a delegation for the trial: offered, disabled, with why.
    accounts = _accounts(registry)
    new = accounts.create_account(people.admin, "ian", "Dr Ian Other",
                                  frozenset({Role.INVESTIGATOR}))
    ian = accounts.change_password(accounts.login("ian", new.one_time_password),
                                   new.one_time_password, PASSWORD)
    other = form_for(ian, visit)
    assert other.sign_button.isVisible()
    assert not other.sign_button.isEnabled()
    assert other.sign_button.toolTip().startswith(
        f"Dr Ian Other has no delegation in force today to sign for {TRIAL}")
    other.open_signing(Action.CONFIRM)  # the shortcut path is closed too
    assert other.signing_dialog is None


# -- an override ------------------------------------------------------------------------


def test_an_override_needs_the_rationale_and_the_ind_holder_named(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, people: People, messages: RecordingMessages,
        form_for: FormFor) -> None:
    visit = _completed(registry, people, library, patient, clock, "pre-infusion",
                       changes={"prednisone_equivalent": "20"})  # > 10 mg: fails
    assert visit.decision == "not_eligible"
    form = form_for(people.ivy, visit)
    assert form.sign_button.text() == "Confirm… (Screen failure confirmed by)"
    assert form.override_button.text() == "Approve to proceed…"
    dialog = _open_dialog(qtbot, form, Action.OVERRIDE)
    assert _plain(dialog.findChild(QLabel, "signing_meaning")).startswith(
        "Approved to proceed despite unmet criteria")
    what = _plain(dialog.findChild(QLabel, "signing_what"))
    assert "Decision: not eligible" in what
    # The failing criterion by its number and protocol text, never its id ("steroids").
    assert re.search(r"Failing criteria: #\d+ \w", what), what
    assert "steroids:" not in what
    assert "both PI and IND holder agree" in \
        _plain(dialog.findChild(QLabel, "signing_override_text"))
    assert dialog.findChild(QLineEdit, "signing_party_name_0") is not None
    assert dialog.findChild(QLineEdit, "signing_party_name_1") is None  # the PI signs
    when = dialog.party_dates[0]
    assert when.objectName() == "signing_party_date_0"
    assert when.maximumDate().toPython() == clock.now.date()  # not after today
    how = dialog.party_forms[0]
    assert how.objectName() == "signing_party_form_0"
    assert how.count() == 4

    assert dialog.rationale is not None
    dialog.rationale.setPlainText("Steroid given once for a transfusion reaction; the "
                                  "PI and the IND holder reviewed it.")
    _type(qtbot, dialog, "ivy", PASSWORD)
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)  # no one named
    error = dialog.findChild(QLabel, "signing_error")
    assert dialog.isVisible()
    assert "IND holder" in error.text()
    assert _signing(registry, people.ivy, clock).standing(visit.id).signatures == ()

    qtbot.keyClicks(dialog.party_names[0], "Dr Bea Holder")
    how.setCurrentText("email on file")
    _type(qtbot, dialog, "ivy", PASSWORD)
    with qtbot.waitSignal(form.changed, timeout=5000):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert form.visit.state is StageState.OVERRIDDEN
    record = _plain(form.record_box)
    assert "Approved to proceed despite unmet criteria Dr Ivy Investigator (ivy, " \
           "Investigator) on " in record
    assert "Rationale: Steroid given once for a transfusion reaction" in record
    assert f"IND holder: Dr Bea Holder, agreed on {clock.now:%Y-%m-%d}" in record
    assert "(email on file)" in record
    assert not form.override_button.isVisible()  # approved: locked
    assert messages.messages == []


# -- standing and corrections -------------------------------------------------------------


def test_a_result_corrected_after_signing_shows_data_changed_since_signing(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, people: People, context: ScreeningContext, messages: RecordingMessages,
        form_for: FormFor) -> None:
    visit = _completed(registry, people, library, patient, clock)
    sign_as(_signing(registry, people.ivy, clock), visit.id, Action.CONFIRM, "ivy", PASSWORD)
    service = _screening(registry, people.cora, clock)
    creatinine = service.observations(patient.id, "creatinine")[-1]
    service.update_observation(creatinine.id, ObservationInput(
        "creatinine", "400", creatinine.unit, creatinine.at, None, "corrected"),
        expected=creatinine.version, reason="re-measured: the first sample was haemolysed")

    form = form_for(people.ivy, visit)
    record = _plain(form.record_box)
    assert "Eligibility confirmed by Dr Ivy Investigator" in record
    assert "Data changed since signing: result creatinine changed." in record
    assert "Verdict would differ today: not eligible." in record
    assert "#b00020" in form.record_box.text()  # in red
    assert form.banner.decision == "eligible"  # the stored decision stays as signed

    # The patient view says so on the stage too.
    context.actor = people.ivy
    view = PatientView(context, patient)
    qtbot.addWidget(view)
    detail = str(view.slots_model.index(0, 2).data())
    assert "eligibility confirmed by Dr Ivy Investigator" in detail
    assert "⚠ data changed since signing: result creatinine changed" in detail
    assert "⚠ verdict would differ today: not eligible" in detail
    # And its lane in the timeline (tooltip, and the words for screen readers).
    assert "Screening #1: trial enrollment (signed · data changed since signing, verdict " \
           "would differ today)" in view.timeline.summary()
    assert messages.messages == []


def test_a_correction_opens_the_next_version_and_keeps_the_signed_one(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, people: People, messages: RecordingMessages,
        form_for: FormFor) -> None:
    visit = _completed(registry, people, library, patient, clock)
    sign_as(_signing(registry, people.ivy, clock), visit.id, Action.CONFIRM, "ivy", PASSWORD)
    form = form_for(people.cora, visit)
    assert form.correction_button.isVisible()
    assert form.correction_button.isEnabled()
    qtbot.mouseClick(form.correction_button, Qt.MouseButton.LeftButton)
    dialog = form.correction_dialog
    assert dialog is not None
    assert not dialog.ok_button.isEnabled()  # a reason first
    qtbot.keyClicks(dialog.text, "   ")
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.text, "creatinine re-measured")
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(form.changed, timeout=5000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    assert form.visit.status == "draft"
    assert form.visit.version == 2
    assert not form.read_only
    assert form.complete_button.isVisible()
    assert not form.correction_button.isVisible()
    record = _plain(form.record_box)
    assert "Correction in progress: version 2 (correction: creatinine re-measured)" in record
    assert "Version 1: eligible, eligibility confirmed by Dr Ivy Investigator (ivy); " \
           "superseded by a correction: creatinine re-measured." in record
    assert messages.messages == []


def test_a_confirmed_screen_failure_is_no_longer_offered_an_override(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, people: People, messages: RecordingMessages,
        form_for: FormFor) -> None:
    visit = _completed(registry, people, library, patient, clock, "pre-infusion",
                       changes={"prednisone_equivalent": "20"})
    form = form_for(people.ivy, visit)
    assert form.override_button.isVisible()
    dialog = _open_dialog(qtbot, form, Action.CONFIRM)
    assert _plain(dialog.findChild(QLabel, "signing_meaning")).startswith(
        "Screen failure confirmed by")
    assert re.search(r"Failing criteria: #\d+ \w",
                     _plain(dialog.findChild(QLabel, "signing_what")))
    _type(qtbot, dialog, "ivy", PASSWORD)
    with qtbot.waitSignal(form.changed, timeout=5000):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert form.visit.state is StageState.NOT_ELIGIBLE  # a confirmed screen failure
    assert "Screen failure confirmed by Dr Ivy Investigator" in _plain(form.record_box)
    assert not form.override_button.isVisible()  # locked: only a correction changes it
    form.open_signing(Action.OVERRIDE)
    assert form.signing_dialog is None
    again = form_for(people.ivy, form.visit)  # reopened later: still not offered
    assert not again.override_button.isVisible()
    assert messages.messages == []


def test_the_next_stage_waits_for_the_investigators_confirmation_in_the_patient_view(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, people: People, context: ScreeningContext,
        messages: RecordingMessages) -> None:
    service = _screening(registry, people.cora, clock)
    screening = service.start(patient.id, library[TRIAL])
    visit = service.start_visit(screening.id, library[TRIAL], "screening-1")
    store_example(service, patient.id, visit, TRIAL)  # type: ignore[arg-type]
    service.complete(visit.id)

    view = PatientView(context, patient)
    qtbot.addWidget(view)
    stages = str(view.screenings_model.index(0, 1).data()).splitlines()
    assert stages[0] == "✔… Screening #1: trial enrollment: awaiting signature"
    assert view.due_label.text() == ("Next: Screening #1: trial enrollment: awaiting the "
                                     "investigator's confirmation")
    assert "the next stage waits for an investigator's confirmation" in \
        str(view.slots_model.index(0, 2).data())
    view.slots.selectRow(1)
    assert view.open_selected_stage() is None
    assert messages.messages[-1].title == "Stage not open yet"
    # The button said so before it was pressed: disabled, with the registry's rule.
    why = ("Screening #2: start of investigational treatment cannot start before an "
           "investigator confirms Screening #1: trial enrollment (Eligibility confirmed by).")
    assert not view.open_button.isEnabled()
    assert view.open_button.toolTip() == why
    assert messages.messages[-1].text == why
    assert view.why_line.text() == f"Start stage not offered: {why}"

    sign_as(_signing(registry, people.ivy, clock), visit.id, Action.CONFIRM, "ivy", PASSWORD)
    view.reload()
    stages = str(view.screenings_model.index(0, 1).data()).splitlines()
    assert stages[0] == "✔✍ Screening #1: trial enrollment: signed"
    assert view.open_button.text() == ("Start stage: Screening #2: start of investigational "
                                       "treatment")


def test_a_correction_waits_while_another_stage_is_a_draft(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, people: People, form_for: FormFor) -> None:
    visit = _completed(registry, people, library, patient, clock)
    service = _screening(registry, people.cora, clock)
    service.start_visit(visit.screening_id, library[TRIAL], "screening-2")
    form = form_for(people.cora, visit)
    assert form.correction_button.isVisible()
    assert not form.correction_button.isEnabled()
    assert form.correction_button.toolTip() == (
        "A correction cannot be opened while Screening #2: start of investigational "
        "treatment is a draft: complete it first (one stage of a screening is worked on at "
        "a time).")


def test_approve_to_proceed_on_a_draft_is_disabled_and_says_why(
        qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
        clock: Clock, people: People) -> None:
    """The protocol lets the pre-infusion stage proceed after review: an investigator
    sees the override on the draft, disabled with the service's reason, not hidden."""
    before = _completed(registry, people, library, patient, clock, "pre-lymphodepletion")
    assert before.decision == "eligible"
    service = _screening(registry, people.cora, clock)
    clock.now = datetime.fromisoformat(example(TRIAL, "pre-infusion")["as_of"])
    draft = service.start_visit(before.screening_id, library[TRIAL], "pre-infusion")
    form = _form(qtbot, registry, library, patient, clock, people.ivy, draft)
    why = ("Complete the stage as not eligible first: an override approves proceeding "
           "after a screen failure.")
    assert form.override_button.isVisible()
    assert not form.override_button.isEnabled()
    assert form.override_button.toolTip() == why
    assert form.override_button.statusTip() == why
    assert why in form.why_line.text()
    # The coordinator does not approve overrides: not offered at all.
    cora = _form(qtbot, registry, library, patient, clock, people.cora, draft)
    assert not cora.override_button.isVisible()
    assert why not in cora.why_line.text()


def _form(qtbot: QtBot, registry: Registry, library: dict[str, Trial], patient: PatientRow,
          clock: Clock, actor: Actor, visit: VisitRow) -> VisitForm:
    service = _screening(registry, actor, clock)
    form = VisitForm(repository=service, trial=library[TRIAL], patient=patient,
                     visit=service.visit(visit.id), site_uln=SITE_ULN,
                     messages=RecordingMessages(), clock=clock,
                     signing=_signing(registry, actor, clock))
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    return form
