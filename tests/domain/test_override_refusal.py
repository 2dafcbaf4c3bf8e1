"""Why an override cannot be given on a stage now (``signing.override_refusal``)."""

from __future__ import annotations

from desktop.domain.signing import override_refusal


def test_a_draft_must_be_completed_not_eligible_first() -> None:
    assert override_refusal("draft", None, override_allowed=True) == (
        "Complete the stage as not eligible first: an override approves proceeding after "
        "a screen failure.")


def test_an_eligible_stage_needs_none() -> None:
    assert "needs no override" in (override_refusal("completed", "eligible",
                                                    override_allowed=True) or "")


def test_a_stage_the_protocol_does_not_let_proceed() -> None:
    assert override_refusal("completed", "not_eligible", override_allowed=False) == (
        "This protocol does not allow proceeding after a screen failure at this stage.")


def test_a_locked_stage_changes_only_through_a_correction() -> None:
    assert "correction" in (override_refusal("completed", "not_eligible",
                                             override_allowed=True, locked=True) or "")


def test_a_screen_failure_the_protocol_lets_proceed_may_be_approved() -> None:
    assert override_refusal("completed", "not_eligible", override_allowed=True) is None
