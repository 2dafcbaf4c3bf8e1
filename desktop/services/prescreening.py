"""Prescreening from the registry: which trials a patient could join, and which patients
a trial could approach, from the results and facts already entered.

``PrescreenService.for_patient`` gives every trial of the library at its first stage
for one patient (the patient view's "Other trials"); ``candidates`` gives one trial's
first stage for a batch of patients (Trials → Find candidates…, called on a worker
thread batch by batch, each batch a few queries for all its patients). Both build the
engine's record the way completing a stage does (``desktop.registry.patient_results``:
the same checks of every saved result, the patient's date of birth, sex and facts)
with no planned dates and no answers, and evaluate it with
``desktop.domain.prescreen``: the strict decision and the "if screened now" one.

Nothing here writes: no screening, answer or decision is created. Reading needs
``Permission.READ``. No Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from fractions import Fraction
from typing import Final

from desktop.domain.draft import make_record
from desktop.domain.freshness import stage_codes
from desktop.domain.prescreen import Prescreen, prescreen
from desktop.domain.record import RecordError
from desktop.domain.trial import EVENTS, FACTS, Trial
from desktop.domain.units import CODES
from desktop.registry.confirmations import DEFAULT_LIMITS, ConfirmLimit
from desktop.registry.database import Registry
from desktop.registry.patient_results import resting_on_unconfirmed
from desktop.registry.prescreen_reads import PatientData, active_patients, patient_data
from desktop.services.acting import Actor, Permission, acting, need
from desktop.services.rows import PatientNotFound
from desktop.zone import site_zone

__all__ = ["DECISION_WORDS", "Candidate", "PrescreenService", "TrialPrescreen",
           "failing_lines", "input_name", "needs_text"]

#: How a prescreen's decisions read: nothing is decided until a stage is completed.
DECISION_WORDS: Final[dict[str, str]] = {
    "eligible": "eligible so far", "incomplete": "nothing fails so far",
    "not_eligible": "not eligible"}

#: A source of the site's ULN table: the table, or a function reading it now.
UlnSource = Mapping[str, Fraction] | Callable[[], Mapping[str, Fraction]]


def input_name(name: str) -> str:
    """The words the screens use for an observation code, a fact or an event."""
    if name in CODES:
        return CODES[name].label
    if name in FACTS:
        return FACTS[name]
    if name in EVENTS:
        return f"date of {EVENTS[name]}"
    return name


def failing_lines(result: TrialPrescreen, provisional: bool = False) -> list[str]:
    """The failing criteria of the first stage by number and protocol text
    ("7. Platelet ≥50×109/L ..."), as the stage's checklist numbers them; with
    ``provisional``, those that fail only "if screened now"."""
    if result.entry is None:
        return []
    strict = result.entry.verdict
    numbers = {c.id: n for n, c in enumerate(strict.stage.criteria, start=1)}
    failing = strict.failing
    if provisional:
        known = {r.id for r in failing}
        failing = [r for r in result.entry.provisional.failing if r.id not in known]
    return [f"{numbers[r.id]}. {' '.join(r.criterion.text.split())}" for r in failing]


def needs_text(missing_inputs: Sequence[str]) -> str:
    """"LVEF, CD123 expression": what a prescreen still needs, in words."""
    return ", ".join(input_name(n) for n in missing_inputs)


@dataclass(frozen=True)
class TrialPrescreen:
    """One trial's first stage for one patient: ``entry`` the engine's prescreen, or
    ``problem`` saying why it could not be worked out (then ``entry`` is None)."""

    trial: Trial
    screened: bool
    entry: Prescreen | None
    problem: str | None = None
    #: A decided criterion rests on an unusual value nobody confirmed (words), if any.
    caution: str | None = None

    @property
    def decision(self) -> str | None:
        return None if self.entry is None else self.entry.verdict.decision

    @property
    def provisional_decision(self) -> str | None:
        return None if self.entry is None else self.entry.provisional.decision

    @property
    def failing_count(self) -> int:
        return 0 if self.entry is None else len(self.entry.verdict.failing)

    @property
    def missing_inputs(self) -> tuple[str, ...]:
        return () if self.entry is None else self.entry.missing_inputs

    def rank(self) -> tuple[int, int, int]:
        """Eligible so far first: nothing failing, then fewest failing if screened now,
        then fewest things missing; one that cannot be worked out last."""
        if self.entry is None:
            return (3, 0, 0)
        strict = {"eligible": 0, "incomplete": 1, "not_eligible": 2}[self.entry.verdict.decision]
        return (strict, len(self.entry.provisional.failing), len(self.entry.missing_inputs))


@dataclass(frozen=True)
class Candidate:
    """One patient against one trial's first stage (Find candidates…)."""

    patient_id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    result: TrialPrescreen


