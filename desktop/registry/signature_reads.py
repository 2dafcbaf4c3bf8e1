"""Reading signatures back: the row decoders, a visit's stage versions with their
signatures, and the checks a signature makes against them (the earlier stages, a stage
completed before signatures, the library's trial file now).

Part of ``desktop.registry.screenings``; ``screening_signing`` writes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from desktop.domain.signing import (
    Action,
    Meaning,
    OverrideParty,
    SignState,
    state_after,
    trial_file_sha256,
)
from desktop.domain.stage_states import StageState
from desktop.domain.trial import Trial
from desktop.registry.screening_base import Evaluation
from desktop.registry.screening_reads import _Rows, _utc_req
from desktop.registry.screening_rows import VisitRow
from desktop.registry.signature_rows import SignatureRow, StageVersionRow

_VERSION_COLUMNS = ("sv.id, sv.visit_id, sv.version, sv.decision, sv.completed_at, "
                    "sv.completed_by, sv.trial_sha256, sv.content_sha256, "
                    "sv.correction_reason, sv.captured")
_SIGNATURE_COLUMNS = ("g.id, g.visit_id, g.version, g.action, g.meaning, g.user_id, "
                      "g.printed_name, g.role, g.signed_at, g.content_sha256, g.rationale, "
                      "g.parties")


#: Trial files parsed from the registry, by SHA-256 (a hash's bytes never change).
_PARSED: dict[str, Trial] = {}


def _signature_row(values: Sequence[Any]) -> SignatureRow:
    (id_, visit_id, version, action, meaning, user_id, name, role, signed_at, sha,
     rationale, parties) = values
    decoded = (json.loads(parties) if isinstance(parties, str) else parties) or []
    return SignatureRow(
        id=int(id_), visit_id=int(visit_id), version=int(version), action=Action(action),
        meaning=Meaning(meaning), user_id=user_id, printed_name=name, role=role,
        signed_at=datetime.fromisoformat(signed_at), content_sha256=sha,
        rationale=rationale,
        parties=tuple(OverrideParty(p["role"], p["name"],
                                    datetime.fromisoformat(p["agreed_on"]),
                                    p["documented_as"]) for p in decoded))


def _library_sha(trial_id: str) -> str | None:
    """The SHA-256 of the trial library's file for ``trial_id`` now (None: none)."""
    from desktop.paths import trials_dir

    try:
        return trial_file_sha256((trials_dir() / f"{trial_id}.yaml").read_bytes())
    except OSError:
        return None


def _versions(rows: _Rows, visit_id: int) -> list[StageVersionRow]:
    signatures: dict[int, list[SignatureRow]] = {}
    for values in rows(f"SELECT {_SIGNATURE_COLUMNS} FROM signature g WHERE g.visit_id = ? "
                       "ORDER BY g.id", (visit_id,)):
        row = _signature_row(values)
        signatures.setdefault(row.version, []).append(row)
    legacy = rows("SELECT signed_by, override_agreed_by FROM visit WHERE id = ?",
                  (visit_id,))
    signed_by, agreed_by = legacy[0] if legacy else (None, None)
    words = "; ".join(w for w in (
        None if signed_by is None else f"legacy sign-off by {signed_by} (typed name)",
        None if agreed_by is None else f"legacy override agreed by {agreed_by}") if w)
    return [StageVersionRow(id=int(v[0]), visit_id=int(v[1]), version=int(v[2]),
                            decision=v[3], completed_at=_utc_req(v[4]), completed_by=v[5],
                            trial_sha256=v[6], content_sha256=v[7], correction_reason=v[8],
                            captured=v[9], signatures=tuple(signatures.get(int(v[2]), ())),
                            legacy=words if int(v[2]) == 1 and words else None)
            for v in rows(f"SELECT {_VERSION_COLUMNS} FROM stage_version sv "
                          "WHERE sv.visit_id = ? ORDER BY sv.version", (visit_id,))]


def _earlier_blocking(trial: Trial, visits: Sequence[VisitRow],
                      visit: VisitRow) -> str | None:
    """The title of an earlier visit slot that does not let ``visit``'s open now (None:
    every slot before it does)."""
    from desktop.domain.visits import slots

    states = {(v.stage_id, v.repeat): v.state for v in visits}
    for slot in slots(trial.stages, states):
        if (slot.stage.id, slot.repeat) == (visit.stage_id, visit.repeat):
            return None
        if not slot.state.lets_next_open:
            why = {StageState.IN_PROGRESS: "is being corrected",
                   StageState.AWAITING_SIGNATURE: "awaits the investigator's confirmation",
                   StageState.NOT_ELIGIBLE: "is not eligible",
                   StageState.NOT_STARTED: "is not started"}.get(slot.state, "is not done")
            return f"{slot.title}, before it, {why}"
    return None


def _legacy_problem(rows: _Rows, visit: VisitRow, evaluation: Evaluation) -> str | None:
    """How today's re-run of a stage completed before signatures differs from the
    verdict it was given (its decision, or any criterion's outcome); None: it agrees."""
    if evaluation.verdict.decision != visit.decision:
        return (f"it would be decided {evaluation.verdict.decision.replace('_', ' ')}, "
                f"not {(visit.decision or '').replace('_', ' ')}")
    found = rows("SELECT verdict FROM visit WHERE id = ?", (visit.id,))
    stored = json.loads(found[0][0]) if found and found[0][0] else {}
    given = {str(c.get("id")): c.get("outcome") for c in stored.get("criteria", [])
             if isinstance(c, dict)}
    now = {r.id: r.outcome for r in evaluation.verdict.results}
    differ = sorted(cid for cid in given.keys() | now.keys() if given.get(cid) != now.get(cid))
    if differ:
        return f"the outcomes of {', '.join(differ)} differ from those it was given"
    return None


def _state(visit: VisitRow, version: StageVersionRow) -> SignState:
    """The version's state from its signatures (a legacy sign-off counts as one)."""
    if visit.version == 1 and visit.signed_by is not None:
        return SignState.CONFIRMED
    if visit.version == 1 and visit.override is not None:
        return SignState.APPROVED
    return state_after([s.action for s in version.signatures], version.decision)
