"""Trials → Find candidates…: every active patient of 10,000 against a trial's first
stage, off the GUI thread; the right counts, sortable, filterable, exported, cancelled."""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.domain.draft import observation
from desktop.domain.engine import evaluate
from desktop.domain.record import Record
from desktop.domain.visits import events_of
from desktop.library import find_trial
from desktop.registry.database import Registry
from desktop.ui.common.context import ScreeningContext
from desktop.ui.patients.main_window import MainWindow
from desktop.ui.trials.candidates_dialog import CandidatesDialog
from desktop.zone import site_zone
from tests.ui.candidates_fixture import PATIENTS, Bulk
from tests.ui.candidates_fixture import bulk as bulk
from tests.ui.candidates_fixture import bulk_context as bulk_context
from tests.ui.conftest import NOW, AddPatient

TRIAL = "NCT06835140"


def _dialog(qtbot: QtBot, context: ScreeningContext) -> CandidatesDialog:
    dialog = CandidatesDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.choose_trial(TRIAL)
    return dialog


def _expected(bulk: Bulk) -> tuple[Counter[str], Counter[str]]:
    """Each active generated patient's record, built from what the generator wrote, and
    the engine's decisions at the first stage: strict and if screened now."""
    trial = find_trial(TRIAL)
    stage = trial.stages[0]
    strict: Counter[str] = Counter()
    now: Counter[str] = Counter()
    for pid, (born, sex) in bulk.made.births.items():
        if pid in bulk.made.archived:
            continue
        record = Record(as_of=NOW, birth_date=born, sex=sex, events={},
                        facts=bulk.made.facts[pid], answers={}, zone=site_zone(),
                        observations=tuple(observation(c, v, u, at, uln=uln)
                                           for c, v, u, at, uln in bulk.made.results[pid]))
        strict[evaluate(trial, stage.id, record).decision] += 1
        later = replace(record, events=dict.fromkeys(events_of(stage), NOW))
        now[evaluate(trial, stage.id, later).decision] += 1
    return strict, now


def _written(registry: Registry) -> tuple[int, ...]:
    """How many rows the tables a screening writes to hold."""
    with registry.read() as conn:
        return tuple(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                     for table in ("audit_event", "patient", "screening", "visit",
                                   "visit_event", "answer", "observation", "patient_fact",
                                   "screen_failure"))


