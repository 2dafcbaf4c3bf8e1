"""The visit form's signing and correction flows: the signing dialog for an action the
signing service offers (refreshed first if another window corrected the stage), and
opening a correction with its reason.

Part of ``VisitForm``; the buttons and the record they change are ``visit_gating``'s.
The signing service decides every signature and correction; these only ask and show.
"""

from __future__ import annotations

from desktop.domain.units import display_text
from desktop.domain.wording import criterion_ref
from desktop.services.rows import RegistryError
from desktop.services.signing import Action, OverrideParty, SignatureRow
from desktop.ui.common.reason_dialog import ReasonDialog
from desktop.ui.screening.signing_dialog import Signed, SigningDialog, version_words
from desktop.ui.screening.visit_gating import VisitGating
from desktop.ui.screening.visit_layout import visit_title


class VisitSigning(VisitGating):
    """Signing and corrections (part of ``VisitForm``)."""

    def open_signing(self, action: Action) -> None:
        """The signing dialog for ``action`` (window-modal; ``signing_dialog`` while
        open)."""
        signing = self._signing
        button = self._signing_buttons()[action]
        if signing is None or not button.isVisible() or not button.isEnabled():
            return  # the button says why
        request = self._request(action)
        if request is None:
            return
        if (request.visit.status, request.visit.version, request.visit.decision) != \
                (self._visit.status, self._visit.version, self._visit.decision):
            # Corrected in another window since this form read it: show it as it is now.
            self._visit = request.visit
            self._load()
            self._refresh_mode()
            self.setWindowTitle(visit_title(self._trial, self._stage, self._visit,
                                            self._patient))
            self.changed.emit(self._visit.id)
            self._messages.error(self, "Not signed", "The stage changed in another window "
                                 "since this form read it; it is shown as it is now. "
                                 "Review it and sign again.")
            return
        if request.problem is not None:
            return
        sha = request.shown.content_sha256
        failing = [] if self.verdict is None or self._visit.decision != "not_eligible" \
            else [f"{criterion_ref(self._stage, r.criterion.id)}: {display_text(r.reason)}"
                  for r in self.verdict.failing]
        patient = self._patient
        signed = Signed(f"{patient.family_name.upper()}, {patient.given_name} "
                        f"(MRN {patient.mrn})", self._stage.title,
                        version_words(self._visit.version, self._visit.correction_reason),
                        tuple(failing), sha)
        actor = signing.actor
        visit_id = self._visit.id

        def submit(user_id: str, password: str, rationale: str,
                   parties: tuple[OverrideParty, ...]) -> SignatureRow:
            return signing.sign(visit_id, action, user_id, password, shown=request.shown,
                                rationale=rationale, parties=parties)

        dialog = SigningDialog(self, request, signed, f"{actor.full_name} ({actor.user_id})",
                               submit, self._clock().date())
        dialog.accepted.connect(lambda: self._signed(dialog))
        dialog.finished.connect(lambda _code: setattr(self, "signing_dialog", None))
        self.signing_dialog = dialog
        dialog.open()

    def _signed(self, dialog: SigningDialog) -> None:
        if dialog.saved is None:
            return
        try:
            self._visit = self._repository.visit(self._visit.id)
        except RegistryError as exc:
            self._messages.error(self, "Visit not read", str(exc))
        self._refresh_mode()
        self.changed.emit(self._visit.id)

    def open_correction(self) -> None:
        """Ask why, then reopen the completed stage as its next version (window-modal;
        ``correction_dialog`` while open)."""
        if self._signing is None or not self.correction_button.isVisible() \
                or not self.correction_button.isEnabled():
            return
        version = self._visit.version + 1
        dialog = ReasonDialog(
            self, "Open a correction",
            f"Reopen {self._stage.title} as version {version}: a draft, decided again when "
            f"it is completed. The version completed now and its signatures stay in the "
            f"record; the new version needs its own signatures. Why is it corrected?",
            "Open correction")
        dialog.accepted.connect(lambda: self._correct(dialog.reason()))
        dialog.finished.connect(lambda _code: setattr(self, "correction_dialog", None))
        self.correction_dialog = dialog
        dialog.open()

    def _correct(self, reason: str) -> None:
        assert self._signing is not None
        try:
            self._visit = self._signing.open_correction(self._visit.id, reason)
        except RegistryError as exc:
            self._messages.error(self, "Correction not opened", str(exc))
            return
        self._load()
        self._refresh_mode()
        self.setWindowTitle(visit_title(self._trial, self._stage, self._visit, self._patient))
        self.changed.emit(self._visit.id)
