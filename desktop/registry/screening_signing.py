"""Signatures on completed stages: capture the signed content at completion, sign,
open a correction, and the standing of a stage's signatures (issue 13).

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
    Meaning,
    OverrideParty,
    SignRefused,
    SignState,
    meaning_for,
    next_state,
    other_parties,
    override_problems,
    state_after,
    trial_file_sha256,
)
from desktop.domain.signing_changes import changes_since
from desktop.domain.signing_content import build_content, used_observations
from desktop.domain.stage_states import StageState
from desktop.domain.trial import Trial
from desktop.registry.patient_validation import checked_reason
from desktop.registry.screening_base import Evaluation, ScreeningBase, TrialUsed
from desktop.registry.screening_errors import ScreeningRefused
from desktop.registry.screening_reads import (
    _conn_rows,
    _load_screening,
    _load_visit,
    _load_visits,
    _Rows,
    _session_rows,
    _utc_req,
)
from desktop.registry.screening_refusals import _invalid, _visit_title
from desktop.registry.screening_rows import VisitRow
from desktop.registry.signature_rows import Shown, SignatureRow, StageVersionRow, Standing

if TYPE_CHECKING:
    from sqlmodel import Session

    from desktop.registry.models.signing import StageVersion

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


class SigningPart(ScreeningBase):
    """``ScreeningRepository``'s signatures: see the module docstring."""

    # -- capture (at completion) --------------------------------------------------

    def _keep_trial_file(self, session: Session, used: TrialUsed) -> str:
        """Store the trial file's bytes once per SHA-256; the hash."""
        from desktop.registry.models.signing import TrialFile

        sha = trial_file_sha256(used.data)
        if session.get(TrialFile, sha) is None:
            session.add(TrialFile(sha256=sha, trial_id=used.trial.id, format=used.format,
                                  data=used.data))
            session.flush()
        return sha

    def _content(self, visit: VisitRow, evaluation: Evaluation, trial_sha: str,
                 version: int) -> bytes:
        verdict = evaluation.verdict
        content = build_content(
            trial_id=verdict.trial.id, trial_sha256=trial_sha, stage_id=visit.stage_id,
            repeat=visit.repeat, version=version, verdict=verdict, typed=evaluation.typed,
            site_uln=evaluation.site_uln, answers=evaluation.answers,
            events=evaluation.events, facts=evaluation.facts,
            birth_date=evaluation.birth_date, sex=evaluation.sex,
            assessed_at=evaluation.as_of)
        return content.serialised()

    def _capture(self, session: Session, visit: VisitRow, evaluation: Evaluation,
                 used: TrialUsed, *, version: int, reason: str | None,
                 captured: str = "completion", decision: str | None = None,
                 verdict: dict[str, Any] | None = None) -> StageVersion:
        """Store the stage version just decided, with its signed content and verdict
        (``decision``, ``verdict``: the ones the stage was given, for a stage completed
        before signatures, whose content is captured later)."""
        from desktop.registry.models.base import utcnow
        from desktop.registry.models.signing import StageVersion

        sha = self._keep_trial_file(session, used)
        content = self._content(visit, evaluation, sha, version)
        row = StageVersion(
            visit_id=visit.id, version=version,
            decision=decision or evaluation.verdict.decision,
            verdict=verdict if verdict is not None else evaluation.verdict.as_json(),
            completed_at=visit.completed_at or utcnow(),
            completed_by=visit.completed_by or self._user, trial_sha256=sha,
            content=content.decode("utf-8"),
            content_sha256=hashlib.sha256(content).hexdigest(),
            observation_ids=sorted({evaluation.observation_ids[o]
                                    for o in used_observations(evaluation.verdict)}),
            correction_reason=reason, captured=captured)
        session.add(row)
        session.flush()
        return row

    def _stored_trial(self, rows: _Rows, sha: str) -> Trial:
        """The trial file kept under ``sha``, its bytes checked against the hash, parsed
        once per process (parsing a large protocol costs more than signing)."""
        from desktop.library import TrialFileError, parse_trial

        found = rows("SELECT trial_id, data FROM trial_file WHERE sha256 = ?", (sha,))
        if not found:
            raise ScreeningRefused(f"The trial file {sha[:12]}... the stage was decided "
                                   "under is missing from the registry.")
        data = bytes(found[0][1])
        if trial_file_sha256(data) != sha:
            raise ScreeningRefused(f"The stored trial file {sha[:12]}... no longer matches "
                                   "its SHA-256: the registry was changed outside NK Screen.")
        if sha in _PARSED:
            return _PARSED[sha]
        try:
            trial = parse_trial(data, f"{found[0][0]} ({sha[:12]})")
        except TrialFileError as exc:
            raise ScreeningRefused(f"The stored trial file cannot be read: {exc}.") from None
        if len(_PARSED) >= 64:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[sha] = trial
        return trial

    def _now_content(self, rows: _Rows, visit: VisitRow,
                     version: StageVersionRow) -> tuple[bytes, str]:
        """The content the version has today: re-run under its own trial version, as of
        the time it was assessed, on what the registry holds now; and the decision."""
        assert visit.assessed_at is not None
        trial = self._stored_trial(rows, version.trial_sha256)
        evaluation = self._evaluation(rows, visit, visit.assessed_at, trial)
        return (self._content(visit, evaluation, version.trial_sha256, version.version),
                evaluation.verdict.decision)

    def _current(self, session: Session, rows: _Rows, visit: VisitRow, *,
                 correcting: bool = False) -> StageVersionRow:
        """The visit's current stage version; captured now (from the library's trial, as
        of the time assessed) for a stage completed before signatures existed, refused
        if that re-run decides otherwise than the stage was (unless ``correcting``: the
        version is kept with the decision it had, its content as of the correction)."""
        for found in reversed(_versions(rows, visit.id)):
            if found.version == visit.version:
                return found
        used, evaluation = self._legacy_evaluation(rows, visit)
        problem = _legacy_problem(rows, visit, evaluation)
        if problem is not None and not correcting:
            title = _visit_title(used.trial.stage(visit.stage_id), visit.stage_id,
                                 visit.repeat)
            raise ScreeningRefused(
                f"{title} was completed before electronic signatures; on what the registry "
                f"holds now {problem}. Open a correction so it is decided again before it "
                "is signed.")
        stored = rows("SELECT verdict FROM visit WHERE id = ?", (visit.id,))
        self._capture(session, visit, evaluation, used, version=visit.version,
                      reason=visit.correction_reason,
                      captured="correction" if correcting else "signing",
                      decision=visit.decision,
                      verdict=json.loads(stored[0][0]) if stored and stored[0][0] else None)
        return next(v for v in _versions(rows, visit.id) if v.version == visit.version)

    def _legacy_evaluation(self, rows: _Rows, visit: VisitRow) -> tuple[TrialUsed, Evaluation]:
        """A stage completed before signatures re-run under the library's trial, as of
        the time it was assessed, on what the registry holds now."""
        screening = _load_screening(rows, visit.screening_id)
        used = self._trial_file(screening.trial_id)
        assert visit.assessed_at is not None
        return used, self._evaluation(rows, visit, visit.assessed_at, used.trial)

    def _moved_stages(self, rows: _Rows, patient_id: int, at: datetime) -> list[str]:
        """The patient's completed stages, assessed at or after ``at``, whose signed
        content no longer holds on what this transaction now holds (a stage completed
        before signatures counts as moved: nothing tells what it was decided on)."""
        moved: list[str] = []
        for (visit_id,) in rows(
                "SELECT v.id FROM visit v JOIN screening s ON s.id = v.screening_id "
                "WHERE s.patient_id = ? AND v.status = 'completed' "
                "AND julianday(v.assessed_at) >= julianday(?) ORDER BY v.id",
                (patient_id, at.isoformat())):
            visit = _load_visit(rows, int(visit_id))
            trial_id = _load_screening(rows, visit.screening_id).trial_id
            version = next((v for v in _versions(rows, visit.id)
                            if v.version == visit.version), None)
            try:
                trial = self._trial(trial_id) if version is None \
                    else self._stored_trial(rows, version.trial_sha256)
                stage_title = _visit_title(trial.stage(visit.stage_id), visit.stage_id,
                                           visit.repeat)
            except ScreeningRefused:
                stage_title = visit.stage_id
            title = f"{trial_id} {stage_title}"
            if version is None:
                moved.append(title)
                continue
            stored = rows("SELECT content FROM stage_version WHERE id = ?", (version.id,))
            try:
                now, _decision = self._now_content(rows, visit, version)
            except ScreeningRefused:
                moved.append(title)
                continue
            if now.decode("utf-8") != stored[0][0]:
                moved.append(title)
        return moved

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
                      parties: Sequence[OverrideParty] = ()) -> SignatureRow:
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
        offset)."""
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
            session.add(signature)
            session.flush()
            assert signature.id is not None
            self._audit(session, "visit.signature", "visit", visit.id,
                        {"meaning": meaning.value, "action": action.value,
                         "user_id": user_id, "printed_name": printed_name, "role": role,
                         "signed_at": signature.signed_at, "version": version.version,
                         "trial_id": screening.trial_id,
                         "content_sha256": version.content_sha256,
                         "rationale": kept_rationale, "parties": kept_parties})
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

