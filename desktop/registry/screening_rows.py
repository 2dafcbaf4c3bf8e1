"""What the screening repository hands out and takes in: plain frozen dataclasses.

No ORM object or session escapes the registry. Clinical times (``at`` of an
observation, planned event dates) are local wall-clock ``datetime`` values without a
time zone, as the screening contract defines them; bookkeeping times (``entered_at``,
``completed_at``) are timezone-aware UTC.

Numbers are kept as the text the coordinator typed ("1.90"), so a value is shown back
exactly as entered and converted exactly (``fractions.Fraction``) when evaluated.

Every entry a visit form edits has a *version*: the id of the audit event that last
changed it (0: none yet). The audit log is append-only and its ids only grow, so a
version never comes back, not even for an entry cleared and entered again. A save
passes the version it read as ``expected`` and is refused (``EntryChanged``) when the
entry changed since; see ``ScreeningRepository.entries``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from desktop.domain.stage_states import StageState

AnswerValue = Literal["yes", "no", "n/a"]
ANSWER_VALUES: tuple[AnswerValue, ...] = ("yes", "no", "n/a")
VisitStatus = Literal["draft", "completed"]
VisitDecision = Literal["eligible", "not_eligible"]
#: What a visit form edits: a planned event date (by event name), an answer (by
#: criterion id), a patient fact (by name), this visit's result of a code (by code).
EntryKind = Literal["event", "answer", "fact", "result"]


@dataclass(frozen=True)
class ScreeningRow:
    """One patient being screened for one trial."""

    id: int
    patient_id: int
    trial_id: str
    started_at: datetime
    started_by: str


@dataclass(frozen=True)
class OverrideRow:
    """Proceeding after a not-eligible stage, where the protocol allows it after review."""

    rationale: str
    agreed_by: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class VisitRow:
    """One visit: a stage of a screening (``repeat`` counts repeated stages from 1)."""

    id: int
    screening_id: int
    stage_id: str
    repeat: int
    status: VisitStatus
    decision: VisitDecision | None
    started_at: datetime
    started_by: str
    completed_at: datetime | None = None
    completed_by: str | None = None
    #: When the completed verdict was assessed (local wall-clock, the record's ``as_of``).
    assessed_at: datetime | None = None
    override: OverrideRow | None = None
    #: A legacy sign-off: the typed name of the free-text sign-off made before
    #: signatures existed (version 1 only).
    signed_by: str | None = None
    signed_at: datetime | None = None
    #: The stage version (1, then one more per correction) and why it was opened.
    version: int = 1
    correction_reason: str | None = None
    #: The actions signed on the current version ("prepare", "confirm", "override").
    signed_actions: tuple[str, ...] = ()
    #: The site lets the next stage open before the investigator confirms this one.
    open_before_signature: bool = False

    @property
    def confirmed(self) -> bool:
        """Confirmed by an investigator's signature (or a legacy sign-off)."""
        return "confirm" in self.signed_actions or self.signed_by is not None

    @property
    def approved(self) -> bool:
        """Approved to proceed by an override signature (or a legacy override)."""
        return "override" in self.signed_actions or self.override is not None

    @property
    def state(self) -> StageState:
        # SIGNED lets the next stage open, so only a favourable outcome shows as signed:
        # an investigator confirming a not-eligible stage confirms the screen failure.
        if self.status == "draft":
            return StageState.IN_PROGRESS
        if self.approved:
            return StageState.SIGNED if self.confirmed else StageState.OVERRIDDEN
        if self.decision != "eligible":
            return StageState.NOT_ELIGIBLE
        if self.confirmed:
            return StageState.SIGNED
        from desktop.domain.signing import SignState, lets_next_open

        signed = SignState.PREPARED if "prepare" in self.signed_actions \
            else SignState.COMPLETED
        opens = lets_next_open(signed, "eligible",
                               open_before_signature=self.open_before_signature)
        return StageState.ELIGIBLE if opens else StageState.AWAITING_SIGNATURE


@dataclass(frozen=True)
class ObservationInput:
    """A result as typed: ``value`` and ``uln`` are the typed text.

    ``confirmed``: the person entering it confirmed an unusual value
    (``desktop.registry.confirmations``); such a value is refused without it."""

    code: str
    value: str
    unit: str
    at: datetime | None
    uln: str | None = None
    source: str = ""
    confirmed: bool = False


