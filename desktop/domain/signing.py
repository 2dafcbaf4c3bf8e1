"""Electronic signatures on a completed stage: meanings, the state machine, and the
canonical content a signature is linked to (21 CFR 11.50, 11.70, 11.200).

Pure rules over plain values. The signing service checks the password and writes; what
a signature means, which signature may follow which, and exactly which bytes it covers
are decided here, and tested transition by transition.

**States of a completed stage version.** ``completed`` -> ``prepared`` (a coordinator's
"Prepared by") -> ``confirmed`` (an investigator's "Eligibility confirmed by" or "Screen
failure confirmed by"). An investigator may confirm straight from ``completed``. A
not-eligible stage may instead be approved to proceed by an investigator's override
signature, before any confirmation (``approved``). Once ``confirmed`` or ``approved`` the
version is locked: it changes only through a correction, a new version that needs its own
signatures. The next stage opens only after this one is confirmed eligible or approved by
override; a site may allow opening it once completed eligible, before the signature.

**Signed content.** Canonical, versioned data (``CONTENT_VERSION``): codes, values as typed,
units, times, ULNs with their source, answers with note and source, events, facts and the
decision, never display strings, serialised as sorted-key JSON and hashed with SHA-256.
Rewording a message or a unit label leaves old signatures' hashes as they were.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Final

from desktop.domain.accounts import Actor, Role

#: The version of the canonical content's shape; a new shape gets a new number, and the
#: old one stays readable (its hash is computed the way it was).
CONTENT_VERSION: Final = 1


class Meaning(Enum):
    """What a signature means (11.50(a)(3)), in the words printed beside it."""

    PREPARED = "Prepared by"
    ELIGIBILITY_CONFIRMED = "Eligibility confirmed by"
    SCREEN_FAILURE_CONFIRMED = "Screen failure confirmed by"
    OVERRIDE_APPROVED = "Approved to proceed despite unmet criteria"


class SignState(Enum):
    COMPLETED = "completed"
    PREPARED = "prepared"
    CONFIRMED = "confirmed"
    APPROVED = "approved by override"

    @property
    def locked(self) -> bool:
        """Confirmed or approved: only a correction (a new version) changes it."""
        return self in (SignState.CONFIRMED, SignState.APPROVED)


class Action(Enum):
    PREPARE = "prepare"
    CONFIRM = "confirm"
    OVERRIDE = "override"


class SignRefused(ValueError):
    """The signature cannot be given; the message says why."""


def meaning_for(action: Action, decision: str) -> Meaning:
    """The meaning of a signature doing ``action`` on a stage decided ``decision``."""
    if action is Action.PREPARE:
        return Meaning.PREPARED
    if action is Action.OVERRIDE:
        return Meaning.OVERRIDE_APPROVED
    return (Meaning.ELIGIBILITY_CONFIRMED if decision == "eligible"
            else Meaning.SCREEN_FAILURE_CONFIRMED)


def _role_for(action: Action) -> Role:
    return Role.COORDINATOR if action is Action.PREPARE else Role.INVESTIGATOR


def next_state(state: SignState, action: Action, decision: str, *,
               override_allowed: bool) -> SignState:
    """The state after ``action``; ``SignRefused`` naming why it is not possible.

    ``decision``: the completed stage's ("eligible" or "not_eligible"); ``override_allowed``:
    the protocol lets this stage proceed after review.
    """
    if decision not in ("eligible", "not_eligible"):
        raise SignRefused("Only a completed stage, decided eligible or not eligible, is "
                          "signed.")
    if state.locked:
        word = "confirmed" if state is SignState.CONFIRMED else "approved by override"
        raise SignRefused(f"The stage is {word} and locked: it changes only through a "
                          "correction, a new version with its own signatures.")
    if action is Action.PREPARE:
        if state is SignState.PREPARED:
            raise SignRefused("The stage is prepared already.")
        return SignState.PREPARED
    if action is Action.CONFIRM:
        return SignState.CONFIRMED
    if decision == "eligible":
        raise SignRefused("An eligible stage needs no override.")
    if not override_allowed:
        raise SignRefused("This protocol does not allow proceeding after a screen failure "
                          "at this stage.")
    return SignState.APPROVED


def override_refusal(status: str, decision: str | None, *, override_allowed: bool,
                     locked: bool = False) -> str | None:
    """Why an override (approval to proceed) cannot be given on a stage now, whoever
    signs (None: it can): the stage is still a draft, was decided eligible, is locked,
    or the protocol allows no override there. ``status``: "draft" or "completed"."""
    if not override_allowed:
        return ("This protocol does not allow proceeding after a screen failure at this "
                "stage.")
    if status != "completed":
        return ("Complete the stage as not eligible first: an override approves "
                "proceeding after a screen failure.")
    if decision == "eligible":
        return "The stage was completed eligible: an eligible stage needs no override."
    if locked:
        return ("The stage is confirmed or approved and locked: it changes only through a "
                "correction.")
    return None


def signer_problem(actor: Actor, action: Action) -> str | None:
    """Why ``actor`` cannot give a signature doing ``action`` (None: they can, role-wise)."""
    if actor.one_time:
        return (f"{actor.full_name} is logged in with a one-time password, which never "
                "signs: change it first.")
    needed = _role_for(action)
    if needed not in actor.roles:
        held = actor.roles_label or "no role"
        what = "prepare a stage" if action is Action.PREPARE else (
            "confirm a stage" if action is Action.CONFIRM else "approve an override")
        article = "an" if needed is Role.INVESTIGATOR else "a"
        return (f"{actor.full_name} ({held}) cannot {what}: that takes {article} "
                f"{needed.label.lower()}.")
    return None


def state_after(actions: Sequence[Action], decision: str, *,
                override_allowed: bool = True) -> SignState:
    """The state of a completed stage version after its signatures, oldest first (each
    checked against the state machine, so a stored history that breaks it is refused)."""
    state = SignState.COMPLETED
    for action in actions:
        state = next_state(state, action, decision, override_allowed=override_allowed)
    return state


#: The protocol's names for the investigator who signs an override; every other party
#: it names (an IND holder, a medical monitor) is recorded as a named person.
SIGNER_ROLES: Final = frozenset({"pi", "investigator", "principal investigator"})


def other_parties(agreed_by: Sequence[str]) -> list[str]:
    """The parties an override needs besides the signing investigator (NCT06152809:
    ``[PI, IND holder]`` -> ``[IND holder]``)."""
    return [role for role in agreed_by if role.casefold() not in SIGNER_ROLES]


def lets_next_open(state: SignState, decision: str, *, open_before_signature: bool) -> bool:
    """Whether the stage after a completed one may be started."""
    if state is SignState.APPROVED:
        return True
    if decision != "eligible":
        return False
    return state is SignState.CONFIRMED or open_before_signature


# -- the signed content ---------------------------------------------------------------

@dataclass(frozen=True)
class SignedObservation:
    code: str
    value: str  # as typed
    unit: str  # the unit's canonical spelling (units.normalise_unit)
    at: datetime  # local wall-clock time the sample was taken
    uln: str | None = None  # as typed, in ``unit``
    #: Where the ULN came from: "result" (typed with it), "site" (the site's, in force on
    #: the day), or None where no criterion used one.
    uln_source: str | None = None


@dataclass(frozen=True)
class SignedAnswer:
    criterion_id: str
    value: str  # "yes", "no", "n/a"
    note: str = ""
    source_document: str = ""


@dataclass(frozen=True)
class SignedContent:
    trial_id: str
    trial_sha256: str
    stage_id: str
    repeat: int
    version: int  # the stage version (1, then each correction)
    observations: Sequence[SignedObservation]
    answers: Sequence[SignedAnswer]
    events: Mapping[str, datetime]
    facts: Mapping[str, bool]
    decision: str
    #: The patient's date of birth and sex as the stage read them (age, clearance).
    birth_date: date | None = None
    sex: str | None = None
    #: The time the stage was assessed as of (local wall-clock): what "fresh" meant.
    assessed_at: datetime | None = None

    def canonical(self) -> dict[str, Any]:
        """The content as plain JSON values, in a fixed order, with no display strings."""
        return {
            "content_version": CONTENT_VERSION,
            "trial": {"id": self.trial_id, "sha256": self.trial_sha256},
            "stage": {"id": self.stage_id, "repeat": self.repeat, "version": self.version},
            "patient": {"birth_date": None if self.birth_date is None
                        else self.birth_date.isoformat(), "sex": self.sex},
            "assessed_at": None if self.assessed_at is None else _when(self.assessed_at),
            "observations": sorted(
                ({"code": o.code, "value": _text(o.value), "unit": o.unit,
                  "at": _when(o.at), "uln": None if o.uln is None else _text(o.uln),
                  "uln_source": o.uln_source} for o in self.observations),
                key=lambda o: (o["code"], o["at"], o["value"])),
            "answers": sorted(
                ({"criterion": a.criterion_id, "value": a.value, "note": _text(a.note),
                  "source_document": _text(a.source_document)} for a in self.answers),
                key=lambda a: a["criterion"]),
            "events": {name: _when(at) for name, at in sorted(self.events.items())},
            "facts": dict(sorted(self.facts.items())),
            "decision": self.decision,
        }

    def serialised(self) -> bytes:
        return canonical_json(self.canonical())

    def sha256(self) -> str:
        return hashlib.sha256(self.serialised()).hexdigest()


def canonical_json(value: Any) -> bytes:
    """``value`` as compact, sorted-key UTF-8 JSON: equal values give equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _text(text: str) -> str:
    """Text as stored, normalised to NFC so the same characters always hash alike."""
    return unicodedata.normalize("NFC", text)


