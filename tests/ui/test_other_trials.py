"""The patient view's "Other trials": every trial not screened for yet, decided on what
the registry holds, updated when a result is saved, started in one click."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.domain.engine import evaluate
from desktop.domain.record import Record
from desktop.library import find_trial
from desktop.ui.common.context import ScreeningContext
from desktop.ui.screening.patient_view import PatientView
from desktop.zone import site_zone
from tests.ui.conftest import NOW, AddPatient
from tests.ui.screening_support import enter_result

TRIAL = "NCT06152809"
ALL = ["NCT05744440", "NCT06138587", "NCT06152809", "NCT06835140", "NCT07011004"]


def _view(qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient) -> PatientView:
    patient = add_patient("P-1", "Doe", "Jane", date(1958, 4, 12), "male")
    view = PatientView(context, patient)
    qtbot.addWidget(view)
    view.show()
    return view


def _rows(view: PatientView) -> dict[str, list[str]]:
    model = view.other_trials.model
    found = {}
    for row in range(model.rowCount()):
        result = model.result_at(row)
        assert result is not None
        found[result.trial.id] = [str(model.index(row, c).data()) for c in range(5)]
    return found


def test_every_trial_is_listed_with_what_it_needs_until_screened(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient) -> None:
    view = _view(qtbot, context, add_patient)
    ModelTester(None).check(view.other_trials.model)  # type: ignore[no-untyped-call]
    rows = _rows(view)
    assert sorted(rows) == ALL
    assert rows["NCT06835140"][1] == "nothing fails so far"
    assert "CD123 expression" in rows["NCT06835140"][4]
    assert rows["NCT06835140"][4].startswith("needs: ")
    assert "cd123_expression" not in rows["NCT06835140"][4]  # never the internal code
    assert all(r[1] in ("nothing fails so far", "not eligible") for r in rows.values())

    qtbot.mouseClick(view.other_trials.buttons[TRIAL], Qt.MouseButton.LeftButton)
    model = view.screenings_model
    assert [model.summary_at(r).trial.id  # type: ignore[union-attr]
            for r in range(model.rowCount())] == [TRIAL]
    assert sorted(_rows(view)) == [t for t in ALL if t != TRIAL]
    assert TRIAL not in view.other_trials.buttons


def test_a_result_saved_in_a_visit_form_updates_the_other_trials(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient) -> None:
    view = _view(qtbot, context, add_patient)
    qtbot.mouseClick(view.other_trials.buttons[TRIAL], Qt.MouseButton.LeftButton)
    form = view.open_selected_stage()
    assert form is not None
    before = _rows(view)["NCT05744440"]
    assert before[1] == "nothing fails so far"
    assert "ECOG" in before[4]  # needed, not yet entered

    # ECOG 3: NCT05744440 takes 0-2 (inclusion 3, no window: it fails at once).
    with qtbot.waitSignal(form.changed):  # type: ignore[attr-defined]
        enter_result(qtbot, form, "ecog", "3", "score", "2026-11-01 08:00")  # type: ignore[arg-type]
    after = _rows(view)["NCT05744440"]
    assert after[1] == "not eligible"
    assert after[3].splitlines()[0].startswith(
        "3. Eastern Cooperative Oncology Group (ECOG) score 0-2")
    assert "ECOG" not in after[4]
    # The engine on the same data says the same.
    from desktop.domain.draft import observation

    trial = find_trial("NCT05744440")
    record = Record(as_of=NOW, birth_date=date(1958, 4, 12), sex="male", events={},
                    facts={}, observations=(observation("ecog", "3", "score",
                                                        NOW.replace(day=1, hour=8)),),
                    answers={}, zone=site_zone())
    assert evaluate(trial, trial.stages[0].id, record).decision == "not_eligible"
    # Eligible so far first: the not-eligible trial sorts after those nothing fails in.
    order = [view.other_trials.model.result_at(r).trial.id  # type: ignore[union-attr]
             for r in range(view.other_trials.model.rowCount())]
    assert order.index("NCT05744440") > order.index("NCT06835140")
