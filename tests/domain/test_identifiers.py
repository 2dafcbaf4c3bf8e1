"""MRNs and names: one spelling, one key; nothing invisible, nothing look-alike."""

from __future__ import annotations

import unicodedata

import pytest

from desktop.domain.identifiers import (
    IdentifierError,
    MrnRules,
    mrn_key,
    normalise_mrn,
    normalise_name,
)

LETTERS = MrnRules(r"\w \-/.")  # a site that allows letters of any script


@pytest.mark.parametrize(
    ("one", "other", "rules"),
    [
        (unicodedata.normalize("NFC", "JOSÉ-1"), unicodedata.normalize("NFD", "JOSÉ-1"), LETTERS),
        ("AB15", "AB１５", None),
        ("AB 17", "AB  17", None),
        ("ab-17", "AB-17", None),
        (" AB18 ", "AB18", None),
    ],
)
def test_spellings_of_one_mrn_share_a_key(one: str, other: str, rules: MrnRules | None) -> None:
    assert mrn_key(normalise_mrn(one, rules)) == mrn_key(normalise_mrn(other, rules))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("\u200b", "invisible"),
        ("\x00", "invisible"),
        ("AB\t1", "invisible"),
        ("AB\n1", "invisible"),
        ("A\u200dB", "invisible"),
        ("", "is required"),
        ("   ", "is required"),
        ("X" * 33, "at most 32"),
        ("X" * 10_000, "at most 32"),
        ("\u0410B12", "U+0410 CYRILLIC CAPITAL LETTER A"),
        ("AB#12", "'#'"),
    ],
)
def test_what_cannot_be_checked_against_a_wristband_is_refused(text: str, words: str) -> None:
    with pytest.raises(IdentifierError, match=words.replace("+", r"\+")):
        normalise_mrn(text)


def test_32_characters_are_enough_and_kept() -> None:
    assert normalise_mrn("X" * 32) == "X" * 32
    assert normalise_mrn("MRN-0001/a.b") == "MRN-0001/a.b"


def test_a_site_can_allow_other_characters() -> None:
    assert normalise_mrn("JOSÉ-1", LETTERS) == "JOSÉ-1"
    with pytest.raises(IdentifierError, match="not allowed"):
        normalise_mrn("JOSÉ-1")
    with pytest.raises(IdentifierError, match="not a valid character set"):
        MrnRules("[")


def test_names_are_nfc_without_control_characters() -> None:
    assert normalise_name(unicodedata.normalize("NFD", " Zoë ")) == "Zoë"
    with pytest.raises(IdentifierError, match="invisible"):
        normalise_name("Ann\x00")
    with pytest.raises(IdentifierError, match="at most 100"):
        normalise_name("N" * 101)
    assert normalise_name("N" * 100) == "N" * 100
