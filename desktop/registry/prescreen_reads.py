"""What a prescreen reads of many patients at once: a few queries per batch, never one
per patient.

``active_patients`` lists the patients a candidate search goes through (not archived,
not voided); ``patient_data`` reads a batch of them: date of birth, sex, facts, saved
results (through ``patient_results.saved_results``, the mapping completing a stage
uses) and the trials each is already screened for. Reads only; no Qt.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from desktop.registry.confirmations import ConfirmLimit
from desktop.registry.database import Registry
from desktop.registry.patient_results import RESULT_COLUMNS, SavedResults, saved_results

_IDS: Final = "(SELECT value FROM json_each(?))"


@dataclass(frozen=True)
class PatientData:
    """One patient as a prescreen reads them."""

    patient_id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    facts: Mapping[str, bool]
    results: SavedResults
    #: The trials the patient already has a screening for.
    screened: frozenset[str]


def active_patients(registry: Registry) -> list[int]:
    """Every patient neither archived nor voided, by id."""
    with registry.read() as conn:
        return [int(row[0]) for row in conn.execute(
            "SELECT id FROM patient WHERE archived = 0 AND void_reason IS NULL ORDER BY id")]


def patient_data(registry: Registry, patient_ids: Sequence[int],
                 codes: Collection[str] | None, reads: Collection[str],
                 confirm_limits: Mapping[str, ConfirmLimit]) -> list[PatientData]:
    """The patients of ``patient_ids`` (in that order; unknown ids are left out) with
    their results of ``codes`` (None: every code). A saved result of a code in
    ``reads`` that can no longer be read is named in ``results.unreadable``."""
    ids = json.dumps(list(patient_ids))
    with registry.read() as conn:
        people = conn.execute(
            f"SELECT id, mrn, family_name, given_name, birth_date, sex FROM patient "
            f"WHERE id IN {_IDS}", (ids,)).fetchall()
        observations = _observations(conn, ids, codes)
        facts: dict[int, dict[str, bool]] = defaultdict(dict)
        for pid, name, value in conn.execute(
                f"SELECT patient_id, name, value FROM patient_fact WHERE patient_id IN {_IDS}",
                (ids,)):
            facts[int(pid)][str(name)] = bool(value)
        screened: dict[int, set[str]] = defaultdict(set)
        for pid, trial_id in conn.execute(
                f"SELECT patient_id, trial_id FROM screening WHERE patient_id IN {_IDS}",
                (ids,)):
            screened[int(pid)].add(str(trial_id))
    by_patient: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in observations:
        by_patient[int(row[0])].append(row[1:])
    found = {int(pid): PatientData(
        patient_id=int(pid), mrn=str(mrn), family_name=str(family), given_name=str(given),
        birth_date=date.fromisoformat(born), sex=str(sex), facts=facts.get(int(pid), {}),
        results=saved_results(by_patient.get(int(pid), ()), reads, confirm_limits),
        screened=frozenset(screened.get(int(pid), ())))
        for pid, mrn, family, given, born, sex in people}
    return [found[pid] for pid in patient_ids if pid in found]


def _observations(conn: sqlite3.Connection, ids: str,
                  codes: Collection[str] | None) -> list[tuple[Any, ...]]:
    sql = (f"SELECT o.patient_id, {RESULT_COLUMNS} FROM observation o WHERE o.patient_id IN {_IDS} "
           f"AND o.retracted = 0")
    params: tuple[str, ...] = (ids,)
    if codes is not None:
        sql += f" AND o.code IN {_IDS}"
        params = (ids, json.dumps(sorted(codes)))
    return conn.execute(sql + " ORDER BY o.patient_id, o.id", params).fetchall()
