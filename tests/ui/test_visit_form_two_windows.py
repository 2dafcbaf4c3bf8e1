"""Two visit forms on the same visit (two windows on one workstation, two users).

Each form saves what it showed, expecting the version it read. Edit a field in one
window, then the same field in the other: the second save is refused with who changed it
and when, at that field; the field then shows the first window's value, and this
window's own entry is named in the message, so nothing is lost or half-written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.domain.trial import Trial
from desktop.library import load_library
from desktop.registry.database import Registry
from desktop.registry.patients import PatientRow
from desktop.registry.screening_rows import VisitRow
from desktop.services.screening import ScreeningService
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.screening.visit_form import VisitForm
from tests.ui.conftest import AddPatient
from tests.ui.screening_support import answer, enter_result, type_text

NOW = datetime(2026, 11, 2, 9, 0)
TRIAL_ID = "NCT06138587"


@pytest.fixture(scope="module")
def trial() -> Trial:
    return next(t for t in load_library() if t.id == TRIAL_ID)


@pytest.fixture
def patient(add_patient: AddPatient) -> PatientRow:
    return add_patient("123", "Doe", "John", date(1958, 4, 12), "male")


def _repository(registry: Registry, user: str) -> ScreeningService:
    return ScreeningService.open(registry, user, lambda: NOW, site_uln={})


@pytest.fixture
def visit(registry: Registry, patient: PatientRow, trial: Trial) -> VisitRow:
    repo = _repository(registry, "nurse a")
    return repo.start_visit(repo.start(patient.id, trial).id, trial, "screening-1")


OpenForm = Callable[[str], VisitForm]


@pytest.fixture
def open_form(qtbot: QtBot, registry: Registry, trial: Trial, patient: PatientRow,
              visit: VisitRow, messages: RecordingMessages) -> OpenForm:
    """A visit form on the test's visit, in its own window, for ``user``."""
    def make(user: str) -> VisitForm:
        form = VisitForm(repository=_repository(registry, user), trial=trial,
                         patient=patient, visit=visit, site_uln={}, messages=messages,
                         clock=lambda: NOW)
        qtbot.addWidget(form)
        form.show()
        qtbot.waitExposed(form)
        return form
    return make


def _last_change(registry: Registry) -> tuple[str, str]:
    """Who made the newest audited change, and when, as a refusal names them."""
    with registry.read() as conn:
        actor, at = conn.execute("SELECT actor, occurred_at FROM audit_event "
                                 "ORDER BY id DESC LIMIT 1").fetchone()
    shown = datetime.fromisoformat(at).replace(tzinfo=UTC).astimezone()
    return str(actor), f"{shown:%Y-%m-%d %H:%M}"


def _audit_count(registry: Registry) -> int:
    with registry.read() as conn:
        return int(conn.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0])


def test_a_planned_date_saved_in_one_window_is_refused_over_in_the_other(
        qtbot: QtBot, registry: Registry, visit: VisitRow, open_form: OpenForm,
        messages: RecordingMessages) -> None:
    first, second = open_form("nurse a"), open_form("nurse b")
    type_text(qtbot, first.event_rows["infusion"].field, "2026-11-08 10:00")
    actor, when = _last_change(registry)
    audited = _audit_count(registry)
    row = second.event_rows["infusion"]
    type_text(qtbot, row.field, "2026-11-09 10:00")
    assert row.error.isVisible()
    assert row.error.text() == (
        f"The planned NK cell infusion was changed in another window by {actor} at {when}; "
        f"this change was not saved. The field shows that value now; yours was "
        f"2026-11-09 10:00.")
    assert actor == "nurse a"
    assert row.text() == "2026-11-08 10:00"  # the other window's date
    assert second.status.text().startswith("Not saved: The planned NK cell infusion was "
                                           "changed in another window by nurse a at ")
    assert second.unsaved() == []  # what it shows is what the registry holds
    assert _audit_count(registry) == audited  # nothing written
    repo = _repository(registry, "reader")
    assert repo.events(visit.id) == {"infusion": datetime(2026, 11, 8, 10, 0)}
    assert messages.messages == []  # said at the field, no message box
    # Entered again over what it now shows, the date is saved; and now the first window
    # is the one behind.
    type_text(qtbot, row.field, "2026-11-09 10:00")
    assert not row.error.isVisible()
    assert repo.events(visit.id) == {"infusion": datetime(2026, 11, 9, 10, 0)}
    type_text(qtbot, first.event_rows["infusion"].field, "")
    assert "changed in another window by nurse b at" in \
        first.event_rows["infusion"].error.text()
    assert "yours was blank" in first.event_rows["infusion"].error.text()
    assert first.event_rows["infusion"].text() == "2026-11-09 10:00"
    assert repo.events(visit.id) == {"infusion": datetime(2026, 11, 9, 10, 0)}


