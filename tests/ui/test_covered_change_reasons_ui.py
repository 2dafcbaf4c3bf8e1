"""Asking why, before a change to what a completed stage was decided on is saved.

Once the patient has a completed stage (here: NCT06835140's screening #1, completed;
the form is another trial's draft, as results and facts belong to the patient), the
visit form asks for a reason before it saves a corrected result or a changed fact, and
the patient dialog before it saves a changed date of birth or sex. Cancel saves
nothing; OK saves with the reason, which the audit keeps. The widgets ask because the
service says so; the rule itself is tested in tests/registry/test_covered_change_reasons.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from fractions import Fraction

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.library import find_trial
from desktop.registry.database import Registry
from desktop.services.patients import PatientInput, PatientRow, PatientService
from desktop.services.screening import ObservationInput, ObservationRow, ScreeningService
from desktop.ui.common.messages import MessageService, RecordingMessages
from desktop.ui.common.reason_dialog import COVERED_CHANGE, ReasonDialog
from desktop.ui.common.settings import UiSettings
from desktop.ui.patients.patient_dialog import PatientDialog
from desktop.ui.screening.visit_form import VisitForm
from tests.ui.conftest import AddPatient, Clock
from tests.ui.screening_support import store_example, type_text

#: Completed first: the patient's completed stage.
DONE = find_trial("NCT06835140")
#: The form's trial: screening #1 reads creatinine and Gilbert's syndrome.
FORM = find_trial("NCT06152809")
SITE_ULN = {"ast": Fraction(40), "alt": Fraction(45), "bilirubin_total": Fraction("1.2"),
            "bilirubin_direct": Fraction("0.3")}
TAKEN = datetime(2026, 11, 1, 7, 30)


@pytest.fixture
def screenings(registry: Registry, clock: Clock) -> ScreeningService:
    return ScreeningService.open(registry, "coordinator", clock, site_uln=SITE_ULN)


@pytest.fixture
def patient(add_patient: AddPatient) -> PatientRow:
    # The example records' patient: male, born 1958-04-12.
    return add_patient("123", "Doe", "John", date(1958, 4, 12), "male")


def _complete_a_stage(screenings: ScreeningService, patient: PatientRow) -> None:
    screening = screenings.start(patient.id, DONE)
    visit = screenings.start_visit(screening.id, DONE, "screening-1")
    store_example(screenings, patient.id, visit, DONE.id)  # type: ignore[arg-type]
    assert screenings.complete(visit.id).status == "completed"
    assert screenings.has_completed_stage(patient.id)


OpenForm = Callable[[], tuple[VisitForm, ObservationRow]]


@pytest.fixture
def open_form(qtbot: QtBot, screenings: ScreeningService, patient: PatientRow,
              messages: RecordingMessages, clock: Clock) -> OpenForm:
    """A draft of FORM's screening #1 with a creatinine entered at it, in its form."""
    def make() -> tuple[VisitForm, ObservationRow]:
        screening = screenings.start(patient.id, FORM)
        visit = screenings.start_visit(screening.id, FORM, "screening-1")
        saved = screenings.add_observation(patient.id, visit.id, ObservationInput(
            "creatinine", "1.90", "mg/dL", TAKEN))
        form = VisitForm(repository=screenings, trial=FORM, patient=patient, visit=visit,
                         site_uln=SITE_ULN, messages=messages, clock=clock)
        qtbot.addWidget(form)
        form.show()
        qtbot.waitExposed(form)
        assert form.result_rows["creatinine"].value_text() == "1.90"
        return form, saved

    return make


def _asked(messages: RecordingMessages) -> list[str]:
    return [m.text for m in messages.messages if m.kind == "reason"]


def _audit(registry: Registry, action: str) -> list[dict[str, object]]:
    with registry.read() as conn:
        rows = conn.execute("SELECT details FROM audit_event WHERE action = ? ORDER BY id",
                            (action,)).fetchall()
    return [json.loads(details) for (details,) in rows]


# -- correcting a result in the visit form ----------------------------------------------

