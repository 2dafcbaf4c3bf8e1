"""The timeline widget: every trial paints its windows where the dates say, a bar's
tooltip gives the exact window, and without dates it says which date to enter."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QColor, QHelpEvent, QImage
from PySide6.QtWidgets import QToolTip
from pytestqt.qtbot import QtBot

from desktop.domain.timeline import Timeline, build_timeline
from desktop.domain.trial import Trial
from desktop.domain.visits import StageState
from desktop.library import find_trial, load_library
from desktop.ui.screening.timeline_view import TODAY_COLOUR, TimelineView, demo_timeline

LD = datetime(2026, 11, 3, 8, 0)
INF = datetime(2026, 11, 8, 10, 0)
VEN = datetime(2026, 11, 20)
TODAY = datetime(2026, 11, 2, 9, 15)
EXAMPLE_EVENTS = {"lymphodepletion": LD, "infusion": INF, "venetoclax_start": VEN,
                  "treatment_start": datetime(2026, 11, 4, 9, 0),
                  "transplant": datetime(2026, 10, 1)}


@pytest.fixture
def view(qtbot: QtBot) -> TimelineView:
    widget = TimelineView()
    qtbot.addWidget(widget)
    widget.resize(900, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _show(view: TimelineView, timeline: Timeline) -> QImage:
    view.set_timeline(timeline)
    view.resize(900, view.heightForWidth(900))
    return view.grab().toImage()


def _differs_from_background(image: QImage, point: QPoint, view: TimelineView) -> bool:
    base = view.palette().color(view.backgroundRole())
    return image.pixelColor(point) != base


@pytest.mark.parametrize("trial", load_library(), ids=lambda t: t.id)
def test_every_trial_draws_each_window_where_its_dates_fall(view: TimelineView,
                                                            trial: Trial) -> None:
    timeline = build_timeline(trial, {}, {(trial.stages[0].id, 1): StageState.ELIGIBLE},
                              TODAY, fallback=EXAMPLE_EVENTS)
    image = _show(view, timeline)
    assert view.sizeHint().height() >= view.badge_rect(len(timeline.lanes) - 1).bottom()
    for n, lane in enumerate(timeline.lanes):
        assert view.badge_rect(n).isValid()
        for k, span in enumerate(lane.spans):
            rect = view.bar_rect(n, k)
            assert rect.left() == pytest.approx(view.x_of(span.start), abs=1)
            assert rect.right() == pytest.approx(view.x_of(span.end), abs=2)
            assert view.rect().contains(rect)
            assert _differs_from_background(image, rect.center(), view)
    assert "to see the windows" not in view.accessibleDescription()


def test_nct06152809_windows_sit_before_their_events_in_time_order(view: TimelineView) -> None:
    timeline = demo_timeline(TODAY)
    _show(view, timeline)
    pre_ld, pre_inf, pre_ven = 2, 3, 4
    ld_bar = view.bar_rect(pre_ld, 0)
    assert ld_bar.right() == pytest.approx(view.x_of(LD), abs=2)
    # 24 hours wide, at this scale as wide as a day on the axis.
    day = view.x_of(LD) - view.x_of(LD - timedelta(days=1))
    assert ld_bar.width() == pytest.approx(day, abs=2)
    # "On the day of" starts at midnight of the infusion day, not 24 hours before it.
    on_day = view.bar_rect(pre_inf, 1)
    assert on_day.left() == pytest.approx(view.x_of(datetime(2026, 11, 8)), abs=1)
    assert on_day.top() > view.bar_rect(pre_inf, 0).bottom()  # stacked, not overlapping
    assert ld_bar.right() < view.bar_rect(pre_inf, 0).left() < view.bar_rect(pre_ven, 0).left()
    # No bar on the stages without windows.
    assert view.bar_rect(0, 0).isNull()


# The offscreen platform says this when the tooltip window is raised: a platform notice.
@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_hovering_a_bar_gives_the_window_its_exact_edges_and_what_it_applies_to(
        view: TimelineView) -> None:
    _show(view, demo_timeline(TODAY))
    centre = view.bar_rect(3, 0).center()
    assert view.tooltip_at(centre) == (
        "Within 24 hours before NK cell infusion\n"
        "From 2026-11-07 10:00 to 2026-11-08 10:00\n"
        "Applies to: Direct bilirubin, AST, ALT, Creatinine clearance (Cockcroft-Gault)\n"
        "Criteria: #1, #2, #3")  # their numbers in the stage, never ids
    on_day = view.tooltip_at(view.bar_rect(3, 1).center())
    assert "From 2026-11-08 00:00 up to, not including, 2026-11-09 00:00" in on_day

    # Through Qt's own tooltip event, as a mouse hover sends it.
    event = QHelpEvent(QEvent.Type.ToolTip, centre, view.mapToGlobal(centre))
    view.event(event)
    assert QToolTip.text().startswith("Within 24 hours before NK cell infusion")
    QToolTip.hideText()


def test_badges_and_titles_say_the_state_and_what_is_due(view: TimelineView) -> None:
    _show(view, demo_timeline(TODAY))
    assert view.tooltip_at(view.badge_rect(2).center()) == (
        "Before lymphodepletion (Day -5): in progress · next\n"
        "Before lymphodepletion (Day -5) labs due from 2026-11-02 08:00 (by 2026-11-03 08:00)")
    assert view.tooltip_at(view.badge_rect(0).center()).startswith(
        "Screening #1: trial enrollment: eligible")
    assert view.tooltip_at(QPoint(2, 2)) == ""


def test_the_today_line_is_drawn_at_today(view: TimelineView) -> None:
    image = _show(view, demo_timeline(TODAY))
    x = round(view.x_of(TODAY))
    y = view.badge_rect(1).center().y()  # a lane without bars: only the line is there
    today = QColor(TODAY_COLOUR)
    near = [image.pixelColor(x + dx, y) for dx in (-1, 0, 1)]
    assert any(abs(c.red() - today.red()) < 40 and abs(c.blue() - today.blue()) < 40
               and c.green() < 100 for c in near)


def test_without_event_dates_it_says_which_date_to_enter(view: TimelineView) -> None:
    trial = find_trial("NCT06152809")
    only_ld = _one_event_trial()
    view.set_timeline(build_timeline(only_ld, {}, {}, TODAY))
    assert view.accessibleDescription().splitlines()[0] == \
        "Enter the planned lymphodepletion date to see the windows"

    image = _show(view, build_timeline(trial, {}, {}, TODAY))
    assert view.accessibleDescription().splitlines()[0] == (
        "Enter the planned lymphodepletion, NK cell infusion and venetoclax initiation dates "
        "to see the windows")
    assert "Before CIML NK cell infusion (not started): Enter the planned NK cell infusion date" \
        in view.accessibleDescription()
    assert all(view.bar_rect(n, 0).isNull() for n in range(len(trial.stages)))
    # Still lists the stages with their badges, under the sentence.
    assert view.badge_rect(0).top() > view.fontMetrics().height()
    assert not image.isNull()


def test_a_cleared_view_draws_nothing_and_describes_nothing(view: TimelineView) -> None:
    view.set_timeline(demo_timeline(TODAY))
    view.clear_timeline()
    assert view.timeline() is None
    assert view.accessibleDescription() == ""
    assert view.tooltip_at(QPoint(10, 10)) == ""
    view.grab()


def test_set_data_builds_from_visit_events_and_the_latest_ones(view: TimelineView) -> None:
    trial = find_trial("NCT06152809")
    moved = INF + timedelta(hours=24)
    view.set_data(trial, {("pre-infusion", 1): {"infusion": moved}}, {}, TODAY,
                  fallback=EXAMPLE_EVENTS)
    timeline = view.timeline()
    assert timeline is not None
    assert timeline.lanes[3].spans[0].end == moved
    assert timeline.lanes[2].spans[0].end == LD


def test_the_picture_grows_with_the_font(view: TimelineView) -> None:
    view.set_timeline(demo_timeline(TODAY))
    before = view.sizeHint()
    font = view.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    view.setFont(font)
    after = view.sizeHint()
    assert after.height() > before.height() * 1.5
    assert after.width() > before.width()


def _one_event_trial() -> Trial:
    return Trial.model_validate({
        "id": "NCT00000001", "title": "T", "sponsor": "S", "protocol_version": "1",
        "source": "test", "stages": [{"id": "pre", "title": "Pre", "criteria": [
            {"id": "c", "kind": "inclusion", "text": "t",
             "window": {"event": "lymphodepletion", "within": "24h"},
             "rule": {"type": "compare", "of": "ast", "op": "<=", "uln": 3}}]}]})
