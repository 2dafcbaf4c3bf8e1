"""The visit form's mode and gating: draft or completed (read-only, with its record,
stored decision and signatures), the buttons, and completion (the signing and
correction flows are ``visit_signing``'s).

The form is read-only too, draft or not, for someone who may not enter data (a
monitor, an administrator alone: the service's ``may_enter_data``): every input is
disabled, a line above the form says why, and nothing is saved from it, not even when
it closes. Complete is offered only where the service's ``may_complete`` allows it.
The signing buttons are the signing service's ``available`` actions for the logged-in
user (Prepare, Confirm, Approve to proceed), each disabled with the service's reason
where it cannot be given; the record lists each signature's manifestation and, from
``standing``, whether the data or the verdict moved since. The services refuse each
of those whatever the form offers.
"""

from __future__ import annotations

from html import escape
from typing import Final, cast

from PySide6.QtWidgets import QPushButton

from desktop.domain.accounts import Role
from desktop.domain.engine import CriterionResult, Outcome, Verdict
from desktop.domain.units import display_text
from desktop.domain.visits import completion_refusal
from desktop.domain.wording import clause, criterion_ref
from desktop.services.rows import (
    PatientChangeRow,
    RegistryError,
    VisitRow,
    changed_after_completion,
)
from desktop.services.signing import (
    Action,
    SignatureRow,
    SigningRequest,
    StageVersionRow,
    Standing,
)
from desktop.ui.screening.role_words import COMPLETES, refusal
from desktop.ui.screening.screening_summary import changes_text
from desktop.ui.screening.signing_dialog import version_words
from desktop.ui.screening.visit_base import (
    COMPLETE_TIP,
    DECISION_WORDS,
    WORD,
    VisitFormState,
    local_time,
)
from desktop.ui.screening.visit_style import ERROR_COLOUR, HINT_COLOUR, LOOKS
from desktop.ui.screening.why import offer, show_reasons

#: The signing buttons' words ({meaning}: the request's meaning).
SIGN_LABELS: Final = {Action.PREPARE: "Prepare… ({meaning})",
                      Action.CONFIRM: "Confirm… ({meaning})",
                      Action.OVERRIDE: "Approve to proceed…"}
CORRECTION_TIP: Final = ("Reopen this stage as a new version, with the reason: the "
                         "version signed stays in the record, and the new one needs its "
                         "own signatures.")

#: Characters of a criterion's text in a message (its number comes first, in full).
CRITERION_WORDS = 80