class PrescreenService:
    """Prescreens for ``actor`` on an open registry; reads only.

    ``trials``: the trial library, in library order (or a function giving it);
    ``site_uln``: the site's ULN table (default: the registry's dated table, read at
    each call); ``clock``: the local wall-clock "now" a prescreen is as of.
    """

    def __init__(self, registry: Registry, actor: Actor | str, *,
                 trials: Sequence[Trial] | Callable[[], Sequence[Trial]],
                 site_uln: UlnSource | None = None,
                 clock: Callable[[], datetime] = datetime.now,
                 confirm_limits: Mapping[str, ConfirmLimit] = DEFAULT_LIMITS) -> None:
        self._registry = registry
        self.actor = acting(actor)
        self._trials = trials
        self._site_uln = site_uln
        self._clock = clock
        self._confirm_limits = confirm_limits

    def trials(self) -> list[Trial]:
        return list(self._trials() if callable(self._trials) else self._trials)

    def now(self) -> datetime:
        """The "now" a prescreen is as of (the clock's)."""
        return self._clock()

    def site_table(self) -> Mapping[str, Fraction]:
        source = self._site_uln
        if source is None:
            from desktop.registry.site_reading import read_site

            with self._registry.read() as conn:
                return read_site(conn).uln
        return source() if callable(source) else source

    # -- one patient, every trial ---------------------------------------------------

    def for_patient(self, patient_id: int) -> list[TrialPrescreen]:
        """Every trial of the library at its first stage for the patient, in library
        order, each marked whether the patient is already screened for it."""
        need(self.actor, Permission.READ)
        trials = self.trials()
        reads = {code for t in trials for code in stage_codes(t.stages[0])}
        found = patient_data(self._registry, [patient_id], None, reads, self._confirm_limits)
        if not found:
            raise PatientNotFound(f"No patient with id {patient_id} is in the registry.")
        site, now, zone = self.site_table(), self._clock(), site_zone()
        return [_one(found[0], trial, set(stage_codes(trial.stages[0])), site, now, zone)
                for trial in trials]

    # -- one trial, many patients -----------------------------------------------------

    def patient_ids(self) -> list[int]:
        """The patients a candidate search goes through: neither archived nor voided."""
        need(self.actor, Permission.READ)
        return active_patients(self._registry)

    def candidates(self, trial: Trial, patient_ids: Sequence[int],
                   site_uln: Mapping[str, Fraction] | None = None,
                   as_of: datetime | None = None) -> list[Candidate]:
        """``trial``'s first stage for each of ``patient_ids`` (one batch: a few queries
        for all of them). ``site_uln`` and ``as_of`` let a search hold them fixed across
        its batches (default: read now)."""
        need(self.actor, Permission.READ)
        codes = set(stage_codes(trial.stages[0]))
        site = self.site_table() if site_uln is None else site_uln
        now = self._clock() if as_of is None else as_of
        zone = site_zone()
        return [Candidate(p.patient_id, p.mrn, p.family_name, p.given_name, p.birth_date,
                          p.sex, _one(p, trial, codes, site, now, zone))
                for p in patient_data(self._registry, patient_ids, codes, codes,
                                      self._confirm_limits)]


def _one(patient: PatientData, trial: Trial, reads: set[str], site: Mapping[str, Fraction],
         now: datetime, zone: tzinfo) -> TrialPrescreen:
    """``trial``'s first stage for the patient (``reads``: the codes it reads)."""
    screened = trial.id in patient.screened
    results = patient.results
    unreadable = [words for code, words in results.unreadable if code in reads]
    if unreadable:
        return TrialPrescreen(trial, screened, None, problem=(
            f"saved results can no longer be read: {'; '.join(unreadable)}; correct "
            f"or withdraw them first"))
    record = make_record(patient.birth_date, patient.sex, now, {}, patient.facts,
                         results.observations, {}, zone)
    try:
        entry = prescreen([trial], record, site)[0]
    except RecordError as exc:
        return TrialPrescreen(trial, screened, None, problem=str(exc))
    resting = resting_on_unconfirmed(entry.verdict, results.unconfirmed)
    caution = ("rests on an unusual value nobody confirmed: " + "; ".join(resting)
               if resting else None)
    return TrialPrescreen(trial, screened, entry, caution=caution)
