"""Signatures on completed stages: sign, open a correction, and the standing of a
stage's signatures (issue 13); the content they are linked to is ``screening_capture``'s.

Part of ``desktop.registry.screenings`` (``ScreeningRepository``). The state machine,
the meanings and the content are the domain's (``desktop.domain.signing``); this part
stores them, each write one ``BEGIN IMMEDIATE`` transaction with its audit event. Who
may sign (role, delegation, password) is checked by ``desktop.services.signing`` before
it calls ``add_signature``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from desktop.domain.signing import (
    CONTENT_VERSION,
    Action,
    OverrideParty,
    SignRefused,
    meaning_for,
    next_state,
    other_parties,
    override_problems,
    trial_file_sha256,
)
from desktop.domain.signing_changes import changes_since
from desktop.domain.trial import Trial
from desktop.registry.audit_chain import chain_head
from desktop.registry.patient_validation import checked_reason
from desktop.registry.screening_capture import CapturePart
from desktop.registry.screening_errors import ScreeningRefused
from desktop.registry.screening_reads import (
    _conn_rows,
    _load_screening,
    _load_visit,
    _load_visits,
    _Rows,
    _session_rows,
)
from desktop.registry.screening_refusals import _invalid, _visit_title
from desktop.registry.screening_rows import VisitRow
from desktop.registry.signature_reads import (
    _SIGNATURE_COLUMNS,
    _earlier_blocking,
    _library_sha,
    _signature_row,
    _state,
    _versions,
)
from desktop.registry.signature_rows import Shown, SignatureRow, StageVersionRow, Standing
from desktop.registry.signed_worksheets import NewWorksheet, store

if TYPE_CHECKING:

    pass

class SigningPart(CapturePart):
    """``ScreeningRepository``'s signatures: see the module docstring."""

    # -- reads --------------------------------------------------------------------

    def trial(self, trial_id: str) -> Trial:
        """The library's trial (``ScreeningRefused`` if it cannot be read)."""
        return self._trial(trial_id)

    def shown(self, visit_id: int) -> Shown:
        """What signing the visit now covers, as a signing dialog shows it: its version,
        decision and content hash (None where it is captured at signing)."""
        with self._registry.read() as conn:
            rows = _conn_rows(conn)
            visit = _load_visit(rows, visit_id)
            found = rows("SELECT content_sha256 FROM stage_version WHERE visit_id = ? AND "
                         "version = ?", (visit_id, visit.version))
            if found:
                sha: str | None = found[0][0]
            elif visit.status == "completed":
                # Completed before signatures: the content a signature would capture now.
                used, evaluation = self._legacy_evaluation(rows, visit)
                content = self._content(visit, evaluation, trial_file_sha256(used.data),
                                        visit.version)
                sha = hashlib.sha256(content).hexdigest()
            else:
                sha = None
        return Shown(visit.version, visit.decision or "incomplete", sha)

    def decided_trial(self, visit_id: int) -> Trial | None:
        """The trial file the visit's current version was decided under (None: not
        completed, or completed before signatures existed)."""
        with self._registry.read() as conn:
            rows = _conn_rows(conn)
            visit = _load_visit(rows, visit_id)
            found = rows("SELECT trial_sha256 FROM stage_version WHERE visit_id = ? AND "
                         "version = ?", (visit_id, visit.version))
            if visit.status != "completed" or not found:
                return None
            return self._stored_trial(rows, found[0][0])

    def stage_versions(self, visit_id: int) -> list[StageVersionRow]:
        """Every completed version of the visit with its signatures, oldest first."""
        with self._registry.read() as conn:
            rows = _conn_rows(conn)
            _load_visit(rows, visit_id)
            return _versions(rows, visit_id)

    def signed_content(self, visit_id: int, version: int) -> dict[str, Any] | None:
        """The canonical content stored for a version (what its signatures cover)."""
        with self._registry.read() as conn:
            found = conn.execute("SELECT content FROM stage_version WHERE visit_id = ? AND "
                                 "version = ?", (visit_id, version)).fetchall()
        return None if not found else dict(json.loads(found[0][0]))

    def standing(self, visit_id: int) -> Standing:
        """The current version's signatures and whether they still hold today."""
        with self._registry.read() as conn:
            rows = _conn_rows(conn)
            visit = _load_visit(rows, visit_id)
            if visit.status != "completed":
                return Standing(None)
            trial_id = _load_screening(rows, visit.screening_id).trial_id
            version = next((v for v in _versions(rows, visit_id)
                            if v.version == visit.version), None)
            if version is None:
                return Standing(None)
            stored = rows("SELECT content FROM stage_version WHERE id = ?", (version.id,))
            try:
                now, decision = self._now_content(rows, visit, version)
            except ScreeningRefused as exc:
                return Standing(version, problem=str(exc))
        changes = [line for line in changes_since(json.loads(stored[0][0]), json.loads(now))
                   if line != "the decision"]
        return Standing(version, tuple(changes), decision,
                        protocol_changed=_library_sha(trial_id) not in (None,
                                                                        version.trial_sha256))

    # -- writes -------------------------------------------------------------------

    def add_signature(self, visit_id: int, *, user_id: str, printed_name: str, role: str,
                      action: Action, signed_at: datetime, shown: Shown,
                      rationale: str = "",
                      parties: Sequence[OverrideParty] = (),
                      document: NewWorksheet | None = None) -> SignatureRow:
        """Sign the visit's current version doing ``action`` (the caller has checked the
        signer's password, role and delegation). ``shown``: the version, decision and
        content hash the signer was shown; the signature is refused unless they are the
        version's now (another window may have corrected it meanwhile).

        Refused (``ScreeningRefused``) for a stage not completed, a transition the state
        machine does not allow, a stage an earlier one no longer lets proceed (it was
        corrected since), and covered data that changed since the stage was completed (a
        correction is needed: the signature must cover exactly what was decided). An
        override needs the rationale and each other party the protocol names
        (``ValidationFailed``). ``signed_at``: aware local time (kept with its UTC
        offset). ``document``: the worksheet digitally signed with this signature, kept
        with it (``signed_worksheets``), its SHA-256 on the trail."""
        from desktop.registry.models.signing import Signature

        if signed_at.tzinfo is None:
            raise ValueError("signed_at needs its UTC offset")
        with self._registry.session() as session:
            rows = _session_rows(session)
            visit = _load_visit(rows, visit_id)
            screening = _load_screening(rows, visit.screening_id)
            if visit.status != "completed":
                raise ScreeningRefused("Only a completed stage is signed: complete it first.")
            version = self._current(session, rows, visit)
            trial = self._stored_trial(rows, version.trial_sha256)
            stage = trial.stage(visit.stage_id)
            title = _visit_title(stage, visit.stage_id, visit.repeat)
            if (shown.version, shown.decision, shown.content_sha256) != \
                    (version.version, version.decision, version.content_sha256):
                raise ScreeningRefused(
                    f"{title} was not signed: it changed since the signing dialog opened "
                    f"(now version {version.version}, "
                    f"{version.decision.replace('_', ' ')}). Review it and sign again.")
            blocked = _earlier_blocking(trial, _load_visits(rows, visit.screening_id), visit)
            if blocked is not None:
                raise ScreeningRefused(f"{title} cannot be signed while {blocked}.")
            try:
                next_state(_state(visit, version), action, version.decision,
                           override_allowed=stage is not None and stage.override is not None)
            except SignRefused as exc:
                raise ScreeningRefused(f"{title}: {exc}") from None
            stored = rows("SELECT content FROM stage_version WHERE id = ?", (version.id,))
            now, _decision = self._now_content(rows, visit, version)
            if now.decode("utf-8") != stored[0][0]:
                changed = [line for line in changes_since(json.loads(stored[0][0]),
                                                          json.loads(now))]
                raise ScreeningRefused(
                    f"{title} cannot be signed: its data changed since it was completed "
                    f"({', '.join(changed)}). Open a correction so the stage is decided "
                    "again on what the registry holds.")
            kept_rationale: str | None = None
            kept_parties: list[dict[str, str]] | None = None
            if action is Action.OVERRIDE:
                assert stage is not None
                assert stage.override is not None
                local = signed_at.replace(tzinfo=None)  # party dates are local, as typed
                parties = [p if p.agreed_on.tzinfo is None else replace(
                    p, agreed_on=p.agreed_on.astimezone(signed_at.tzinfo).replace(tzinfo=None))
                    for p in parties]
                problems = override_problems(other_parties(stage.override.agreed_by),
                                             parties, rationale, local)
                if problems:
                    raise _invalid("The override", {"override": " ".join(problems)})
                kept_rationale = " ".join(rationale.split())
                kept_parties = [{"role": p.role, "name": " ".join(p.name.split()),
                                 "agreed_on": p.agreed_on.isoformat(),
                                 "documented_as": p.documented_as} for p in parties]
            meaning = meaning_for(action, version.decision)
            signature = Signature(
                stage_version_id=version.id, visit_id=visit.id, version=version.version,
                action=action.value, meaning=meaning.value, user_id=user_id,
                printed_name=printed_name, role=role,
                signed_at=signed_at.isoformat(),
                content_sha256=version.content_sha256, content_version=CONTENT_VERSION,
                rationale=kept_rationale, parties=kept_parties)
            head = chain_head(session)
            signature.chain_seq, signature.chain_hash = head.seq, head.hash
            session.add(signature)
            session.flush()
            assert signature.id is not None
            if document is not None:
                store(session, visit.id, version.version, signature.id, document)
            details: dict[str, Any] = {
                "meaning": meaning.value, "action": action.value, "user_id": user_id,
                "printed_name": printed_name, "role": role,
                "signed_at": signature.signed_at, "version": version.version,
                "trial_id": screening.trial_id, "content_sha256": version.content_sha256,
                "rationale": kept_rationale, "parties": kept_parties}
            if document is not None:
                details["worksheet_sha256"] = document.sha256
            self._audit(session, "visit.signature", "visit", visit.id, details)
            found = rows(f"SELECT {_SIGNATURE_COLUMNS} FROM signature g WHERE g.id = ?",
                         (signature.id,))
            return _signature_row(found[0])

    def _correction_refusal(self, rows: _Rows, visit: VisitRow) -> str | None:
        if visit.status != "completed":
            return ("Only a completed stage is corrected; this one is still a draft and can "
                    "be changed as it is.")
        drafts = rows("SELECT stage_id, \"repeat\" FROM visit WHERE screening_id = ? AND "
                      "status = 'draft'", (visit.screening_id,))
        if not drafts:
            return None
        stage_id, repeat = drafts[0]
        try:
            stage = self._trial(_load_screening(rows, visit.screening_id).trial_id) \
                .stage(stage_id)
        except ScreeningRefused:
            stage = None
        return (f"A correction cannot be opened while {_visit_title(stage, stage_id, repeat)} "
                f"is a draft: complete it first (one stage of a screening is worked on at a "
                f"time).")

    def correction_refusal(self, visit_id: int) -> str | None:
        """Why ``open_correction`` would refuse the visit now (None: it would not)."""
        with self._registry.read() as conn:
            rows = _conn_rows(conn)
            return self._correction_refusal(rows, _load_visit(rows, visit_id))

    def open_correction(self, visit_id: int, reason: str) -> VisitRow:
        """Reopen a completed visit as its next version (a draft), with ``reason``.

        The earlier version, its content and its signatures stay as they are and stay
        readable (``stage_versions``); the new version is decided and signed anew.
        ``ValidationFailed`` on "reason" without one; refused for a draft, and while
        another visit of the screening is a draft (one stage is worked on at a time)."""
        from desktop.registry.models.base import utcnow

        reason = checked_reason(reason, "opened as a correction")
        with self._registry.session() as session:
            rows = _session_rows(session)
            visit = _load_visit(rows, visit_id)
            model = self._visit_model(session, visit_id)
            refusal = self._correction_refusal(rows, visit)
            if refusal is not None:
                raise ScreeningRefused(refusal)
            earlier = self._current(session, rows, visit, correcting=True)
            model.status, model.decision = "draft", None
            model.completed_at = model.completed_by = model.assessed_at = None
            model.verdict = None
            model.version = visit.version + 1
            model.correction_reason = reason
            self._audit(session, "visit.correction", "visit", visit_id,
                        {"reason": reason, "from_version": earlier.version,
                         "version": model.version, "at": utcnow().isoformat(),
                         "earlier_decision": earlier.decision,
                         "earlier_content_sha256": earlier.content_sha256})
            return _load_visit(rows, visit_id)

