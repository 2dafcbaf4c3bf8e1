"""The plain data the services take and return, and the errors they raise.

Re-exported from the registry so that callers (the UI, the command line) import them
from ``desktop.services`` and never from the registry. Light to import: no engine, no
SQLAlchemy, so a widget can name these types at the top of its module without loading
what the patient list must not. (``Registry``, the open database, is here for the
UI's shared context to hold; only ``desktop.ui.app`` opens one.)
"""

from __future__ import annotations

from desktop.registry.confirmations import DEFAULT_LIMITS, ConfirmLimit, unusual
from desktop.registry.database import Registry, RegistryError
from desktop.registry.mrn_problems import MrnProblem, visible
from desktop.registry.patients import (
    SEXES,
    MergeRefused,
    PatientInput,
    PatientNotFound,
    PatientVoided,
    ValidationFailed,
)
from desktop.registry.reading import PatientRow
from desktop.registry.screening_rows import (
    ANSWER_VALUES,
    AnswerRow,
    AnswerValue,
    EntryKind,
    LogRow,
    ObservationInput,
    ObservationRow,
    OverrideRow,
    PatientChangeRow,
    ScreenFailureRow,
    ScreeningRow,
    VisitDecision,
    VisitEntries,
    VisitRow,
    VisitStatus,
    changed_after_completion,
)

__all__ = ["ANSWER_VALUES", "DEFAULT_LIMITS", "SEXES", "AnswerRow", "AnswerValue",
           "ConfirmLimit", "EntryKind", "LogRow", "MergeRefused", "MrnProblem",
           "ObservationInput", "ObservationRow", "OverrideRow", "PatientChangeRow",
           "PatientInput", "PatientNotFound", "PatientRow", "PatientVoided", "Registry",
           "RegistryError", "ScreenFailureRow", "ScreeningRow", "ValidationFailed",
           "VisitDecision", "VisitEntries", "VisitRow", "VisitStatus",
           "changed_after_completion", "unusual", "visible"]
