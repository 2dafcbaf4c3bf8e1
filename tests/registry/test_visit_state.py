"""A saved visit's state, as every view shows it."""

from __future__ import annotations

from datetime import UTC, datetime

from desktop.domain.visits import StageState as S
from desktop.registry.screening_rows import OverrideRow, VisitRow

# Signing never turns a not-eligible stage into an open door.

_T = datetime(2026, 11, 2, tzinfo=UTC)


def _visit(**kw: object) -> VisitRow:
    base: dict[str, object] = {"id": 1, "screening_id": 1, "stage_id": "s1", "repeat": 1,
                               "status": "completed", "decision": "eligible",
                               "started_at": _T, "started_by": "cc"}
    base.update(kw)
    return VisitRow(**base)  # type: ignore[arg-type]


def test_visit_state_follows_status_decision_override_and_signature() -> None:
    override = OverrideRow("reviewed", "Dr A (PI); Dr B (IND holder)", "cc", _T)
    assert _visit(status="draft", decision=None).state is S.IN_PROGRESS
    assert _visit().state is S.AWAITING_SIGNATURE
    assert _visit(decision="not_eligible").state is S.NOT_ELIGIBLE
    assert _visit(decision="not_eligible", override=override).state is S.OVERRIDDEN
    assert _visit(signed_by="Dr A", signed_at=_T).state is S.SIGNED
    assert _visit(decision="not_eligible", signed_by="Dr A", signed_at=_T).state \
        is S.NOT_ELIGIBLE
    # (above: legacy free-text sign-offs and overrides, made before signatures)
    assert _visit(decision="not_eligible", override=override, signed_by="Dr A",
                  signed_at=_T).state is S.SIGNED


def test_signatures_decide_whether_the_next_stage_may_open() -> None:
    # Completed eligible: the investigator's confirmation is still to come.
    assert _visit().state is S.AWAITING_SIGNATURE
    assert not S.AWAITING_SIGNATURE.lets_next_open
    # Prepared by the coordinator is not yet a confirmation.
    assert _visit(signed_actions=("prepare",)).state is S.AWAITING_SIGNATURE
    assert _visit(signed_actions=("prepare", "confirm")).state is S.SIGNED
    assert _visit(signed_actions=("confirm",)).state is S.SIGNED
    # A site that opens the next stage before the signature.
    assert _visit(open_before_signature=True).state is S.ELIGIBLE
    assert S.ELIGIBLE.lets_next_open
    # Not eligible: confirmed is a confirmed screen failure; an override approves.
    assert _visit(decision="not_eligible", signed_actions=("confirm",)).state \
        is S.NOT_ELIGIBLE
    assert _visit(decision="not_eligible", open_before_signature=True).state \
        is S.NOT_ELIGIBLE
    assert _visit(decision="not_eligible", signed_actions=("override",)).state \
        is S.OVERRIDDEN
    assert _visit(decision="not_eligible", signed_actions=("prepare", "override")).state \
        is S.OVERRIDDEN
    # A correction (version 2) is a draft until completed again.
    assert _visit(status="draft", decision=None, version=2).state is S.IN_PROGRESS