def test_a_result_entered_in_one_window_is_not_doubled_or_overwritten_by_the_other(
        qtbot: QtBot, registry: Registry, patient: PatientRow, open_form: OpenForm) -> None:
    first, second = open_form("nurse a"), open_form("nurse b")
    enter_result(qtbot, first, "creatinine", "1.1", "mg/dL", "2026-11-01 07:30")
    row = second.result_rows["creatinine"]
    enter_result(qtbot, second, "creatinine", "1.4", "mg/dL", "2026-11-01 08:00")
    actor, when = _last_change(registry)
    assert row.error.text().startswith(
        f"The Serum creatinine result was changed in another window by {actor} at {when}; "
        f"this change was not saved. The field shows that value now; yours was 1.4 mg/dL "
        f"taken 2026-11-01 ")
    repo = _repository(registry, "reader")
    assert [(o.value, o.entered_by) for o in repo.observations(patient.id)] == [
        ("1.1", "nurse a")]  # one result: the first window's
    assert (row.value_text(), row.unit_text(), row.at_text()) == (
        "1.1", "mg/dL", "2026-11-01 07:30")
    assert second.model.outcome("creatinine") == first.model.outcome("creatinine")
    assert second.unsaved() == []
    # The second window corrects what it now shows: a correction of that same result.
    type_text(qtbot, row.value, "1.2")
    assert not row.error.isVisible()
    assert [(o.value, o.entered_by) for o in repo.observations(patient.id)] == [
        ("1.2", "nurse b")]
    # The first window's correction over its older reading is refused in turn.
    mine = first.result_rows["creatinine"]
    type_text(qtbot, mine.value, "1.3")
    assert "was changed in another window by nurse b at" in mine.error.text()
    assert mine.value_text() == "1.2"
    assert [o.value for o in repo.observations(patient.id)] == ["1.2"]


def test_a_result_withdrawn_in_one_window_is_not_corrected_in_the_other(
        qtbot: QtBot, registry: Registry, patient: PatientRow, open_form: OpenForm,
        messages: RecordingMessages) -> None:
    first, second = open_form("nurse a"), open_form("nurse b")
    enter_result(qtbot, first, "spo2", "97", "%", "2026-11-02 08:30")
    second.refresh_entries()  # as when the window is activated: it reads the result
    assert second.result_rows["spo2"].value_text() == "97"
    row = first.result_rows["spo2"]
    type_text(qtbot, row.value, "", commit=False)
    type_text(qtbot, row.at, "")  # emptied: withdrawn, after asking
    assert messages.messages[-1].title == "Withdraw result"
    repo = _repository(registry, "reader")
    assert repo.observations(patient.id) == []
    other = second.result_rows["spo2"]
    type_text(qtbot, other.value, "96")
    assert other.error.text().startswith("The SpO2 on room air result was changed "
                                         "(withdrawn) in another window by nurse a at ")
    assert (other.value_text(), other.at_text()) == ("", "")
    assert repo.observations(patient.id) == []
    assert second.model.outcome("spo2") == "unknown"
    # Entered again, it is a new result of this visit.
    enter_result(qtbot, second, "spo2", "96", "%", "2026-11-02 08:45")
    assert [(o.value, o.entered_by) for o in repo.observations(patient.id)] == [
        ("96", "nurse b")]


