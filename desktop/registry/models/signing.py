"""Signatures on completed stages (issue 13, 21 CFR 11.50 / 11.70).

- ``trial_file``: the exact bytes of each trial file a stage was decided under, once per
  SHA-256, so a stage can be shown and evaluated again under its own protocol version.
- ``stage_version``: one row per completion of a visit. Version 1 is the first
  completion; a correction reopens the visit as version 2 (with its reason), and so on.
  Each row keeps the decision, the verdict, and the canonical signed content with its
  SHA-256 (``desktop.domain.signing.SignedContent``): what a signature is linked to.
  ``observation_ids`` lists the results the content covers (not part of the hash).
- ``signature``: one per signature on a stage version, with its manifestation (printed
  name, user id, role, meaning, local date and time with UTC offset) and the SHA-256 of
  the content signed. An override signature also keeps the rationale and the other
  parties the protocol names. Nothing here is ever updated or deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from desktop.registry.models.base import utcnow


class TrialFile(SQLModel, table=True):
    __tablename__ = "trial_file"

    sha256: str = Field(primary_key=True)
    trial_id: str
    #: "yaml" (a file of the library) or "json" (a trial handed in by a caller).
    format: str
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    stored_at: datetime = Field(default_factory=utcnow)


class StageVersion(SQLModel, table=True):
    __tablename__ = "stage_version"
    __table_args__ = (UniqueConstraint("visit_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(sa_column=Column(Integer, ForeignKey("visit.id"), nullable=False))
    version: int
    decision: str
    completed_at: datetime
    completed_by: str
    trial_sha256: str = Field(sa_column=Column(ForeignKey("trial_file.sha256"),
                                               nullable=False))
    #: The canonical content as JSON text, exactly the bytes hashed.
    content: str
    content_sha256: str
    observation_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    #: ``Verdict.as_json()`` of this version (the visit keeps only the current one's).
    verdict: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    #: Why this version was opened (None for version 1).
    correction_reason: str | None = None
    #: "completion", or "signing" for a stage completed before signatures existed.
    captured: str = Field(default="completion")


class Signature(SQLModel, table=True):
    __tablename__ = "signature"
    __table_args__ = (
        UniqueConstraint("stage_version_id", "action"),
        Index("ix_signature_visit_id", "visit_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    stage_version_id: int = Field(sa_column=Column(Integer, ForeignKey("stage_version.id"),
                                                   nullable=False))
    visit_id: int = Field(sa_column=Column(Integer, ForeignKey("visit.id"), nullable=False))
    version: int
    #: ``desktop.domain.signing.Action`` value: prepare, confirm, override.
    action: str
    #: ``desktop.domain.signing.Meaning`` value, the words printed with the signature.
    meaning: str
    user_id: str
    printed_name: str
    role: str
    #: Local date and time of signing with its UTC offset (ISO 8601).
    signed_at: str
    content_sha256: str
    content_version: int
    rationale: str | None = None
    #: An override's other parties: [{"role", "name", "agreed_on", "documented_as"}].
    parties: list[dict[str, Any]] | None = Field(default=None,
                                                 sa_column=Column(JSON, nullable=True))
    #: The audit chain head (row number and hash) when the signature was written: a
    #: witness, outside the audit table, that the trail reached at least that far.
    chain_seq: int | None = None
    chain_hash: str | None = None
