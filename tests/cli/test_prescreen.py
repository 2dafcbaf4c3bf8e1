"""``nkscreen prescreen``: every trial's first stage on one record, held to ``evaluate``."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.domain.engine import evaluate
from desktop.domain.prescreen import prescreen
from desktop.domain.record import RecordError, parse_record
from desktop.library import load_library

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 2, 9, 0)
LIBRARY = load_library()
EXAMPLES = sorted((REPO / "trials" / "examples").glob("*/screening-1.json"))
LATER = sorted(p for p in (REPO / "trials" / "examples").glob("*/*.json")
               if p.stem != "screening-1")
KEYS = {"trial", "title", "stage", "decision", "failing", "unknown", "missing_inputs",
        "provisional_decision", "provisional_unknown", "as_of"}


def _cli(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin,
                          capture_output=True, text=True, encoding="utf-8", cwd=REPO,
                          timeout=60, check=False)


def _own_answers(data: dict[str, Any], trial_index: int) -> dict[str, Any]:
    stage = LIBRARY[trial_index].stages[0]
    answers = data.get("answers") or {}
    return {k: v for k, v in answers.items()
            if (c := stage.criterion(k)) is not None and c.attested}


def _held_to_evaluate(data: dict[str, Any]) -> None:
    entries = prescreen(LIBRARY, parse_record(data, NOW))
    assert [e.trial.id for e in entries] == [t.id for t in LIBRARY]
    for i, entry in enumerate(entries):
        trial = LIBRARY[i]
        alone = dict(data) | {"answers": _own_answers(data, i)}
        verdict = evaluate(trial, trial.stages[0].id, parse_record(alone, NOW))
        shown = entry.as_json()
        assert shown["decision"] == verdict.decision
        assert shown["failing"] == [r.id for r in verdict.results if r.outcome == "fail"]
        assert shown["unknown"] == [r.id for r in verdict.results if r.outcome == "unknown"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.parent.name}-{p.stem}" for p in EXAMPLES])
def test_each_trials_decision_is_what_evaluate_gives(path: Path) -> None:
    _held_to_evaluate(json.loads(path.read_text(encoding="utf-8")))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(EXAMPLES), st.data())
def test_generated_records_hold_prescreen_to_evaluate(path: Path, data: st.DataObject) -> None:
    record = json.loads(path.read_text(encoding="utf-8"))
    observations = record.get("observations", [])
    keep = data.draw(st.lists(st.booleans(), min_size=len(observations),
                              max_size=len(observations)))
    record["observations"] = [o for o, k in zip(observations, keep, strict=True) if k]
    if record.get("events") and data.draw(st.booleans()):
        record["events"] = {}
    _held_to_evaluate(record)


def test_the_cli_lists_every_trial_in_library_order() -> None:
    record = (REPO / "trials/examples/NCT06152809/screening-1.json").read_text()
    done = _cli("prescreen", "-", stdin=record)
    assert done.returncode == 0, done.stderr
    entries = json.loads(done.stdout)
    listed = json.loads(_cli("trials", stdin="").stdout)
    assert [e["trial"] for e in entries] == [t["id"] for t in listed]
    assert all(set(e) == KEYS for e in entries)
    assert all(e["stage"] == "screening-1" for e in entries)
    first = entries[0] if entries[0]["trial"] == "NCT06152809" else \
        next(e for e in entries if e["trial"] == "NCT06152809")
    assert first["decision"] == "eligible"
    assert first["failing"] == first["unknown"] == first["missing_inputs"] == []


def test_missing_inputs_name_what_the_unknown_criteria_need() -> None:
    record = parse_record({"as_of": "2026-11-02T09:00",
                           "patient": {"birth_date": "1958-04-12", "sex": "female"}}, NOW)
    entry = next(e for e in prescreen(LIBRARY, record) if e.trial.id == "NCT06152809")
    missing = entry.as_json()["missing_inputs"]
    assert isinstance(missing, list)
    for code in ("ecog", "creatinine", "weight", "bilirubin_direct", "ast", "alt"):
        assert code in missing
    assert "birth_date" not in missing
    assert len(missing) == len(set(missing))


def test_a_weight_on_record_is_not_missing() -> None:
    record = parse_record({"as_of": "2026-11-02T09:00",
                           "patient": {"birth_date": "1958-04-12", "sex": "female"},
                           "observations": [{"code": "weight", "value": 70, "unit": "kg",
                                             "at": "2020-01-01"}]}, NOW)
    entry = next(e for e in prescreen(LIBRARY, record) if e.trial.id == "NCT06152809")
    missing = entry.as_json()["missing_inputs"]
    assert isinstance(missing, list)
    assert "weight" not in missing
    assert "creatinine" in missing


def test_provisional_decision_places_missing_events_at_as_of() -> None:
    # NCT05744440's organ function is "within 3 days prior to initial treatment".
    path = REPO / "trials/examples/NCT05744440/screening-1.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data.get("events", {}).get("treatment_start")
    data["events"] = {}
    entry = next(e for e in prescreen(LIBRARY, parse_record(data, NOW))
                 if e.trial.id == "NCT05744440")
    shown = entry.as_json()
    assert shown["decision"] == "incomplete"
    assert "treatment_start" in shown["missing_inputs"]  # type: ignore[operator]
    assert shown["provisional_decision"] == "eligible"
    assert shown["provisional_unknown"] == []


@pytest.mark.parametrize("path", LATER, ids=[f"{p.parent.name}-{p.stem}" for p in LATER])
def test_a_later_stages_record_with_its_own_answers_is_bad_input(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    firsts = {c.id for t in LIBRARY for c in t.stages[0].criteria}
    if not set(data.get("answers") or {}) - firsts:
        pytest.skip("every answer of this record is also a first-stage criterion")
    with pytest.raises(RecordError) as caught:
        prescreen(LIBRARY, parse_record(data, NOW))
    assert caught.value.field.startswith("answers.")


def test_an_answer_no_first_stage_has_is_bad_input() -> None:
    with pytest.raises(RecordError) as caught:
        prescreen(LIBRARY, parse_record({"answers": {"no-such-id": True}}, NOW))
    assert caught.value.field == "answers.no-such-id"


def test_an_answer_of_one_trial_is_ignored_by_the_others() -> None:
    only = next(c.id for c in LIBRARY[0].stages[0].criteria if c.attested
                and all(t.stages[0].criterion(c.id) is None for t in LIBRARY[1:]))
    entries = prescreen(LIBRARY, parse_record({"answers": {only: True}}, NOW))
    assert len(entries) == len(LIBRARY)


def test_jsonl_answers_every_line_in_order() -> None:
    good = (REPO / "trials/examples/NCT06152809/screening-1.json").read_text()
    lines = json.dumps(json.loads(good)) + "\n\n" + '{"hiv": 1}' + "\n" + "{}\n"
    done = _cli("prescreen", "--jsonl", "-", stdin=lines)
    assert done.returncode == 2
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 3
    assert isinstance(out[0], list)
    assert out[1] == {"line": 3, "error": "nkscreen: hiv: is not a field of a patient record"}
    assert isinstance(out[2], list)
