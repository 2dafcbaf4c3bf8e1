"""The signed content built from a real verdict: it covers the results the outcomes
used, as typed, with the ULN and where it came from; rewording any reason or label
leaves the hash as it was; the patient and the time assessed are covered."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

from desktop.domain.engine import Verdict, evaluate
from desktop.domain.record import Observation, parse_record
from desktop.domain.signing_content import build_content, used_observations
from desktop.domain.uln_history import UlnHistory
from desktop.library import find_trial

EXAMPLES = Path(__file__).resolve().parents[2] / "trials" / "examples"
TRIAL = find_trial("NCT06152809")
NOW = datetime(2026, 12, 31, 12, 0)


def _verdict() -> tuple[Verdict, dict[str, object]]:
    data = json.loads((EXAMPLES / TRIAL.id / "screening-1.json").read_text("utf-8"))
    record = parse_record(data, NOW)
    return evaluate(TRIAL, "screening-1", record, {}), data


def _content(verdict: Verdict, **changes: object) -> bytes:
    typed = {o: (str(o.value), None if o.uln is None else str(o.uln))
             for o in used_observations(verdict)}
    arguments: dict[str, object] = dict(
        trial_id=TRIAL.id, trial_sha256="ab" * 32, stage_id="screening-1", repeat=1,
        version=1, verdict=verdict, typed=typed, site_uln={},
        answers={"consent": ("yes", "", "ICF")}, events={}, facts={},
        birth_date=date(1971, 7, 9), sex="male", assessed_at=NOW)
    arguments.update(changes)
    return build_content(**arguments).serialised()  # type: ignore[arg-type]


def test_rewording_every_reason_leaves_the_hash_as_it_was() -> None:
    verdict, _ = _verdict()
    reworded = replace(verdict, results=tuple(replace(r, reason=f"Reworded: {r.id}")
                                              for r in verdict.results))
    assert [r.reason for r in reworded.results] != [r.reason for r in verdict.results]
    assert _content(reworded) == _content(verdict)


def test_the_patient_and_the_time_assessed_are_covered() -> None:
    verdict, _ = _verdict()
    original = _content(verdict)
    assert _content(verdict, birth_date=date(1971, 7, 10)) != original
    assert _content(verdict, sex="female") != original
    assert _content(verdict, assessed_at=NOW.replace(minute=1)) != original
    text = json.loads(original)
    assert text["patient"] == {"birth_date": "1971-07-09", "sex": "male"}
    assert text["assessed_at"] == "2026-12-31T12:00:00"


def test_the_results_used_are_covered_with_their_uln_and_its_source() -> None:
    verdict, _ = _verdict()
    used = used_observations(verdict)
    assert used  # the example's labs
    content = json.loads(_content(verdict))
    assert sorted(o["code"] for o in content["observations"]) == sorted(o.code for o in used)
    with_uln = [o for o in content["observations"] if o["uln"] is not None]
    assert all(o["uln_source"] == "result" for o in with_uln)
    # A result without its own ULN records the site's in force on its day, exactly.
    bare = next(o for o in used if o.uln is None)
    site = UlnHistory([(bare.code, date(2020, 1, 1), Fraction(3, 7))])
    entry = next(o for o in json.loads(_content(verdict, site_uln=site))["observations"]
                 if o["code"] == bare.code)
    assert entry["uln_source"] == "site"
    assert Fraction(entry["uln"]) > 0
    later = UlnHistory([(bare.code, bare.at.date().replace(year=bare.at.year + 1),
                         Fraction(3, 7))])
    entry = next(o for o in json.loads(_content(verdict, site_uln=later))["observations"]
                 if o["code"] == bare.code)
    assert (entry["uln"], entry["uln_source"]) == (None, None)  # not yet in force


def test_a_result_not_used_is_not_covered() -> None:
    verdict, _ = _verdict()
    extra = Observation("ecog", Fraction(4), "score", datetime(2001, 1, 1))
    assert extra not in used_observations(verdict)
