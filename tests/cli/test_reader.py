"""Reading the record (contract, "Reading the record"): every malformed input is bad input.

Each class of malformed record found by an outside tester has a test; a property test
drives the reader in-process with generated JSON-shaped and byte-level input and holds
it to one ``RecordError`` with a one-line message naming a field, never another
exception; a few subprocess tests hold the CLI's exit status and streams.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.cli_records import one_line as _one_line
from desktop.domain.engine import evaluate
from desktop.domain.record import RecordError, parse_record
from desktop.domain.record_json import load_record_json
from desktop.library import load_library

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 2, 9, 0)
LIBRARY = load_library()


def _reader(text: str) -> Any:
    """The whole in-process path of ``evaluate``: text, record, verdict for every stage."""
    record = parse_record(load_record_json(text), NOW)
    for trial in LIBRARY:
        for stage in trial.stages:
            # Answers for criteria of other stages are bad input for that stage.
            with contextlib.suppress(RecordError):
                evaluate(trial, stage.id, record)
    return record


def _refused(text: str) -> RecordError:
    with pytest.raises(RecordError) as caught:
        _reader(text)
    message = _one_line(f"{caught.value.field}: {caught.value.message}")
    assert "\n" not in message
    assert "\r" not in message
    assert len(message) <= 300
    return caught.value


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[" * 1000 + "]" * 1000, "RECORD"),
        ('{"a":' * 25 + "1" + "}" * 25, "RECORD"),
        ('{"as_of": "0001-01-01T00:00+14:00"}', "as_of"),
        ('{"as_of": "9999-12-31T23:59-14:00"}', "as_of"),
        ('{"observations": [{"code": [], "value": 1, "unit": "kg", "at": "2026-11-01"}]}',
         "observations[0].code"),
        ('{"observations": [{"code": {}, "value": 1, "unit": "kg", "at": "2026-11-01"}]}',
         "observations[0].code"),
        ('{"observations": [{"code": "weight", "value": NaN, "unit": "kg", '
         '"at": "2026-11-01"}]}', "observations[0].value"),
        ('{"observations": [{"code": "weight", "value": Infinity, "unit": "kg", '
         '"at": "2026-11-01"}]}', "observations[0].value"),
        ('{"observations": [{"code": "weight", "value": 70, "unit": "kg", "uln": -Infinity, '
         '"at": "2026-11-01"}]}', "observations[0].uln"),
        ('{"answers": {"hiv": false, "hiv": true}}', "answers.hiv"),
        ('{"facts": {}, "facts": {}}', "facts"),
        ('{"observations": [{"code": "ecog", "code": "ecog", "value": 1, "unit": "score", '
         '"at": "2026-11-01"}]}', "observations[0].code"),
        ('{"as_of": "2026-11-02", "events": {"infusion": "2026-11-08", "infusion": "2026-11-09"}}',
         "events.infusion"),
    ],
)
def test_each_class_of_malformed_record_names_its_field(text: str, field: str) -> None:
    assert _refused(text).field == field


@pytest.mark.parametrize(
    ("value", "ok"),
    [("1" + "0" * 4300, False), ("70" + "0" * 4999 + "e-5000", True),
     ("0." + "0" * 5000 + "1", True), ("1" + "0" * 5000 + "e-5000", True),
     ("1e-99999", True), ("1e-100001", False), ("9" * 5000, False)],
)
def test_long_numbers_are_exact_or_refused_never_a_crash(value: str, ok: bool) -> None:
    text = ('{"observations": [{"code": "weight", "value": %s, "unit": "kg", '
            '"at": "2026-11-01"}]}')
    if value.startswith(("0.", "1e-")):
        text = text.replace('"weight"', '"creatinine"').replace('"kg"', '"mg/dL"')
    if ok:
        _reader(text % value)
    else:
        assert _refused(text % value).field == "observations[0].value"


def test_a_negative_lab_value_is_told_the_range() -> None:
    error = _refused('{"observations": [{"code": "creatinine", "value": -0.000000001, '
                     '"unit": "mg/dL", "at": "2026-11-01"}]}')
    assert error.message == ("creatinine -0.000000001 mg/dL is outside the plausible range "
                             "0 to 40 mg/dL")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"patient": {"sex": "female\\u001f"}}', "patient.sex"),
        ('{"as_of": "2026-11-02T09:00\\u0000"}', "as_of"),
        ('{"observations": [{"code": "weight", "value": 70, "unit": "kg\\t", '
         '"at": "2026-11-01"}]}', "observations[0].unit"),
        ('{"observations": [{"code": "weight", "value": 70, "unit": "kg", '
         '"at": "2026-11-01", "source": 5}]}', "observations[0].source"),
        ('{"observations": [{}]}', "observations[0].code"),
    ],
)
def test_hidden_characters_and_wrong_types_are_refused(text: str, field: str) -> None:
    assert _refused(text).field == field


def test_a_line_break_in_a_key_stays_on_one_line() -> None:
    error = _refused('{"facts": {"gil\\nbert": true}}')
    assert error.field == "facts.gil\\nbert"


def test_a_huge_key_or_string_is_cut() -> None:
    error = _refused('{"facts": {"%s": true}}' % ("x" * 1_000_000))
    assert len(error.field) < 60
    error = _refused('{"patient": {"sex": "%s"}}' % ("y" * 1_000_000))
    assert error.field == "patient.sex"
    assert len(error.message) < 120


def test_a_repeated_key_is_refused_whichever_order() -> None:
    one = _refused('{"answers": {"hiv": false, "hiv": true}}')
    other = _refused('{"answers": {"hiv": true, "hiv": false}}')
    assert one.field == other.field == "answers.hiv"


def test_twenty_levels_are_read_and_twenty_one_are_not() -> None:
    nested = '{"as_of": "2026-11-02"}'
    assert load_record_json("[" * 19 + nested + "]" * 19)  # 20 levels with the object
    with pytest.raises(RecordError):
        load_record_json("[" * 20 + nested + "]" * 20)


def _reader_or_one_line(text: str) -> None:
    """A record, or a RecordError naming a field in one line of at most 300 characters."""
    problem: RecordError | None = None
    try:
        _reader(text)
    except RecordError as exc:
        problem = exc
    if problem is not None:
        message = _one_line(f"{problem.field}: {problem.message}")
        assert problem.field
        assert "\n" not in message
        assert len(message) <= 300


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
RECORD_KEYS = ["patient", "as_of", "events", "facts", "observations", "answers"]
record_like = st.fixed_dictionaries({}, optional={
    "patient": st.fixed_dictionaries({}, optional={
        "birth_date": st.text(max_size=12) | json_values, "sex": json_values}),
    "as_of": st.sampled_from(["2026-11-02", "1899-01-01", "2026-11-02T09:00+14:00", ""])
    | json_values,
    "events": st.dictionaries(st.sampled_from(["infusion", "lymphodepletion", "x"]),
                              json_values | st.just("2026-11-01"), max_size=3),
    "facts": st.dictionaries(st.sampled_from(["gilbert_syndrome", "y"]), json_values,
                             max_size=2),
    "observations": st.lists(st.fixed_dictionaries({}, optional={
        "code": st.sampled_from(["weight", "creatinine", "ecog", "ast", "nope"]) | json_values,
        "value": st.integers() | st.floats() | st.sampled_from(["1", None]),
        "unit": st.sampled_from(["kg", "mg/dL", "score", "U/L", "umol/L", "x"]),
        "uln": st.integers() | st.floats() | st.none(),
        "at": st.sampled_from(["2026-11-01", "2026-11-01T07:30", "1800-01-01"]) | json_values,
    }), max_size=4) | json_values,
    "answers": st.dictionaries(st.text(max_size=10), json_values, max_size=3),
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record_like)
def test_generated_records_give_a_verdict_or_one_line_naming_a_field(data: Any) -> None:
    text = json.dumps(data, allow_nan=True)
    _reader_or_one_line(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_give_one_line_naming_a_field(raw: bytes) -> None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return  # the CLI refuses undecodable input before the reader (tested below)
    _reader_or_one_line(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_as_any_value_names_the_field(value: str) -> None:
    for template in ('{"as_of": %s}', '{"patient": {"birth_date": %s}}',
                     '{"observations": [{"code": "weight", "value": %s, "unit": "kg", '
                     '"at": "2026-11-01"}]}', '{"facts": {%s: true}}'):
        _reader_or_one_line(template % json.dumps(value))


def _cli(*args: str, stdin: bytes | None = None,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin,
                          capture_output=True, cwd=REPO, timeout=60, check=False,
                          env=None if env is None else os.environ | env)


@pytest.mark.parametrize(
    ("args", "stdin", "field"),
    [
        (("evaluate", "NCT" + "1" * 300, "--stage", "screening-1", "-"), b"{}", b"NCT_ID"),
        (("evaluate", "../../etc/passwd", "--stage", "screening-1", "-"), b"{}", b"NCT_ID"),
        (("evaluate", "NCT06152809", "--stage", "screening-1", "-"), b"\xff\xfe{}", b"RECORD"),
        (("evaluate", "NCT06152809", "--stage", "screening-1", "-"),
         b'{"facts": {"a\\nb": true}}', b"facts.a\\nb"),
        (("evaluate", "NCT06152809", "--stage", "screening-1", "-"),
         b'{"answers": {"%s": true}}' % (b"k" * 5_000_000), b"answers.kkk"),
        (("prescreen", "-"), b'{"answers": {"no-such-id": true}}', b"answers.no-such-id"),
        (("evaluate", "NCT06152809", "--stage", "screening-1", "-"),
         b'{"answers": {"%s": true}}' % (b"a" * 303), b"no criterion"),
        (("evaluate", "NCT06152809", "--stage", "s" * 400, "-"), b"{}", b"its stages"),
    ],
)
def test_the_cli_answers_bad_input_with_one_short_line(args: tuple[str, ...], stdin: bytes,
                                                       field: bytes) -> None:
    done = _cli(*args, stdin=stdin)
    assert done.returncode == 2, done.stderr
    assert done.stdout == b""
    assert done.stderr.count(b"\n") == 1
    assert len(done.stderr.decode("utf-8").rstrip("\n")) <= 300
    assert field in done.stderr


def test_a_jsonl_line_that_is_not_utf8_says_so() -> None:
    done = _cli("evaluate", "NCT06152809", "--stage", "screening-1", "--jsonl", "-",
                stdin=b"{}\n\xff\xfe\n")
    assert done.returncode == 2
    lines = done.stdout.decode("utf-8").splitlines()
    assert json.loads(lines[1]) == {"line": 2, "error": "nkscreen: RECORD: this line is not "
                                                         "UTF-8 text"}


def test_a_file_over_10_mb_is_bad_input(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b'{"answers": {}, "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}')
    done = _cli("evaluate", "NCT06152809", "--stage", "screening-1", str(big))
    assert done.returncode == 2
    assert b"larger than 10 MB" in done.stderr


def test_a_missing_as_of_is_now_and_is_echoed() -> None:
    done = _cli("evaluate", "NCT06152809", "--stage", "screening-1", "-", stdin=b"{}")
    assert done.returncode == 0
    as_of = json.loads(done.stdout)["as_of"]
    assert abs((datetime.fromisoformat(as_of) - datetime.now()).total_seconds()) < 120


@pytest.mark.parametrize(("ast_at", "outcome"),
                         [("2026-10-31T08:30", "unknown"), ("2026-10-31T09:00", "pass")])
def test_the_cli_counts_hours_in_the_process_zone(ast_at: str, outcome: str) -> None:
    # In New York 08:30 on 31 October is 24.5 elapsed hours before 08:00 on 1 November
    # (the clocks go back that night): stale, though the wall clock says 23.5 hours.
    record = {"as_of": "2026-11-01T08:00",
              "events": {"lymphodepletion": "2026-11-01T08:00"},
              "observations": [
                  {"code": "ast", "value": 30, "unit": "U/L", "uln": 40, "at": ast_at},
                  {"code": "alt", "value": 30, "unit": "U/L", "uln": 40,
                   "at": "2026-10-31T09:00"}]}
    done = _cli("evaluate", "NCT06152809", "--stage", "pre-lymphodepletion", "-",
                stdin=json.dumps(record).encode(), env={"TZ": "America/New_York"})
    assert done.returncode == 0, done.stderr
    found = [c for c in json.loads(done.stdout)["criteria"] if c["id"] == "ast-alt"]
    assert found[0]["outcome"] == outcome, found[0]["reason"]
