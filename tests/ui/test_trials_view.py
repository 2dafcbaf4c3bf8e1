"""The Trials view: the library as a tree, a stage's criteria as a checked table model,
and the window that loads the library or says which trial file is broken."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

import desktop.library
from desktop.domain.trial import Criterion, Stage, Trial
from desktop.library import load_library
from desktop.paths import trials_dir
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.trials.criteria_model import (
    ALTERNATIVES,
    DECIDED,
    NOTE,
    NOTE_MARK,
    NUMBER,
    READS,
    RULE,
    TEXT,
    WINDOW,
    CriteriaTableModel,
    CriterionRole,
    GroupHeadingRole,
)
from desktop.ui.trials.trials_view import TrialsView, TrialsWindow, open_trials_window
from tests.ui.conftest import OFFSCREEN_NOTICE

TOOLTIP = Qt.ItemDataRole.ToolTipRole


@pytest.fixture(scope="module")
def library() -> list[Trial]:
    return load_library()


@pytest.fixture
def view(qtbot: QtBot, library: list[Trial]) -> TrialsView:
    widget = TrialsView(library)
    qtbot.addWidget(widget)
    widget.resize(1400, 850)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _trial(library: list[Trial], trial_id: str) -> Trial:
    return next(t for t in library if t.id == trial_id)


def _stage(library: list[Trial], trial_id: str, stage_id: str) -> Stage:
    stage = _trial(library, trial_id).stage(stage_id)
    assert stage is not None
    return stage


def _criterion(stage: Stage, criterion_id: str) -> Criterion:
    criterion = stage.criterion(criterion_id)
    assert criterion is not None
    return criterion


def _row(view: TrialsView, criterion_id: str) -> int:
    row = view.model.row_of(criterion_id)
    assert row is not None, criterion_id
    return row


def _cell(view: TrialsView, criterion_id: str, column: int,
          role: int = Qt.ItemDataRole.DisplayRole) -> object:
    return view.model.index(_row(view, criterion_id), column).data(role)


# -- the tree ------------------------------------------------------------------


def test_lists_all_five_trials_with_their_stage_ids(view: TrialsView,
                                                    library: list[Trial]) -> None:
    listed = view.listed()
    assert len(listed) == 5
    assert listed == {trial.id: trial.stage_ids for trial in library}
    assert listed["NCT06152809"] == ["screening-1", "screening-2", "pre-lymphodepletion",
                                     "pre-infusion", "pre-venetoclax"]
    first = view.tree.topLevelItem(0)
    assert first is not None
    assert first.text(0).startswith(library[0].id)
    assert first.toolTip(0).endswith(library[0].title)


def test_stage_rows_show_title_count_and_repeat(view: TrialsView, library: list[Trial]) -> None:
    nct = next(i for i, t in enumerate(library) if t.id == "NCT06835140")
    item = view.tree.topLevelItem(nct)
    assert item is not None
    infusion = item.child(1)
    assert infusion is not None
    stage = _stage(library, "NCT06835140", "pre-infusion")
    assert stage.repeat == 3
    assert infusion.text(0) == "Pre-infusion · repeated ×3"
    assert infusion.text(1) == f"{len(stage.criteria)} criteria"


def test_opens_on_the_first_stage_and_arrow_keys_walk_the_tree(
        qtbot: QtBot, view: TrialsView, library: list[Trial]) -> None:
    first = library[0]
    assert view.current_trial is first
    assert view.current_stage is first.stages[0]
    view.tree.setFocus()
    assert view.select_stage("NCT06152809", "screening-1")
    qtbot.keyClick(view.tree, Qt.Key.Key_Down)
    assert view.current_stage is _stage(library, "NCT06152809", "screening-2")
    qtbot.keyClick(view.tree, Qt.Key.Key_Up)
    qtbot.keyClick(view.tree, Qt.Key.Key_Up)  # the trial's own row: its first stage
    assert view.current_trial is _trial(library, "NCT06152809")
    assert view.current_stage is _stage(library, "NCT06152809", "screening-1")


def test_header_shows_trial_stage_override_and_notes(view: TrialsView,
                                                     library: list[Trial]) -> None:
    trial = _trial(library, "NCT06152809")
    stage = _stage(library, "NCT06152809", "pre-infusion")
    assert stage.override is not None
    assert view.select_stage(trial.id, stage.id)
    header = view.header.toPlainText()
    for words in (trial.title, trial.sponsor, trial.protocol_version, stage.title,
                  stage.heading or "", stage.override.text, *stage.override.agreed_by,
                  *trial.notes):
        assert words in header


# -- the criteria table --------------------------------------------------------


@pytest.mark.parametrize(("trial_id", "stage_id"), [
    ("NCT06152809", "screening-1"), ("NCT06152809", "screening-2"),
    ("NCT06152809", "pre-venetoclax"), ("NCT07011004", "screening-1"),
    ("NCT06835140", "pre-infusion"),
])
def test_selecting_a_stage_fills_the_table_in_protocol_order(
        view: TrialsView, library: list[Trial], trial_id: str, stage_id: str) -> None:
    stage = _stage(library, trial_id, stage_id)
    assert view.select_stage(trial_id, stage_id)
    model = view.model
    assert model.rowCount() == len(stage.criteria)
    assert [model.index(r, 0).data(CriterionRole).id for r in range(model.rowCount())] == \
        [c.id for c in stage.criteria]
    assert [model.index(r, TEXT).data() for r in range(model.rowCount())] == \
        [c.text for c in stage.criteria]
    assert [model.index(r, NUMBER).data().split()[-1] for r in range(model.rowCount())] == \
        [str(n) for n in range(1, len(stage.criteria) + 1)]


def test_attested_and_computed_criteria_say_how_they_are_decided(
        view: TrialsView, library: list[Trial]) -> None:
    stage = _stage(library, "NCT06152809", "screening-1")
    assert view.select_stage("NCT06152809", "screening-1")

    assert _criterion(stage, "diagnosis-aml").attested
    assert _cell(view, "diagnosis-aml", DECIDED) == "Attested"
    assert _cell(view, "diagnosis-aml", RULE) == \
        "Attested: answered by a person (yes / no / N/A)"
    assert _cell(view, "diagnosis-aml", READS) == "—"

    assert _cell(view, "ecog", DECIDED) == "Computed"
    assert _cell(view, "ecog", RULE) == "ECOG <= 2"
    assert _cell(view, "ecog", READS) == "ECOG"
    assert _cell(view, "crcl", RULE) == "Creatinine clearance (Cockcroft-Gault) >= 45 mL/min"
    assert _cell(view, "crcl", READS) == "Serum creatinine, Weight, Date of birth, Sex"
    assert _cell(view, "ast-alt", RULE) == "AST <= 3 x ULN and ALT <= 3 x ULN"
    assert _cell(view, "direct-bilirubin", RULE) == (
        "Direct bilirubin <= 1.5 x ULN; with Gilbert's syndrome or disease-related hemolysis: "
        "Direct bilirubin < 3 x ULN")


def test_a_windowed_rule_names_its_window(view: TrialsView) -> None:
    assert view.select_stage("NCT06152809", "pre-lymphodepletion")
    assert _cell(view, "ast-alt", RULE) == (
        "AST <= 3 x ULN and ALT <= 3 x ULN (within 24 hours before lymphodepletion)")
    assert _cell(view, "ast-alt", WINDOW) == "within 24 hours before lymphodepletion"


def test_alternatives_name_the_other_criterion_by_number(view: TrialsView,
                                                        library: list[Trial]) -> None:
    stage = _stage(library, "NCT06152809", "screening-2")
    with_alternative = next(c for c in stage.criteria if c.alternatives)
    assert view.select_stage("NCT06152809", "screening-2")
    other = with_alternative.alternatives[0]
    number = stage.criteria.index(_criterion(stage, other)) + 1
    assert _cell(view, with_alternative.id, ALTERNATIVES) == f"or #{number} {other}"


def test_a_reading_note_is_marked_and_shown_in_the_tooltip_and_details(
        view: TrialsView, library: list[Trial]) -> None:
    stage = _stage(library, "NCT06152809", "screening-1")
    note = _criterion(stage, "nyha-class").note
    assert note
    assert view.select_stage("NCT06152809", "screening-1")

    assert _cell(view, "nyha-class", NUMBER) == f"{NOTE_MARK} 13"
    assert _cell(view, "nyha-class", NOTE) == f"{NOTE_MARK} {note}"
    for column in (NUMBER, TEXT, RULE):
        tooltip = _cell(view, "nyha-class", column, TOOLTIP)
        assert isinstance(tooltip, str)
        assert escape(note) in tooltip
    assert _cell(view, "ecog", TEXT, TOOLTIP) is None

    assert view.select_criterion("nyha-class")
    details = view.details.toPlainText()
    assert f"{NOTE_MARK} Reading note: {note}" in details
    assert _criterion(stage, "nyha-class").text in details
    assert "Attested: answered by a person" in details


def test_group_heading_starts_each_group(view: TrialsView, library: list[Trial]) -> None:
    stage = _stage(library, "NCT06152809", "screening-1")
    group = _criterion(stage, "direct-bilirubin").group
    assert group
    assert view.select_stage("NCT06152809", "screening-1")
    assert _cell(view, "direct-bilirubin", TEXT, GroupHeadingRole) == group
    assert _cell(view, "ast-alt", TEXT, GroupHeadingRole) is None  # same group, no repeat
    assert _cell(view, "ecog", TEXT, GroupHeadingRole) is None
    assert view.select_criterion("ast-alt")
    assert group in view.details.toPlainText()


def test_filter_keeps_matching_criteria_ignoring_case(qtbot: QtBot, view: TrialsView,
                                                      library: list[Trial]) -> None:
    stage = _stage(library, "NCT06152809", "screening-1")
    assert view.select_stage("NCT06152809", "screening-1")
    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.filter.hasFocus()
    qtbot.keyClicks(view.filter, "BILIRUBIN")
    assert [c.id for c in view.model.criteria()] == ["direct-bilirubin"]
    assert view.count_label.text() == f"1 of {len(stage.criteria)} criteria match"
    # A filtered row keeps its protocol number and its group heading.
    assert _cell(view, "direct-bilirubin", NUMBER) == "6"
    assert _cell(view, "direct-bilirubin", TEXT, GroupHeadingRole) == \
        _criterion(stage, "direct-bilirubin").group

    view.filter.setText("no criterion says this")
    assert view.model.rowCount() == 0
    assert "No criterion matches" in view.details.toPlainText()
    view.filter.clear()
    assert view.model.rowCount() == len(stage.criteria)


def test_criteria_model_passes_the_qt_model_tester(qtmodeltester: ModelTester,
                                                   library: list[Trial]) -> None:
    qtmodeltester.check(CriteriaTableModel(), force_py=True)  # no stage yet
    model = CriteriaTableModel()
    model.set_stage(_stage(library, "NCT06152809", "screening-1"))
    qtmodeltester.check(model, force_py=True)
    # The tester stays connected: it checks each reset below as it happens.
    model.set_filter("ULN")
    assert 0 < model.rowCount() < model.total
    model.set_stage(_stage(library, "NCT07011004", "screening-1"))
    model.set_filter("")
    assert model.rowCount() == model.total == 52
    model.set_stage(None)
    assert model.rowCount() == 0


def test_empty_library_shows_an_empty_view(qtbot: QtBot) -> None:
    widget = TrialsView([])
    qtbot.addWidget(widget)
    assert widget.listed() == {}
    assert widget.model.rowCount() == 0
    assert "No trials" in widget.header.toPlainText()


# -- the window ------------------------------------------------------------------


# Raising a window is a window-manager request the offscreen platform cannot serve.
@pytest.mark.qt_log_ignore(OFFSCREEN_NOTICE, "This plugin does not support raise")
def test_open_trials_window_shows_the_library(qtbot: QtBot, library: list[Trial]) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    messages = RecordingMessages()
    window = open_trials_window(parent, messages=messages)
    assert isinstance(window, TrialsWindow)
    qtbot.addWidget(window)
    assert window.isVisible()
    assert not window.isModal()
    assert window.view.listed() == {trial.id: trial.stage_ids for trial in library}
    assert messages.messages == []
    assert open_trials_window(parent, messages=messages) is window  # raised, not doubled


def _broken_folder(tmp_path: Path) -> Path:
    """The real library, with NCT06152809's ECOG criterion given an operator it lacks."""
    folder = tmp_path / "trials"
    folder.mkdir()
    source = (trials_dir() / "NCT06152809.yaml").read_text(encoding="utf-8")
    broken = source.replace('{type: compare, of: ecog, op: "<=", value: 2}',
                            '{type: compare, of: ecog, op: "=<", value: 2}', 1)
    assert broken != source
    (folder / "NCT06152809.yaml").write_text(broken, encoding="utf-8")
    return folder


def test_broken_trial_file_is_reported_with_file_criterion_and_field(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(desktop.library, "trials_dir", lambda: _broken_folder(tmp_path))
    messages = RecordingMessages()
    assert open_trials_window(None, messages=messages) is None
    [message] = messages.messages
    assert message.kind == "error"
    assert message.title == "Trial library not opened"
    for words in ("NCT06152809.yaml", "stage 'screening-1'", "criterion 'ecog'",
                  "field rule.op"):
        assert words in message.text


def test_invalid_yaml_is_reported_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "NCT00000001.yaml").write_text("id: NCT00000001\ntitle: [unclosed\n",
                                               encoding="utf-8")
    messages = RecordingMessages()
    assert open_trials_window(None, messages=messages, directory=tmp_path) is None
    [message] = messages.messages
    assert "NCT00000001.yaml" in message.text
    assert "not valid YAML" in message.text
