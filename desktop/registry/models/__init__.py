"""All table models of the registry, imported together so ``SQLModel.metadata`` is complete.

Alembic's ``env.py`` and the schema-agreement test import this package; each later
feature adds its tables in a module of its own and imports it here.
"""

from desktop.registry.models.account import Account, Delegation, SiteSetting, UlnValue
from desktop.registry.models.audit import AuditEvent, AuditForeign, AuditHead, AuditPending
from desktop.registry.models.base import metadata
from desktop.registry.models.keys import CaKeyGrant, SigningCa, UserCertificate, UserKey
from desktop.registry.models.patient import Patient
from desktop.registry.models.screening import (
    Answer,
    Observation,
    PatientFact,
    ScreenFailure,
    Screening,
    Visit,
    VisitEvent,
)
from desktop.registry.models.signing import Signature, StageVersion, TrialFile

__all__ = ["Account", "Answer", "AuditEvent", "AuditForeign", "AuditHead", "AuditPending",
           "CaKeyGrant", "Delegation", "Observation", "Patient", "PatientFact",
           "ScreenFailure", "Screening", "Signature", "SigningCa", "SiteSetting",
           "StageVersion", "TrialFile", "UlnValue", "UserCertificate", "UserKey", "Visit",
           "VisitEvent", "metadata"]
