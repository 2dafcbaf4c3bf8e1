"""What an inspection archive (``nkscreen archive``) reads: the rows of a scope.

A scope is a set of patients (one patient, or every patient screened for one trial) and
their screenings (all of the patient's, or only the trial's). ``read_scope`` reads, in
one read transaction, the patients, their visits with each stage version, the
signatures, the results, the newest bytes of every digitally signed worksheet, the trial
files the stage versions were decided under, and the certificates of the people who
signed digitally. Plain values only; no Qt.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from desktop.registry.database import Registry
from desktop.registry.signed_worksheets import StoredWorksheet, latest_in

Row = tuple[str, ...]


@dataclass(frozen=True)
class TrialFileBytes:
    sha256: str
    trial_id: str
    format: str
    data: bytes


@dataclass(frozen=True)
class SignerCertificate:
    user_id: str
    serial: str
    pem: str


@dataclass(frozen=True)
class ScopeRows:
    patient_ids: tuple[int, ...]
    patients: tuple[Row, ...]
    visits: tuple[Row, ...]
    signatures: tuple[Row, ...]
    results: tuple[Row, ...]
    worksheets: tuple[StoredWorksheet, ...]
    trial_files: tuple[TrialFileBytes, ...]
    certificates: tuple[SignerCertificate, ...]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> tuple[Row, ...]:
    return tuple(tuple(_text(v) for v in found) for found in conn.execute(sql, params))


def patients_screened_for(registry: Registry, trial_id: str) -> list[int]:
    """The ids of the patients screened for ``trial_id``, oldest screening first."""
    with registry.read() as conn:
        return [int(i) for (i,) in conn.execute(
            "SELECT patient_id FROM screening WHERE trial_id = ? ORDER BY id", (trial_id,))]


def read_scope(registry: Registry, patient_ids: list[int], trial_id: str | None) -> ScopeRows:
    """Every row of the scope: ``patient_ids``, and only ``trial_id``'s screenings when
    given (else all of theirs)."""
    marks = ",".join("?" * len(patient_ids))
    trial_sql = "" if trial_id is None else " AND s.trial_id = ?"
    params: tuple[object, ...] = (*patient_ids, *(() if trial_id is None else (trial_id,)))
    visits_of = (f"SELECT v.id FROM visit v JOIN screening s ON s.id = v.screening_id "
                 f"WHERE s.patient_id IN ({marks}){trial_sql}")
    with registry.read() as conn:
        patients = _rows(conn, "SELECT id, mrn, family_name, given_name, birth_date, sex, "
                         "CASE archived WHEN 1 THEN 'yes' ELSE 'no' END, void_reason "
                         f"FROM patient WHERE id IN ({marks}) ORDER BY id", tuple(patient_ids))
        visits = _rows(conn, (
            "SELECT v.id, p.mrn, s.trial_id, v.stage_id, v.\"repeat\", "
            "COALESCE(g.version, v.version), v.status, COALESCE(g.decision, v.decision), "
            "COALESCE(g.completed_at, v.completed_at), COALESCE(g.completed_by, "
            "v.completed_by), g.content_sha256, g.trial_sha256, g.correction_reason "
            "FROM visit v JOIN screening s ON s.id = v.screening_id "
            "JOIN patient p ON p.id = s.patient_id "
            "LEFT JOIN stage_version g ON g.visit_id = v.id "
            f"WHERE s.patient_id IN ({marks}){trial_sql} ORDER BY v.id, g.version"), params)
        signatures = _rows(conn, (
            "SELECT g.id, g.visit_id, g.version, g.action, g.meaning, g.user_id, "
            "g.printed_name, g.role, g.signed_at, g.content_sha256, g.rationale, "
            "CASE WHEN EXISTS (SELECT 1 FROM signed_worksheet w WHERE w.signature_id = g.id) "
            "THEN 'yes' ELSE 'no' END "
            f"FROM signature g WHERE g.visit_id IN ({visits_of}) ORDER BY g.id"), params)
        results = _rows(conn, (
            "SELECT o.id, p.mrn, o.visit_id, o.code, o.value, o.unit, o.at, o.uln, "
            "o.source, o.entered_by, o.entered_at, "
            "CASE o.retracted WHEN 1 THEN 'yes' ELSE 'no' END, o.retracted_reason "
            "FROM observation o JOIN patient p ON p.id = o.patient_id "
            f"WHERE o.patient_id IN ({marks}) AND (o.visit_id IS NULL OR o.visit_id IN "
            f"({visits_of})) ORDER BY o.id"), (*patient_ids, *params))
        worksheets = _worksheets(conn, visits_of, params)
        trial_files = tuple(TrialFileBytes(str(sha), str(trial), str(fmt), bytes(data))
                            for sha, trial, fmt, data in conn.execute(
            "SELECT f.sha256, f.trial_id, f.format, f.data FROM trial_file f WHERE f.sha256 "
            f"IN (SELECT trial_sha256 FROM stage_version WHERE visit_id IN ({visits_of})) "
            "ORDER BY f.trial_id, f.stored_at", params))
        certificates = tuple(SignerCertificate(str(user), str(serial), str(pem))
                             for user, serial, pem in conn.execute(
            "SELECT c.user_id, c.serial, c.certificate_pem FROM user_certificate c WHERE "
            "c.user_id IN (SELECT g.user_id FROM signature g JOIN signed_worksheet w ON "
            f"w.signature_id = g.id WHERE g.visit_id IN ({visits_of})) ORDER BY c.id",
            params))
    return ScopeRows(tuple(patient_ids), patients, visits, signatures, results, worksheets,
                     trial_files, certificates)


def _worksheets(conn: sqlite3.Connection, visits_of: str,
                params: tuple[object, ...]) -> tuple[StoredWorksheet, ...]:
    versions = conn.execute(
        f"SELECT DISTINCT visit_id, version FROM signed_worksheet WHERE visit_id IN "
        f"({visits_of}) ORDER BY visit_id, version", params).fetchall()
    found = (latest_in(conn, int(visit), int(version)) for visit, version in versions)
    return tuple(w for w in found if w is not None)
