"""Screenings, visits and what is entered in them: the API the screening UI codes against.

A *screening* is one patient screened for one trial. Its *visits* are the trial's
stages, in order; a stage the protocol repeats (``Stage.repeat``, e.g. one visit
before each of three infusions) has one visit per repeat. What a visit holds:

- planned event dates (``set_event``), carried forward from the screening's latest
  visit when a new visit starts, so the coordinator types a date once;
- the patient's results (``add_observation`` ...), which belong to the *patient*, not
  the visit, so a value entered at screening #1 is seen (and reused while inside its
  window) at every later stage and in every trial;
- patient facts (Gilbert's syndrome, ...), also per patient;
- answers to attested criteria, per visit, with note and source document.

Every write is one ``BEGIN IMMEDIATE`` transaction with its audit event (who, when,
old and new values), so the log never disagrees with the data. Nothing is deleted: a
wrong result is *retracted* (kept, hidden from evaluation, with the reason). A
completed visit is locked: its answers, events and decision can no longer change.

Gating (``start_visit``, ``complete``, ``override``) follows ``desktop.domain.visits``:
a stage is completed only with a decision; the next opens only after the previous was
completed eligible (or overridden, where the protocol allows it).

Bad input raises ``ValidationFailed`` (``errors`` maps field -> message) and writes
nothing; a rule broken by the request (starting a stage out of order, changing a
completed visit) raises ``ScreeningRefused`` with a sentence a user can read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from desktop.domain.engine import Verdict
from desktop.domain.trial import Trial
from desktop.registry.database import Registry, RegistryError
from desktop.registry.patients import ValidationFailed
from desktop.registry.screening_rows import (
    AnswerRow,
    AnswerValue,
    LogRow,
    ObservationInput,
    ObservationRow,
    ScreenFailureRow,
    ScreeningRow,
    VisitRow,
)

__all__ = ["ScreeningRefused", "ScreeningRepository", "ValidationFailed"]


class ScreeningRefused(RegistryError):
    """The request breaks a screening rule; nothing was written. ``str()`` says why."""


class ScreeningRepository:
    """Reads and writes screenings on behalf of ``user`` (recorded with every write).

    ``clock`` returns the current local wall-clock time (naive); tests pass a fixed one.
    """

    def __init__(self, registry: Registry, user: str,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        if not user.strip():
            raise ValueError("ScreeningRepository needs the name of the acting user")
        self._registry = registry
        self._user = user.strip()
        self._clock = clock

    # -- screenings -------------------------------------------------------------

    def start(self, patient_id: int, trial: Trial) -> ScreeningRow:
        """Start screening the patient for ``trial``. Refused if already screened for it
        or the patient is archived."""
        raise NotImplementedError

    def screenings(self, patient_id: int) -> list[ScreeningRow]:
        """The patient's screenings, oldest first."""
        raise NotImplementedError

    def screening(self, screening_id: int) -> ScreeningRow:
        raise NotImplementedError

    # -- visits -----------------------------------------------------------------

    def visits(self, screening_id: int) -> list[VisitRow]:
        """Every visit of the screening, in the order they were started."""
        raise NotImplementedError

    def visit(self, visit_id: int) -> VisitRow:
        raise NotImplementedError

    def start_visit(self, screening_id: int, trial: Trial, stage_id: str) -> VisitRow:
        """Open a draft visit of ``stage_id`` (the next repeat, for a repeated stage).

        Refused when: the stage is not the trial's; an earlier stage has not been
        completed eligible/overridden (or signed); this stage already has a draft visit
        (the UI opens that draft instead); the stage's repeats are used up; a visit of
        this stage was completed not eligible and not overridden (screen failure).
        Events of the screening's latest visit are copied into the new visit (audited
        as carried forward).
        """
        raise NotImplementedError

    def complete(self, visit_id: int, verdict: Verdict, assessed_at: datetime) -> VisitRow:
        """Complete a draft with the engine's verdict (decision eligible or not eligible;
        'incomplete' is refused). Stores the decision and a snapshot of the verdict;
        a not-eligible completion records a screen failure with the failing criteria."""
        raise NotImplementedError

    def override(self, visit_id: int, trial: Trial, rationale: str,
                 agreed_by: str) -> VisitRow:
        """Proceed after a completed not-eligible visit, where ``Stage.override`` allows
        it. ``rationale`` and ``agreed_by`` (who agreed, e.g. "Dr A (PI); Dr B (IND
        holder)") are required; every role in ``Stage.override.agreed_by`` must be named
        in ``agreed_by`` (case-insensitive), else ValidationFailed on "agreed_by"."""
        raise NotImplementedError

    def sign(self, visit_id: int, investigator: str) -> VisitRow:
        """The investigator confirms a completed visit's decision."""
        raise NotImplementedError

    def verdict_snapshot(self, visit_id: int) -> dict[str, object] | None:
        """The verdict JSON stored at completion (``Verdict.as_json()``), or None."""
        raise NotImplementedError

    # -- events (per visit) -------------------------------------------------------

    def events(self, visit_id: int) -> dict[str, datetime]:
        raise NotImplementedError

    def set_event(self, visit_id: int, name: str, at: datetime | None) -> None:
        """Set (or clear, with None) a planned event date of a draft visit."""
        raise NotImplementedError

    # -- facts (per patient) ------------------------------------------------------

    def facts(self, patient_id: int) -> dict[str, bool]:
        raise NotImplementedError

    def set_fact(self, patient_id: int, name: str, value: bool | None) -> None:
        """Set (or clear, with None) a patient fact such as ``gilbert_syndrome``."""
        raise NotImplementedError

    # -- observations (per patient) -----------------------------------------------

    def observations(self, patient_id: int, code: str | None = None) -> list[ObservationRow]:
        """The patient's results (not retracted), newest ``at`` first."""
        raise NotImplementedError

    def add_observation(self, patient_id: int, visit_id: int | None,
                        data: ObservationInput) -> ObservationRow:
        """Save a result. Checks, each naming its field ("value", "unit", "at", "uln"):
        a number, plausible for the code; a unit accepted for the code (stored in its
        accepted spelling); a time not in the future and not before birth; a ULN above 0."""
        raise NotImplementedError

    def update_observation(self, observation_id: int, data: ObservationInput) -> ObservationRow:
        """Correct a saved result (same checks; the audit keeps the old values)."""
        raise NotImplementedError

    def retract_observation(self, observation_id: int, reason: str) -> None:
        """Withdraw a wrong result: kept, with the reason, but no longer evaluated."""
        raise NotImplementedError

    # -- answers (per visit) ------------------------------------------------------

    def answers(self, visit_id: int) -> dict[str, AnswerRow]:
        raise NotImplementedError

    def set_answer(self, visit_id: int, criterion_id: str, value: AnswerValue | None,
                   note: str = "", source_document: str = "") -> AnswerRow | None:
        """Answer (or clear, with None) an attested criterion of a draft visit."""
        raise NotImplementedError

    # -- the trial's view ---------------------------------------------------------

    def screen_failures(self, screening_id: int) -> list[ScreenFailureRow]:
        raise NotImplementedError

    def screening_log(self, trial: Trial) -> list[LogRow]:
        """Every patient screened for the trial, most recently active first."""
        raise NotImplementedError
