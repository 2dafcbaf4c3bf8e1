"""Reading and storing digitally signed worksheets (``signed_worksheet``).

``store`` adds the bytes of a worksheet once a signature was added, in the signature's
own write session (``add_signature``); ``latest`` reads the newest bytes of a stage
version; ``listing`` is every stored worksheet with its signers, for ``nkscreen
worksheets`` (no patient data beyond the MRN).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from desktop.registry.database import Registry


@dataclass(frozen=True)
class StoredWorksheet:
    visit_id: int
    version: int
    data: bytes
    sha256: str
    fields: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class NewWorksheet:
    """A worksheet's bytes once a signature is added, handed to ``add_signature``."""

    data: bytes
    sha256: str
    fields: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class WorksheetListing:
    visit_id: int
    mrn: str
    trial_id: str
    stage_id: str
    repeat: int
    version: int
    sha256: str
    #: (user id, printed name, meaning, signed at as stored: local time with its offset)
    signers: tuple[tuple[str, str, str, str], ...]


def store(session: Any, visit_id: int, version: int, signature_id: int,
          document: NewWorksheet) -> None:
    """Add the worksheet's bytes after signature ``signature_id`` (in its session)."""
    import hashlib

    from desktop.registry.models.worksheets import SignedWorksheet

    if hashlib.sha256(document.data).hexdigest() != document.sha256:
        raise ValueError("the worksheet's bytes do not match their SHA-256")
    session.add(SignedWorksheet(visit_id=visit_id, version=version,
                                signature_id=signature_id, data=document.data,
                                sha256=document.sha256, fields=list(document.fields)))


def latest_in(conn: sqlite3.Connection, visit_id: int, version: int) -> StoredWorksheet | None:
    found = conn.execute(
        "SELECT data, sha256, fields FROM signed_worksheet WHERE visit_id = ? AND "
        "version = ? ORDER BY id DESC LIMIT 1", (visit_id, version)).fetchone()
    if found is None:
        return None
    return StoredWorksheet(visit_id, version, bytes(found[0]), str(found[1]),
                           tuple(json.loads(found[2])))


def latest(registry: Registry, visit_id: int, version: int) -> StoredWorksheet | None:
    with registry.read() as conn:
        return latest_in(conn, visit_id, version)


def copies(registry: Registry, visit_id: int, version: int) -> list[str]:
    """The SHA-256 of each copy kept of the version's worksheet, oldest (the first
    signature's) first: every signature stores the whole file it made."""
    with registry.read() as conn:
        return [str(row[0]) for row in conn.execute(
            "SELECT sha256 FROM signed_worksheet WHERE visit_id = ? AND version = ? "
            "ORDER BY id", (visit_id, version))]


def listing(registry: Registry) -> list[WorksheetListing]:
    """Every stage version with a signed worksheet, newest bytes, oldest visit first."""
    with registry.read() as conn:
        heads = conn.execute(
            "SELECT w.visit_id, w.version, w.sha256, p.mrn, s.trial_id, v.stage_id, "
            "v.\"repeat\" FROM signed_worksheet w JOIN visit v ON v.id = w.visit_id "
            "JOIN screening s ON s.id = v.screening_id JOIN patient p ON p.id = "
            "s.patient_id WHERE w.id = (SELECT MAX(x.id) FROM signed_worksheet x "
            "WHERE x.visit_id = w.visit_id AND x.version = w.version) "
            "ORDER BY w.visit_id, w.version").fetchall()
        signed = conn.execute(
            "SELECT w.visit_id, w.version, g.user_id, g.printed_name, g.meaning, g.signed_at "
            "FROM signed_worksheet w JOIN signature g ON g.id = w.signature_id "
            "ORDER BY w.id").fetchall()
    by_version: dict[tuple[int, int], list[tuple[str, str, str, str]]] = {}
    for visit_id, version, user_id, name, meaning, at in signed:
        by_version.setdefault((int(visit_id), int(version)), []).append(
            (str(user_id), str(name), str(meaning), str(at)))
    return [WorksheetListing(int(visit_id), str(mrn), str(trial), str(stage), int(repeat),
                             int(version), str(sha), tuple(by_version.get(
                                 (int(visit_id), int(version)), ())))
            for visit_id, version, sha, mrn, trial, stage, repeat in heads]
