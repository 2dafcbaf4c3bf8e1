"""Screening: start a screening and its stages, record results and answers, complete.

``ScreeningService`` is what the patient view, the visit form, its dialogs and the
screening log call. Each method is one use case and one unit of work in
``ScreeningRepository`` (one ``BEGIN IMMEDIATE`` transaction with its audit event; the
decision of a visit is worked out there by the engine, never taken from the caller). It
returns the repository's plain rows (``ScreeningRow``, ``VisitRow``, ``ObservationRow``,
``AnswerRow``, ``LogRow`` ...) and raises ``RegistryError`` or a subclass:
``ValidationFailed`` (field -> message), ``ScreeningRefused`` (a rule the request breaks),
``EntryChanged`` (another window saved first), or a ``...NotFound``. The method names and
arguments are the repository's, so either can be handed to a widget. No Qt.

Importing this module loads the engine; the patient list never does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from fractions import Fraction

from desktop.domain.attribution import Attribution
from desktop.domain.engine import Verdict
from desktop.domain.schedule import ScheduleWarning
from desktop.domain.trial import Trial
from desktop.registry.database import Registry
from desktop.registry.screening_refusals import start_refusal
from desktop.registry.screenings import (
    EntryChanged,
    ObservationNotFound,
    ScreeningNotFound,
    ScreeningRefused,
    ScreeningRepository,
    SiteUlnSource,
    TrialSource,
    VisitNotFound,
)
from desktop.services.acting import Actor, NotPermitted, Permission, acting, need
from desktop.services.rows import (
    ANSWER_VALUES,
    DEFAULT_LIMITS,
    AnswerRow,
    AnswerValue,
    ConfirmLimit,
    LogRow,
    ObservationInput,
    ObservationRow,
    OverrideRow,
    PatientChangeRow,
    PatientNotFound,
    PatientRow,
    RegistryError,
    ScreenFailureRow,
    ScreeningRow,
    ValidationFailed,
    VisitDecision,
    VisitEntries,
    VisitRow,
    VisitStatus,
    changed_after_completion,
    unusual,
)

__all__ = ["ANSWER_VALUES", "DEFAULT_LIMITS", "Actor", "AnswerRow", "AnswerValue", "ConfirmLimit",
           "EntryChanged", "LogRow", "NotPermitted", "ObservationInput", "ObservationNotFound",
           "ObservationRow", "OverrideRow", "PatientChangeRow", "PatientNotFound",
           "PatientRow", "RegistryError", "ScreenFailureRow", "ScreeningNotFound",
           "ScreeningRefused", "ScreeningRow", "ScreeningService", "SiteUlnSource",
           "TrialSource", "ValidationFailed", "VisitDecision", "VisitEntries",
           "VisitNotFound", "VisitRow", "VisitStatus", "changed_after_completion",
           "unusual"]


class ScreeningService:
    """The screening use cases for an actor on an open registry.

    Entering data needs ``Permission.ENTER_DATA``, completing a stage
    ``Permission.COMPLETE_STAGE``. Signatures (prepared, confirmed, an override) are
    ``desktop.services.signing``'s: each re-enters the password. Refusals raise
    ``NotPermitted`` (or ``ScreeningRefused``) and change nothing.
    """

    def __init__(self, repository: ScreeningRepository, actor: Actor | str,
                 registry: Registry | None = None,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self._repository = repository
        self.actor = acting(actor)
        self._registry = registry
        self._clock = clock

    @property
    def may_enter_data(self) -> bool:
        return self.actor.may(Permission.ENTER_DATA)

    @property
    def may_complete(self) -> bool:
        return self.actor.may(Permission.COMPLETE_STAGE)

    def attribution(self) -> Attribution:
        """How to show who recorded an entry: printed names of the accounts, and entries
        from before accounts marked so (read fresh on each call)."""
        if self._registry is None:
            return Attribution()
        from desktop.registry.accounts import AccountRepository
        from desktop.registry.site_settings import SiteSettingRepository

        since = SiteSettingRepository(self._registry).get("accounts_since")
        return Attribution(AccountRepository(self._registry).names(),
                           datetime.fromisoformat(since) if isinstance(since, str) else None)

    @classmethod
    def open(cls, registry: Registry, user: Actor | str,
             clock: Callable[[], datetime] = datetime.now, *,
             trials: TrialSource | None = None,
             site_uln: Mapping[str, Fraction] | SiteUlnSource | None = None,
             confirm_limits: Mapping[str, ConfirmLimit] = DEFAULT_LIMITS,
             ) -> ScreeningService:
        """``trials`` and ``site_uln``: what a visit is evaluated with when it completes."""
        actor = acting(user)
        return cls(ScreeningRepository(registry, actor.user_id, clock, trials=trials,
                                       site_uln=site_uln, confirm_limits=confirm_limits),
                   actor, registry, clock)

    @property
    def confirm_limits(self) -> Mapping[str, ConfirmLimit]:
        """The values a person must confirm before they are saved (by code)."""
        return self._repository.confirm_limits

    def start(self, patient_id: int, trial: Trial) -> ScreeningRow:
        """As ``ScreeningRepository.start``."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.start(patient_id, trial)

    def screenings(self, patient_id: int) -> list[ScreeningRow]:
        """The patient's screenings, oldest first."""
        return self._repository.screenings(patient_id)

    def screening(self, screening_id: int) -> ScreeningRow:
        return self._repository.screening(screening_id)

    def visits(self, screening_id: int) -> list[VisitRow]:
        """Every visit of the screening, in the order they were started."""
        return self._repository.visits(screening_id)

    def visit(self, visit_id: int) -> VisitRow:
        return self._repository.visit(visit_id)

    def start_visit(self, screening_id: int, trial: Trial, stage_id: str) -> VisitRow:
        """Open a draft visit of ``stage_id`` (the next repeat, for a repeated stage)."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.start_visit(screening_id, trial, stage_id)

    def start_refusal(self, screening_id: int, trial: Trial, stage_id: str) -> str | None:
        """Why ``start_visit`` would refuse a visit of ``stage_id`` now (None: it would
        start one), by the gating rule it refuses with; who may enter data is
        ``may_enter_data``."""
        return start_refusal(trial, stage_id, self._repository.visits(screening_id))

    def evaluate_visit(self, visit_id: int) -> Verdict:
        """As ``ScreeningRepository.evaluate_visit``."""
        return self._repository.evaluate_visit(visit_id)

    def complete(self, visit_id: int, *, expect: VisitDecision | None = None) -> VisitRow:
        """Complete a draft with the decision of what the registry holds for it."""
        need(self.actor, Permission.COMPLETE_STAGE, self._registry)
        return self._repository.complete(visit_id, expect=expect)

    def verdict_snapshot(self, visit_id: int) -> dict[str, object] | None:
        """The verdict JSON stored at completion (``Verdict.as_json()``), or None."""
        return self._repository.verdict_snapshot(visit_id)

    def entries(self, visit_id: int) -> VisitEntries:
        """As ``ScreeningRepository.entries``."""
        return self._repository.entries(visit_id)

    def events(self, visit_id: int) -> dict[str, datetime]:
        """The visit's planned event dates (local wall-clock), by event name."""
        return self._repository.events(visit_id)

    def set_event(self, visit_id: int, name: str, at: datetime | None, *,
                  expected: int | None = None) -> int:
        """As ``ScreeningRepository.set_event``."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.set_event(visit_id, name, at, expected=expected)

    def schedule_warnings(self, trial: Trial, events: Mapping[str, datetime]
                          ) -> list[ScheduleWarning]:
        """Planned dates (typed or saved, local wall-clock) that break the trial's
        schedule, in the site's time zone: warnings, never a refusal."""
        from desktop.domain.schedule import schedule_warnings
        from desktop.zone import site_zone

        return schedule_warnings(trial.schedule, events, site_zone())

    def facts(self, patient_id: int) -> dict[str, bool]:
        """The patient's recorded facts (``desktop.domain.trial.FACTS``), by name."""
        return self._repository.facts(patient_id)

    def set_fact(self, patient_id: int, name: str, value: bool | None, *,
                 expected: int | None = None, reason: str = "") -> int:
        """Set (or clear, with None) a patient fact such as ``gilbert_syndrome``; as
        ``ScreeningRepository.set_fact`` (a reason needed once a stage is completed)."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.set_fact(patient_id, name, value, expected=expected,
                                         reason=reason)

    def has_completed_stage(self, patient_id: int) -> bool:
        """Whether correcting the patient's results or changing their facts needs a
        reason: the patient has a completed stage (``ScreeningRepository``)."""
        return self._repository.has_completed_stage(patient_id)

    def observations(self, patient_id: int, code: str | None = None) -> list[ObservationRow]:
        """The patient's results (not retracted), newest ``at`` first."""
        return self._repository.observations(patient_id, code)

    def add_observation(self, patient_id: int, visit_id: int | None,
                        data: ObservationInput, *, expected: int | None = None,
                        reason: str = "") -> ObservationRow:
        """As ``ScreeningRepository.add_observation``."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.add_observation(patient_id, visit_id, data, expected=expected,
                                                reason=reason)

    def update_observation(self, observation_id: int, data: ObservationInput, *,
                           expected: int | None = None, reason: str = "") -> ObservationRow:
        """As ``ScreeningRepository.update_observation`` (a reason needed once a stage
        is completed)."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.update_observation(observation_id, data, expected=expected,
                                                   reason=reason)

    def retract_observation(self, observation_id: int, reason: str, *,
                            expected: int | None = None) -> int:
        """As ``ScreeningRepository.retract_observation``."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.retract_observation(observation_id, reason, expected=expected)

    def answers(self, visit_id: int) -> dict[str, AnswerRow]:
        """The visit's answers, by criterion id (each with its version)."""
        return self._repository.answers(visit_id)

    def set_answer(self, visit_id: int, criterion_id: str, value: AnswerValue | None,
                   note: str = "", source_document: str = "", *,
                   expected: int | None = None) -> int:
        """As ``ScreeningRepository.set_answer``."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.set_answer(visit_id, criterion_id, value, note,
                                           source_document, expected=expected)

    def patient(self, patient_id: int) -> PatientRow:
        """The patient as the registry holds it now (after any edit)."""
        return self._repository.patient(patient_id)

    def patient_changes(self, patient_id: int) -> list[PatientChangeRow]:
        """As ``ScreeningRepository.patient_changes``."""
        return self._repository.patient_changes(patient_id)

    def screen_failures(self, screening_id: int) -> list[ScreenFailureRow]:
        """The screening's screen failures, oldest first (overridden ones included)."""
        return self._repository.screen_failures(screening_id)

    def screening_log(self, trial: Trial) -> list[LogRow]:
        """Every patient screened for the trial, most recently active first."""
        return self._repository.screening_log(trial)
