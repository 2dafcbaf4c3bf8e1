"""Merging a duplicate patient into the one kept: what moves, and when a merge is refused.

Runs inside ``PatientRepository.merge``'s write transaction (``BEGIN IMMEDIATE``), so
nothing moves unless everything can. What belongs to a patient moves to the kept one:

- screenings (with their visits, answers, planned dates and screen failures, which hang
  off the screening), unless both patients were screened for the same trial: a patient
  has one screening per trial, and two sets of completed stages cannot be made one, so
  that merge is refused with the trial named;
- results (``observation``), all of them, retracted ones too;
- facts (``patient_fact``) the kept patient does not have; a fact both have with the
  same value stays with the duplicate (nothing is deleted), one they disagree on refuses
  the merge.

Two records whose date of birth or sex differ are refused too: the duplicate's completed
stages were decided with its own values, so the record to keep is corrected first (an
audited edit, which its stages then show).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from desktop.domain.trial import FACTS
from desktop.registry.patients import MergeRefused

if TYPE_CHECKING:
    from sqlmodel import Session

    from desktop.registry.models.patient import Patient


def _who(patient: Patient) -> str:
    return f"{patient.family_name}, {patient.given_name} (MRN {patient.mrn[:40]})"


def check_pair(duplicate: Patient, kept: Patient) -> None:
    """Refuse a merge of two records that are not plainly one patient."""
    if duplicate.id == kept.id:
        raise MergeRefused("A patient cannot be merged into itself.")
    for patient in (duplicate, kept):
        if patient.void_reason is not None:
            raise MergeRefused(f"{_who(patient)} was voided; only patients not voided can "
                               "be merged.")
    if duplicate.mrn_fold != kept.mrn_fold:
        raise MergeRefused(f"{_who(duplicate)} and {_who(kept)} do not share an MRN; only "
                           "patients listed as sharing one can be merged.")
    differ = [what for what, one, other in (
        ("date of birth", duplicate.birth_date, kept.birth_date),
        ("sex", duplicate.sex, kept.sex)) if one != other]
    if differ:
        raise MergeRefused(f"{_who(duplicate)} and {_who(kept)} differ in {' and '.join(differ)}"
                           "; correct the record to keep first, then merge.")


def move_records(session: Session, duplicate: Patient, kept: Patient) -> dict[str, Any]:
    """Move the duplicate's screenings, results and facts to ``kept``; what moved.

    Raises :class:`MergeRefused` (before anything moves) if both have a screening for
    one trial or disagree on a fact.
    """
    ids = {"dup": duplicate.id, "kept": kept.id}
    both = [row[0] for row in session.execute(text(
        "SELECT a.trial_id FROM screening AS a JOIN screening AS b "
        "ON a.trial_id = b.trial_id WHERE a.patient_id = :dup AND b.patient_id = :kept "
        "ORDER BY a.trial_id"), ids)]
    if both:
        raise MergeRefused(
            f"Both records have a screening for {', '.join(both)}; a patient has one "
            "screening per trial, so these cannot be merged. Void the duplicate instead "
            "(its screenings stay with it), or ask for help.")
    facts_sql = text("SELECT name, value FROM patient_fact WHERE patient_id = :owner")
    kept_facts = {str(row[0]): bool(row[1])
                  for row in session.execute(facts_sql, {"owner": kept.id})}
    dup_facts = {str(row[0]): bool(row[1])
                 for row in session.execute(facts_sql, {"owner": duplicate.id})}
    disagree = sorted(name for name, value in dup_facts.items()
                      if name in kept_facts and kept_facts[name] != value)
    if disagree:
        raise MergeRefused(
            f"The two records disagree on {', '.join(FACTS.get(n, n) for n in disagree)}; "
            "correct one of them first, then merge.")
    moving_facts = sorted(name for name in dup_facts if name not in kept_facts)

    screenings = [{"id": row[0], "trial": row[1]} for row in session.execute(text(
        "SELECT id, trial_id FROM screening WHERE patient_id = :dup ORDER BY id"), ids)]
    observations = [row[0] for row in session.execute(text(
        "SELECT id FROM observation WHERE patient_id = :dup ORDER BY id"), ids)]
    session.execute(text("UPDATE screening SET patient_id = :kept WHERE patient_id = :dup"),
                    ids)
    session.execute(text("UPDATE observation SET patient_id = :kept WHERE patient_id = :dup"),
                    ids)
    for name in moving_facts:
        session.execute(text("UPDATE patient_fact SET patient_id = :kept "
                             "WHERE patient_id = :dup AND name = :name"), {**ids, "name": name})
    return {"screenings": screenings, "observations": observations, "facts": moving_facts,
            "facts_left": sorted(name for name in dup_facts if name in kept_facts)}
