"""Plausible values (contract, "Plausible values"): exact limits, in every accepted unit.

Each case is checked twice: in-process through the record parser, and through
``nkscreen evaluate --jsonl`` in one subprocess (one line per case), so the CLI's exit
status, stdout and stderr hold the same limits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop.domain.record import RecordError, parse_record
from tests.domain.test_record import NOW

REPO = Path(__file__).resolve().parents[2]

# (code, value as JSON text, unit, accepted?) -- hand-worked: 650 kg = 1433.0 lb,
# 20 cm = 7.874 in, 40 mg/dL = 3536 umol/L, 30 mg/dL = 7.485 mmol/L, ...
LIMIT_CASES: list[tuple[str, str, str, bool]] = [
    ("weight", "0.2", "kg", True), ("weight", "0.19999", "kg", False),
    ("weight", "650", "kg", True), ("weight", "650.0001", "kg", False),
    ("weight", "725", "kg", False), ("weight", "1e32", "kg", False),
    ("weight", "1e300", "kg", False), ("weight", "1e400", "kg", False),
    ("weight", "1" + "0" * 400, "kg", False),
    ("weight", "0.4409", "lb", False), ("weight", "0.441", "lb", True),
    ("weight", "1433", "lb", True), ("weight", "1433.1", "lb", False),
    ("height", "20", "cm", True), ("height", "19.999", "cm", False),
    ("height", "280", "cm", True), ("height", "280.001", "cm", False),
    ("height", "7.87", "in", False), ("height", "7.88", "in", True),
    ("height", "110.23", "in", True), ("height", "110.24", "in", False),
    ("creatinine", "0", "mg/dL", True), ("creatinine", "1e-320", "mg/dL", True),
    ("creatinine", "-0.0001", "mg/dL", False),
    ("creatinine", "40", "mg/dL", True), ("creatinine", "40.0001", "mg/dL", False),
    ("creatinine", "39.999999999999", "mg/dL", True),
    ("creatinine", "3536", "umol/L", True), ("creatinine", "3536.01", "umol/L", False),
    ("creatinine_clearance", "500", "mL/min", True),
    ("creatinine_clearance", "500.1", "mL/min", False),
    ("bilirubin_total", "100", "mg/dL", True), ("bilirubin_total", "100.01", "mg/dL", False),
    ("bilirubin_total", "1710", "umol/L", True),
    ("bilirubin_total", "1710.01", "umol/L", False),
    ("bilirubin_direct", "100", "mg/dL", True), ("bilirubin_direct", "1710.01", "umol/L", False),
    ("ast", "100000", "U/L", True), ("ast", "100000.1", "U/L", False),
    ("alt", "100000", "U/L", True), ("alt", "100001", "U/L", False),
    ("anc", "1000", "10^9/L", True), ("anc", "1000.1", "10^9/L", False),
    ("anc", "1000", "10^3/uL", True), ("anc", "1000000", "/uL", True),
    ("anc", "1000001", "/uL", False),
    ("hemoglobin", "30", "g/dL", True), ("hemoglobin", "30.1", "g/dL", False),
    ("hemoglobin", "300", "g/L", True), ("hemoglobin", "300.1", "g/L", False),
    ("platelets", "5000", "10^9/L", True), ("platelets", "5000.5", "10^3/uL", False),
    ("inr", "30", "ratio", True), ("inr", "30.01", "ratio", False),
    ("aptt", "600", "s", True), ("aptt", "600.1", "s", False),
    ("calcium", "30", "mg/dL", True), ("calcium", "30.01", "mg/dL", False),
    ("calcium", "7.485", "mmol/L", True), ("calcium", "7.4851", "mmol/L", False),
    ("calcium_ionized", "5", "mmol/L", True), ("calcium_ionized", "5.01", "mmol/L", False),
    ("calcium_ionized", "20.04", "mg/dL", True), ("calcium_ionized", "20.041", "mg/dL", False),
    ("albumin", "10", "g/dL", True), ("albumin", "10.1", "g/dL", False),
    ("albumin", "100", "g/L", True), ("albumin", "100.1", "g/L", False),
    ("cmv_dna", "1000000000000", "copies/mL", True),
    ("cmv_dna", "1000000000001", "copies/mL", False),
    ("hbv_dna", "1e12", "IU/mL", True), ("hbv_dna", "1.0000000000001e12", "IU/mL", False),
    ("prednisone_equivalent", "10000", "mg", True),
    ("prednisone_equivalent", "10000.5", "mg", False),
    ("spo2", "100", "%", True), ("spo2", "100.0001", "%", False),
    ("lvef", "0", "%", True), ("lvef", "-0.1", "%", False),
    ("ecog", "5", "score", True), ("ecog", "6", "score", False),
    ("ecog", "1.5", "score", False),
    ("karnofsky", "100", "%", True), ("karnofsky", "110", "%", False),
    ("bone_marrow_blasts", "100", "%", True), ("cd123_expression", "101", "%", False),
]


def _line(code: str, value: str, unit: str, uln: str | None = None,
          at: str = "2026-11-01T07:30") -> str:
    uln_part = f', "uln": {uln}' if uln is not None else ""
    observation = (f'{{"code": "{code}", "value": {value}, "unit": "{unit}", '
                   f'"at": "{at}"{uln_part}}}')
    return ('{"as_of": "2026-11-02T09:00", "patient": {"birth_date": "1958-04-12", '
            f'"sex": "female"}}, "observations": [{observation}]}}')


def _parse(text: str) -> Any:
    from desktop.domain.record_json import load_record_json

    return parse_record(load_record_json(text), NOW)


@pytest.mark.parametrize(("code", "value", "unit", "ok"), LIMIT_CASES)
def test_each_limit_is_exact_in_each_unit(code: str, value: str, unit: str, ok: bool) -> None:
    text = _line(code, value, unit)
    if ok:
        _parse(text)
        return
    with pytest.raises(RecordError) as caught:
        _parse(text)
    assert caught.value.field == "observations[0].value"
    assert code in caught.value.message


ULN_CASES = [("ast", "40", True), ("ast", "0", False), ("ast", "-1", False),
             ("ast", "100000", True), ("ast", "100001", False),
             ("creatinine", "3536", True), ("creatinine", "3537", False)]


@pytest.mark.parametrize(("code", "uln", "ok"), ULN_CASES)
def test_a_uln_is_above_zero_and_inside_its_codes_limits(code: str, uln: str, ok: bool) -> None:
    unit = "U/L" if code == "ast" else "umol/L"
    text = _line(code, "30", unit, uln=uln)
    if ok:
        _parse(text)
        return
    with pytest.raises(RecordError) as caught:
        _parse(text)
    assert caught.value.field == "observations[0].uln"


DATE_CASES = [
    ("1900-01-01T00:00", True), ("1899-12-31T23:59", False), ("2100-12-31T23:59", True),
    ("2101-01-01T00:00", False),
    ("0001-01-01T00:00+14:00", False), ("9999-12-31T23:59-14:00", False),
    ("2026-11-01T07:30+00:00", True),
]


@pytest.mark.parametrize(("at", "ok"), DATE_CASES)
def test_dates_lie_between_1900_and_2100(at: str, ok: bool) -> None:
    # An observation after as_of (2026-11-02) is read and then ignored by the engine.
    text = _line("ast", "30", "U/L", uln="40", at=at).replace(
        '"birth_date": "1958-04-12"', '"birth_date": "1900-01-01"')
    if ok:
        _parse(text)
        return
    with pytest.raises(RecordError) as caught:
        _parse(text)
    assert caught.value.field == "observations[0].at"


def test_as_of_and_birth_date_limits() -> None:
    with pytest.raises(RecordError, match="outside 1900-01-01 to 2100-12-31"):
        parse_record({"as_of": "2101-01-01"}, NOW)
    with pytest.raises(RecordError) as caught:
        parse_record({"as_of": "2026-11-02", "patient": {"birth_date": "1899-12-31"}}, NOW)
    assert caught.value.field == "patient.birth_date"
    with pytest.raises(RecordError) as caught:
        parse_record({"as_of": "2026-11-02", "patient": {"birth_date": "1990-05-01"},
                      "observations": [{"code": "ecog", "value": 1, "unit": "score",
                                        "at": "1990-04-30"}]}, NOW)
    assert caught.value.field == "observations[0].at"


def test_the_cli_holds_every_limit_in_one_jsonl_run() -> None:
    lines = [_line(code, value, unit) for code, value, unit, _ok in LIMIT_CASES]
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "evaluate", "NCT06152809", "--stage", "screening-1",
         "--jsonl", "-"], input="\n".join(lines) + "\n", capture_output=True, text=True,
        encoding="utf-8", cwd=REPO, timeout=120, check=False)
    assert done.returncode == 2  # some lines are bad
    assert done.stderr == ""
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(LIMIT_CASES)
    for (code, value, _unit, ok), answer in zip(LIMIT_CASES, answers, strict=True):
        if ok:
            assert answer["decision"] in ("incomplete", "not_eligible"), (code, value, answer)
        else:
            assert set(answer) == {"line", "error"}
            assert answer["error"].startswith("nkscreen: observations[0].value: "), answer
            assert code in answer["error"]
            assert len(answer["error"]) <= 300


@pytest.mark.parametrize(
    ("value", "ok"), [("650", True), ("650.0001", False), ("1e400", False), ("0.2", True)])
def test_evaluate_exit_status_at_the_weight_limits(value: str, ok: bool) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "evaluate", "NCT06152809", "--stage", "screening-1",
         "-"], input=_line("weight", value, "kg"), capture_output=True, text=True,
        encoding="utf-8", cwd=REPO, timeout=60, check=False)
    if ok:
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["as_of"] == "2026-11-02T09:00"
    else:
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr.count("\n") == 1
        assert "observations[0].value" in done.stderr
        assert "0.2 to 650 kg" in done.stderr
