"""The visit form holds still and takes times as people type them; its disabled actions,
and the patient view's, say why (#18).

NCT06138587's pre-infusion stage reads AST, ALT and bilirubin "within 24 hours before
the NK cell infusion": a result there needs its time of day. Its screening #1 reads its
results in days, where a date alone is enough.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from desktop.domain.typed_time import FORMATS
from desktop.registry.database import Registry
from desktop.registry.patients import PatientRow
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.screening.patient_view import PatientView
from desktop.ui.screening.visit_form import VisitForm
from tests.ui.conftest import AddPatient, Clock
from tests.ui.screening_support import example, open_before_signature, store_example, type_text

TRIAL = "NCT06138587"


@pytest.fixture(autouse=True)
def _next_stage_opens_before_signature(registry: Registry) -> None:
    open_before_signature(registry)


@pytest.fixture
def patient(add_patient: AddPatient) -> PatientRow:
    return add_patient("P-7", "Roe", "Sam", date(1961, 3, 9), "female")


def _view(qtbot: QtBot, context: ScreeningContext, patient: PatientRow) -> PatientView:
    view = PatientView(context, patient)
    qtbot.addWidget(view)
    view.show()
    return view


@pytest.fixture
def pre_infusion(qtbot: QtBot, context: ScreeningContext, patient: PatientRow,
                 clock: Clock) -> VisitForm:
    """The pre-infusion visit form, screening #1 completed eligible, on the morning of
    the infusion (12 November 2026, 08:30)."""
    repo, trial = context.screenings, context.trial(TRIAL)
    clock.now = datetime.fromisoformat(example(TRIAL, "screening-1")["as_of"])
    screening = repo.start(patient.id, trial)
    first = repo.start_visit(screening.id, trial, "screening-1")
    store_example(repo, patient.id, first, TRIAL)
    assert repo.complete(first.id).decision == "eligible"
    clock.now = datetime(2026, 11, 12, 8, 30)
    view = _view(qtbot, context, patient)
    form = view.open_selected_stage()
    assert isinstance(form, VisitForm)
    assert form.visit.stage_id == "pre-infusion"
    return form


def _saved_at(context: ScreeningContext, patient: PatientRow, code: str) -> list[datetime]:
    return [o.at for o in context.screenings.observations(patient.id, code)]


@pytest.mark.parametrize(("typed", "meant"), [
    ("2026-11-12 06:05", datetime(2026, 11, 12, 6, 5)),
    ("2026-11-12 6:05", datetime(2026, 11, 12, 6, 5)),
    ("6:05", datetime(2026, 11, 12, 6, 5)),  # today, on the form's clock
])
def test_a_time_taken_is_accepted_as_people_type_it(
        qtbot: QtBot, pre_infusion: VisitForm, context: ScreeningContext,
        patient: PatientRow, typed: str, meant: datetime) -> None:
    row = pre_infusion.result_rows["ast"]
    before = _saved_at(context, patient, "ast")  # screening #1's
    type_text(qtbot, row.value, "30")
    type_text(qtbot, row.at, typed)
    assert row.error.text() == ""
    assert sorted(_saved_at(context, patient, "ast")) == sorted([*before, meant])


def test_a_date_without_a_time_is_refused_for_a_timed_result_with_the_formats(
        qtbot: QtBot, pre_infusion: VisitForm, context: ScreeningContext,
        patient: PatientRow) -> None:
    row = pre_infusion.result_rows["ast"]
    assert FORMATS in row.at.toolTip()
    before = _saved_at(context, patient, "ast")
    type_text(qtbot, row.value, "30")
    type_text(qtbot, row.at, "2026-11-12")
    assert row.error.isVisible()
    assert row.error.text() == (f"Enter the time too, as {FORMATS}: '2026-11-12' is a date "
                                f"without a time.")
    assert _saved_at(context, patient, "ast") == before  # nothing guessed, nothing saved
    assert pre_infusion.unsaved() == [f"AST: Enter the time too, as {FORMATS}: '2026-11-12' "
                                      f"is a date without a time."]


def test_a_date_alone_is_enough_where_the_stage_counts_days(
        qtbot: QtBot, context: ScreeningContext, patient: PatientRow, clock: Clock) -> None:
    repo, trial = context.screenings, context.trial(TRIAL)
    screening = repo.start(patient.id, trial)
    view = _view(qtbot, context, patient)
    form = view.open_selected_stage()
    assert isinstance(form, VisitForm)
    code = next(iter(form.result_rows))
    row = form.result_rows[code]
    assert "or the date alone" in row.at.toolTip()
    type_text(qtbot, row.value, "1")
    type_text(qtbot, row.at, "2026-10-30")
    assert row.error.text() == ""
    assert _saved_at(context, patient, code) == [datetime(2026, 10, 30, 0, 0)]
    assert screening.trial_id == TRIAL


def test_the_rows_below_do_not_move_when_a_message_comes_and_goes(
        qtbot: QtBot, pre_infusion: VisitForm) -> None:
    codes = list(pre_infusion.result_rows)
    first, below = pre_infusion.result_rows[codes[0]], pre_infusion.result_rows[codes[1]]
    form = pre_infusion.fields_area.widget()

    def where() -> QPoint:
        return below.value.mapTo(form, QPoint(0, 0))

    before = where()
    type_text(qtbot, first.at, "2026-11-", commit=False)  # half typed: a message shows
    assert first.error.isVisible()
    assert where() == before
    type_text(qtbot, first.at, "", commit=False)  # cleared: the message goes
    assert not first.error.isVisible()
    assert where() == before


# -- buttons that say why ---------------------------------------------------------------


def test_start_stage_is_disabled_with_the_registrys_reason(
        qtbot: QtBot, context: ScreeningContext, patient: PatientRow,
        messages: RecordingMessages) -> None:
    context.screenings.start(patient.id, context.trial(TRIAL))
    view = _view(qtbot, context, patient)
    view.slots.selectRow(1)  # pre-infusion, before screening #1 is completed
    why = "Pre-infusion cannot start before Screening #1 is completed."
    assert view.open_button.text() == "Start stage: Pre-infusion"
    assert not view.open_button.isEnabled()
    assert view.open_button.toolTip() == why
    assert view.open_button.statusTip() == why
    assert view.why_line.text() == f"Start stage not offered: {why}"
    view.slots.selectRow(0)  # the stage that may start: offered, nothing to explain
    assert view.open_button.isEnabled()
    assert view.why_line.text() == ""
    assert messages.messages == []


def test_complete_stage_names_the_criteria_still_unknown(pre_infusion: VisitForm) -> None:
    button = pre_infusion.complete_button
    assert not button.isEnabled()
    assert button.toolTip().startswith("The stage can be completed once it is eligible or "
                                       "not eligible: ")
    assert "criteria still need a value or answer (#1, " in button.toolTip()
    assert button.toolTip() in pre_infusion.why_line.text()


def test_the_site_time_zone_decides_what_today_is(qtbot: QtBot, pre_infusion: VisitForm
                                                   ) -> None:
    # The form's clock is 08:30 on 12 November; "6:05" is that day, not another.
    assert pre_infusion._when("6:05") == datetime(2026, 11, 12, 6, 5)
    assert pre_infusion._when("2026-11-12", None) == datetime(2026, 11, 12, 0, 0)
