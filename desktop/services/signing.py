"""Signing a completed stage: both components re-entered every time (21 CFR 11.200(a)),
a meaning from role and decision, linked to exactly the content decided (11.50, 11.70).

``SigningService.sign`` checks, in this order, and refuses with the reason (nothing is
written but the failed attempt, which counts toward the lockout like a failed login):

1. the user id typed is the logged-in user's (a signature is its owner's alone);
2. the password, through ``AccountService.login``: a wrong one counts toward the
   lockout; an inactive or locked account is refused; a reset (one-time) or expired
   password never signs;
3. the role: "Prepared by" takes a coordinator, a confirmation or an override an
   investigator (``desktop.domain.signing.signer_problem``);
4. an investigator's delegation for the trial in force today (the delegation log);
5. where the site has a signing authority (issue 16), the signer's own key, unlocked with
   the password typed, and its certificate (``NoSigningKey`` says why not): the stage's
   worksheet is signed with it (``worksheet_signing``);
6. the stage and the state machine, in the registry (``add_signature``): completed,
   the transition allowed, the covered data as it was decided, an override's rationale
   and named parties; the signed worksheet is kept with the signature, or neither is.

``request`` says what a signature would sign and mean (for the dialog), ``standing``
whether the signatures still hold, ``open_correction`` starts a new version. No Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING

from desktop.domain.accounts import Role, delegated
from desktop.domain.signing import (
    Action,
    Meaning,
    OverrideParty,
    meaning_for,
    other_parties,
    override_refusal,
    signer_problem,
)
from desktop.domain.trial import Trial
from desktop.registry.database import Registry
from desktop.registry.delegations import DelegationRepository
from desktop.registry.screening_rows import VisitRow
from desktop.registry.screenings import (
    ScreeningRefused,
    ScreeningRepository,
    SiteUlnSource,
    TrialSource,
)
from desktop.registry.signature_rows import Shown, SignatureRow, StageVersionRow, Standing
from desktop.services.accounts import AccountService, LoginRefused
from desktop.services.acting import Actor, NotPermitted, acting
from desktop.zone import site_zone

if TYPE_CHECKING:
    from desktop.services.keys import KeyService

__all__ = ["Action", "LoginRefused", "Meaning", "NotPermitted", "OverrideParty",
           "ScreeningRefused", "Shown", "SignatureRow", "SigningRequest", "SigningService",
           "StageVersionRow", "Standing"]


@dataclass(frozen=True)
class SigningRequest:
    """What the signing dialog shows: what is signed, the meaning, who else must be
    named (an override), and why it cannot be given (None: it can)."""

    visit: VisitRow
    trial_id: str
    action: Action
    meaning: Meaning
    decision: str
    #: The other parties an override needs (role names as the protocol gives them).
    parties: tuple[str, ...]
    override_text: str | None
    problem: str | None
    #: The version, decision and content hash shown: ``sign`` signs exactly these.
    shown: Shown


class SigningService:
    def __init__(self, registry: Registry, actor: Actor | str, accounts: AccountService, *,
                 repository: ScreeningRepository,
                 clock: Callable[[], datetime] = datetime.now,
                 keys: KeyService | None = None) -> None:
        from desktop.services.worksheet_signing import WorksheetSigner
        from desktop.services.worksheets import WorksheetService

        self._registry = registry
        self.actor = acting(actor)
        self._accounts = accounts
        self._repository = repository
        self._delegations = DelegationRepository(registry)
        self._clock = clock
        self._keys = keys or accounts.keys
        self._documents = WorksheetSigner(
            self._keys,
            WorksheetService(registry, self.actor, repository=repository))

    @classmethod
    def open(cls, registry: Registry, actor: Actor | str, accounts: AccountService, *,
             clock: Callable[[], datetime] = datetime.now, trials: TrialSource | None = None,
             site_uln: Mapping[str, Fraction] | SiteUlnSource | None = None,
             keys: KeyService | None = None) -> SigningService:
        user = acting(actor)
        repository = ScreeningRepository(registry, user.user_id, clock, trials=trials,
                                         site_uln=site_uln)
        return cls(registry, user, accounts, repository=repository, clock=clock, keys=keys)

    # -- what would be signed --------------------------------------------------------

    def _trial_of(self, visit: VisitRow) -> str:
        return self._repository.screening(visit.screening_id).trial_id

    def _delegated(self, user_id: str, trial_id: str) -> bool:
        return delegated([row.line for row in self._delegations.all()], user_id, trial_id,
                         self._clock().date())

    def _role_problem(self, signer: Actor, action: Action, trial_id: str) -> str | None:
        problem = signer_problem(signer, action)
        if problem is None and action is not Action.PREPARE \
                and not self._delegated(signer.user_id, trial_id):
            problem = (f"{signer.full_name} has no delegation in force today to sign for "
                       f"{trial_id} (see the delegation log).")
        return problem

    def _decided(self, visit: VisitRow, trial_id: str) -> Trial:
        """The trial file the visit was decided under (else the library's)."""
        return self._repository.decided_trial(visit.id) or self._repository.trial(trial_id)

    def request(self, visit_id: int, action: Action) -> SigningRequest:
        """What signing ``visit_id`` doing ``action`` would sign and mean, for the actor."""
        visit = self._repository.visit(visit_id)
        trial_id = self._trial_of(visit)
        decision = visit.decision or "incomplete"
        stage = self._decided(visit, trial_id).stage(visit.stage_id)
        override = None if stage is None else stage.override
        problem = self._role_problem(self.actor, action, trial_id) \
            or self._keys.signing_problem(self.actor.user_id)
        if visit.status != "completed":
            problem = "Only a completed stage is signed: complete it first."
        parties = tuple(other_parties(override.agreed_by)) \
            if override is not None and action is Action.OVERRIDE else ()
        try:
            shown = self._repository.shown(visit_id)
        except ScreeningRefused as exc:  # a stage from before signatures that cannot be re-run
            shown = Shown(visit.version, decision, "")
            problem = problem or str(exc)
        return SigningRequest(visit, trial_id, action, meaning_for(action, decision),
                              decision, parties,
                              None if override is None else override.text, problem, shown)

    def override_allowed(self, visit_id: int) -> bool:
        """Whether the protocol lets the visit's stage proceed after a screen failure."""
        visit = self._repository.visit(visit_id)
        stage = self._decided(visit, self._trial_of(visit)).stage(visit.stage_id)
        return stage is not None and stage.override is not None

    def override_problem(self, visit_id: int) -> str | None:
        """Why the actor cannot approve proceeding on the visit now (None: they can): the
        stage's rule (``desktop.domain.signing.override_refusal``) first, then who
        signs. The same rules ``sign`` refuses with, for a button to say before."""
        visit = self._repository.visit(visit_id)
        trial_id = self._trial_of(visit)
        stage = self._decided(visit, trial_id).stage(visit.stage_id)
        rule = override_refusal(visit.status, visit.decision,
                                override_allowed=stage is not None
                                and stage.override is not None,
                                locked=visit.confirmed or visit.approved)
        return rule or self._role_problem(self.actor, Action.OVERRIDE, trial_id) \
            or self._keys.signing_problem(self.actor.user_id)

    def available(self, visit_id: int) -> list[Action]:
        """The signatures the actor's roles could give on the visit now, in order."""
        visit = self._repository.visit(visit_id)
        if visit.status != "completed" or visit.confirmed or visit.approved:
            return []
        actions: list[Action] = []
        if Role.COORDINATOR in self.actor.roles and "prepare" not in visit.signed_actions:
            actions.append(Action.PREPARE)
        if Role.INVESTIGATOR in self.actor.roles:
            actions.append(Action.CONFIRM)
            if visit.decision == "not_eligible":
                stage = self._decided(visit, self._trial_of(visit)).stage(visit.stage_id)
                if stage is not None and stage.override is not None:
                    actions.append(Action.OVERRIDE)
        return actions

    # -- signing ---------------------------------------------------------------------

    def sign(self, visit_id: int, action: Action, user_id: str, password: str, *,
             shown: Shown, rationale: str = "",
             parties: Sequence[OverrideParty] = ()) -> SignatureRow:
        """Sign the visit doing ``action``; see the module docstring for the checks.
        ``shown``: what the signer was shown (``SigningRequest.shown``); the signature
        is refused if the stage is no longer that version, decision and content.

        Raises ``LoginRefused`` (the password check), ``NotPermitted`` (who signs),
        ``ScreeningRefused`` or ``ValidationFailed`` (the stage, the override)."""
        typed = user_id.strip()
        if typed != self.actor.user_id:
            raise NotPermitted(f"Only the logged-in user ({self.actor.user_id}) signs here; "
                               f"{typed or 'no user id'} was typed. Another person logs in "
                               "to sign.")
        signer = self._accounts.login(typed, password, action="signature.check")
        trial_id = self._trial_of(self._repository.visit(visit_id))
        problem = self._role_problem(signer, action, trial_id)
        if problem is not None:
            raise NotPermitted(problem)
        role = Role.COORDINATOR if action is Action.PREPARE else Role.INVESTIGATOR
        signed_at = self._now()
        # The worksheet signed with the signer's own key (a site with a signing authority):
        # kept with the signature in its write session, or neither is.
        document = self._documents.document(
            visit_id, action, signer.user_id, password, printed_name=signer.full_name,
            role=role.label, meaning=meaning_for(action, shown.decision), signed_at=signed_at)
        return self._repository.add_signature(
            visit_id, user_id=signer.user_id, printed_name=signer.full_name,
            role=role.label, action=action, signed_at=signed_at, shown=shown,
            rationale=rationale, parties=parties, document=document)

    def _now(self) -> datetime:
        """Now, as local time with its UTC offset (in the site's zone)."""
        now = self._clock()
        zone = site_zone()
        if now.tzinfo is None:
            return now.replace(tzinfo=zone) if zone is not None else now.astimezone()
        return now.astimezone(zone) if zone is not None else now.astimezone()

    # -- reading and correcting ---------------------------------------------------

    def standing(self, visit_id: int) -> Standing:
        return self._repository.standing(visit_id)

    def versions(self, visit_id: int) -> list[StageVersionRow]:
        return self._repository.stage_versions(visit_id)

    def correction_refusal(self, visit_id: int) -> str | None:
        """Why a correction of the visit cannot be opened now (None: it can)."""
        return self._repository.correction_refusal(visit_id)

    def open_correction(self, visit_id: int, reason: str) -> VisitRow:
        """Reopen a completed stage as its next version (a coordinator's or an
        investigator's step; the earlier version and its signatures stay)."""
        from desktop.services.acting import Permission, need

        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.open_correction(visit_id, reason)
