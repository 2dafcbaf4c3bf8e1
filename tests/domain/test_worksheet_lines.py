"""The worksheet's lines (issue 15): printed from the stored verdict and content, never
recomputed into a different outcome; Cockcroft-Gault printed with every input, at the
exact boundary, in each unit; units and signs as a person writes them."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from desktop.domain.printed import printed, unit
from desktop.domain.signing import SignedAnswer, SignedContent, SignedObservation
from desktop.domain.worksheet_lines import (
    ContentError,
    computed_lines,
    content_record,
    criterion_lines,
    planned_events,
    rerun,
)
from desktop.library import find_trial

TRIAL = find_trial("NCT06152809")
STAGE = TRIAL.stage("screening-1")
EXAMPLE = Path(__file__).resolve().parents[2] / "trials" / "examples" / "NCT06152809"


def _example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLE / "screening-1.json").read_text("utf-8"))
    return data


def _content(replace: dict[str, tuple[str, str]] | None = None, sex: str = "male",
             answers: dict[str, str] | None = None,
             events: dict[str, datetime] | None = None) -> dict[str, Any]:
    """The example's stored content, with results replaced by code (value, unit)."""
    data = _example()
    observations = []
    for obs in data["observations"]:
        value, unit_ = (replace or {}).get(obs["code"], (str(obs["value"]), obs["unit"]))
        uln = obs.get("uln")
        observations.append(SignedObservation(
            obs["code"], value, unit_, datetime.fromisoformat(obs["at"]),
            None if uln is None else str(uln), None if uln is None else "result"))
    words = {True: "yes", False: "no", "n/a": "n/a"}
    signed_answers = [SignedAnswer(k, words[v], "", "") for k, v in data["answers"].items()]
    signed_answers += [SignedAnswer(k, v, "seen in clinic", "clinic letter 2026-11-02")
                       for k, v in (answers or {}).items()]
    content = SignedContent(
        TRIAL.id, "0" * 64, "screening-1", 1, 1, observations,
        [a for a in signed_answers if a.criterion_id not in (answers or {})]
        + [a for a in signed_answers if a.criterion_id in (answers or {})
           and a.note],
        events or {}, {k: bool(v) for k, v in (data.get("facts") or {}).items()},
        "eligible", date(1971, 7, 9), sex, datetime.fromisoformat(data["as_of"]))
    return content.canonical()


def _lines(content: dict[str, Any], verdict: dict[str, Any] | None = None) -> tuple[
        list[Any], list[Any], dict[str, Any]]:
    assert STAGE is not None
    record, entries = content_record(content, None)
    again = rerun(TRIAL, "screening-1", record)
    assert again is not None
    stored = verdict if verdict is not None else again.as_json()
    return (criterion_lines(STAGE, stored, content, again, entries),
            computed_lines(again, record, entries), stored)


def _crcl(lines: list[Any]) -> Any:
    return next(line for line in lines if line.criterion_id == "crcl")


def test_every_criterion_in_protocol_order_numbered_by_place_with_its_verbatim_text() -> None:
    assert STAGE is not None
    lines, _, _ = _lines(_content())
    assert [line.criterion_id for line in lines] == [c.id for c in STAGE.criteria]
    assert [line.number for line in lines] == list(range(1, len(STAGE.criteria) + 1))
    assert [line.text for line in lines] == [c.text for c in STAGE.criteria]
    assert {line.kind for line in lines} <= {"Inclusion", "Exclusion"}


# Age 55 on the example's as_of (born 1971-07-09); (140 - 55) x 64.8 / (72 x 1.7) = 45.0.
@pytest.mark.parametrize(("creatinine", "weight", "sex", "value", "outcome"), [
    (("1.7", "mg/dL"), ("64.8", "kg"), "male", "45.0 mL/min", "Pass"),
    (("150.28", "umol/L"), ("64.8", "kg"), "male", "45.0 mL/min", "Pass"),  # 1.7 mg/dL
    (("1.445", "mg/dL"), ("64.8", "kg"), "female", "45.0 mL/min", "Pass"),  # x 0.85
    (("1.7", "mg/dL"), ("64.7", "kg"), "male", "44.9 mL/min", "Fail"),
    (("1.445", "mg/dL"), ("64.7", "kg"), "female", "44.9 mL/min", "Fail"),
])
def test_cockcroft_gault_at_the_boundary_prints_the_value_the_outcome_and_every_input(
        creatinine: tuple[str, str], weight: tuple[str, str], sex: str, value: str,
        outcome: str) -> None:
    lines, computed, _ = _lines(_content({"creatinine": creatinine, "weight": weight}, sex))
    [line] = [c for c in computed if c.method == "Cockcroft-Gault"]
    assert line.value == value
    text = " ".join(line.inputs)
    assert "age 55 y (born 1971-07-09" in text
    assert f"weight {weight[0]} kg" in text
    assert f"creatinine {creatinine[0]} {unit(creatinine[1])}" in text
    if creatinine[1] == "umol/L":
        assert "µmol/L" in text
        assert "= 1.70 mg/dL" in text
    assert f"sex assigned at birth {sex}" in text
    assert ("× 0.85" in text) == (sex == "female")
    assert _crcl(lines).outcome == outcome


