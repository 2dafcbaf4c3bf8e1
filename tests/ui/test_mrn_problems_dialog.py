"""MRN problems at start: listed in one dialog once the registry is open, resolved there by
merging or voiding a duplicate (audited by the repository), never changed silently."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.library import find_trial
from desktop.registry.database import Registry, open_registry
from desktop.registry.patients import PatientInput, PatientRepository
from desktop.registry.screenings import ScreeningRepository
from desktop.ui.app import GuiSession
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.patients.mrn_problems_dialog import MrnProblemsDialog
from tests.registry.legacy import registry_at_0003
from tests.ui.session_support import PASSWORD, log_in, opened_session, seed_coordinator

OLD = [("AB 17", "Older", "1960-02-03", "female"),   # 1 \ one MRN now
       ("AB  17", "Older", "1960-02-03", "female"),  # 2 /
       ("\u200b", "Invisible", "1970-01-01", "male"),  # 3: a lone zero-width space
       ("CD-1", "Clean", "1971-01-01", "male")]      # 4


@pytest.fixture
def session(qtbot: QtBot, data_dir: Path, messages: RecordingMessages) -> Iterator[GuiSession]:
    """The app started on a registry from before the MRN rules (upgraded at start)."""
    registry_at_0003(data_dir, OLD)
    upgraded = open_registry(data_dir)
    try:
        seed_coordinator(upgraded)
    finally:
        upgraded.close()
    started = opened_session(qtbot, data_dir, messages)
    log_in(qtbot, started, "cora", PASSWORD)
    yield started
    started.shutdown()


def shown_dialog(qtbot: QtBot, session: GuiSession) -> MrnProblemsDialog:
    def visible() -> bool:
        check = session.mrn_check
        return check is not None and check.dialog is not None and check.dialog.isVisible()

    qtbot.waitUntil(visible, timeout=30_000)
    assert session.mrn_check is not None
    assert session.mrn_check.dialog is not None
    return session.mrn_check.dialog


def rows(dialog: MrnProblemsDialog) -> list[list[str]]:
    """Each problem's text, then its patients' MRN and family name."""
    out = []
    for top in range(dialog.tree.topLevelItemCount()):
        item = dialog.tree.topLevelItem(top)
        assert item is not None
        children = [item.child(i) for i in range(item.childCount())]
        out.append([item.text(0), *(f"{c.text(0)} {c.text(1)}" for c in children if c)])
    return out


def test_problems_are_listed_at_start_and_nothing_is_changed(
        qtbot: QtBot, session: GuiSession, data_dir: Path) -> None:
    dialog = shown_dialog(qtbot, session)
    assert dialog.parent() is session.window
    assert dialog.isModal()
    assert "found 2 MRN problems" in dialog.intro.text()
    assert "Nothing has been changed" in dialog.intro.text()
    listed = rows(dialog)
    assert listed[0][0].startswith("2 patients share one MRN: 'AB 17' and 'AB  17'")
    assert listed[0][1:] == ["AB 17 Older", "AB  17 Older"]
    assert "MRN '\\u200b' contains an invisible or control character" in listed[1][0]
    assert listed[1][1:] == ["\\u200b Invisible"]
    assert session.window.model.rowCount() == 4  # every patient still listed
    # nothing selected, no reason: nothing can be done by accident
    assert not dialog.void_button.isEnabled()
    assert not dialog.merge_button.isEnabled()


def test_a_duplicate_is_merged_from_the_dialog(qtbot: QtBot, session: GuiSession,
                                               messages: RecordingMessages) -> None:
    assert session.registry is not None
    screenings = ScreeningRepository(session.registry, "coordinator")
    screening = screenings.start(2, find_trial("NCT06152809"))
    dialog = shown_dialog(qtbot, session)

    dialog.select(2)
    assert dialog.keep.count() == 1
    assert dialog.keep.currentText() == "Older, Ola (MRN AB 17)"
    assert not dialog.merge_button.isEnabled()  # the reason first
    qtbot.keyClicks(dialog.reason, "Registered twice at admission")
    assert dialog.merge_button.isEnabled()
    with qtbot.waitSignal(dialog.changed):
        qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)

    assert messages.messages[-1].title == "Merge patients"
    assert "Merge Older, Ola (MRN AB  17) into Older, Ola (MRN AB 17)?" in \
        messages.messages[-1].text
    assert dialog.outcome.text() == ("Merged Older, Ola (MRN AB  17) into Older, Ola "
                                     "(MRN AB 17).")
    assert [s.id for s in screenings.screenings(1)] == [screening.id]
    repo = PatientRepository(session.registry, "check")
    assert repo.get(2).voided
    assert repo.unique_mrns_enforced()
    assert "found 1 MRN problem " in dialog.intro.text()  # the zero-width one remains
    assert len(rows(dialog)) == 1
    assert session.window.model.rowCount() == 3  # the voided duplicate left the list


def test_a_record_is_voided_from_the_dialog_until_none_remain(
        qtbot: QtBot, session: GuiSession, messages: RecordingMessages) -> None:
    dialog = shown_dialog(qtbot, session)
    for patient_id, reason in ((3, "Test record, registered in error"),
                               (1, "Duplicate of AB  17")):
        dialog.select(patient_id)
        qtbot.keyClicks(dialog.reason, reason)
        with qtbot.waitSignal(dialog.changed):
            qtbot.mouseClick(dialog.void_button, Qt.MouseButton.LeftButton)
        assert messages.messages[-1].title == "Void patient"
        assert dialog.reason.text() == ""
    assert dialog.problems == []
    assert dialog.intro.text().startswith("No MRN problems remain")
    assert session.registry is not None
    with session.registry.read() as conn:
        voids = conn.execute("SELECT entity_id, actor, details FROM audit_event "
                             "WHERE action = 'patient.void' ORDER BY id").fetchall()
    assert [(row[0], row[1]) for row in voids] == [(3, "cora"), (1, "cora")]  # who logged in
    assert "Duplicate of AB  17" in voids[1][2]


def test_a_refused_merge_is_said_in_the_dialog_and_changes_nothing(
        qtbot: QtBot, session: GuiSession) -> None:
    assert session.registry is not None
    screenings = ScreeningRepository(session.registry, "coordinator")
    trial = find_trial("NCT06152809")
    screenings.start(1, trial)
    screenings.start(2, trial)
    dialog = shown_dialog(qtbot, session)
    dialog.select(2)
    qtbot.keyClicks(dialog.reason, "twice")
    qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    assert "Both records have a screening for NCT06152809" in dialog.outcome.text()
    assert "color" in dialog.outcome.styleSheet()
    assert len(dialog.problems) == 2
    assert dialog.reason.text() == "twice"  # kept, to void instead
    assert not PatientRepository(session.registry, "check").get(2).voided


def test_declining_the_confirmation_changes_nothing(
        qtbot: QtBot, session: GuiSession, messages: RecordingMessages) -> None:
    dialog = shown_dialog(qtbot, session)
    messages.answer = False
    dialog.select(3)
    qtbot.keyClicks(dialog.reason, "error")
    qtbot.mouseClick(dialog.void_button, Qt.MouseButton.LeftButton)
    assert session.registry is not None
    assert not PatientRepository(session.registry, "check").get(3).voided
    assert len(dialog.problems) == 2


def test_no_dialog_for_a_registry_without_problems(qtbot: QtBot, data_dir: Path,
                                                   messages: RecordingMessages) -> None:
    registry: Registry = open_registry(data_dir)
    try:
        PatientRepository(registry, "u").add(PatientInput("AB 17", "Clean", "Ann",
                                                          date(1970, 1, 1), "female"))
        seed_coordinator(registry)
    finally:
        registry.close()
    session = opened_session(qtbot, data_dir, messages)
    try:
        log_in(qtbot, session, "cora", PASSWORD)
        qtbot.waitUntil(lambda: session.mrn_check is not None
                        and session.mrn_check.problems is not None, timeout=30_000)
        assert session.mrn_check is not None
        assert session.mrn_check.problems == []
        assert session.mrn_check.dialog is None
    finally:
        session.shutdown()
