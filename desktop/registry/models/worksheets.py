"""Digitally signed worksheets (issue 16): the PDF bytes after each signature.

``signed_worksheet`` keeps one row per digital signature: the whole file as it stood
once that signature was added (each is an incremental update of the one before, so the
newest row of a stage version holds every earlier one byte for byte), its SHA-256, and
where each signer's field lies (the next signature fills its own). The bytes are kept
on the audit trail by their length and SHA-256 only. Nothing here is ever updated or
deleted; a correction's worksheet is a new version with rows of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, LargeBinary
from sqlmodel import Field, SQLModel

from desktop.registry.models.base import utcnow


class SignedWorksheet(SQLModel, table=True):
    __tablename__ = "signed_worksheet"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(sa_column=Column(Integer, ForeignKey("visit.id"), nullable=False,
                                           index=True))
    version: int
    signature_id: int = Field(sa_column=Column(Integer, ForeignKey("signature.id"),
                                               nullable=False, unique=True))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str
    #: Each signer's field: {"name", "role", "page", "x", "y", "width", "height"}.
    fields: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    stored_at: datetime = Field(default_factory=utcnow)
