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
(Results belong to the patient, not the visit: a result entered at a completed visit
can still be corrected or retracted, audited; the visit's verdict snapshot keeps what
was decided.)

Completing a visit decides from the registry, never from the caller: ``complete``
loads the trial (``trials``, the library by default), reads what the registry holds
for the visit (its answers and planned dates, the patient's date of birth, sex,
results and facts) and evaluates it with the engine as of the repository's clock, in
the same transaction that stores the decision. ``evaluate_visit`` gives the same
verdict without storing anything, for a confirmation question.

Gating (``start_visit``, ``complete``) follows ``desktop.domain.visits``: a stage is
completed only with a decision; visit slots (each stage, and each repeat of a repeated
stage) open strictly in order, ``visits.slots``: a slot may start only when every slot
before it was confirmed eligible by an investigator's signature or approved to proceed
by an override signature (or, where the site allows it, completed eligible). A
stage with a visit completed not eligible and not overridden is a screen failure: no
later visit of that screening can start.

Two windows (or two processes) may edit the same visit. Every entry a form edits
carries a version (``entries``; ``ObservationRow.version``, ``AnswerRow.version``): the
id of the audit event of its last change, so versions need no column of their own and
never repeat. A write given ``expected`` (the version it read) compares it with the
entry's version inside its ``BEGIN IMMEDIATE`` transaction, so no other write can come
between the check and the change; if the entry changed since, it writes nothing and
raises ``EntryChanged`` ("... was changed in another window by USER at TIME"). A write
that would leave the entry as it already is succeeds as a no-op. Each write returns the
entry's version after it, for the next save to expect.

Bad input raises ``ValidationFailed`` (``errors`` maps field -> message) and writes
nothing; a rule broken by the request (starting a stage out of order, changing a
completed visit) raises ``ScreeningRefused`` with a sentence a user can read. An
unknown id raises ``PatientNotFound``, ``ScreeningNotFound``, ``VisitNotFound`` or
``ObservationNotFound`` (all ``RegistryError``).

Where it lives: this module is the API (``ScreeningRepository`` and what it raises, all
importable from here); the repository is put together from one part per job, each in a
sibling module: ``screening_base`` (the shared state, evaluating a visit, the audit row),
``screening_visits`` (screenings, visits, gating, complete), ``screening_capture``
(stage versions and their signed content), ``screening_signing`` (signatures,
corrections, standing; rows read by ``signature_reads``),
``screening_entries`` (planned dates, facts, answers), ``screening_results`` (results),
``screening_log`` (the patient's changes, screen failures, the screening log), with
``screening_errors``, ``screening_reads`` (row decoding, loaders, versions) and
``screening_refusals`` (the sentences refusals say) beside them.
"""

from __future__ import annotations

from desktop.registry.patients import PatientNotFound, ValidationFailed
from desktop.registry.screening_entries import EntriesPart
from desktop.registry.screening_errors import (
    EntryChanged,
    ObservationNotFound,
    ScreeningNotFound,
    ScreeningRefused,
    SiteUlnSource,
    TrialSource,
    VisitNotFound,
    trials_from,
)
from desktop.registry.screening_log import LogPart
from desktop.registry.screening_results import ResultsPart
from desktop.registry.screening_visits import VisitsPart
from desktop.registry.worksheet_reads import WorksheetPart, WorksheetSource

__all__ = ["EntryChanged", "ObservationNotFound", "PatientNotFound", "ScreeningNotFound",
           "ScreeningRefused", "ScreeningRepository", "SiteUlnSource", "TrialSource",
           "ValidationFailed", "VisitNotFound", "WorksheetSource", "trials_from"]


class ScreeningRepository(VisitsPart, EntriesPart, ResultsPart, LogPart, WorksheetPart):
    """Reads and writes screenings on behalf of ``user`` (recorded with every write).

    ``clock`` returns the current local wall-clock time (naive); tests pass a fixed one.
    ``trials`` finds a trial by NCT id for evaluating a visit (default: the packaged
    library, ``desktop.library.find_trial``); ``site_uln`` is the site's ULN table, or
    a function reading it (default: ``site.json`` in the registry's data folder, read
    at each evaluation). ``confirm_limits``: values saved only once confirmed
    (``desktop.registry.confirmations``; default ``DEFAULT_LIMITS``).
    """
