"""``--demo`` screenings: a patient part-way through NCT06152809, and a screen failure."""

from __future__ import annotations

from datetime import datetime

from desktop import paths
from desktop.domain.visits import StageState
from desktop.library import load_library
from desktop.registry.database import Registry
from desktop.registry.demo import seed_demo
from desktop.registry.demo_screenings import DEMO_TRIAL, seed_demo_screenings
from desktop.registry.screenings import ScreeningRepository

NOW = datetime(2027, 3, 15, 10, 0)


def test_demo_screenings_are_real_work_moved_to_today_and_added_once(
        registry: Registry) -> None:
    seed_demo(registry)
    trials = {t.id: t for t in load_library()}
    examples = paths.trials_dir() / "examples"
    assert seed_demo_screenings(registry, trials, examples, now=NOW) == 2
    assert seed_demo_screenings(registry, trials, examples, now=NOW) == 0

    repo = ScreeningRepository(registry, "checker", clock=lambda: NOW)
    log = {row.mrn: row for row in repo.screening_log(trials[DEMO_TRIAL])}
    assert set(log) == {"DEMO-0002", "DEMO-0004"}

    progressing = log["DEMO-0002"]
    assert progressing.furthest_stage == "pre-lymphodepletion"
    assert progressing.furthest_state is StageState.IN_PROGRESS
    visits = repo.visits(progressing.screening_id)
    assert [(v.stage_id, v.state) for v in visits] == [
        ("screening-1", StageState.SIGNED), ("screening-2", StageState.SIGNED),
        ("pre-lymphodepletion", StageState.IN_PROGRESS)]
    # Dates moved so the visit in progress is today's (its example: 7 Dec 2026).
    assert repo.events(visits[-1].id)["lymphodepletion"] == datetime(2027, 3, 15, 8, 0)

    failed = log["DEMO-0004"]
    assert failed.furthest_state is StageState.NOT_ELIGIBLE
    assert [cid for f in failed.failures for cid, _ in f.reasons] == ["ecog"]
