"""The signature rules of issue 13, in the domain: one test per transition and refusal,
and a content hash that ignores wording but follows every covered value."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from desktop.domain.accounts import Actor, Role
from desktop.domain.signing import (
    CONTENT_VERSION,
    Action,
    Meaning,
    OverrideParty,
    SignedAnswer,
    SignedContent,
    SignedObservation,
    SignRefused,
    SignState,
    canonical_json,
    lets_next_open,
    meaning_for,
    next_state,
    override_problems,
    signer_problem,
    trial_file_sha256,
)

COORDINATOR = Actor("cora", "Cora C", frozenset({Role.COORDINATOR}))
INVESTIGATOR = Actor("ivy", "Dr Ivy", frozenset({Role.INVESTIGATOR}))
BOTH = Actor("bo", "Bo Both", frozenset({Role.COORDINATOR, Role.INVESTIGATOR}))


# -- meanings ---------------------------------------------------------------------

@pytest.mark.parametrize(("action", "decision", "meaning"), [
    (Action.PREPARE, "eligible", "Prepared by"),
    (Action.PREPARE, "not_eligible", "Prepared by"),
    (Action.CONFIRM, "eligible", "Eligibility confirmed by"),
    (Action.CONFIRM, "not_eligible", "Screen failure confirmed by"),
    (Action.OVERRIDE, "not_eligible", "Approved to proceed despite unmet criteria"),
])
def test_the_meaning_follows_from_action_and_decision(action: Action, decision: str,
                                                      meaning: str) -> None:
    assert meaning_for(action, decision).value == meaning
    assert Meaning(meaning) is meaning_for(action, decision)


# -- transitions ------------------------------------------------------------------

def test_completed_to_prepared_to_confirmed() -> None:
    prepared = next_state(SignState.COMPLETED, Action.PREPARE, "eligible",
                          override_allowed=False)
    assert prepared is SignState.PREPARED
    assert next_state(prepared, Action.CONFIRM, "eligible",
                      override_allowed=False) is SignState.CONFIRMED


def test_an_investigator_may_confirm_without_a_preparation() -> None:
    assert next_state(SignState.COMPLETED, Action.CONFIRM, "not_eligible",
                      override_allowed=True) is SignState.CONFIRMED


def test_prepared_twice_is_refused() -> None:
    with pytest.raises(SignRefused, match="prepared already"):
        next_state(SignState.PREPARED, Action.PREPARE, "eligible", override_allowed=False)


@pytest.mark.parametrize("state", [SignState.COMPLETED, SignState.PREPARED])
def test_a_not_eligible_stage_may_be_approved_by_override_before_confirmation(
        state: SignState) -> None:
    assert next_state(state, Action.OVERRIDE, "not_eligible",
                      override_allowed=True) is SignState.APPROVED


def test_no_override_where_the_protocol_allows_none() -> None:
    with pytest.raises(SignRefused, match="does not allow proceeding"):
        next_state(SignState.COMPLETED, Action.OVERRIDE, "not_eligible",
                   override_allowed=False)


def test_an_eligible_stage_needs_no_override() -> None:
    with pytest.raises(SignRefused, match="needs no override"):
        next_state(SignState.COMPLETED, Action.OVERRIDE, "eligible", override_allowed=True)


@pytest.mark.parametrize("state", [SignState.CONFIRMED, SignState.APPROVED])
@pytest.mark.parametrize("action", list(Action))
def test_a_confirmed_or_approved_stage_changes_only_through_a_correction(
        state: SignState, action: Action) -> None:
    assert state.locked
    with pytest.raises(SignRefused, match="only through a correction"):
        next_state(state, action, "not_eligible", override_allowed=True)


@pytest.mark.parametrize("decision", ["incomplete", "", "eligible?"])
def test_only_a_decided_stage_is_signed(decision: str) -> None:
    with pytest.raises(SignRefused, match="Only a completed stage"):
        next_state(SignState.COMPLETED, Action.CONFIRM, decision, override_allowed=True)


# -- who may sign -----------------------------------------------------------------------

def test_who_may_give_which_signature() -> None:
    assert signer_problem(COORDINATOR, Action.PREPARE) is None
    assert signer_problem(INVESTIGATOR, Action.CONFIRM) is None
    assert signer_problem(INVESTIGATOR, Action.OVERRIDE) is None
    assert signer_problem(BOTH, Action.PREPARE) is None
    assert signer_problem(COORDINATOR, Action.CONFIRM) == (
        "Cora C (Coordinator) cannot confirm a stage: that takes an investigator.")
    assert "cannot approve an override" in (signer_problem(COORDINATOR, Action.OVERRIDE) or "")
    assert "cannot prepare a stage" in (signer_problem(INVESTIGATOR, Action.PREPARE) or "")


def test_a_one_time_password_never_signs() -> None:
    reset = replace(INVESTIGATOR, one_time=True)
    for action in Action:
        assert "one-time password" in (signer_problem(reset, action) or "")


# -- the next stage -------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "decision", "before_signature", "opens"), [
    (SignState.CONFIRMED, "eligible", False, True),
    (SignState.APPROVED, "not_eligible", False, True),
    (SignState.COMPLETED, "eligible", False, False),     # the default: the signature first
    (SignState.PREPARED, "eligible", False, False),
    (SignState.COMPLETED, "eligible", True, True),       # a site that allows it
    (SignState.CONFIRMED, "not_eligible", False, False),  # a confirmed screen failure
    (SignState.COMPLETED, "not_eligible", True, False),
])
def test_when_the_next_stage_opens(state: SignState, decision: str, before_signature: bool,
                                   opens: bool) -> None:
    assert lets_next_open(state, decision, open_before_signature=before_signature) is opens


# -- the signed content -----------------------------------------------------------------

def _content(**changes: object) -> SignedContent:
    base = SignedContent(
        trial_id="NCT06152809", trial_sha256=trial_file_sha256(b"trial file bytes"),
        stage_id="screening-1", repeat=1, version=1,
        observations=(
            SignedObservation("creatinine", "1.90", "mg/dL", datetime(2026, 11, 2, 7, 30)),
            SignedObservation("ast", "30", "U/L", datetime(2026, 11, 2, 7, 30), "40", "result"),
        ),
        answers=(SignedAnswer("consent", "yes", "signed 2026-11-01", "ICF v3"),),
        events={"infusion": datetime(2026, 11, 9, 10, 0)},
        facts={"gilbert_syndrome": False},
        decision="eligible")
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_content_is_versioned_and_ordered_whatever_the_input_order() -> None:
    content = _content()
    shuffled = _content(observations=tuple(reversed(content.observations)))
    assert content.canonical()["content_version"] == CONTENT_VERSION
    assert content.sha256() == shuffled.sha256()
    assert [o["code"] for o in content.canonical()["observations"]] == ["ast", "creatinine"]
    assert len(content.sha256()) == 64


def test_the_hash_is_the_sha256_of_compact_sorted_json() -> None:
    import hashlib

    content = _content()
    assert content.serialised() == canonical_json(content.canonical())
    assert content.sha256() == hashlib.sha256(content.serialised()).hexdigest()
    assert b'": ' not in content.serialised()  # compact: no spaces after separators
    assert b', "' not in content.serialised()


@pytest.mark.parametrize("change", [
    {"trial_sha256": trial_file_sha256(b"another version of the trial file")},
    {"stage_id": "screening-2"},
    {"repeat": 2},
    {"version": 2},
    {"decision": "not_eligible"},
    {"facts": {"gilbert_syndrome": True}},
    {"events": {"infusion": datetime(2026, 11, 9, 10, 1)}},
    {"answers": (SignedAnswer("consent", "no", "signed 2026-11-01", "ICF v3"),)},
    {"answers": (SignedAnswer("consent", "yes", "signed 2026-11-02", "ICF v3"),)},
    {"answers": (SignedAnswer("consent", "yes", "signed 2026-11-01", "ICF v4"),)},
])
def test_any_covered_value_changes_the_hash(change: dict[str, object]) -> None:
    assert _content(**change).sha256() != _content().sha256()


@pytest.mark.parametrize("observation", [
    SignedObservation("creatinine", "1.9", "mg/dL", datetime(2026, 11, 2, 7, 30)),  # as typed
    SignedObservation("creatinine", "168", "umol/L", datetime(2026, 11, 2, 7, 30)),
    SignedObservation("creatinine", "1.90", "mg/dL", datetime(2026, 11, 2, 7, 31)),
    SignedObservation("creatinine", "1.90", "mg/dL", datetime(2026, 11, 2, 7, 30), "1.2",
                      "site"),
])
def test_a_result_typed_differently_is_different_content(
        observation: SignedObservation) -> None:
    original = _content()
    changed = _content(observations=(observation, original.observations[1]))
    assert changed.sha256() != original.sha256()


def test_the_same_characters_hash_alike_in_any_unicode_form() -> None:
    composed = _content(answers=(SignedAnswer("consent", "yes", "Zoé", "ICF"),))
    decomposed = _content(answers=(SignedAnswer("consent", "yes", "Zoe\u0301", "ICF"),))
    assert composed.sha256() == decomposed.sha256()


def test_the_hash_holds_no_display_strings() -> None:
    """Reasons, labels and unit captions are not part of it, so rewording them cannot
    touch an old signature: the serialised content carries codes and values only."""
    text = _content().serialised().decode()
    for words in ("Creatinine", "mL/min", "x ULN", "Eligibility confirmed", "pass"):
        assert words not in text


# -- the override's named parties ---------------------------------------------------------

NOW = datetime(2026, 12, 2, 9, 0)
RATIONALE = "Steroid given once for a transfusion reaction; reviewed with both parties."


def _party(role: str, name: str = "Dr B Example", agreed: datetime = NOW,
           documented: str = "email on file") -> OverrideParty:
    return OverrideParty(role, name, agreed, documented)


def test_an_override_with_every_named_party_is_accepted() -> None:
    parties = [_party("PI", "Dr A Example", documented="signed in NK Screen"),
               _party("IND holder")]
    assert override_problems(["PI", "IND holder"], parties, RATIONALE, NOW) == []


def test_the_bare_words_pi_ind_holder_are_not_an_agreement() -> None:
    """The old free-text field accepted "PI IND holder"; named parties do not."""
    problems = override_problems(["PI", "IND holder"], [_party("PI", "PI")], "ok", NOW)
    assert problems == [
        "Give the rationale for proceeding (at least a sentence).",
        "PI: the person's name is required, not the role alone.",
        "The protocol requires the IND holder's agreement: name them.",
    ]


def test_each_party_needs_a_name_a_past_date_and_how_it_is_documented() -> None:
    later = datetime(2026, 12, 2, 9, 1)
    problems = override_problems(
        ["IND holder"], [_party("IND holder", "ind holder", later, "verbal")], RATIONALE,
        NOW)
    assert problems[0] == "IND holder: name the person, not the role."
    assert problems[1] == "IND holder: the agreement's date is in the future."
    assert problems[2].startswith("IND holder: say how the agreement is documented")
    assert override_problems(["IND holder"], [_party("IND holder", agreed=NOW)],
                             RATIONALE, NOW) == []  # now itself is not the future


def test_a_party_the_protocol_does_not_name_is_refused() -> None:
    problems = override_problems(["PI"], [_party("PI"), _party("Sponsor")], RATIONALE, NOW)
    assert problems == ["Sponsor: the protocol names no such party for this override."]