def test_every_active_patient_is_screened_with_the_engines_counts(
        qtbot: QtBot, bulk: Bulk, bulk_context: ScreeningContext, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, bulk_context)
    assert dialog.progress.text() == "not searched yet"  # not "0 of 100 patients"
    before = _written(bulk.registry)
    with qtbot.waitSignal(dialog.search_done, timeout=60_000):
        qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    assert _written(bulk.registry) == before  # a view of the registry: nothing written
    active = PATIENTS - len(bulk.made.archived)
    rows = dialog.model.rows()
    assert len(rows) == active
    assert len({c.patient_id for c in rows}) == active
    strict, now = _expected(bulk)
    assert Counter(r.decision for r in rows) == strict
    assert Counter(r.provisional for r in rows) == now
    assert len(strict) > 1  # the generated data decides both ways
    screened = {pid for pid, trials in bulk.made.screened.items()
                if TRIAL in trials and pid not in bulk.made.archived}
    assert {r.patient_id for r in rows if r.screened} == screened
    assert screened  # marked, not hidden
    assert dialog.progress.value() == dialog.progress.maximum() == active
    assert dialog.progress.text() == f"{active} of {active} patients"
    assert dialog.status.text().startswith(f"{active} active patients screened")

    # Eligible so far first.
    shown = dialog.proxy.shown()
    assert shown[0].decision != "not_eligible"
    assert shown[-1].decision == "not_eligible"
    ModelTester(None).check(dialog.proxy)  # type: ignore[no-untyped-call]

    # Filtered by decision, then by name or MRN.
    dialog.decision_filter.setCurrentText("Not eligible")
    assert dialog.proxy.rowCount() == strict["not_eligible"]
    dialog.decision_filter.setCurrentText("All patients")
    one = rows[123]
    dialog.filter_text.setText(one.mrn.lower())
    assert [c.patient_id for c in dialog.proxy.shown()] == [one.patient_id]
    dialog.filter_text.clear()

    # Sorted by the number failing, most first.
    dialog.table.sortByColumn(6, Qt.SortOrder.DescendingOrder)
    counts = [r.failing for r in dialog.proxy.shown()]
    assert counts == sorted(counts, reverse=True)

    # A double-click opens the patient at that trial.
    with qtbot.waitSignal(dialog.open_patient) as opened:
        index = dialog.proxy.index(0, 0)
        dialog.table.doubleClicked.emit(index)
    assert opened.args == [dialog.proxy.shown()[0].patient_id, TRIAL]

    # Exported as shown, audited with who.
    dialog.decision_filter.setCurrentText("Not screened for this trial")
    target = tmp_path / "candidates.csv"
    dialog.choose_path = lambda _parent, _suggested: str(target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Exported"), timeout=30_000)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    shown = dialog.proxy.shown()
    assert len(lines) - 1 == len(shown) == active - len(screened)
    assert [line[1] for line in lines[1:]] == [r.mrn for r in shown]  # in the order shown
    assert {line[4] for line in lines[1:]} == {"no"}
    with bulk.registry.read() as conn:
        audited = conn.execute("SELECT actor, details FROM audit_event "
                               "WHERE action = 'candidates.export'").fetchall()
    assert [actor for actor, _details in audited] == ["tester"]
    details = json.loads(audited[0][1])
    assert (details["trial_id"], details["rows"]) == (TRIAL, len(shown))
    # The export's audit row is all it wrote.
    assert _written(bulk.registry) == (before[0] + 1, *before[1:])


def test_a_search_can_be_cancelled(qtbot: QtBot, bulk: Bulk,
                                   bulk_context: ScreeningContext) -> None:
    dialog = _dialog(qtbot, bulk_context)
    dialog.choose_trial("NCT05744440")
    qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=30_000)
    assert dialog.running
    assert dialog.table.isHidden()  # filled once the search ends
    with qtbot.waitSignal(dialog.search_done, timeout=30_000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    active = PATIENTS - len(bulk.made.archived)
    assert 0 < dialog.model.rowCount() < active
    assert dialog.status.text().startswith(f"Cancelled: {dialog.model.rowCount()} of "
                                           f"{active} patients")
    assert dialog.find_button.isEnabled()
    assert not dialog.cancel_button.isEnabled()
    assert dialog.table.isVisible()


def test_the_trials_menu_opens_it_and_a_double_click_opens_the_patient_at_the_trial(
        qtbot: QtBot, window: MainWindow, add_patient: AddPatient) -> None:
    patient = add_patient("C-1", "Doe", "Jane")
    window.candidates_action.trigger()
    found = window.findChildren(CandidatesDialog)
    assert len(found) == 1
    dialog = found[0]
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    dialog.choose_trial(TRIAL)
    with qtbot.waitSignal(dialog.search_done, timeout=30_000):
        qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    assert dialog.proxy.rowCount() == 1
    assert dialog.model.index(0, 1).data() == "C-1"
    assert dialog.model.index(0, 3).data() == ""  # not screened for it yet

    cell = dialog.table.visualRect(dialog.proxy.index(0, 0)).center()
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.mouseDClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    view = window.patient_views.get(patient.id)
    assert view is not None
    qtbot.addWidget(view)
    assert view.isVisible()
    selected = view.other_trials.table.currentIndex()
    assert view.other_trials.model.result_at(selected.row()).trial.id == TRIAL  # type: ignore[union-attr]
    assert view.trial_choice.currentData() == TRIAL
