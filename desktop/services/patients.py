"""Patients: add, edit, archive, search, void, merge, and the MRN problems list.

``PatientService`` is what the patient list, the patient dialog and the MRN problems
dialog call. Each method is one use case and one unit of work in ``PatientRepository``
(which checks the MRN and name rules and writes the audit row in the same transaction);
it returns ``PatientRow`` and raises ``RegistryError`` or one of its subclasses
(``ValidationFailed`` naming each field, ``PatientNotFound``, ``PatientVoided``,
``MergeRefused``). The method names and arguments are the repository's, so either can be
handed to a widget. No Qt.

At the current schema this module loads the stdlib ``sqlite3`` only: the patient list is
filled without SQLAlchemy.
"""

from __future__ import annotations

from datetime import date

from desktop.domain.identifiers import MrnRules
from desktop.registry.database import Registry
from desktop.registry.patients import PatientRepository
from desktop.services.acting import Actor, NotPermitted, Permission, acting, need
from desktop.services.rows import (
    SEXES,
    MergeRefused,
    MrnProblem,
    PatientInput,
    PatientNotFound,
    PatientRow,
    PatientVoided,
    RegistryError,
    ValidationFailed,
    visible,
)

__all__ = ["SEXES", "Actor", "MergeRefused", "MrnProblem", "NotPermitted", "PatientInput",
           "PatientNotFound",
           "PatientRow", "PatientService", "PatientVoided", "RegistryError",
           "ValidationFailed", "visible"]


class PatientService:
    """The patient use cases for an actor on an open registry.

    Every change needs ``Permission.ENTER_DATA`` (a monitor or an admin alone is refused
    with ``NotPermitted``), checked against the account as it is now; every role reads.
    """

    def __init__(self, repository: PatientRepository, actor: Actor | str,
                 registry: Registry | None = None) -> None:
        self._repository = repository
        self.actor = acting(actor)
        self._registry = registry

    @classmethod
    def open(cls, registry: Registry, user: Actor | str,
             mrn_rules: MrnRules | None = None) -> PatientService:
        """The use cases for ``user`` on an open registry (the site's MRN rules by default)."""
        actor = acting(user)
        return cls(PatientRepository(registry, actor.user_id, mrn_rules), actor, registry)

    @property
    def may_change(self) -> bool:
        """Whether the actor may add and change patients (the screens disable otherwise)."""
        return self.actor.may(Permission.ENTER_DATA)

    @property
    def mrn_rules(self) -> MrnRules:
        """The MRN rules every add and edit is checked against."""
        return self._repository.mrn_rules

    def validate(self, data: PatientInput, patient_id: int | None = None,
                 today: date | None = None) -> dict[str, str]:
        """Field name -> message for every problem; empty when ``data`` can be saved."""
        return self._repository.validate(data, patient_id, today)

    def add(self, data: PatientInput) -> PatientRow:
        """Save a new patient; raises ``ValidationFailed`` and saves nothing if invalid."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.add(data)

    def update(self, patient_id: int, data: PatientInput, reason: str = "") -> PatientRow:
        """Change a patient's details; the audit event lists old and new values. As
        ``PatientRepository.update``: changing the date of birth or the sex of a patient
        with a completed stage needs a ``reason``."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.update(patient_id, data, reason)

    def has_completed_stage(self, patient_id: int) -> bool:
        """Whether changing the patient's date of birth or sex needs a reason."""
        return self._repository.has_completed_stage(patient_id)

    def needs_reason(self, patient_id: int, data: PatientInput) -> bool:
        """Whether ``update`` needs a reason to save ``data`` (it changes the date of birth
        or sex of a patient with a completed stage): ask for one before saving."""
        return self._repository.needs_reason(patient_id, data)

    def set_archived(self, patient_id: int, archived: bool) -> PatientRow:
        """Archive (hide from default search) or restore a patient. Nothing is ever deleted."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.set_archived(patient_id, archived)

    def void(self, patient_id: int, reason: str) -> PatientRow:
        """Mark a patient registered in error (a duplicate, say) voided, with ``reason``."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.void(patient_id, reason)

    def merge(self, duplicate_id: int, kept_id: int, reason: str) -> PatientRow:
        """As ``PatientRepository.merge``."""
        need(self.actor, Permission.ENTER_DATA, self._registry)
        return self._repository.merge(duplicate_id, kept_id, reason)

    def mrn_problems(self) -> list[MrnProblem]:
        """As ``PatientRepository.mrn_problems``."""
        return self._repository.mrn_problems()

    def unique_mrns_enforced(self) -> bool:
        """As ``PatientRepository.unique_mrns_enforced``."""
        return self._repository.unique_mrns_enforced()

    def get(self, patient_id: int) -> PatientRow:
        return self._repository.get(patient_id)

    def count(self, text: str = "", include_archived: bool = False,
              cap: int | None = None) -> int:
        """As ``PatientRepository.count``: at most ``cap`` when one is given."""
        return self._repository.count(text, include_archived, cap)

    def search(self, text: str = "", offset: int = 0, limit: int = 200,
               include_archived: bool = False) -> list[PatientRow]:
        """As ``PatientRepository.search``."""
        return self._repository.search(text, offset, limit, include_archived)