@dataclass(frozen=True)
class ObservationRow:
    """A saved result of the patient (shared by every screening and stage)."""

    id: int
    patient_id: int
    code: str
    value: str
    unit: str
    at: datetime
    uln: str | None
    source: str
    visit_id: int | None
    entered_by: str
    entered_at: datetime
    #: What was confirmed of an unusual value, by whom and when (None: not needed).
    confirmation: str | None = None
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    #: The id of the audit event of the result's last change (entry, correction,
    #: confirmation or withdrawal): what a correction or withdrawal passes as expected.
    version: int = 0


@dataclass(frozen=True)
class AnswerRow:
    """A person's answer to an attested criterion of one visit."""

    visit_id: int
    criterion_id: str
    value: AnswerValue
    note: str
    source_document: str
    entered_by: str
    entered_at: datetime
    #: The id of the audit event of the answer's last change.
    version: int = 0


@dataclass(frozen=True)
class VisitEntries:
    """What a visit's form edits, read in one transaction, with every entry's version.

    ``versions`` holds, for each entry changed since the visit started, the id of the
    audit event of its last change (a clearing included); ``version()`` gives 0 for one
    never changed. A ``"result"`` entry is the visit's result of a code: its version
    covers every result of that code entered at the visit (withdrawn ones too), and is
    what ``add_observation`` expects when the visit has none; a correction or
    withdrawal expects the result's own ``ObservationRow.version``.
    """

    visit: VisitRow
    patient_id: int
    events: Mapping[str, datetime]
    facts: Mapping[str, bool]
    answers: Mapping[str, AnswerRow]
    #: The patient's results (not withdrawn), newest ``at`` first.
    observations: tuple[ObservationRow, ...]
    versions: Mapping[tuple[EntryKind, str], int]

    def version(self, kind: EntryKind, name: str) -> int:
        return self.versions.get((kind, name), 0)

    def own_result(self, code: str) -> ObservationRow | None:
        """This visit's latest result of ``code`` (not withdrawn), or None."""
        return next((o for o in self.observations
                     if o.visit_id == self.visit.id and o.code == code), None)


@dataclass(frozen=True)
class ScreenFailureRow:
    visit_id: int
    screening_id: int
    stage_id: str
    repeat: int
    #: (criterion id, the reason the engine gave), in protocol order.
    reasons: tuple[tuple[str, str], ...]
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class LogRow:
    """One line of a trial's screening log."""

    screening_id: int
    patient_id: int
    mrn: str
    family_name: str
    given_name: str
    started_at: datetime
    last_activity: datetime
    #: The furthest stage with a visit, and its repeat number (None: no visit yet).
    furthest_stage: str | None
    furthest_repeat: int
    furthest_state: StageState | None
    #: Every completed stage's screen-failure reasons, oldest first.
    failures: tuple[ScreenFailureRow, ...]
    birth_date: date | None = None
    #: The earliest time a completed stage of it was assessed as of (local wall clock):
    #: when screening took place, where results were entered afterwards.
    first_assessed: datetime | None = None

    def screening_date(self) -> date:
        """The date screening took place: its first assessed stage's, else its start."""
        started = self.started_at.astimezone().date()
        return started if self.first_assessed is None else min(
            started, self.first_assessed.date())


#: The patient's details a stage's decision rests on, and how they are named.
DEMOGRAPHICS: dict[str, str] = {"birth_date": "date of birth", "sex": "sex"}


@dataclass(frozen=True)
class PatientChangeRow:
    """A change to the patient's date of birth or sex, as the audit trail recorded it."""

    field: str
    #: Old and new value as stored (ISO date for the date of birth).
    old: str
    new: str
    changed_by: str
    #: When (UTC).
    changed_at: datetime

    @property
    def label(self) -> str:
        return DEMOGRAPHICS.get(self.field, self.field)

    def text(self) -> str:
        """E.g. "date of birth 1958-07-14 → 2010-01-01 by tester on 2026-11-02 09:15"."""
        return (f"{self.label} {self.old} → {self.new} by {self.changed_by} on "
                f"{self.changed_at.astimezone():%Y-%m-%d %H:%M}")


def changed_after_completion(changes: Iterable[PatientChangeRow],
                             visit: VisitRow) -> list[PatientChangeRow]:
    """The changes made after ``visit`` was completed (none for a draft): its stored
    decision was assessed with the earlier value."""
    if visit.completed_at is None:
        return []
    return [c for c in changes if c.changed_at > visit.completed_at]
