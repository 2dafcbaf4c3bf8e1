"""What the patient repository raises (all ``RegistryError``).

Part of ``desktop.registry.patients`` (which re-exports all of it).
"""

from __future__ import annotations

from desktop.registry.database import RegistryError


class ValidationFailed(RegistryError):
    """Nothing was saved; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str], done: str = "saved") -> None:
        self.errors = dict(errors)
        super().__init__(f"The patient was not {done}: " + " ".join(self.errors.values()))


class PatientNotFound(RegistryError):
    """No patient has the given id."""


class PatientVoided(RegistryError):
    """The patient was voided: the record stays as it was, and cannot be changed."""


class MergeRefused(RegistryError):
    """The two patients cannot be merged as they are; nothing was changed."""
