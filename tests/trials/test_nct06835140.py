"""NCT06835140 (CD123-CD16 bispecific NK cells for CD123+ R/R AML): file and boundaries.

The expected counts below were derived by reading seed 004, not by counting the
trial file: see the comments beside each entry.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.trials import support
from tests.trials.support import normalise, outcome, record, run, seed_text

NCT = "NCT06835140"
S1 = "screening-1"
PRE = "pre-infusion"
AT = "2026-11-01T07:30"

EXPECTED: dict[tuple[str, str], int] = {
    # Items 1 age, 2 diagnosis/treatment history (one paragraph), 3 CD123,
    # 5 performance status, 6/7 donor; item 4 "Hospital Examination Criteria:" has no
    # text and gives no criterion.
    (S1, "inclusion"): 5,
    # Items 1 APL, 2 CD123 < 20%, 3 toxicity, 4 GVHD, 6 cardiovascular (three
    # sentences: within 6 months, NYHA >= 3 / arrhythmia, other), 7 pregnant or
    # breastfeeding, 8 infections (split: CMV DNA computed + the rest attested),
    # 9 allergy, 10 neurological = 12. Item 5 (steroids) moves to pre-infusion.
    (S1, "exclusion"): 12,
    # Item 7's pregnancy test within 48 hours before infusion (a requirement).
    (PRE, "inclusion"): 1,
    # Item 5: systemic steroids within 7 days before the first study drug.
    (PRE, "exclusion"): 1,
}
COMPUTED = {S1: {"age", "cd123", "performance-status", "cd123-low", "cmv-dna"}, PRE: set()}


def _trial() -> Any:
    return support.trial(NCT)


def _result(stage: str, data: dict[str, Any], criterion: str) -> tuple[str, str]:
    verdict = run(NCT, stage, data)
    found = next(r for r in verdict.results if r.id == criterion)
    return found.outcome, found.reason


# --------------------------------------------------------------------------- the file


def test_stages_in_spec_order_with_three_infusions() -> None:
    assert _trial().stage_ids == [S1, PRE]
    assert _trial().stage(S1).repeat == 1
    assert _trial().stage(PRE).repeat == 3


def test_counts_per_stage_and_kind() -> None:
    counts: dict[tuple[str, str], int] = {}
    for stage in _trial().stages:
        for crit in stage.criteria:
            counts[(stage.id, crit.kind)] = counts.get((stage.id, crit.kind), 0) + 1
    assert counts == EXPECTED


def test_computed_criteria() -> None:
    for stage in _trial().stages:
        assert {c.id for c in stage.criteria if not c.attested} == COMPUTED[stage.id]


def test_every_text_and_group_is_verbatim_in_the_seed() -> None:
    seed = seed_text(NCT)
    for stage in _trial().stages:
        for crit in stage.criteria:
            assert normalise(crit.text) in seed, (stage.id, crit.id)
            assert crit.group is not None, crit.id
            assert normalise(crit.group) in seed, crit.id


def test_empty_headings_give_no_criterion() -> None:
    groups = {c.group for s in _trial().stages for c in s.criteria}
    assert "Hospital Examination Criteria:" not in groups
    assert any("Hospital Examination Criteria" in n for n in _trial().notes)
    assert _trial().stage(S1).criterion("donor").group == "Donor Availability:"


def test_no_time_windows_in_this_registry_text() -> None:
    for stage in _trial().stages:
        assert all(c.window is None for c in stage.criteria)


def test_split_criteria_share_the_protocols_words() -> None:
    s1 = _trial().stage(S1)
    assert s1.criterion("cmv-dna").text == s1.criterion("infections").text
    assert s1.criterion("steroids") is None
    assert s1.criterion("pregnancy-test") is None


# --------------------------------------------------------------------------- age


@pytest.mark.parametrize(
    ("birth", "expected", "age"),
    [
        ("2008-11-02", "pass", 18),   # 18th birthday on as_of
        ("2008-11-03", "fail", 17),   # the day before
        ("1955-11-03", "pass", 70),   # the day before the 71st birthday
        ("1955-11-02", "fail", 71),   # 71st birthday
    ],
)
def test_age_between_18_and_70_inclusive(birth: str, expected: str, age: int) -> None:
    data = record(patient={"birth_date": birth, "sex": "male"})
    result, reason = _result(S1, data, "age")
    assert result == expected
    assert f"Age {age} y" in reason


# --------------------------------------------------------------------------- CD123


@pytest.mark.parametrize(
    ("value", "inclusion", "exclusion"),
    [
        (20, "pass", "pass"),       # "not less than 20%" includes 20; "less than 20%" not
        (19.9, "fail", "fail"),
        (20.1, "pass", "pass"),
        (0, "fail", "fail"),        # CD123 negative
        (100, "pass", "pass"),
    ],
)
def test_cd123_at_20_percent(value: float, inclusion: str, exclusion: str) -> None:
    data = record(obs=[("cd123_expression", value, "%", AT)])
    verdict = run(NCT, S1, data)
    by_id = {r.id: r for r in verdict.results}
    assert by_id["cd123"].outcome == inclusion
    assert by_id["cd123-low"].outcome == exclusion
    assert f"CD123 expression {value:g} %" in by_id["cd123"].reason
    assert f"CD123 expression {value:g} %" in by_id["cd123-low"].reason


def test_cd123_missing_is_unknown() -> None:
    data = record()
    assert outcome(NCT, S1, data, "cd123") == "unknown"
    assert outcome(NCT, S1, data, "cd123-low") == "unknown"


# --------------------------------------------------------------------------- performance


@pytest.mark.parametrize(
    ("ecog", "kps", "expected"),
    [
        (2, None, "pass"),
        (0, None, "pass"),
        (3, None, "unknown"),       # ECOG fails, KPS not recorded
        (3, 80, "fail"),            # KPS 80 is not "greater than 80"
        (3, 90, "pass"),
        (None, 90, "pass"),
        (None, 80, "unknown"),
        (None, 100, "pass"),
        (2, 60, "pass"),
        (4, 70, "fail"),
        (None, None, "unknown"),
    ],
)
def test_ecog_0_2_or_kps_above_80(ecog: int | None, kps: int | None, expected: str) -> None:
    obs: list[tuple[Any, ...]] = []
    if ecog is not None:
        obs.append(("ecog", ecog, "score", AT))
    if kps is not None:
        obs.append(("karnofsky", kps, "%", AT))
    result, reason = _result(S1, record(obs=obs), "performance-status")
    assert result == expected
    if ecog is not None:
        assert f"ECOG {ecog}" in reason
    if kps is not None:
        assert f"Karnofsky {kps} %" in reason


# --------------------------------------------------------------------------- CMV DNA


@pytest.mark.parametrize(
    ("value", "expected"),
    [(500, "fail"), (499, "pass"), (499.9, "pass"), (500.1, "fail"), (0, "pass")],
)
def test_cmv_dna_500_copies_excludes(value: float, expected: str) -> None:
    data = record(obs=[("cmv_dna", value, "copies/mL", AT)])
    result, reason = _result(S1, data, "cmv-dna")
    assert result == expected
    assert f"CMV DNA {value:g} copies/mL" in reason


def test_cmv_dna_missing_is_unknown() -> None:
    assert outcome(NCT, S1, record(), "cmv-dna") == "unknown"


def test_future_result_is_ignored() -> None:
    # dated after as_of (2026-11-02 09:00): does not count
    data = record(obs=[("cmv_dna", 10, "copies/mL", "2026-11-02T09:01")])
    assert outcome(NCT, S1, data, "cmv-dna") == "unknown"


# --------------------------------------------------------------------------- attested


@pytest.mark.parametrize(
    ("stage", "criterion", "answer", "expected", "words"),
    [
        (S1, "apl", True, "fail", "condition present"),
        (S1, "apl", False, "pass", "condition absent"),
        (S1, "infections", True, "fail", "condition present"),
        (S1, "nyha-arrhythmia", True, "fail", "condition present"),
        (S1, "diagnosis-rr-aml", False, "fail", "not met"),
        (S1, "donor", None, "unknown", "Not yet answered"),
        (S1, "pregnant-breastfeeding", "n/a", "pass", "N/A"),
        (PRE, "steroids", True, "fail", "condition present"),
        (PRE, "steroids", False, "pass", "condition absent"),
        (PRE, "pregnancy-test", True, "pass", "criterion met"),
        (PRE, "pregnancy-test", False, "fail", "not met"),
        (PRE, "pregnancy-test", "n/a", "pass", "N/A"),
        (PRE, "pregnancy-test", None, "unknown", "Not yet answered"),
    ],
)
def test_attested_answers(stage: str, criterion: str, answer: Any, expected: str,
                          words: str) -> None:
    answers = {} if answer is None else {criterion: answer}
    result, reason = _result(stage, record(answers=answers), criterion)
    assert result == expected
    assert words in reason


def test_answer_for_computed_criterion_is_bad_input() -> None:
    from desktop.domain.record import RecordError

    with pytest.raises(RecordError, match=r"answers\.cmv-dna"):
        run(NCT, S1, record(answers={"cmv-dna": False}))


# --------------------------------------------------------------------------- examples

EXAMPLES = support.REPO / "trials" / "examples" / NCT


_cli = support.nkscreen


@pytest.mark.parametrize("stage", [S1, PRE])
def test_example_record_is_eligible(stage: str) -> None:
    path = EXAMPLES / f"{stage}.json"
    result = _cli("evaluate", NCT, "--stage", stage, str(path))
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["decision"] == "eligible", [c for c in verdict["criteria"]
                                               if c["outcome"] != "pass"]
    assert [c["id"] for c in verdict["criteria"]] == \
        [c.id for c in _trial().stage(stage).criteria]
    answers = json.loads(path.read_text(encoding="utf-8"))["answers"]
    assert set(answers) == {c.id for c in _trial().stage(stage).criteria if c.attested}


def test_criteria_output_shape() -> None:
    result = _cli("criteria", NCT, "--stage", S1)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [c["id"] for c in listed] == [c.id for c in _trial().stage(S1).criteria]
    for entry in listed:
        assert set(entry) == {"id", "kind", "text", "attested", "inputs"}
        assert (entry["inputs"] == []) == entry["attested"]
    perf = next(c for c in listed if c["id"] == "performance-status")
    assert perf["inputs"] == ["ecog", "karnofsky"]
    assert perf["kind"] == "inclusion"


def test_stage_list_in_error_for_unknown_stage() -> None:
    result = _cli("criteria", NCT, "--stage", "screening-2")
    assert result.returncode == 2
    assert "screening-1, pre-infusion" in result.stderr
