"""The ``patient`` table: identity and demographics of a screened patient.

Besides the displayed values it stores case-folded copies (``mrn_key``, ``family_key``,
``given_key``) so that uniqueness and prefix search are plain index range lookups;
``LIKE``/``lower()`` would scan the whole table. Weight and height are deliberately
not columns here: they will be dated observations. Patients are archived, never deleted.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, Table, text
from sqlmodel import Field, SQLModel

from desktop.registry.models.base import metadata, utcnow


class Patient(SQLModel, table=True):
    __tablename__ = "patient"
    __table_args__ = (
        Index("ux_patient_mrn_key", "mrn_key", unique=True),
        # Search indexes. Each covers every column a prefix search reads (the three
        # keys, ``archived`` and, implicitly, the rowid), so counting and ordering the
        # matches never touches the table. The first also gives the default ordering.
        Index("ix_patient_name_order", "family_key", "given_key", "mrn_key", "archived"),
        Index("ix_patient_given_search", "given_key", "family_key", "mrn_key", "archived"),
        Index("ix_patient_mrn_search", "mrn_key", "family_key", "given_key", "archived"),
        # Partial: only archived rows, so "active = all - archived" counts in a blink,
        # and no query filtering on archived = 0 is tempted to use it.
        Index("ix_patient_archived", "archived", sqlite_where=text("archived = 1")),
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


#: The Core table, for set-based queries (search, bulk insert) that skip the ORM.
patient_table: Table = metadata.tables["patient"]