def test_a_correction_asks_why_and_cancel_saves_nothing(
        qtbot: QtBot, screenings: ScreeningService, patient: PatientRow,
        registry: Registry, messages: RecordingMessages, open_form: OpenForm) -> None:
    _complete_a_stage(screenings, patient)
    form, saved = open_form()
    messages.reason = None  # the coordinator cancels
    row = form.result_rows["creatinine"]
    type_text(qtbot, row.value, "1.09")
    [asked] = _asked(messages)
    assert asked == ("Correcting Serum creatinine from 1.90 mg/dL taken 2026-11-01 07:30 to "
                     f"1.09 mg/dL taken 2026-11-01 07:30. {COVERED_CHANGE}")
    assert screenings.observations(patient.id, "creatinine") == [saved]
    assert _audit(registry, "observation.update") == []
    assert row.value_text() == "1.90"  # the form shows what is saved again
    assert form.unsaved() == []
    assert not [m for m in messages.messages if m.kind == "error"]


def test_ok_saves_the_correction_with_its_reason(
        qtbot: QtBot, screenings: ScreeningService, patient: PatientRow,
        registry: Registry, messages: RecordingMessages, open_form: OpenForm) -> None:
    _complete_a_stage(screenings, patient)
    form, _ = open_form()
    messages.reason = "Transcribed from the wrong lab report"
    type_text(qtbot, form.result_rows["creatinine"].value, "1.09")
    assert len(_asked(messages)) == 1
    [now] = screenings.observations(patient.id, "creatinine")
    assert now.value == "1.09"
    [details] = _audit(registry, "observation.update")
    assert details["reason"] == "Transcribed from the wrong lab report"
    assert form.status.text().endswith("Serum creatinine")
    assert form.unsaved() == []


def test_a_refused_reason_is_shown_at_the_result(
        qtbot: QtBot, screenings: ScreeningService, patient: PatientRow,
        messages: RecordingMessages, open_form: OpenForm) -> None:
    _complete_a_stage(screenings, patient)
    form, saved = open_form()
    messages.reason = "x" * 501  # the service refuses it, as any other invalid entry
    row = form.result_rows["creatinine"]
    type_text(qtbot, row.value, "1.09")
    assert row.error.text() == "Reason: the reason is 501 characters long; at most 500."
    assert screenings.observations(patient.id, "creatinine") == [saved]


def test_no_reason_is_asked_before_any_stage_is_completed(
        qtbot: QtBot, screenings: ScreeningService, patient: PatientRow,
        registry: Registry, messages: RecordingMessages, open_form: OpenForm) -> None:
    form, _ = open_form()
    type_text(qtbot, form.result_rows["creatinine"].value, "1.09")
    assert _asked(messages) == []
    assert screenings.observations(patient.id, "creatinine")[0].value == "1.09"
    assert "reason" not in _audit(registry, "observation.update")[0]


def test_flushing_does_not_ask_and_leaves_the_correction_unsaved(
        qtbot: QtBot, screenings: ScreeningService, patient: PatientRow,
        messages: RecordingMessages, open_form: OpenForm) -> None:
    _complete_a_stage(screenings, patient)
    form, saved = open_form()
    type_text(qtbot, form.result_rows["creatinine"].value, "1.09", commit=False)
    assert form.flush() == ["Serum creatinine"]  # as before completing or closing
    assert _asked(messages) == []
    assert screenings.observations(patient.id, "creatinine") == [saved]


# -- a patient fact in the visit form ------------------------------------------------------

def test_a_fact_change_asks_why(qtbot: QtBot, screenings: ScreeningService,
                                patient: PatientRow, registry: Registry,
                                messages: RecordingMessages, open_form: OpenForm) -> None:
    _complete_a_stage(screenings, patient)
    form, _ = open_form()
    fact = form.fact_rows["gilbert_syndrome"]
    messages.reason = None
    qtbot.mouseClick(fact.buttons[True], Qt.MouseButton.LeftButton)
    assert _asked(messages) == [f"Changing Gilbert's syndrome from Not recorded to Yes. "
                                f"{COVERED_CHANGE}"]
    assert screenings.facts(patient.id) == {}
    assert fact.value() is None  # back to what is saved
    messages.reason = "Hepatology letter of 2026-10-20"
    qtbot.mouseClick(fact.buttons[True], Qt.MouseButton.LeftButton)
    assert screenings.facts(patient.id) == {"gilbert_syndrome": True}
    assert _audit(registry, "fact.set")[-1]["reason"] == "Hepatology letter of 2026-10-20"
    assert fact.value() is True


