"""The coordinator's words (#18): criteria by number and text, text cut without hiding a
quantity, units as people write them, sentences that end once."""

from __future__ import annotations

import pytest

from desktop.domain.trial import Stage
from desktop.domain.units import display_text, display_unit, normalise_unit
from desktop.domain.wording import clause, criterion_ref, sentence, shorten
from desktop.library import find_trial


def _stage() -> Stage:
    stage = find_trial("NCT06152809").stages[0]
    assert stage.criteria
    return stage


def test_a_criterion_is_named_by_number_and_text_never_id() -> None:
    stage = _stage()
    first, second = stage.criteria[0], stage.criteria[1]
    assert criterion_ref(stage, first.id) == f"#1 {first.text}"
    assert criterion_ref(stage, second.id).startswith("#2 ")
    assert first.id not in criterion_ref(stage, first.id).split(" ", 1)[0]
    assert criterion_ref(stage, "no-such-id") == "a criterion no longer in this trial file"
    assert criterion_ref(None, first.id) == "a criterion no longer in this trial file"


@pytest.mark.parametrize("limit", range(8, 90, 3))
def test_shortening_never_cuts_inside_a_quantity(limit: int) -> None:
    text = ("Absolute neutrophil count of at least 1.0 x 10^9/L within 7 days before the "
            "first dose, and platelets ≥ 75 x 10^9/L")
    short = shorten(text, limit)
    assert short == text or short.endswith("…")
    kept = short.rstrip("…").split()
    words = text.split()[:len(kept)]
    assert words[:-1] == kept[:-1]  # whole words, from the start
    assert words[-1].rstrip(",") == kept[-1]
    if "1.0" in kept:  # a number stays with what it compares and its unit
        assert kept[kept.index("1.0") - 2:kept.index("1.0") + 3] == \
            ["at", "least", "1.0", "x", "10^9/L"]
    assert not short.rstrip("…").endswith(("≥", "x", "least"))


def test_short_text_is_left_whole() -> None:
    assert shorten("ECOG  0-2\n", 40) == "ECOG 0-2"


@pytest.mark.parametrize(("stored", "shown"), [
    ("umol/L", "µmol/L"), ("10^9/L", "10⁹/L"), ("10^3/uL", "10³/µL"), ("/uL", "/µL"),
    ("mg/dL", "mg/dL"), ("U/L", "U/L"), ("IU/mL", "IU/mL"),
])
def test_units_are_shown_as_people_write_them(stored: str, shown: str) -> None:
    assert display_unit(stored) == shown


def test_reasons_read_with_proper_signs() -> None:
    assert display_text("creatinine 97 umol/L, not <= 1.5 x ULN") == \
        "creatinine 97 µmol/L, not <= 1.5 ×ULN"
    assert display_text("ANC 0.5 x 10^9/L") == "ANC 0.5 × 10⁹/L"
    assert display_text("AST 30 U/L = 0.75 x site ULN") == "AST 30 U/L = 0.75 × site ULN"
    assert display_text("Before lymphodepletion (Day -5)") == "Before lymphodepletion (Day −5)"
    assert display_text("drug uptake") == "drug uptake"


@pytest.mark.parametrize(("typed", "code", "kept"), [
    ("umol/L", "creatinine", "umol/L"), ("µmol/L", "creatinine", "umol/L"),
    ("UMOL/l", "bilirubin_total", "umol/L"), ("10⁹/L", "anc", "10^9/L"),
    ("10³/µL", "platelets", "10^3/uL"), ("10^9/L", "anc", "10^9/L"),
])
def test_units_typed_either_way_are_accepted(typed: str, code: str, kept: str) -> None:
    assert normalise_unit(code, typed) == kept


def test_sentences_end_once() -> None:
    assert sentence("ecog 1.5 must be an integer from 0 to 5") == \
        "Ecog 1.5 must be an integer from 0 to 5."
    assert sentence("Already a sentence.") == "Already a sentence."
    assert sentence("A question?") == "A question?"
    assert clause("ECOG must be an integer from 0 to 5.") == "ECOG must be an integer from 0 to 5"
