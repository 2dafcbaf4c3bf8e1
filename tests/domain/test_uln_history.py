"""The site ULN in force on the day a result was taken: a new ULN never changes an older
result's, exactly at the effective date, in each unit."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from desktop.domain.engine import evaluate
from desktop.domain.record import parse_record
from desktop.domain.record_json import load_record_json
from desktop.domain.uln_history import UlnHistory, as_history
from desktop.library import find_trial

EXAMPLE = Path(__file__).resolve().parents[2] / "trials" / "examples" / "NCT05744440"
TRIAL = find_trial("NCT05744440")


def test_the_value_in_force_on_each_day() -> None:
    history = UlnHistory([("ast", date(2026, 1, 1), Fraction(40)),
                          ("ast", date(2026, 11, 2), Fraction(35))])
    assert history.on("ast", date(2025, 12, 31)) is None  # before the first
    assert history.on("ast", date(2026, 1, 1)) == 40
    assert history.on("ast", date(2026, 11, 1)) == 40
    assert history.on("ast", date(2026, 11, 2)) == 35  # its effective day included
    assert history.since("ast", date(2026, 11, 1)) == date(2026, 1, 1)
    assert history.on("alt", date(2026, 11, 2)) is None
    assert dict(history) == {"ast": 35}  # as a table: the latest


def test_a_later_entry_for_the_same_day_replaces_the_earlier() -> None:
    history = UlnHistory([("ast", date(2026, 1, 1), Fraction(40)),
                          ("ast", date(2026, 1, 1), Fraction(42))])
    assert history.on("ast", date(2026, 1, 1)) == 42


def test_a_plain_table_holds_from_the_beginning() -> None:
    history = as_history({"ast": Fraction(40)})
    assert history.on("ast", date(1900, 1, 1)) == 40


def _record(ast_value: int, taken: str, bilirubin: tuple[str, str] | None = None) -> Any:
    data: dict[str, Any] = copy.deepcopy(json.loads((EXAMPLE / "screening-1.json").read_text()))
    for obs in data["observations"]:
        if obs["code"] == "ast":
            obs.update(value=ast_value, at=taken)
            obs.pop("uln")
        if obs["code"] == "bilirubin_total" and bilirubin is not None:
            obs.update(value="@VALUE@", unit=bilirubin[1])
            obs.pop("uln")
    text = json.dumps(data)
    if bilirubin is not None:  # the value as a JSON number, read exactly
        text = text.replace('"@VALUE@"', bilirubin[0])
    return parse_record(load_record_json(text), now=datetime(2026, 11, 2, 9, 0))


def _outcome(record: Any, history: UlnHistory, criterion: str) -> str:
    verdict = evaluate(TRIAL, "screening-1", record, history)
    return next(r.outcome for r in verdict.results if r.id == criterion)


@pytest.mark.parametrize(("taken", "expected"), [
    ("2026-11-01T23:59", "pass"),   # the day before: ULN 40, 3 x 40 = 120 >= 105
    ("2026-11-02T00:00", "fail"),   # the effective day: ULN 30, 3 x 30 = 90 < 105
])
def test_a_new_uln_applies_from_its_date_only(taken: str, expected: str) -> None:
    history = UlnHistory([("ast", date(2020, 1, 1), Fraction(40)),
                          ("ast", date(2026, 11, 2), Fraction(30)),
                          ("alt", date(2020, 1, 1), Fraction(40))])
    # The window is 3 days before treatment (2026-11-04 08:00): both times are inside.
    assert _outcome(_record(105, taken), history, "alt-ast") == expected


def test_no_site_uln_yet_on_the_day_is_unknown() -> None:
    history = UlnHistory([("ast", date(2026, 11, 2), Fraction(40)),
                          ("alt", date(2020, 1, 1), Fraction(40))])
    assert _outcome(_record(30, "2026-11-01T09:00"), history, "alt-ast") == "unknown"


@pytest.mark.parametrize(("value", "unit", "expected"), [
    ("2.4", "mg/dL", "pass"),     # 2 x 1.2 mg/dL = 2.4: at the limit
    ("2.41", "mg/dL", "fail"),
    ("41.04", "umol/L", "pass"),  # 2.4 mg/dL x 17.1
    ("41.05", "umol/L", "fail"),
])
def test_a_dated_site_uln_converts_to_the_results_unit(value: str, unit: str,
                                                       expected: str) -> None:
    history = UlnHistory([("bilirubin_total", date(2026, 1, 1), Fraction("1.2")),
                          ("ast", date(2020, 1, 1), Fraction(40)),
                          ("alt", date(2020, 1, 1), Fraction(40))])
    record = _record(30, "2026-11-02T07:00", (value, unit))
    assert _outcome(record, history, "total-bilirubin") == expected
