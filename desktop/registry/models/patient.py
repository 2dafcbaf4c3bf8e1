"""The ``patient`` table: identity and demographics of a screened patient.

Besides the displayed values it stores case-folded copies (``mrn_key``, ``family_key``,
``given_key``) so that uniqueness and prefix search are plain index range lookups;
``LIKE``/``lower()`` would scan the whole table. Weight and height are deliberately
not columns here: they will be dated observations. Patients are archived, never deleted.

``mrn_fold`` (migration 0004) is the MRN's uniqueness key as the domain defines it
(:func:`desktop.domain.identifiers.mrn_key`: NFKC, case and inner spaces folded). Its
plain index is always there; the partial unique index ``ux_patient_mrn_fold`` over the
patients not voided exists only once no two of them share a key (registries from before
0004 may hold such pairs until an administrator merges or voids one, see
``PatientRepository.mrn_problems``). A voided patient (``void_reason`` set, and archived)
was registered in error or is a duplicate; it stays, with its reason, never deleted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, Table, text
from sqlmodel import AutoString, Field, SQLModel

from desktop.domain.identifiers import mrn_key as fold_mrn
from desktop.registry.models.base import metadata, utcnow

#: The partial unique index on ``mrn_fold``, switched on once no duplicates remain.
UNIQUE_MRN_INDEX = "ux_patient_mrn_fold"


def _fold_default(context: Any) -> str | None:
    """``mrn_fold`` for a Core insert that gives only ``mrn`` (the bulk demo data)."""
    mrn = context.get_current_parameters().get("mrn")
    return fold_mrn(mrn) if isinstance(mrn, str) else None


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
        Index("ix_patient_mrn_fold", "mrn_fold"),
        Index(UNIQUE_MRN_INDEX, "mrn_fold", unique=True,
              sqlite_where=text("void_reason IS NULL")),
        CheckConstraint("sex IN ('female', 'male')", name="sex"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mrn: str
    mrn_key: str
    #: The domain's uniqueness key of ``mrn``; NULL only in a row another program wrote.
    mrn_fold: str | None = Field(default=None, sa_column=Column(
        AutoString, nullable=True, default=_fold_default))
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
    #: Why the patient was voided (registered in error, a duplicate); None if not voided.
    void_reason: str | None = None


#: The Core table, for set-based queries (search, bulk insert) that skip the ORM.
patient_table: Table = metadata.tables["patient"]


#: The search tables (``desktop.registry.search_sql``, migration 0010): derived from each
#: patient's names and MRN, rewritten with them, never audited themselves (the patient's
#: row is). One row per word or part and patient, in a key order that is the lookup; a
#: patient's rows are removed by their keys, computed from the values they were made of.
name_word_table: Table = Table(
    "patient_name_word", metadata,
    Column("word", AutoString, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patient.id"), primary_key=True),
    sqlite_with_rowid=False,
)
mrn_part_table: Table = Table(
    "patient_mrn_part", metadata,
    Column("part", AutoString, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patient.id"), primary_key=True),
    sqlite_with_rowid=False,
)
