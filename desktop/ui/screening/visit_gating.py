"""The visit form's mode and gating: draft or completed (read-only, with its record and
stored decision), the buttons, and the completion, override and signature flows.

The form is read-only too, draft or not, for someone who may not enter data (a
monitor, an administrator alone: the service's ``may_enter_data``): every input is
disabled, a line above the form says why, and nothing is saved from it, not even when
it closes. Complete is offered only where the service's ``may_complete`` allows it,
Override and Sign only to an investigator; each disabled button's tooltip says why.
The service refuses each of those whatever the form offers.
"""

from __future__ import annotations

from html import escape
from typing import cast

from desktop.domain.engine import CriterionResult, Outcome, Verdict
from desktop.domain.visits import can_complete
from desktop.services.rows import (
    PatientChangeRow,
    RegistryError,
    VisitRow,
    changed_after_completion,
)
from desktop.services.screening import signed_refusal
from desktop.ui.screening.override_dialog import OverrideDialog
from desktop.ui.screening.role_words import COMPLETES, OVERRIDES, refusal
from desktop.ui.screening.screening_summary import changes_text
from desktop.ui.screening.sign_dialog import SignDialog
from desktop.ui.screening.visit_base import (
    COMPLETE_TIP,
    DECISION_WORDS,
    WORD,
    VisitFormState,
    local_time,
)
from desktop.ui.screening.visit_style import ERROR_COLOUR, LOOKS


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
            self.record_box.hide()
            self._evaluate()
        else:
            self._show_completed()
        self._update_buttons()

    def _update_buttons(self) -> None:
        draft = self._open_draft
        decided = self.verdict is not None and can_complete(self.verdict.decision)
        why_not_complete = refusal(self._repository.actor, self._repository.may_complete,
                                   COMPLETES)
        self.complete_button.setEnabled(draft and decided and why_not_complete is None)
        self.complete_button.setVisible(self._visit.status == "draft")
        self.complete_button.setToolTip(why_not_complete or COMPLETE_TIP)
        stage_allows = self._stage.override is not None
        self.override_button.setVisible(stage_allows)
        why_not = self.override_refusal()
        self.override_button.setEnabled(stage_allows and why_not is None)
        self.override_button.setToolTip(
            why_not or "Proceed after review: record the rationale and who agreed.")
        self.sign_button.setVisible(self._visit.status == "completed")
        why_not_sign = self.sign_refusal()
        self.sign_button.setEnabled(why_not_sign is None)
        self.sign_button.setToolTip(why_not_sign or "The investigator confirms the recorded "
                                                    "decision")

    def sign_refusal(self) -> str | None:
        """Why the logged-in user cannot sign this visit now (None: they can); the service
        refuses the same, whatever this button shows."""
        if self._visit.status != "completed":
            return "Only a completed stage is signed."
        if self._visit.signed_by is not None:
            return f"Signed by {self._visit.signed_by}."
        actor = self._repository.actor
        if not self._repository.may_sign:
            return (f"Logged in as {actor.roles_label}: only an investigator signs.")
        if not self._repository.delegated(self._trial.id):
            return (f"{actor.full_name} has no delegation in force today to sign for "
                    f"{self._trial.id} (the administrator records it in the delegation "
                    "log).")
        return None

    def override_refusal(self) -> str | None:
        """Why the stage cannot be overridden now (None: it can), as the registry says;
        once the visit allows it, why the logged-in user cannot (only an investigator
        approves an override, as the service says)."""
        visit = self._visit
        title = self._stage.title
        if self._stage.override is None:
            return f"The protocol does not allow proceeding after a not-eligible {title}."
        if visit.status != "completed":
            return "An override is possible once the stage is completed not eligible."
        if visit.decision != "not_eligible":
            return f"Only a {title} visit completed not eligible can be overridden."
        if visit.override is not None:
            return f"{title} has already been overridden."
        why = signed_refusal(visit, title) or refusal(self._repository.actor,
                                                      self._repository.may_sign, OVERRIDES)
        if why is None and not self._repository.delegated(self._trial.id):
            why = (f"{self._repository.actor.full_name} has no delegation in force today "
                   f"for {self._trial.id} (the administrator records it in the delegation "
                   "log).")
        return why

    def _show_completed(self) -> None:
        visit = self._visit
        results = self._snapshot_results()
        self.verdict = Verdict(self._trial, self._stage, tuple(results))
        self._apply(self.verdict)
        word = WORD.get(visit.decision or "", "—")
        names = self._names
        completed_by = names.who(visit.completed_by, visit.completed_at) \
            if visit.completed_by else "—"
        lines = [f"<b>Completed: {escape(word)}</b> — by {escape(completed_by)} "
                 f"on {local_time(visit.completed_at)}; assessed as of "
                 f"{local_time(visit.assessed_at)}. Read-only."]
        if visit.signed_by:
            signer = names.signoff(visit.signed_by, visit.signed_at)
            lines.append(f"Signed by {escape(signer)} on {local_time(visit.signed_at)}.")
            if self._stage.override is not None and visit.decision == "not_eligible" \
                    and visit.override is None:
                lines.append("The signature confirms the screen failure: the stage can "
                             "no longer be overridden.")
        if visit.override is not None:
            o = visit.override
            lines.append(f"<b>Overridden</b>: proceeding after review, agreed by "
                         f"{escape(o.agreed_by)}; recorded by {escape(o.recorded_by)} on "
                         f"{local_time(o.recorded_at)}.<br>Rationale: {escape(o.rationale)}")
        changes = self._changes_after_completion()
        if changes:
            lines.append(f"<span style='color:{ERROR_COLOUR}; font-weight:600'>"
                         f"{escape(changes_text(changes))}.</span> The stored decision was "
                         f"assessed with the earlier value.")
        self.record_box.setText("<br>".join(lines))
        self.record_box.show()
        self.status.setText("This visit is completed and cannot be changed.")

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
                                 "first: " + "; ".join(pending) + ".")
            return
        self._evaluate()  # the screen as of now, as the registry will assess it
        try:
            verdict = self._repository.evaluate_visit(self._visit.id)
        except RegistryError as exc:
            self._messages.error(self, "Stage not completed", str(exc))
            return
        decision = verdict.decision
        if decision == "incomplete":
            unknown = ", ".join(r.id for r in verdict.missing)
            self._messages.error(self, "Stage not completed",
                                 f"The saved entries leave {len(verdict.missing)} criteria "
                                 f"unknown ({unknown}); the stage can be completed only as "
                                 f"eligible or not eligible.")
            return
        word = WORD[decision]
        failing = ", ".join(r.id for r in verdict.failing)
        detail = f" Failing: {failing}." if failing else ""
        shown = self.verdict.decision if self.verdict is not None else decision
        differs = "" if shown == decision else (
            f" Note: the screen showed {DECISION_WORDS[shown]}; what is saved decides "
            f"{word}. Review the outcomes if that is unexpected.")
        text = (f"Complete {self._stage.title} as {word.upper()}? The registry decides "
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

    def open_override(self) -> None:
        """The override dialog (window-modal; ``override_dialog`` while open)."""
        override = self._stage.override
        if override is None or not self.override_button.isEnabled():
            return

        def submit(rationale: str, agreed_by: str) -> VisitRow:
            return self._repository.override(self._visit.id, self._trial, rationale,
                                             agreed_by)

        dialog = OverrideDialog(self, override, submit, self._messages)
        dialog.accepted.connect(lambda: self._override_recorded(dialog))
        dialog.finished.connect(lambda _code: setattr(self, "override_dialog", None))
        self.override_dialog = dialog
        dialog.open()

    def open_sign(self) -> None:
        """The investigator's signature (window-modal; ``sign_dialog`` while open)."""
        if not self.sign_button.isEnabled():
            return
        visit = self._visit
        decision = WORD.get(visit.decision or "", "—")
        if visit.override is not None:
            decision += f", overridden (agreed by {visit.override.agreed_by})"
        statement = (f"I have reviewed the outcomes of {self._stage.title} for "
                     f"{self._patient.family_name.upper()}, {self._patient.given_name} "
                     f"(MRN {self._patient.mrn}) and confirm the decision: {decision}.")
        if self.override_refusal() is None:
            statement += (" Signing confirms the screen failure: the stage can then no "
                          "longer be overridden.")
        actor = self._repository.actor
        dialog = SignDialog(self, statement,
                            lambda: self._repository.sign(visit.id, self._trial.id),
                            self._messages, f"{actor.full_name} ({actor.user_id})")
        dialog.accepted.connect(lambda: self._signed(dialog))
        dialog.finished.connect(lambda _code: setattr(self, "sign_dialog", None))
        self.sign_dialog = dialog
        dialog.open()

    def _signed(self, dialog: SignDialog) -> None:
        if dialog.saved is not None:
            self._visit = dialog.saved
            self._refresh_mode()
            self.changed.emit(self._visit.id)

    def _override_recorded(self, dialog: OverrideDialog) -> None:
        if dialog.saved is not None:
            self._visit = dialog.saved
            self._refresh_mode()
            self.changed.emit(self._visit.id)