def test_the_outcome_printed_is_the_stored_verdicts_even_if_a_rerun_says_otherwise() -> None:
    """What was decided and signed is what prints; the re-run only finds the values."""
    content = _content()
    _, _, verdict = _lines(content)
    tampered = json.loads(json.dumps(verdict))
    for criterion in tampered["criteria"]:
        if criterion["id"] == "crcl":
            criterion["outcome"], criterion["reason"] = "fail", "as stored at completion"
    lines, _, _ = _lines(content, tampered)
    assert _crcl(lines).outcome == "Fail"
    assert _crcl(lines).response.endswith("→ as stored at completion")
    others = [line.outcome for line in lines if line.criterion_id != "crcl"]
    assert "Fail" not in others


def test_a_criterion_missing_from_the_stored_verdict_prints_unknown_not_pass() -> None:
    content = _content()
    _, _, verdict = _lines(content)
    verdict["criteria"] = [c for c in verdict["criteria"] if c["id"] != "crcl"]
    lines, _, _ = _lines(content, verdict)
    assert _crcl(lines).outcome == "Unknown"
    assert "not evaluated in this version" in _crcl(lines).response


def test_a_result_prints_as_typed_with_unit_time_uln_and_its_source() -> None:
    lines, _, _ = _lines(_content())
    ast = next(line for line in lines if line.criterion_id == "ast-alt")
    assert "AST 35 U/L, taken 2026-11-01 07:30; ULN 40 U/L (from the lab report)" in \
        ast.response
    creatinine = _crcl(lines).response
    assert "88.4 µmol/L" in creatinine
    assert "umol" not in creatinine


def test_an_answer_prints_its_word_note_and_source_document() -> None:
    assert STAGE is not None
    attested = next(c for c in STAGE.criteria if c.attested)
    lines, _, _ = _lines(_content(answers={attested.id: "n/a"}))
    line = next(x for x in lines if x.criterion_id == attested.id)
    assert line.response.startswith(
        "N/A — note: seen in clinic — source document: clinic letter 2026-11-02")


def test_content_that_cannot_be_read_back_is_refused_with_a_reason() -> None:
    content = _content()
    del content["patient"]
    with pytest.raises(ContentError, match="cannot be read"):
        content_record(content, None)
    content = _content()
    content["observations"][0]["at"] = "yesterday"
    with pytest.raises(ContentError):
        content_record(content, None)


def test_planned_events_are_labelled_and_kept_in_order() -> None:
    content = _content(events={"infusion": datetime(2026, 11, 20, 9, 0),
                               "lymphodepletion": datetime(2026, 11, 15)})
    names = [name for name, _ in planned_events(content)]
    assert names == ["NK cell infusion", "Lymphodepletion"]
    assert [at for _, at in planned_events(content)] == [
        datetime(2026, 11, 20, 9, 0), datetime(2026, 11, 15)]


@pytest.mark.parametrize(("text", "expected"), [
    ("creatinine 88.4 umol/L", "creatinine 88.4 µmol/L"),
    ("ANC 1.5 10^9/L", "ANC 1.5 10⁹/L"),
    ("platelets 100 10^3/uL", "platelets 100 10³/µL"),
    ("blasts 20 /uL", "blasts 20 /µL"),
    ("45.0 >= 45", "45.0 ≥ 45"),
    ("1.2 <= 1.5 x ULN", "1.2 ≤ 1.5 × ULN"),
    ("3 x ULN", "3 × ULN"),
    ("max ULN", "max ULN"),  # only a lone x
    ("x>=y", "x>=y"),  # a sign only between spaces
    ("value 10^9/Lx", "value 10^9/Lx"),  # whole tokens only
])
def test_printed_words_change_whole_tokens_only(text: str, expected: str) -> None:
    assert printed(text) == expected


def test_units_print_as_written_and_unknown_units_stay_as_they_are() -> None:
    assert unit("umol/L") == "µmol/L"
    assert unit("10^9/L") == "10⁹/L"
    assert unit("mg/dL") == "mg/dL"
