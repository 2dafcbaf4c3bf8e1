"""The visit form against a real registry: live outcomes, stale results, autosave and
reopening, completion gating and the read-only completed visit (signatures and
overrides: test_signing_dialog).

Results are typed with ``qtbot.keyClicks`` into the real fields and committed with
Enter (the form saves on ``editingFinished``), answers clicked with the mouse.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.domain.engine import evaluate
from desktop.domain.trial import Trial
from desktop.library import load_library
from desktop.registry.database import Registry
from desktop.registry.delegations import DelegationRepository
from desktop.registry.patients import PatientInput, PatientRepository, PatientRow
from desktop.registry.screening_rows import ObservationInput, VisitRow
from desktop.services.screening import ScreeningService
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.screening.outcomes_model import OutcomesTableModel
from desktop.ui.screening.visit_form import VisitForm, visit_title
from tests.ui.conftest import AddPatient
from tests.ui.screening_support import (
    answer,
    choose_unit,
    enter_result,
    fill_example,
    number_text,
    open_before_signature,
    type_text,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "trials" / "examples"
NOW = datetime(2026, 11, 2, 9, 0)
SITE_ULN = {"ast": Fraction(40), "alt": Fraction(45), "bilirubin_total": Fraction("1.2"),
            "bilirubin_direct": Fraction("0.3")}


class Clock:
    """A settable wall clock shared by the repository and the form."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def library() -> dict[str, Trial]:
    return {t.id: t for t in load_library()}


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def screenings(registry: Registry, clock: Clock, library: dict[str, Trial]) -> ScreeningService:
    """What the windows get: the service, for a user who is coordinator and investigator,
    delegated to sign for every trial from long before the test's clock. The site opens
    the next stage before the investigator signs (signatures: test_signing_dialog)."""
    open_before_signature(registry)
    for trial_id in library:
        DelegationRepository(registry).add("admin", "coordinator", trial_id,
                                           date(2020, 1, 1), None, "Sub-I")
    return ScreeningService.open(registry, "coordinator", clock, site_uln=SITE_ULN)


@pytest.fixture
def patient(add_patient: AddPatient) -> PatientRow:
    # The example records' patient: male, born 1958-04-12 (68 on the screening dates).
    return add_patient("123", "Doe", "John", date(1958, 4, 12), "male")


FormFactory = Callable[[VisitRow], VisitForm]


@pytest.fixture
def open_form(qtbot: QtBot, screenings: ScreeningService, patient: PatientRow,
              messages: RecordingMessages, clock: Clock,
              library: dict[str, Trial]) -> FormFactory:
    def make(visit: VisitRow) -> VisitForm:
        trial_id = screenings.screening(visit.screening_id).trial_id
        form = VisitForm(repository=screenings, trial=library[trial_id], patient=patient,
                         visit=visit, site_uln=SITE_ULN, messages=messages, clock=clock)
        qtbot.addWidget(form)
        form.resize(1280, 800)
        form.show()
        qtbot.waitExposed(form)
        return form

    return make


def _start(screenings: ScreeningService, patient: PatientRow, trial: Trial,
           stage_id: str) -> VisitRow:
    screening = screenings.start(patient.id, trial)
    return screenings.start_visit(screening.id, trial, stage_id)


def _example(trial_id: str, stage_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / trial_id / f"{stage_id}.json")
                                      .read_text(encoding="utf-8"))
    return data


def _plain(label: QLabel) -> str:
    """A rich-text label's words, as a screen reader reads them."""
    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText()


