"""Screenings, visits and what is entered in them (issue #5, staged screening visits).

A ``screening`` is one patient screened for one trial; its ``visit`` rows are the
trial's stages (``repeat`` counts visits of a repeated stage from 1). Results
(``observation``) and facts (``patient_fact``) belong to the patient; planned event
dates (``visit_event``) and answers to attested criteria (``answer``) to one visit.

Two kinds of time are stored:

- clinical times (an observation's ``at``, event dates, a visit's ``assessed_at``) are
  local wall-clock values without a time zone, as the coordinator typed them
  (``DateTime(timezone=False)``, stored by SQLite as ISO text and read back exactly);
- bookkeeping times (``*_at`` of who did what) are UTC (``UTCDateTime``), like the
  patient table's.

Typed numbers (``observation.value``, ``uln``) are the text the coordinator typed,
never a float. Nothing is deleted: a wrong result is retracted, a decision stays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from desktop.registry.models.base import utcnow


def _local(nullable: bool) -> Any:
    """A naive (local wall-clock) date-time column."""
    return Field(default=None, sa_column=Column(DateTime(timezone=False), nullable=nullable))


class Screening(SQLModel, table=True):
    __tablename__ = "screening"
    __table_args__ = (
        UniqueConstraint("patient_id", "trial_id"),
        Index("ix_screening_trial_id", "trial_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(sa_column=Column(Integer, ForeignKey("patient.id"),
                                             nullable=False))
    trial_id: str
    started_at: datetime = Field(default_factory=utcnow)
    started_by: str


class Visit(SQLModel, table=True):
    __tablename__ = "visit"
    __table_args__ = (
        UniqueConstraint("screening_id", "stage_id", "repeat"),
        # At most one draft per screening: gating opens one stage at a time.
        Index("ux_visit_one_draft", "screening_id", unique=True,
              sqlite_where=text("status = 'draft'")),
        CheckConstraint("status IN ('draft', 'completed')", name="status"),
        CheckConstraint("decision IS NULL OR decision IN ('eligible', 'not_eligible')",
                        name="decision"),
        CheckConstraint("(status = 'draft') = (decision IS NULL)", name="decided_when_completed"),
        CheckConstraint('"repeat" >= 1', name="repeat"),
    )

    id: int | None = Field(default=None, primary_key=True)
    screening_id: int = Field(sa_column=Column(Integer, ForeignKey("screening.id"),
                                               nullable=False))
    stage_id: str
    repeat: int
    status: str = Field(default="draft")
    decision: str | None = None
    started_at: datetime = Field(default_factory=utcnow)
    started_by: str
    completed_at: datetime | None = None
    completed_by: str | None = None
    assessed_at: datetime | None = _local(nullable=True)
    #: ``Verdict.as_json()`` as it was at completion.
    verdict: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    override_rationale: str | None = None
    override_agreed_by: str | None = None
    override_recorded_by: str | None = None
    override_recorded_at: datetime | None = None
    signed_by: str | None = None
    signed_at: datetime | None = None
    #: The stage version: 1, then one more for each correction (``stage_version``).
    version: int = Field(default=1)
    #: Why the current version was opened, while a correction is a draft or after.
    correction_reason: str | None = None


class VisitEvent(SQLModel, table=True):
    __tablename__ = "visit_event"
    __table_args__ = (UniqueConstraint("visit_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(sa_column=Column(Integer, ForeignKey("visit.id"), nullable=False))
    name: str
    at: datetime = _local(nullable=False)
    entered_by: str
    entered_at: datetime = Field(default_factory=utcnow)


class PatientFact(SQLModel, table=True):
    __tablename__ = "patient_fact"
    __table_args__ = (UniqueConstraint("patient_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(sa_column=Column(Integer, ForeignKey("patient.id"),
                                             nullable=False))
    name: str
    value: bool
    entered_by: str
    entered_at: datetime = Field(default_factory=utcnow)


class Observation(SQLModel, table=True):
    __tablename__ = "observation"
    __table_args__ = (
        Index("ix_observation_patient_id_code_at", "patient_id", "code", "at"),
        Index("ix_observation_visit_id", "visit_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(sa_column=Column(Integer, ForeignKey("patient.id"),
                                             nullable=False))
    visit_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("visit.id"),
                                                                nullable=True))
    code: str
    #: The number as typed ("1.90").
    value: str
    unit: str
    at: datetime = _local(nullable=False)
    #: The upper limit of normal as typed, or None.
    uln: str | None = None
    source: str = ""
    entered_by: str
    entered_at: datetime = Field(default_factory=utcnow)
    retracted: bool = False
    retracted_reason: str | None = None
    retracted_by: str | None = None
    retracted_at: datetime | None = None
    #: A value unusual enough to need confirming (``desktop.registry.confirmations``):
    #: what was confirmed ("Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL"), by whom
    #: and when. None for a value that needed no confirmation.
    confirmation: str | None = None
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None


class Answer(SQLModel, table=True):
    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("visit_id", "criterion_id"),
        CheckConstraint("value IN ('yes', 'no', 'n/a')", name="value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(sa_column=Column(Integer, ForeignKey("visit.id"), nullable=False))
    criterion_id: str
    value: str
    note: str = ""
    source_document: str = ""
    entered_by: str
    entered_at: datetime = Field(default_factory=utcnow)


class ScreenFailure(SQLModel, table=True):
    __tablename__ = "screen_failure"
    __table_args__ = (
        UniqueConstraint("visit_id"),
        Index("ix_screen_failure_screening_id", "screening_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(sa_column=Column(Integer, ForeignKey("visit.id"), nullable=False))
    screening_id: int = Field(sa_column=Column(Integer, ForeignKey("screening.id"),
                                               nullable=False))
    stage_id: str
    repeat: int
    #: ``[[criterion id, reason], ...]`` of the verdict's failing criteria, protocol order.
    reasons: list[list[str]] = Field(default_factory=list,
                                     sa_column=Column(JSON, nullable=False))
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str
