"""The plain rows signatures are read as: one signature, one stage version, and the
standing of a stage's signatures today (data changed since signing, verdict would
differ). Part of ``desktop.registry.screenings``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desktop.domain.signing import Action, Meaning, OverrideParty


@dataclass(frozen=True)
class SignatureRow:
    """One signature's manifestation (11.50) and what it is linked to (11.70)."""

    id: int
    visit_id: int
    version: int
    action: Action
    meaning: Meaning
    user_id: str
    printed_name: str
    role: str
    #: Local date and time of signing, with its UTC offset.
    signed_at: datetime
    content_sha256: str
    rationale: str | None = None
    parties: tuple[OverrideParty, ...] = ()

    @property
    def manifestation(self) -> str:
        """The signature as printed: meaning, name, user id, role, date and time."""
        return (f"{self.meaning.value} {self.printed_name} ({self.user_id}, {self.role}) "
                f"on {self.signed_at:%Y-%m-%d %H:%M:%S %z}")


@dataclass(frozen=True)
class StageVersionRow:
    """One completion of a visit: version 1, then one per correction."""

    id: int
    visit_id: int
    version: int
    decision: str
    completed_at: datetime
    completed_by: str
    trial_sha256: str
    content_sha256: str
    correction_reason: str | None
    #: "completion"; for a stage completed before signatures, "signing" or "correction"
    #: (when its content was captured: the verdict and decision are the ones it had).
    captured: str
    signatures: tuple[SignatureRow, ...] = ()
    #: Version 1 of a stage signed before electronic signatures: its typed sign-off or
    #: "agreed by", as words to show.
    legacy: str | None = None


@dataclass(frozen=True)
class Shown:
    """What the signer was shown: the version, its decision and the content hash (for a
    stage completed before signatures, of the content a signature would capture now; None
    for a stage not completed)."""

    version: int
    decision: str
    content_sha256: str | None


@dataclass(frozen=True)
class Standing:
    """The current version's signatures, and whether what they signed still holds.

    ``changes``: each covered thing that differs from the signed content today ("result
    creatinine changed", "the patient's date of birth changed"); ``decision_now``: the
    decision the stage gets today, re-run under its own trial version with today's
    engine on what the registry holds; ``problem``: why it could not be re-run."""

    version: StageVersionRow | None
    changes: tuple[str, ...] = ()
    decision_now: str | None = None
    problem: str | None = None
    #: The trial library's file for the trial is no longer the one the stage was decided
    #: under (the decision, its re-run and the signed content use the kept one).
    protocol_changed: bool = False

    @property
    def signatures(self) -> tuple[SignatureRow, ...]:
        return () if self.version is None else self.version.signatures

    @property
    def data_changed(self) -> bool:
        """"Data changed since signing": there are signatures and the data moved."""
        return bool(self.signatures) and bool(self.changes or self.problem)

    @property
    def verdict_differs(self) -> bool:
        """"Verdict would differ today": a separate flag, never a silent change."""
        return (self.version is not None and self.decision_now is not None
                and self.decision_now != self.version.decision)
