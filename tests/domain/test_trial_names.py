"""A trial named in a line: NCT id and whole words of its title (``trial_names``)."""

from __future__ import annotations

import pytest

from desktop.domain.trial_names import short_title, trial_label
from desktop.library import load_library


def test_a_title_that_fits_is_kept_whole() -> None:
    assert short_title("CD123-CD16-NK Cells Immunotherapy for AML") == \
        "CD123-CD16-NK Cells Immunotherapy for AML"


def test_a_long_title_keeps_whole_words_and_no_dangling_link_word() -> None:
    title = ("Safety and Efficacy of Allogenic NK Cells in Combination With Chemotherapy "
             "in the Treatment of r/r AML After Allo-HSCT")
    short = short_title(title)
    assert short == "Safety and Efficacy of Allogenic NK Cells…"
    assert len(short) <= 48


@pytest.mark.parametrize("limit", range(10, 90, 7))
def test_no_word_is_ever_cut(limit: int) -> None:
    for trial in load_library():
        short = short_title(trial.title, limit)
        words = short.removesuffix("…").split()
        assert words == trial.title.split()[:len(words)]  # a prefix of whole words
        assert len(short) <= max(limit, len(words[0]) + 1)


def test_one_word_longer_than_the_limit_is_kept_rather_than_cut() -> None:
    assert short_title("Pneumonoultramicroscopicsilicovolcanoconiosis study", 10) == \
        "Pneumonoultramicroscopicsilicovolcanoconiosis…"


def test_the_label_leads_with_the_nct_id() -> None:
    labels = [trial_label(t) for t in load_library()]
    assert all(label.split(" — ")[0].startswith("NCT") for label in labels)
    assert "NCT06152809 — A Phase 1 Study of Cytokine-induced Memory-like…" in labels
