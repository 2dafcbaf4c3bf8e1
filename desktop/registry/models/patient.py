"""The ``patient`` table: identity and demographics of a screened patient.

Besides the displayed values it stores case-folded copies (``mrn_key``, ``family_key``,
``given_key``) so that uniqueness and prefix search are plain index range lookups;
``LIKE``/``lower()`` would scan the whole table. Weight and height are deliberately
not columns here: they will be dated observations. Patients are archived, never deleted.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from desktop.registry.models.base import utcnow


class Patient(SQLModel, table=True):
    __tablename__ = "patient"
    __table_args__ = (
        Index("ux_patient_mrn_key", "mrn_key", unique=True),
        # Serves the default ordering and family-name prefix search at once.
        Index("ix_patient_name_order", "family_key", "given_key", "mrn_key"),
        Index("ix_patient_given_key", "given_key"),
        CheckConstraint("sex IN ('female', 'male')", name="sex"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mrn: str
    mrn_key: str
    family_name: str
    family_key: str
    given_name: str
    given_key: str
    birth_date: date
    sex: str
    archived: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str