class VisitGating(VisitFormState):
    """Mode, completion, override and signature (part of ``VisitForm``)."""

    @property
    def visit(self) -> VisitRow:
        return self._visit

    @property
    def read_only(self) -> bool:
        """Whether nothing is written from the form: the visit is completed (or not
        loaded), or the logged-in user may not enter data."""
        return not self._open_draft or not self._repository.may_enter_data

    @property
    def _open_draft(self) -> bool:
        """The visit is a draft, loaded: it follows the registry and is evaluated live."""
        return self._visit.status == "draft" and self._loaded

    def entry_refusal(self) -> str | None:
        """Why the logged-in user may not enter data here (None: they may), as the
        service says."""
        return refusal(self._repository.actor, self._repository.may_enter_data)

    def _refresh_mode(self) -> None:
        """Draft: live and editable. Completed: read-only, with its record and decision.
        A draft is read-only, still live, for someone who may not enter data."""
        read_only = self.read_only
        why_not = self.entry_refusal()
        self.role_note.setText("" if why_not is None else
                               f"{why_not} This visit is shown read-only: nothing is "
                               f"saved from it.")
        self.role_note.setVisible(why_not is not None)
        for event_row in self.event_rows.values():
            event_row.set_read_only(read_only)
        for row in self.result_rows.values():
            row.set_read_only(read_only)
        for fact_row in self.fact_rows.values():
            fact_row.set_read_only(read_only)
        for card in self.questions.values():
            card.set_read_only(read_only)
        self._update_due()
        if self._visit.status == "draft":
            self._show_correction()
            self._evaluate()
        else:
            self._show_completed()
        self._update_buttons()

    def _update_buttons(self) -> None:
        draft = self._open_draft
        why_not_complete = refusal(self._repository.actor, self._repository.may_complete,
                                   COMPLETES)
        if why_not_complete is None and draft:
            why_not_complete = "The stage is being evaluated." if self.verdict is None \
                else completion_refusal(self.verdict)
        self.complete_button.setVisible(self._visit.status == "draft")
        offer(self.complete_button, why_not_complete if draft else "", COMPLETE_TIP)
        available = self._available()
        for action, button in self._signing_buttons().items():
            request = self._request(action) if action in available else None
            button.setVisible(request is not None)
            if request is None:
                continue
            words = request.meaning.value
            button.setText(SIGN_LABELS[action].format(meaning=words))
            offer(button, request.problem, f"Sign: {words} (your user id and password, "
                                           f"typed again).")
        if Action.OVERRIDE not in available:
            self._offer_override()
        completed = self._visit.status == "completed"
        why_not = self.entry_refusal()
        if why_not is None and completed and self._signing is not None:
            try:
                why_not = self._signing.correction_refusal(self._visit.id)
            except RegistryError as exc:
                why_not = str(exc)
        self.correction_button.setVisible(completed and self._signing is not None)
        offer(self.correction_button, why_not if completed else "", CORRECTION_TIP)
        show_reasons(self.why_line, [self.complete_button, *self._signing_buttons().values(),
                                     self.correction_button])

    def _offer_override(self) -> None:
        """Approve to proceed, where the protocol allows it at this stage and an
        investigator is logged in, shown disabled with the service's reason while it
        cannot be given (a draft, a stage not decided not eligible)."""
        button = self.override_button
        signing = self._signing
        visit = self._visit
        shown = signing is not None and Role.INVESTIGATOR in signing.actor.roles \
            and visit.decision != "eligible" and not (visit.confirmed or visit.approved)
        why_not: str | None = None
        if shown and signing is not None:
            try:
                shown = signing.override_allowed(visit.id)
                why_not = signing.override_problem(visit.id)
            except RegistryError as exc:
                why_not = str(exc)
        button.setVisible(shown)
        button.setText(SIGN_LABELS[Action.OVERRIDE])
        offer(button, why_not or "The stage cannot be approved to proceed now.",
              "")

    def _signing_buttons(self) -> dict[Action, QPushButton]:
        return {Action.PREPARE: self.prepare_button, Action.CONFIRM: self.sign_button,
                Action.OVERRIDE: self.override_button}

    def _available(self) -> list[Action]:
        """The signatures the logged-in user could give here now, as the service says."""
        if self._signing is None or self._visit.status != "completed":
            return []
        try:
            return self._signing.available(self._visit.id)
        except RegistryError:
            return []

    def _request(self, action: Action) -> SigningRequest | None:
        if self._signing is None:
            return None
        try:
            return self._signing.request(self._visit.id, action)
        except RegistryError:
            return None

    def _standing(self) -> tuple[Standing | None, list[StageVersionRow]]:
        """The current version's signatures and whether they hold; every version."""
        completed = self._visit.status == "completed"
        if self._signing is None or (not completed and self._visit.version == 1):
            return None, []  # a first draft has no versions yet
        try:
            standing = self._signing.standing(self._visit.id) if completed else None
            return standing, self._signing.versions(self._visit.id)
        except RegistryError as exc:
            self._messages.error(self, "Signatures not read", str(exc))
            return None, []

    def _show_completed(self) -> None:
        visit = self._visit
        results = self._snapshot_results()
        self.verdict = Verdict(self._trial, self._stage, tuple(results))
        self._apply(self.verdict)
        word = WORD.get(visit.decision or "", "—")
        names = self._names
        completed_by = names.who(visit.completed_by, visit.completed_at) \
            if visit.completed_by else "—"
        version = "" if visit.version == 1 else \
            f" ({escape(version_words(visit.version, visit.correction_reason))})"
        lines = [f"<b>Completed: {escape(word)}</b>{version} — by {escape(completed_by)} "
                 f"on {local_time(visit.completed_at)}; assessed as of "
                 f"{local_time(visit.assessed_at)}. Read-only."]
        standing, versions = self._standing()
        if standing is not None:
            for signature in standing.signatures:
                lines.append(_signature_line(signature))
            if not standing.signatures and self._signing is not None \
                    and visit.signed_by is None and visit.override is None:
                lines.append(f"<i>Not signed yet.</i>{_waits(visit)}")
        if visit.signed_by:
            signer = names.signoff(visit.signed_by, visit.signed_at)
            lines.append(f"Legacy sign-off: {escape(signer)} on "
                         f"{local_time(visit.signed_at)} (typed name, before electronic "
                         f"signatures).")
        if visit.override is not None:
            o = visit.override
            lines.append(f"Legacy override: agreed by {escape(o.agreed_by)}; recorded by "
                         f"{escape(o.recorded_by)} on {local_time(o.recorded_at)}.<br>"
                         f"Rationale: {escape(o.rationale)}")
        if standing is not None:
            lines.extend(_standing_lines(standing))
        lines.extend(_earlier_lines(versions, visit))
        changes = self._changes_after_completion()
        if changes:
            lines.append(f"<span style='color:{ERROR_COLOUR}; font-weight:600'>"
                         f"{escape(changes_text(changes))}.</span> The stored decision was "
                         f"assessed with the earlier value.")
        self.record_box.setText("<br>".join(lines))
        self.record_box.show()
        self.status.setText("This visit is completed and cannot be changed; a correction "
                            "opens a new version.")

    def _show_correction(self) -> None:
        """A draft correction: which version, why, and what came before."""
        visit = self._visit
        if visit.version == 1:
            self.record_box.hide()
            return
        _standing, versions = self._standing()
        lines = [f"<b>Correction in progress</b>: "
                 f"{escape(version_words(visit.version, visit.correction_reason))}. The "
                 f"earlier version and its signatures stay in the record."]
        lines.extend(_earlier_lines(versions, visit))
        self.record_box.setText("<br>".join(lines))
        self.record_box.show()

    def _changes_after_completion(self) -> list[PatientChangeRow]:
        """Date of birth or sex changed after this visit was completed (the audit)."""
        try:
            changes = self._repository.patient_changes(self._patient.id)
        except RegistryError as exc:
            self._messages.error(self, "Patient changes not read", str(exc))
            return []
        return changed_after_completion(changes, self._visit)

    def _snapshot_results(self) -> list[CriterionResult]:
        """The outcomes stored at completion (what was decided), in protocol order."""
        snapshot: dict[str, object] | None = None
        try:
            snapshot = self._repository.verdict_snapshot(self._visit.id)
        except RegistryError as exc:
            self._messages.error(self, "Stored decision not read", str(exc))
        stored: dict[str, tuple[str, str]] = {}
        criteria = snapshot.get("criteria") if snapshot else None
        if isinstance(criteria, list):
            for item in criteria:
                if isinstance(item, dict):
                    stored[str(item.get("id"))] = (str(item.get("outcome")),
                                                   str(item.get("reason")))
        results = []
        for criterion in self._stage.criteria:
            outcome, reason = stored.get(criterion.id, ("unknown", "Not in the stored "
                                                                   "decision"))
            if outcome not in LOOKS:
                outcome, reason = "unknown", f"Stored outcome {outcome!r} not understood"
            results.append(CriterionResult(criterion, cast(Outcome, outcome), reason))
        return results

    def complete(self) -> None:
        """Ask the registry to complete the stage, after saving and a confirmation.

        The registry decides: it evaluates what it holds for the visit (never what the
        screen holds) and stores that decision; the question shows what it would
        decide now, and completion is refused if that changed before the answer."""
        if not self._open_draft or not self._repository.may_complete:
            return  # the button says why
        self.refresh_patient()
        self.refresh_entries()  # the screen as the registry holds it, where not edited
        if not self._open_draft:  # completed in another window meanwhile: shown as completed
            self._messages.error(self, "Stage not completed", (
                f"{self._stage.title} was completed in another window by "
                f"{self._visit.completed_by or '—'} on {local_time(self._visit.completed_at)}."))
            return
        pending = self.flush()
        if pending:
            self._messages.error(self, "Stage not completed",
                                 "These entries are not saved yet; correct or clear them "
                                 "first: " + "; ".join(clause(p) for p in pending) + ".")
            return
        self._evaluate()  # the screen as of now, as the registry will assess it
        try:
            verdict = self._repository.evaluate_visit(self._visit.id)
        except RegistryError as exc:
            self._messages.error(self, "Stage not completed", str(exc))
            return
        decision = verdict.decision
        if decision == "incomplete":
            unknown = "; ".join(criterion_ref(self._stage, r.id, CRITERION_WORDS)
                                for r in verdict.missing)
            count = len(verdict.missing)
            self._messages.error(self, "Stage not completed",
                                 f"The saved entries leave {count} "
                                 f"criteri{'on' if count == 1 else 'a'} unknown ({unknown}); "
                                 f"the stage can be completed only as eligible or not "
                                 f"eligible.")
            return
        word = WORD[decision]
        failing = "; ".join(criterion_ref(self._stage, r.id, CRITERION_WORDS)
                            for r in verdict.failing)
        detail = f" Not met: {failing}." if failing else ""
        shown = self.verdict.decision if self.verdict is not None else decision
        differs = "" if shown == decision else (
            f" Note: the screen showed {DECISION_WORDS[shown]}; what is saved decides "
            f"{word}. Review the outcomes if that is unexpected.")
        text = (f"Complete “{display_text(self._stage.title)}” as {word}? The registry decides "
                f"from what is saved for this visit, assessed now.{detail}{differs} Once "
                f"completed, this visit's answers, planned dates and decision cannot be "
                f"changed.")
        if not self._messages.confirm(self, "Complete stage", text, f"Complete as {word}"):
            return
        try:
            self._visit = self._repository.complete(self._visit.id, expect=decision)
        except RegistryError as exc:
            self._evaluate()
            self._messages.error(self, "Stage not completed", str(exc))
            return
        self._refresh_mode()
        self.changed.emit(self._visit.id)