# -- date of birth and sex in the patient dialog ------------------------------------------

def _dialog(qtbot: QtBot, settings: UiSettings, repository: PatientService,
            messages: RecordingMessages, patient: PatientRow) -> PatientDialog:
    dialog = PatientDialog(None, settings, repository, messages, repository.get(patient.id))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_the_patient_dialog_asks_why_a_date_of_birth_changes(
        qtbot: QtBot, settings: UiSettings, repository: PatientService,
        screenings: ScreeningService, patient: PatientRow, registry: Registry,
        messages: RecordingMessages) -> None:
    _complete_a_stage(screenings, patient)
    dialog = _dialog(qtbot, settings, repository, messages, patient)
    dialog.birth_date.clear()
    qtbot.keyClicks(dialog.birth_date, "1958-04-21")
    messages.reason = None
    dialog.submit()
    assert _asked(messages) == [f"Saving changes the date of birth from 1958-04-12 to "
                                f"1958-04-21. {COVERED_CHANGE}"]
    assert repository.get(patient.id) == patient  # nothing saved
    assert dialog.isVisible()  # still open, as typed
    assert dialog.saved is None
    assert dialog.birth_date.text() == "1958-04-21"
    messages.reason = "Birth certificate seen"
    with qtbot.waitSignal(dialog.finished):
        dialog.submit()
    assert repository.get(patient.id).birth_date == date(1958, 4, 21)
    assert _audit(registry, "patient.update")[-1]["reason"] == "Birth certificate seen"


def test_the_patient_dialog_asks_why_the_sex_changes_but_not_a_name(
        qtbot: QtBot, settings: UiSettings, repository: PatientService,
        screenings: ScreeningService, patient: PatientRow, registry: Registry,
        messages: RecordingMessages) -> None:
    _complete_a_stage(screenings, patient)
    dialog = _dialog(qtbot, settings, repository, messages, patient)
    dialog.given_name.clear()
    qtbot.keyClicks(dialog.given_name, "Jon")
    with qtbot.waitSignal(dialog.finished):
        dialog.submit()
    assert _asked(messages) == []
    assert repository.get(patient.id).given_name == "Jon"

    dialog = _dialog(qtbot, settings, repository, messages, patient)
    dialog.sex.setCurrentIndex(dialog.sex.findData("female"))
    with qtbot.waitSignal(dialog.finished):
        dialog.submit()
    assert _asked(messages) == [f"Saving changes the sex from male to female. "
                                f"{COVERED_CHANGE}"]
    assert repository.get(patient.id).sex == "female"
    assert _audit(registry, "patient.update")[-1]["reason"] == \
        "Checked against the source document"  # RecordingMessages' default answer


def test_the_patient_dialog_needs_no_reason_before_any_stage_is_completed(
        qtbot: QtBot, settings: UiSettings, repository: PatientService,
        patient: PatientRow, messages: RecordingMessages) -> None:
    assert repository.needs_reason(patient.id, PatientInput(
        "123", "Doe", "John", date(1958, 4, 21), "male")) is False
    dialog = _dialog(qtbot, settings, repository, messages, patient)
    dialog.birth_date.clear()
    qtbot.keyClicks(dialog.birth_date, "1958-04-21")
    with qtbot.waitSignal(dialog.finished):
        dialog.submit()
    assert _asked(messages) == []
    assert repository.get(patient.id).birth_date == date(1958, 4, 21)


# -- the reason prompt itself ----------------------------------------------------------------