def _save_example(screenings: ScreeningService, patient: PatientRow, visit: VisitRow,
                  trial_id: str, stage_id: str,
                  change: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Save an example record straight through the repository (test data, not the UI)."""
    data = _example(trial_id, stage_id)
    if change is not None:
        change(data)
    for name, at in data.get("events", {}).items():
        screenings.set_event(visit.id, name, datetime.fromisoformat(at))
    for name, value in data.get("facts", {}).items():
        screenings.set_fact(patient.id, name, bool(value))
    for obs in data["observations"]:
        uln = number_text(obs["uln"]) if "uln" in obs else None
        screenings.add_observation(patient.id, visit.id, ObservationInput(
            obs["code"], number_text(obs["value"]), obs["unit"], datetime.fromisoformat(obs["at"]),
            uln=uln))
    words = {True: "yes", False: "no", "n/a": "n/a"}
    for cid, value in data["answers"].items():
        screenings.set_answer(visit.id, cid, words[value])  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- tests


def test_title_names_stage_trial_and_patient(library: dict[str, Trial],
                                             screenings: ScreeningService,
                                             patient: PatientRow,
                                             open_form: FormFactory) -> None:
    trial = library["NCT06152809"]
    visit = _start(screenings, patient, trial, "screening-1")
    form = open_form(visit)
    assert form.windowTitle() == ("Screening #1 — NCT06152809 — DOE, John (MRN 123) — "
                                  f"visit {form.visit.id}")
    assert form.windowTitle() == visit_title(trial, trial.stages[0], visit, patient)


def test_form_is_generated_from_the_stage(library: dict[str, Trial],
                                          screenings: ScreeningService, patient: PatientRow,
                                          open_form: FormFactory) -> None:
    trial = library["NCT06152809"]
    form = open_form(_start(screenings, patient, trial, "screening-1"))
    assert list(form.result_rows) == ["ecog", "bilirubin_direct", "ast", "alt", "creatinine",
                                      "weight", "spo2", "lvef"]
    creatinine = form.result_rows["creatinine"]
    assert [creatinine.unit.itemText(i) for i in range(creatinine.unit.count())] == \
        ["mg/dL", "µmol/L"]  # as people write it; kept as the registry spells it
    assert [creatinine.unit.itemData(i) for i in range(creatinine.unit.count())] == \
        ["mg/dL", "umol/L"]
    assert creatinine.uln is None  # no criterion compares creatinine with a ULN here
    ast = form.result_rows["ast"]
    assert ast.uln is not None
    assert ast.uln.text() == "40"
    assert ast.uln_tag is not None
    assert "site ULN" in ast.uln_tag.text()
    assert list(form.fact_rows) == ["gilbert_syndrome", "disease_related_hemolysis"]
    attested = [c.id for c in trial.stages[0].criteria if c.attested]
    assert list(form.questions) == attested
    assert form.event_rows == {}  # screening #1 has no time window
    assert form.banner.decision == "incomplete"
    assert form.banner.headline.text() == \
        "Incomplete — 27 of 28 criteria still need a value or answer"  # age is known
    assert not form.complete_button.isEnabled()
    assert not form.override_button.isVisible()  # screening #1 has no override


def test_a_failing_value_turns_the_decision_to_not_eligible(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, open_form: FormFactory) -> None:
    trial = library["NCT06152809"]
    form = open_form(_start(screenings, patient, trial, "screening-1"))
    fill_example(qtbot, form, "NCT06152809", "screening-1")
    assert form.banner.headline.text() == "Eligible — all 28 criteria pass"
    assert form.model.outcome("crcl") == "pass"
    assert form.complete_button.isEnabled()

    # CrCl = (140 - 68) x 80 / (72 x creatinine): 2.0 mg/dL gives 40 mL/min, below 45.
    creatinine = form.result_rows["creatinine"]
    choose_unit(form, "creatinine", "mg/dL")
    type_text(qtbot, creatinine.value, "2.0", commit=False)  # live, before it is saved
    assert form.banner.decision == "not_eligible"
    assert form.banner.headline.text() == "Not eligible — 1 criterion fails"
    assert form.model.outcome("crcl") == "fail"
    reason = form.model.reason("crcl") or ""
    assert reason.startswith("CrCl 40.0 mL/min (Cockcroft-Gault: age 68 y, 80 kg, "
                             "creatinine 2.00 mg/dL")
    row = form.model.row_of("crcl")
    assert row is not None
    index = form.model.index(row, 0)
    assert index.data() == "Fail"
    assert index.data(Qt.ItemDataRole.DecorationRole) is not None  # icon, not colour alone
    assert "Cockcroft Gault" in form.model.index(row, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert form.complete_button.isEnabled()  # not eligible is a decision too


def test_an_invalid_value_is_shown_at_its_field_and_left_out(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, open_form: FormFactory) -> None:
    trial = library["NCT06152809"]
    visit = _start(screenings, patient, trial, "screening-1")
    form = open_form(visit)
    row = form.result_rows["ecog"]
    type_text(qtbot, row.at, "2026-11-02 08:30", commit=False)
    type_text(qtbot, row.value, "1,5")
    assert row.error.isVisible()
    assert "not a number" in row.error.text()
    assert row.value.accessibleDescription() == row.error.text()
    assert form.model.outcome("ecog") == "unknown"
    assert screenings.observations(patient.id) == []  # nothing saved, nothing guessed
    type_text(qtbot, row.value, "7")
    assert "ECOG 7 is outside the plausible range 0 to 5" in row.error.text()
    assert screenings.observations(patient.id) == []
    type_text(qtbot, row.value, "1")
    assert not row.error.isVisible()
    assert form.model.outcome("ecog") == "pass"
    saved = screenings.observations(patient.id)
    assert [(o.code, o.value, o.visit_id) for o in saved] == [("ecog", "1", visit.id)]


def test_an_invalid_entry_never_leaves_an_older_pass_standing(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, open_form: FormFactory) -> None:
    trial = library["NCT06152809"]
    # An earlier ECOG of the patient, still the most recent before this visit's.
    screenings.add_observation(patient.id, None, ObservationInput(
        "ecog", "1", "score", datetime(2026, 10, 30, 9, 0)))
    form = open_form(_start(screenings, patient, trial, "screening-1"))
    fill_example(qtbot, form, "NCT06152809", "screening-1")
    assert form.banner.decision == "eligible"
    row = form.result_rows["ecog"]

    type_text(qtbot, row.value, "1.5", commit=False)  # live, while it is typed
    assert row.error.isVisible()
    assert "ECOG" in row.error.text()
    assert form.model.outcome("ecog") == "unknown"  # not Pass from 30 Oct
    assert form.model.reason("ecog") == ("Not evaluated: the value typed for ECOG is not "
                                         "valid (an earlier result does not stand in for it)")
    assert form.banner.decision == "incomplete"
    assert form.banner.headline.text() == "Incomplete — 1 of 28 criteria still need a value " \
                                          "or answer"
    assert not form.complete_button.isEnabled()
    earlier = _plain(row.earlier)
    assert "reused" not in earlier  # the 30 Oct result is listed, not counted as used
    assert "Earlier 1 score" in earlier

    qtbot.keyClick(row.value, Qt.Key.Key_Return)  # committed: refused, nothing saved
    assert [o.value for o in screenings.observations(patient.id, "ecog")] == ["1", "1"]
    assert form.model.outcome("ecog") == "unknown"
    assert form.banner.decision == "incomplete"

    type_text(qtbot, row.value, "2")  # a valid value: evaluated and saved again
    assert not row.error.isVisible()
    assert form.model.outcome("ecog") == "pass"
    assert form.banner.decision == "eligible"
    assert form.complete_button.isEnabled()


def test_an_implausibly_low_creatinine_is_saved_and_counted_only_once_confirmed(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, messages: RecordingMessages, registry: Registry,
        open_form: FormFactory) -> None:
    trial = library["NCT06152809"]
    form = open_form(_start(screenings, patient, trial, "screening-1"))
    fill_example(qtbot, form, "NCT06152809", "screening-1")
    assert form.model.outcome("crcl") == "pass"
    saved_before = screenings.observations(patient.id, "creatinine")
    row = form.result_rows["creatinine"]
    choose_unit(form, "creatinine", "mg/dL")

    type_text(qtbot, row.value, "0.0001", commit=False)
    assert row.error.isVisible()
    assert row.error.text().startswith("Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL, "
                                       "which is rarely a real result: check it.")
    assert form.model.outcome("crcl") == "unknown"  # not evaluated, and no older pass
    assert form.model.reason("crcl") == ("Not evaluated: the value typed for Serum creatinine "
                                         "is not confirmed yet (an earlier result does not "
                                         "stand in for it)")
    assert form.banner.decision == "incomplete"

    messages.answer = False  # the coordinator checks the report instead
    qtbot.keyClick(row.value, Qt.Key.Key_Return)
    question = messages.messages[-1]
    assert (question.kind, question.title) == ("confirm", "Confirm an unusual value")
    assert "Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL" in question.text
    assert screenings.observations(patient.id, "creatinine") == saved_before
    assert form.model.outcome("crcl") == "unknown"
    assert "Serum creatinine: Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL: not " \
           "confirmed yet." in form.unsaved()
    asked = len(messages.messages)
    form.complete()  # saving before completion never asks; it lists the entry instead
    assert [m.title for m in messages.messages[asked:]] == ["Stage not completed"]
    assert "not confirmed yet" in messages.messages[-1].text
    assert form.visit.status == "draft"

    messages.answer = True  # confirmed: saved with the confirmation, then counted
    qtbot.keyClick(row.value, Qt.Key.Key_Return)
    [saved] = screenings.observations(patient.id, "creatinine")
    assert (saved.value, saved.unit, saved.confirmation, saved.confirmed_by) == (
        "0.0001", "mg/dL", "Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL", "coordinator")
    assert not row.error.isVisible()
    assert form.model.outcome("crcl") == "pass"
    assert form.unsaved() == []
    with registry.read() as conn:
        [(details,)] = conn.execute("SELECT details FROM audit_event WHERE action = "
                                    "'observation.update'").fetchall()
    assert json.loads(details)["changes"]["confirmed"]["new"] == {
        "what": "Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL", "by": "coordinator"}

    # Reopened: the saved, confirmed value is not asked about again.
    form.close()
    asked = len(messages.messages)
    again = open_form(screenings.visit(form.visit.id))
    assert again.result_rows["creatinine"].value_text() == "0.0001"
    assert not again.result_rows["creatinine"].error.isVisible()
    assert again.model.outcome("crcl") == "pass"
    assert len(messages.messages) == asked


def test_an_open_stage_follows_a_patient_edited_in_another_window(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        repository: PatientRepository, patient: PatientRow, open_form: FormFactory) -> None:
    form = open_form(_start(screenings, patient, library["NCT06152809"], "screening-1"))
    fill_example(qtbot, form, "NCT06152809", "screening-1")
    assert form.model.outcome("age") == "pass"
    # Another NK Screen window corrects the date of birth: 2010-01-01, 16 years old.
    edited = repository.update(patient.id, PatientInput(
        patient.mrn, patient.family_name, patient.given_name, date(2010, 1, 1), patient.sex))
    assert form.model.outcome("age") == "pass"  # not read yet
    form.refresh_patient()  # as when the window is activated again
    assert form.patient == edited
    assert form.model.outcome("age") == "fail"
    assert (form.model.reason("age") or "").startswith("Age 16 y (born 2010-01-01, ")
    assert form.banner.decision == "not_eligible"
    assert "born 2010-01-01" in form.header.text()
    # A result taken before the new date of birth is refused at its field now.
    row = form.result_rows["ecog"]
    type_text(qtbot, row.at, "2009-12-31 08:00", commit=False)
    assert "before the patient's date of birth" in row.error.text()


def test_an_unusual_value_saved_before_confirmations_is_confirmed_at_its_row(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, messages: RecordingMessages, registry: Registry,
        open_form: FormFactory) -> None:
    trial = library["NCT06152809"]
    visit = _start(screenings, patient, trial, "screening-1")
    _save_example(screenings, patient, visit, "NCT06152809", "screening-1")
    [creatinine] = screenings.observations(patient.id, "creatinine")
    with registry.engine.begin() as conn:  # as a release before confirmations saved it
        conn.exec_driver_sql("UPDATE observation SET value = '0.1', unit = 'mg/dL' "
                             f"WHERE id = {creatinine.id}")
    form = open_form(screenings.visit(visit.id))
    row = form.result_rows["creatinine"]
    assert row.value_text() == "0.1"
    assert row.error.text().startswith("Serum creatinine 0.1 mg/dL is below 0.2 mg/dL")
    assert form.model.outcome("crcl") == "unknown"
    assert form.unsaved() == ["Serum creatinine: Serum creatinine 0.1 mg/dL is below 0.2 "
                              "mg/dL: not confirmed yet."]
    row.value.setFocus()
    qtbot.keyClick(row.value, Qt.Key.Key_Return)
    assert messages.messages[-1].title == "Confirm an unusual value"
    [saved] = screenings.observations(patient.id, "creatinine")
    assert (saved.id, saved.value, saved.confirmation) == (
        creatinine.id, "0.1", "Serum creatinine 0.1 mg/dL is below 0.2 mg/dL")
    assert form.model.outcome("crcl") == "pass"
    assert form.unsaved() == []


def test_a_result_without_its_time_is_not_evaluated(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, open_form: FormFactory) -> None:
    form = open_form(_start(screenings, patient, library["NCT06152809"], "screening-1"))
    row = form.result_rows["spo2"]
    type_text(qtbot, row.value, "97")
    assert "Enter the date and time the sample was taken" in row.error.text()
    assert form.model.outcome("spo2") == "unknown"
    assert form.unsaved() == ["SpO2 on room air: Enter the date and time the sample was "
                              "taken."]


def test_a_stale_lab_is_flagged_and_a_fresh_one_reused(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, open_form: FormFactory) -> None:
    # NCT06138587 screening #1: organ function within 2 weeks of the NK cell infusion.
    trial = library["NCT06138587"]
    earlier = screenings.add_observation(patient.id, None, ObservationInput(
        "creatinine", "1.0", "mg/dL", datetime(2026, 10, 1, 7, 30)))
    screenings.add_observation(patient.id, None, ObservationInput(
        "ast", "30", "U/L", datetime(2026, 10, 30, 7, 30)))
    screenings.add_observation(patient.id, None, ObservationInput(
        "alt", "35", "U/L", datetime(2026, 10, 30, 7, 30)))
    form = open_form(_start(screenings, patient, trial, "screening-1"))

    creatinine = form.result_rows["creatinine"]
    assert "window not known yet" in _plain(creatinine.earlier)
    assert "enter the planned NK cell infusion date" in _plain(creatinine.earlier)
    assert form.model.outcome("creatinine") == "unknown"

    type_text(qtbot, form.event_rows["infusion"].field, "2026-11-08 10:00")
    assert screenings.events(form.visit.id) == {"infusion": datetime(2026, 11, 8, 10, 0)}
    text = _plain(creatinine.earlier)
    assert "stale" in text
    assert "taken 2026-10-01 07:30 — stale: the window 'within 2 weeks before NK cell " \
           "infusion' starts 2026-10-25 00:00" in text
    assert form.model.outcome("creatinine") == "unknown"
    reason = form.model.reason("creatinine") or ""
    assert f"Serum creatinine of {earlier.at:%Y-%m-%d %H:%M} is stale" in reason
    assert "a new result is due from 2026-10-25" in reason

    ast = _plain(form.result_rows["ast"].earlier)
    assert "reused: inside window" in ast
    assert "stale" not in ast
    assert form.model.outcome("ast-alt") == "pass"  # counted, with the site ULN

    # A fresh creatinine typed at this visit makes the criterion count again.
    enter_result(qtbot, form, "creatinine", "1.1", "mg/dL", "2026-11-01 07:30")
    assert form.model.outcome("creatinine") == "pass"
    assert "stale" in _plain(creatinine.earlier)  # the old one is still listed as stale


def test_a_typed_result_outside_the_window_is_flagged_on_its_row(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, open_form: FormFactory) -> None:
    form = open_form(_start(screenings, patient, library["NCT06138587"], "screening-1"))
    type_text(qtbot, form.event_rows["infusion"].field, "2026-11-08 10:00")
    enter_result(qtbot, form, "spo2", "97", "%", "2026-10-20 08:00")
    text = _plain(form.result_rows["spo2"].earlier)
    assert "This result" in text
    assert "stale" in text
    assert form.model.outcome("spo2") == "unknown"


def test_reopening_a_draft_shows_exactly_what_was_entered(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, messages: RecordingMessages, open_form: FormFactory) -> None:
    trial = library["NCT06138587"]
    visit = _start(screenings, patient, trial, "screening-1")
    form = open_form(visit)
    type_text(qtbot, form.event_rows["infusion"].field, "2026-11-08 10:00")
    enter_result(qtbot, form, "creatinine", "97.5", "umol/L", "2026-11-01 07:30")
    enter_result(qtbot, form, "ast", "45", "U/L", "2026-11-01 07:30", uln="50")
    enter_result(qtbot, form, "ecog", "1", "score", "2026-11-01 08:00")
    # A correction of the same result: updated, not a second result.
    type_text(qtbot, form.result_rows["ecog"].value, "2")
    qtbot.mouseClick(form.fact_rows["gilbert_syndrome"].buttons[True],
                     Qt.MouseButton.LeftButton)
    cid = next(iter(form.questions))
    card = form.questions[cid]
    answer(qtbot, form, cid, "yes")
    type_text(qtbot, card.note, "reviewed with PI")
    type_text(qtbot, card.source, "BM biopsy report 2026-10-30")
    before = form.model.outcome("creatinine"), form.banner.headline.text()
    assert form.unsaved() == []
    assert form.close()  # nothing unsaved: it closes at once, without asking
    assert not form.isVisible()
    assert messages.messages == []

    again = open_form(screenings.visit(visit.id))
    assert again.event_rows["infusion"].text() == "2026-11-08 10:00"
    creatinine = again.result_rows["creatinine"]
    assert (creatinine.value_text(), creatinine.unit_text(), creatinine.at_text()) == \
        ("97.5", "umol/L", "2026-11-01 07:30")
    ast = again.result_rows["ast"]
    assert ast.uln is not None
    assert (ast.value_text(), ast.uln.text(), ast.uln_text()) == ("45", "50", "50")
    assert again.result_rows["ecog"].value_text() == "2"
    assert [o.code for o in screenings.observations(patient.id)].count("ecog") == 1
    assert again.fact_rows["gilbert_syndrome"].value() is True
    card = again.questions[cid]
    assert card.typed() == ("yes", "reviewed with PI", "BM biopsy report 2026-10-30")
    assert (again.model.outcome("creatinine"), again.banner.headline.text()) == before
    assert again.unsaved() == []


def test_emptying_a_saved_result_withdraws_it_after_asking(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, messages: RecordingMessages, open_form: FormFactory) -> None:
    form = open_form(_start(screenings, patient, library["NCT06152809"], "screening-1"))
    enter_result(qtbot, form, "spo2", "97", "%", "2026-11-02 08:30")
    row = form.result_rows["spo2"]
    messages.answer = False
    type_text(qtbot, row.value, "", commit=False)
    type_text(qtbot, row.at, "")
    assert messages.messages[-1].title == "Withdraw result"
    assert row.value_text() == "97"  # kept: the coordinator said no
    assert len(screenings.observations(patient.id)) == 1
    messages.answer = True
    type_text(qtbot, row.value, "", commit=False)
    type_text(qtbot, row.at, "")
    assert screenings.observations(patient.id) == []
    assert form.model.outcome("spo2") == "unknown"


def test_complete_is_disabled_while_incomplete_and_completes_when_decided(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, messages: RecordingMessages, open_form: FormFactory) -> None:
    trial = library["NCT06152809"]
    visit = _start(screenings, patient, trial, "screening-1")
    form = open_form(visit)
    assert not form.complete_button.isEnabled()
    fill_example(qtbot, form, "NCT06152809", "screening-1")
    assert form.complete_button.isEnabled()
    with qtbot.waitSignal(form.changed, timeout=1000) as signal:
        qtbot.mouseClick(form.complete_button, Qt.MouseButton.LeftButton)
    assert signal.args == [visit.id]
    confirm = messages.messages[-1]
    assert confirm.kind == "confirm"
    assert "as eligible?" in confirm.text
    assert "cannot be changed" in confirm.text
    saved = screenings.visit(visit.id)
    assert (saved.status, saved.decision) == ("completed", "eligible")
    assert saved.assessed_at == NOW
    # Read-only now, with who completed it and when.
    assert form.read_only
    assert not form.complete_button.isVisible()
    assert form.result_rows["ecog"].value.isReadOnly()
    assert not form.questions["consent"].buttons["no"].isEnabled()
    assert "Completed: eligible" in form.record_box.text()
    assert "coordinator" in form.record_box.text()
    snapshot = screenings.verdict_snapshot(visit.id)
    assert snapshot is not None
    assert snapshot["decision"] == "eligible"


def test_completion_asks_about_and_stores_what_the_registry_decides_now(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        repository: PatientRepository, patient: PatientRow, messages: RecordingMessages,
        clock: Clock, open_form: FormFactory) -> None:
    visit = _start(screenings, patient, library["NCT06152809"], "screening-1")
    form = open_form(visit)
    fill_example(qtbot, form, "NCT06152809", "screening-1")
    # Corrected elsewhere, not yet read by this window: 18 tomorrow.
    repository.update(patient.id, PatientInput(
        patient.mrn, patient.family_name, patient.given_name, date(2008, 11, 3), patient.sex))
    assert form.banner.decision == "eligible"  # the screen has not read it yet
    with qtbot.waitSignal(form.changed, timeout=1000):
        qtbot.mouseClick(form.complete_button, Qt.MouseButton.LeftButton)
    confirm = messages.messages[-1]
    assert "Complete “Screening #1: trial enrollment” as not eligible?" in confirm.text
    # The criterion by its number and protocol text, never its id ("age").
    assert "Not met: #2 Age ≥ 18 years old." in confirm.text
    assert "age." not in confirm.text
    assert "the screen showed" not in confirm.text  # the screen was brought up to date
    saved = screenings.visit(visit.id)
    assert (saved.status, saved.decision) == ("completed", "not_eligible")
    # The form shows what was decided and stored.
    assert form.banner.decision == "not_eligible"
    assert form.model.outcome("age") == "fail"
    assert (form.model.reason("age") or "").startswith("Age 17 y (born 2008-11-03, ")
    assert "Completed: not eligible" in form.record_box.text()


def test_an_entry_changed_while_the_question_is_open_refuses_completion(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        repository: PatientRepository, patient: PatientRow, messages: RecordingMessages,
        monkeypatch: pytest.MonkeyPatch, open_form: FormFactory) -> None:
    visit = _start(screenings, patient, library["NCT06152809"], "screening-1")
    form = open_form(visit)
    fill_example(qtbot, form, "NCT06152809", "screening-1")
    asked: list[str] = []

    def edited_meanwhile(_parent: object, _title: str, text: str, _action: str) -> bool:
        asked.append(text)  # another window saves a new date of birth meanwhile
        repository.update(patient.id, PatientInput(
            patient.mrn, patient.family_name, patient.given_name, date(2010, 1, 1),
            patient.sex))
        return True

    monkeypatch.setattr(messages, "confirm", edited_meanwhile)
    qtbot.mouseClick(form.complete_button, Qt.MouseButton.LeftButton)
    assert "as eligible?" in asked[0]
    error = messages.messages[-1]
    assert (error.kind, error.title) == ("error", "Stage not completed")
    assert error.text == ("Screening #1: trial enrollment was not completed: it was to be "
                          "completed eligible, but what the registry holds now decides not "
                          "eligible (an entry changed meanwhile). Review the outcomes and "
                          "complete again.")
    assert screenings.visit(visit.id).status == "draft"
    assert not form.read_only


def test_a_declined_confirmation_completes_nothing(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, messages: RecordingMessages, open_form: FormFactory) -> None:
    visit = _start(screenings, patient, library["NCT06152809"], "screening-1")
    form = open_form(visit)
    fill_example(qtbot, form, "NCT06152809", "screening-1")
    messages.answer = False
    qtbot.mouseClick(form.complete_button, Qt.MouseButton.LeftButton)
    assert screenings.visit(visit.id).status == "draft"
    assert not form.read_only


def test_unsaved_entries_block_completion(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, messages: RecordingMessages, open_form: FormFactory) -> None:
    visit = _start(screenings, patient, library["NCT06152809"], "screening-1")
    form = open_form(visit)
    fill_example(qtbot, form, "NCT06152809", "screening-1")
    # A second result typed without its time: on screen, not saved.
    type_text(qtbot, form.result_rows["lvef"].at, "", commit=False)
    assert form.model.outcome("lvef") == "unknown"
    assert not form.complete_button.isEnabled()
    form.complete()
    assert screenings.visit(visit.id).status == "draft"


def test_a_completed_visit_opens_read_only_with_its_stored_decision(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, clock: Clock, open_form: FormFactory) -> None:
    trial = library["NCT06152809"]
    visit = _start(screenings, patient, trial, "screening-1")
    _save_example(screenings, patient, visit, "NCT06152809", "screening-1")
    screenings.complete(visit.id)
    clock.now = datetime(2027, 6, 1, 12, 0)  # later: the stored decision still shows
    form = open_form(screenings.visit(visit.id))
    assert form.read_only
    assert form.banner.decision == "eligible"
    assert form.model.outcome("crcl") == "pass"
    assert form.result_rows["creatinine"].value_text() == "88.4"
    assert form.result_rows["creatinine"].value.isReadOnly()
    assert "Completed: eligible" in form.record_box.text()
    assert not form.complete_button.isVisible()
    type_text(qtbot, form.result_rows["creatinine"].value, "5")  # ignored: read-only
    assert form.result_rows["creatinine"].value_text() == "88.4"


def test_a_draft_cannot_be_signed(library: dict[str, Trial], screenings: ScreeningService,
                                  patient: PatientRow, open_form: FormFactory) -> None:
    form = open_form(_start(screenings, patient, library["NCT06152809"], "screening-1"))
    assert not form.sign_button.isVisible()


def test_outcomes_model_is_a_well_behaved_model(qtmodeltester: ModelTester,
                                                library: dict[str, Trial]) -> None:
    from desktop.domain.record import parse_record

    trial = library["NCT07011004"]
    data = _example("NCT07011004", "screening-1")
    verdict = evaluate(trial, "screening-1", parse_record(data, now=NOW))
    model = OutcomesTableModel()
    model.set_verdict(verdict)
    qtmodeltester.check(model)
    assert model.rowCount() == 52


@pytest.mark.parametrize(("zone", "taken", "counted"), [
    # 13 March 2027, 07:30 is 23.5 elapsed hours before 08:00 on the 14th in New York (the
    # clocks go forward that night): inside "within 24 hours", though the wall clock
    # says 24.5. Without clock changes (UTC) it is 24.5 hours: stale.
    ("America/New_York", "2027-03-13 07:30", True),
    ("UTC", "2027-03-13 07:30", False),
    ("America/New_York", "2027-03-13 06:59", False),
])
def test_the_form_counts_hour_windows_in_elapsed_time_of_the_site_zone(
        qtbot: QtBot, library: dict[str, Trial], screenings: ScreeningService,
        patient: PatientRow, open_form: FormFactory, clock: Clock,
        monkeypatch: pytest.MonkeyPatch, zone: str, taken: str, counted: bool) -> None:
    monkeypatch.setenv("TZ", zone)
    trial = library["NCT06152809"]
    screening = screenings.start(patient.id, trial)
    for stage_id in ("screening-1", "screening-2"):
        clock.now = datetime.fromisoformat(_example(trial.id, stage_id)["as_of"])
        visit = screenings.start_visit(screening.id, trial, stage_id)
        _save_example(screenings, patient, visit, trial.id, stage_id)
        assert screenings.complete(visit.id).decision == "eligible"
    clock.now = datetime(2027, 3, 14, 7, 59)
    form = open_form(screenings.start_visit(screening.id, trial, "pre-lymphodepletion"))
    type_text(qtbot, form.event_rows["lymphodepletion"].field, "2027-03-14 08:00")
    enter_result(qtbot, form, "ast", "30", "U/L", taken)
    reason = form.model.reason("ast-alt") or ""
    assert (f"AST 30 U/L = 0.75 × site ULN (40 U/L) on {taken} <= 3 ×ULN" in reason) == counted
    assert (f"AST of {taken} is stale" in reason) == (not counted), reason
    start = "2027-03-13 07:00" if zone == "America/New_York" else "2027-03-13 08:00"
    assert f"a new result is due from {start}" in reason