def _when(at: datetime) -> str:
    """A time as ISO 8601 text: with its UTC offset where it has one, else local."""
    return at.isoformat(timespec="seconds")


def trial_file_sha256(data: bytes) -> str:
    """The SHA-256 of a trial file's exact bytes (what a completed stage keeps)."""
    return hashlib.sha256(data).hexdigest()


# -- an override's named parties --------------------------------------------------------

#: How an agreement outside NK Screen is documented (the words on the worksheet).
AGREEMENT_FORMS: Final = ("signed in NK Screen", "email on file", "signed letter on file",
                          "telephone, documented in the notes")


@dataclass(frozen=True)
class OverrideParty:
    """One party the protocol names for an override (NCT06152809: PI, IND holder),
    recorded as a named person with the date and how the agreement is documented."""

    role: str  # as the protocol names it ("IND holder")
    name: str
    agreed_on: datetime
    documented_as: str  # one of AGREEMENT_FORMS


def override_problems(required: Sequence[str], parties: Sequence[OverrideParty],
                      rationale: str, now: datetime) -> list[str]:
    """Every reason an override cannot be approved as given (empty: it can): a rationale,
    and each role the protocol names agreed by a named person, on a date not in the
    future, documented in one of ``AGREEMENT_FORMS``."""
    problems: list[str] = []
    if len(" ".join(rationale.split())) < 10:
        problems.append("Give the rationale for proceeding (at least a sentence).")
    by_role = {party.role: party for party in parties}
    for role in required:
        party = by_role.get(role)
        if party is None:
            problems.append(f"The protocol requires the {role}'s agreement: name them.")
            continue
        if len(" ".join(party.name.split())) < 3:
            problems.append(f"{role}: the person's name is required, not the role alone.")
        elif " ".join(party.name.split()).casefold() == role.casefold():
            problems.append(f"{role}: name the person, not the role.")
        if party.agreed_on > now:
            problems.append(f"{role}: the agreement's date is in the future.")
        if party.documented_as not in AGREEMENT_FORMS:
            problems.append(f"{role}: say how the agreement is documented ("
                            + ", ".join(AGREEMENT_FORMS) + ").")
    for party in parties:
        if party.role not in required:
            problems.append(f"{party.role}: the protocol names no such party for this "
                            "override.")
    return problems
