"""Typed entries that are not usable: the criteria reading them are unknown, never an
older pass (``desktop.domain.pending``)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from desktop.domain.engine import Verdict, evaluate
from desktop.domain.pending import reads, with_pending
from desktop.domain.record import parse_record
from desktop.library import find_trial

EXAMPLES = Path(__file__).resolve().parents[2] / "trials" / "examples"
NOW = datetime(2026, 12, 31, 12, 0)  # after every example's as_of


def _example_verdict(nct: str, stage_id: str) -> Verdict:
    raw = json.loads((EXAMPLES / nct / f"{stage_id}.json").read_text(encoding="utf-8"))
    verdict = evaluate(find_trial(nct), stage_id, parse_record(raw, NOW))
    assert verdict.decision == "eligible"
    return verdict


def _outcomes(verdict: Verdict) -> dict[str, tuple[str, str]]:
    return {r.id: (r.outcome, r.reason) for r in verdict.results}


def test_nothing_pending_leaves_the_verdict_as_it_is() -> None:
    verdict = _example_verdict("NCT06152809", "screening-1")
    assert with_pending(verdict, set()) is verdict


def test_an_invalid_ecog_makes_its_criterion_unknown_and_the_decision_not_eligible() -> None:
    verdict = _example_verdict("NCT06152809", "screening-1")
    pending = with_pending(verdict, {"ecog"})
    assert pending.decision == "incomplete"
    ecog = pending.results[[r.id for r in pending.results].index("ecog")]
    assert (ecog.outcome, ecog.reason, ecog.used) == (
        "unknown", "Not evaluated: the value typed for ECOG is not valid (an earlier "
                   "result does not stand in for it)", ())
    before, after = _outcomes(verdict), _outcomes(pending)
    assert [cid for cid in before if before[cid] != after[cid]] == ["ecog"]


def test_a_derived_criterion_follows_its_inputs() -> None:
    verdict = _example_verdict("NCT06152809", "screening-1")
    pending = with_pending(verdict, {"weight"}, unconfirmed={"creatinine"})
    after = _outcomes(pending)
    assert after["crcl"] == ("unknown", "Not evaluated: the value typed for Weight is not "
                                        "valid; the value typed for Serum creatinine is not "
                                        "confirmed yet (an earlier result does not stand in "
                                        "for it)")
    changed = [cid for cid, outcome in _outcomes(verdict).items() if outcome != after[cid]]
    assert changed == ["crcl"]


def test_a_criterion_met_through_an_alternative_reads_the_alternative_too() -> None:
    trial = find_trial("NCT06138587")
    stage = trial.stage("screening-1")
    assert stage is not None
    attested = stage.criterion("lvef-no-cardiac-change")
    assert attested is not None
    assert reads(attested, stage) == {"lvef", "infusion"}  # its alternative, lvef
    verdict = _example_verdict("NCT06138587", "screening-1")
    after = _outcomes(with_pending(verdict, {"lvef"}))
    assert {cid for cid, (outcome, _) in after.items() if outcome == "unknown"} == {
        "lvef", "lvef-pre-transplant", "lvef-no-cardiac-change"}


def test_a_failing_criterion_on_an_invalid_entry_is_unknown_too() -> None:
    trial = find_trial("NCT06152809")
    raw = json.loads((EXAMPLES / "NCT06152809" / "screening-1.json").read_text("utf-8"))
    for obs in raw["observations"]:
        if obs["code"] == "ecog":
            obs["value"] = 3
    verdict = evaluate(trial, "screening-1", parse_record(raw, NOW))
    assert verdict.decision == "not_eligible"
    assert with_pending(verdict, {"ecog"}).decision == "incomplete"