def test_an_answer_given_in_one_window_is_refused_over_in_the_other(
        qtbot: QtBot, registry: Registry, visit: VisitRow, open_form: OpenForm) -> None:
    first, second = open_form("nurse a"), open_form("nurse b")
    cid = "diagnosis-high-risk"
    answer(qtbot, first, cid, "yes")
    type_text(qtbot, first.questions[cid].note, "per clinic letter")
    audited = _audit_count(registry)
    actor, when = _last_change(registry)
    answer(qtbot, second, cid, "no")
    card = second.questions[cid]
    assert card.error.text() == (
        f"The answer to {cid} was changed in another window by {actor} at {when}; this "
        f"change was not saved. The field shows that value now; yours was No.")
    assert card.typed() == ("yes", "per clinic letter", "")
    assert card.is_saved()
    assert second.model.outcome(cid) == first.model.outcome(cid)
    assert _audit_count(registry) == audited
    saved = _repository(registry, "reader").answers(visit.id)[cid]
    assert (saved.value, saved.note, saved.entered_by) == ("yes", "per clinic letter",
                                                          "nurse a")


def test_a_fact_chosen_in_one_window_is_refused_over_in_the_other(
        qtbot: QtBot, registry: Registry, patient: PatientRow, open_form: OpenForm) -> None:
    first, second = open_form("nurse a"), open_form("nurse b")
    qtbot.mouseClick(first.fact_rows["gilbert_syndrome"].buttons[True],
                     Qt.MouseButton.LeftButton)
    actor, when = _last_change(registry)
    row = second.fact_rows["gilbert_syndrome"]
    qtbot.mouseClick(row.buttons[False], Qt.MouseButton.LeftButton)
    assert row.error.isVisible()
    assert row.error.text() == (
        f"The patient fact Gilbert's syndrome was changed in another window by {actor} at "
        f"{when}; this change was not saved. The field shows that value now; yours was No.")
    assert row.value() is True
    assert _repository(registry, "reader").facts(patient.id) == {"gilbert_syndrome": True}
    # Chosen again over what it shows now: saved, and the message goes.
    qtbot.mouseClick(row.buttons[False], Qt.MouseButton.LeftButton)
    assert not row.error.isVisible()
    assert _repository(registry, "reader").facts(patient.id) == {"gilbert_syndrome": False}


def test_activating_a_window_reads_what_another_saved_but_keeps_what_is_being_typed(
        qtbot: QtBot, registry: Registry, visit: VisitRow, open_form: OpenForm) -> None:
    first, second = open_form("nurse a"), open_form("nurse b")
    type_text(qtbot, second.result_rows["ecog"].value, "2", commit=False)  # being typed
    type_text(qtbot, first.event_rows["infusion"].field, "2026-11-08 10:00")
    enter_result(qtbot, first, "ecog", "1", "score", "2026-11-01 08:00")
    qtbot.mouseClick(first.fact_rows["gilbert_syndrome"].buttons[True],
                     Qt.MouseButton.LeftButton)
    answer(qtbot, first, "diagnosis-high-risk", "yes")
    second.refresh_entries()
    assert second.event_rows["infusion"].text() == "2026-11-08 10:00"
    assert second.fact_rows["gilbert_syndrome"].value() is True
    assert second.questions["diagnosis-high-risk"].typed() == ("yes", "", "")
    assert second.result_rows["ecog"].value_text() == "2"  # kept: not saved yet
    assert second.model.outcome("diagnosis-high-risk") == \
        first.model.outcome("diagnosis-high-risk")
    # Saving what was typed is then refused: the first window saved that result first.
    row = second.result_rows["ecog"]
    type_text(qtbot, row.at, "2026-11-01 09:00")
    assert re.match(r"The ECOG result was changed in another window by nurse a at .*; "
                    r"yours was 2 score taken 2026-11-01 09:00\.$", row.error.text())
    assert row.value_text() == "1"
    # Edits saved in the second window after reading are not refused.
    type_text(qtbot, second.event_rows["infusion"].field, "2026-11-09 10:00")
    assert not second.event_rows["infusion"].error.isVisible()
    assert _repository(registry, "reader").events(visit.id) == {
        "infusion": datetime(2026, 11, 9, 10, 0)}