def _signature_line(signature: SignatureRow) -> str:
    line = f"<b>{escape(signature.manifestation)}</b>"
    if signature.rationale:
        line += f"<br>Rationale: {escape(signature.rationale)}"
    for party in signature.parties:
        line += (f"<br>{escape(party.role)}: {escape(party.name)}, agreed on "
                 f"{party.agreed_on:%Y-%m-%d} ({escape(party.documented_as)})")
    return line


def _waits(visit: VisitRow) -> str:
    if visit.decision == "eligible" and not visit.open_before_signature:
        return " The next stage opens once an investigator confirms this one."
    return ""


def _standing_lines(standing: Standing) -> list[str]:
    """The red lines: the signed data moved, the verdict would differ today."""
    style = f"color:{ERROR_COLOUR}; font-weight:600"
    lines = []
    if standing.data_changed:
        changed = "; ".join(standing.changes) or (standing.problem or "")
        lines.append(f"<span style='{style}'>Data changed since signing: "
                     f"{escape(changed)}.</span>")
    if standing.verdict_differs:
        now = DECISION_WORDS.get(standing.decision_now or "", standing.decision_now or "—")
        lines.append(f"<span style='{style}'>Verdict would differ today: "
                     f"{escape(now)}.</span>")
    if standing.protocol_changed and standing.version is not None:
        lines.append(f"Decided under an earlier version of the trial file (kept in the "
                     f"registry, SHA-256 {standing.version.trial_sha256[:16]}…); the "
                     f"outcomes and reasons shown are the ones stored then, the criteria "
                     f"texts today's.")
    return lines


def _earlier_lines(versions: list[StageVersionRow], visit: VisitRow) -> list[str]:
    """E.g. "Version 1: not eligible, signed by …; superseded by a correction: …"."""
    reasons = {v.version: v.correction_reason for v in versions}
    reasons[visit.version] = visit.correction_reason
    lines = []
    for version in versions:
        if version.version >= visit.version:
            continue
        word = DECISION_WORDS.get(version.decision, version.decision)
        signers = ", ".join(f"{s.meaning.value.lower()} {s.printed_name} ({s.user_id})"
                            for s in version.signatures)
        if version.legacy:
            signers = ", ".join(w for w in (signers, version.legacy) if w)
        signed = f", {signers}" if signers else ", not signed"
        why = reasons.get(version.version + 1) or "—"
        lines.append(f"<span style='color:{HINT_COLOUR}'>Version {version.version}: "
                     f"{escape(word)}{escape(signed)}; superseded by a correction: "
                     f"{escape(why)}.</span>")
    return lines
