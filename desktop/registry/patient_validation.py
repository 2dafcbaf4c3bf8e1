"""Checking a patient's details before they are saved, and the messages it gives.

``field_errors`` trims and normalises what the user typed (``PatientInput``) by the
domain's MRN and name rules (:mod:`desktop.domain.identifiers`) and maps each field
to a sentence a user can read; an MRN another patient holds (``ClashLookup``) is one
of the problems. ``checked_reason`` checks the reason given for voiding or merging.

Part of ``desktop.registry.patients`` (which re-exports what callers import).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from desktop.domain.identifiers import (
    IdentifierError,
    MrnRules,
    describe_char,
    normalise_mrn,
    normalise_name,
)
from desktop.registry import reading
from desktop.registry.mrn_problems import visible
from desktop.registry.patient_errors import ValidationFailed
from desktop.registry.reading import MrnHolder

if TYPE_CHECKING:
    from sqlmodel import Session

SEXES = ("female", "male")
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
#: Longest reason for voiding, merging or a change a completed stage covers, in
#: characters.
REASON_MAX = 500

#: ``(mrn, patient_id) -> `` another patient holding that MRN, or None.
ClashLookup = Callable[[str, int | None], MrnHolder | None]


@dataclass(frozen=True)
class PatientInput:
    """What the user typed; ``validate`` trims and checks it."""

    mrn: str
    family_name: str
    given_name: str
    birth_date: date | None
    sex: str


def session_clash(session: Session) -> ClashLookup:
    """``reading.mrn_clash``, run inside the write session's transaction."""
    from sqlalchemy import text

    def lookup(mrn: str, patient_id: int | None) -> MrnHolder | None:
        sql, params = reading.mrn_clash_params(mrn, patient_id)
        found = session.execute(text(sql), params).first()
        return reading.holder(tuple(found)) if found is not None else None

    return lookup


def field_errors(clash_with: ClashLookup, mrn_rules: Callable[[], MrnRules],
                 data: PatientInput, patient_id: int | None,
                 today: date | None) -> tuple[dict[str, str], PatientInput]:
    """The problems, and ``data`` as it would be stored (normalised, trimmed).

    ``mrn_rules`` gives the rules an MRN is checked against; it is called only for an
    MRN that is not blank.
    """
    today = today or date.today()
    errors: dict[str, str] = {}
    mrn = _mrn(errors, data.mrn, mrn_rules)
    family_name = _name(errors, "family_name", "family name", data.family_name)
    given_name = _name(errors, "given_name", "given name", data.given_name)
    if data.birth_date is None:
        errors["birth_date"] = "Enter the date of birth."
    elif data.birth_date > today:
        errors["birth_date"] = "The date of birth cannot be in the future."
    elif data.birth_date < EARLIEST_BIRTH_DATE:
        errors["birth_date"] = "The date of birth cannot be before 1 January 1900."
    sex = data.sex.strip()
    if sex not in SEXES:
        errors["sex"] = "Choose female or male."
    if "mrn" not in errors:
        clash = clash_with(mrn, patient_id)
        if clash is not None:
            errors["mrn"] = _duplicate_message(mrn, clash)
    clean = PatientInput(mrn=mrn, family_name=family_name, given_name=given_name,
                         birth_date=data.birth_date, sex=sex)
    return errors, clean


def _mrn(errors: dict[str, str], text: str, mrn_rules: Callable[[], MrnRules]) -> str:
    if not text.strip():
        errors["mrn"] = "Enter the MRN."
        return ""
    try:
        return normalise_mrn(text, mrn_rules())
    except IdentifierError as exc:
        errors["mrn"] = _sentence("The MRN", str(exc))
        return text.strip()


def _name(errors: dict[str, str], field: str, what: str, text: str) -> str:
    try:
        name = normalise_name(text, what)
    except IdentifierError as exc:
        errors[field] = _sentence(f"The {what}", str(exc))
        return text.strip()
    if not name:
        errors[field] = f"Enter the {what}."
    return name


def _sentence(what: str, problem: str) -> str:
    """A domain message (``is 40 characters long; at most 32``) as a sentence on a field."""
    # Else the problem names its subject: "'А' (U+0410 ...) is not allowed in an MRN ...".
    text = f"{what} {problem}" if problem.startswith(("is ", "contains ")) else problem
    return text if text.endswith(".") else text + "."


def _duplicate_message(mrn: str, holder: MrnHolder) -> str:
    who = f"{visible(holder.family_name, quotes=False)}, " \
          f"{visible(holder.given_name, quotes=False)}"
    shown = visible(holder.mrn, quotes=False)
    if holder.voided:
        return (f"MRN {shown} belongs to a voided patient record ({who}); an MRN once "
                "given is not given to another patient.")
    where = ", archived" if holder.archived else ""
    same = "" if holder.mrn == mrn else (
        "; MRNs that differ only in case, spacing or full-width characters are one MRN")
    return f"MRN {shown} already belongs to another patient ({who}{where}){same}."


def checked_reason(text: str, done: str) -> str:
    """A reason for voiding or merging: NFC, trimmed, visible characters, at most 500."""
    reason, problem = _reason(text)
    if not reason:
        problem = "Give the reason."
    if problem:
        raise ValidationFailed({"reason": problem}, done)
    return reason


def covered_reason(text: str, completed_stage: bool, asking: str) -> tuple[str, str | None]:
    """The reason given for changing what a completed stage was decided on (the patient's
    date of birth, sex, results, facts), as it is recorded, and the problem with it on
    "reason" (None if there is none).

    ``completed_stage``: whether the patient has a completed stage
    (``reading.has_completed_stage``); then a reason is required, and ``asking`` is the
    message asking for it ("Reason: say why ..."). Without one, a blank reason is fine;
    a reason given is checked (and recorded) all the same."""
    reason, problem = _reason(text)
    if problem:
        return reason, f"Reason: {problem[:1].lower()}{problem[1:]}"
    if not reason and completed_stage:
        return reason, asking
    return reason, None


def session_completed_stage(session: Session, patient_id: int) -> bool:
    """``reading.has_completed_stage``, run inside the write session's transaction."""
    from sqlalchemy import text

    found = session.execute(text(reading.COMPLETED_STAGE_SQL),
                            {"patient_id": patient_id}).first()
    return found is not None and bool(found[0])


def _reason(text: str) -> tuple[str, str]:
    """A reason NFC and trimmed, and what is wrong with it ("" if nothing, or blank)."""
    reason = unicodedata.normalize("NFC", text).strip()
    problem = ""
    if len(reason) > REASON_MAX:
        problem = f"The reason is {len(reason)} characters long; at most {REASON_MAX}."
    else:
        bad = next((ch for ch in reason if not ch.isprintable()), None)
        if bad is not None:
            problem = f"The reason contains an invisible or control character " \
                      f"{describe_char(bad)}."
    return reason, problem