def test_a_visit_completed_in_another_window_turns_read_only_when_read_again(
        registry: Registry, visit: VisitRow, open_form: OpenForm) -> None:
    second = open_form("nurse b")
    with registry.engine.begin() as conn:  # completed elsewhere (the test's shortcut)
        conn.exec_driver_sql("UPDATE visit SET status = 'completed', decision = 'eligible', "
                             "completed_by = 'nurse a', completed_at = "
                             f"'2026-11-02 08:00:00.000000' WHERE id = {visit.id}")
    assert not second.read_only
    second.refresh_entries()
    assert second.read_only
    assert "Completed: eligible" in second.record_box.text()


def test_completing_a_visit_another_window_completed_says_so(
        registry: Registry, visit: VisitRow, open_form: OpenForm,
        messages: RecordingMessages) -> None:
    second = open_form("nurse b")
    with registry.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE visit SET status = 'completed', decision = 'eligible', "
                             "completed_by = 'nurse a', completed_at = "
                             f"'2026-11-02 08:00:00.000000' WHERE id = {visit.id}")
    second.complete()
    error = messages.messages[-1]
    shown = datetime(2026, 11, 2, 8, 0, tzinfo=UTC).astimezone()
    assert (error.kind, error.title, error.text) == (
        "error", "Stage not completed",
        f"Screening #1 was completed in another window by nurse a on {shown:%Y-%m-%d %H:%M}.")
    assert second.read_only


def test_closing_with_an_entry_another_window_changed_says_what_was_not_saved(
        qtbot: QtBot, registry: Registry, visit: VisitRow, open_form: OpenForm,
        messages: RecordingMessages) -> None:
    first, second = open_form("nurse a"), open_form("nurse b")
    type_text(qtbot, first.event_rows["infusion"].field, "2026-11-08 10:00")
    actor, when = _last_change(registry)
    type_text(qtbot, second.event_rows["infusion"].field, "2026-11-09 10:00", commit=False)
    messages.answer = False
    assert not second.close()  # saving on the way out is refused: asked, and kept open
    asked = messages.messages[-1]
    assert (asked.kind, asked.title) == ("confirm", "Close the visit")
    assert asked.text == (
        f"These entries are not saved (everything else is): Planned NK cell infusion "
        f"(changed in another window by {actor} at {when}; yours was 2026-11-09 10:00). "
        f"Close anyway and lose them?")
    assert second.isVisible()
    row = second.event_rows["infusion"]
    assert row.text() == "2026-11-08 10:00"
    assert "yours was 2026-11-09 10:00" in row.error.text()
    # Completing says the same and completes nothing.
    type_text(qtbot, row.field, "2026-11-09 11:00", commit=False)
    type_text(qtbot, first.event_rows["infusion"].field, "2026-11-10 10:00")
    second.complete()
    error = messages.messages[-1]
    assert (error.kind, error.title) == ("error", "Stage not completed")
    assert "Planned NK cell infusion (changed in another window by nurse a at " in error.text
    assert "yours was 2026-11-09 11:00" in error.text
    assert _repository(registry, "reader").events(visit.id) == {
        "infusion": datetime(2026, 11, 10, 10, 0)}
    assert _repository(registry, "reader").visit(visit.id).status == "draft"


def test_the_other_window_shows_a_saved_date_once_activated(
        qtbot: QtBot, open_form: OpenForm) -> None:
    first, second = open_form("nurse a"), open_form("nurse b")
    first.activateWindow()
    qtbot.waitUntil(first.isActiveWindow, timeout=2000)
    type_text(qtbot, first.event_rows["infusion"].field, "2026-11-08 10:00")
    assert second.event_rows["infusion"].text() == ""  # not read yet
    second.activateWindow()
    qtbot.waitUntil(second.isActiveWindow, timeout=2000)
    assert second.event_rows["infusion"].text() == "2026-11-08 10:00"
    type_text(qtbot, second.event_rows["infusion"].field, "2026-11-09 10:00")
    assert not second.event_rows["infusion"].error.isVisible()  # over what it read: saved