def test_ok_is_disabled_while_the_reason_is_blank(qtbot: QtBot) -> None:
    dialog = ReasonDialog(None, "Reason for the change", f"Changing X. {COVERED_CHANGE}")
    qtbot.addWidget(dialog)
    assert COVERED_CHANGE in dialog.question.text()
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.text, "   ")
    assert not dialog.ok_button.isEnabled()
    dialog.accept()  # whatever asks it to: never accepted blank
    assert dialog.result() != ReasonDialog.DialogCode.Accepted
    qtbot.keyClicks(dialog.text, " lab re-run ")
    assert dialog.ok_button.isEnabled()
    assert dialog.reason() == "lab re-run"


def _answer_prompt(qtbot: QtBot, reason: str | None) -> list[str]:
    """Once the real prompt is up: type ``reason`` and click OK, or Cancel (None)."""
    seen: list[str] = []

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ReasonDialog):
            QTimer.singleShot(20, act)  # not shown yet
            return
        seen.append(dialog.question.text())
        if reason is None:
            qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
            return
        qtbot.keyClicks(dialog.text, reason)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, act)
    return seen


@pytest.mark.parametrize("reason", ["Lab re-run", None])
def test_the_real_prompt_in_the_visit_form(
        qtbot: QtBot, screenings: ScreeningService, patient: PatientRow,
        registry: Registry, clock: Clock, reason: str | None) -> None:
    _complete_a_stage(screenings, patient)
    screening = screenings.start(patient.id, FORM)
    visit = screenings.start_visit(screening.id, FORM, "screening-1")
    saved = screenings.add_observation(patient.id, visit.id, ObservationInput(
        "creatinine", "1.90", "mg/dL", TAKEN))
    form = VisitForm(repository=screenings, trial=FORM, patient=patient, visit=visit,
                     site_uln=SITE_ULN, messages=MessageService(), clock=clock)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    seen = _answer_prompt(qtbot, reason)
    type_text(qtbot, form.result_rows["creatinine"].value, "1.09")
    [question] = seen
    assert COVERED_CHANGE in question
    [now] = screenings.observations(patient.id, "creatinine")
    if reason is None:
        assert now == saved
        assert _audit(registry, "observation.update") == []
    else:
        assert now.value == "1.09"
        assert _audit(registry, "observation.update")[0]["reason"] == reason


# -- adding a result a completed stage would now read -------------------------------------

@pytest.mark.parametrize("reason", ["Late lab report", None])
def test_adding_a_result_a_completed_stage_would_read_asks_why(
        qtbot: QtBot, screenings: ScreeningService, patient: PatientRow,
        registry: Registry, messages: RecordingMessages, open_form: OpenForm,
        reason: str | None) -> None:
    """NCT06835140's screening #1 was decided on an ECOG of 2026-10-30; one taken the
    next day, before that stage was assessed, is what its re-run would read now."""
    _complete_a_stage(screenings, patient)
    form, _ = open_form()
    messages.reason = reason
    row = form.result_rows["ecog"]
    type_text(qtbot, row.at, "2026-10-31 10:00", commit=False)
    type_text(qtbot, row.value, "1")
    [asked] = _asked(messages)
    assert asked.startswith("Adding ECOG 1 score taken 2026-10-31 10:00: it changes what "
                            "NCT06835140 Screening #1")
    ecogs = [o for o in screenings.observations(patient.id, "ecog") if o.visit_id is not None
             and o.visit_id == form.visit.id]
    if reason is None:
        assert ecogs == []  # cancelled: nothing saved
    else:
        [added] = ecogs
        assert added.value == "1"
        assert _audit(registry, "observation.add")[-1]["reason"] == "Late lab report"
    assert not [m for m in messages.messages if m.kind == "error"]


def test_adding_a_result_no_completed_stage_reads_asks_nothing(
        qtbot: QtBot, screenings: ScreeningService, patient: PatientRow,
        messages: RecordingMessages, open_form: OpenForm) -> None:
    _complete_a_stage(screenings, patient)
    form, _ = open_form()
    row = form.result_rows["ecog"]
    type_text(qtbot, row.at, "2026-10-29 10:00", commit=False)  # older than the one used
    type_text(qtbot, row.value, "1")
    assert _asked(messages) == []
    assert any(o.value == "1" for o in screenings.observations(patient.id, "ecog"))
