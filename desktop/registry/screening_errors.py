"""What the screening repository raises, and where it finds trials and the site's ULNs.

Part of ``desktop.registry.screenings`` (which re-exports all of it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from fractions import Fraction

from desktop.domain.trial import Trial
from desktop.registry.database import RegistryError
from desktop.registry.screening_rows import EntryKind

#: ``trial id -> Trial``; raises ``LookupError`` for a trial it does not know, or
#: ``desktop.library.TrialFileError`` for a trial file it cannot read.
TrialSource = Callable[[str], Trial]


#: The site's upper limits of normal (canonical units); raises ``desktop.site.SiteError``
#: when ``site.json`` cannot be used.
SiteUlnSource = Callable[[], Mapping[str, Fraction]]


def trials_from(trials: Mapping[str, Trial]) -> TrialSource:
    """A ``TrialSource`` over an already loaded library (NCT id -> trial)."""
    def find(trial_id: str) -> Trial:
        found = trials.get(trial_id)
        if found is None:
            raise LookupError(f"trial {trial_id} is not in the trial library")
        return found
    return find


class ScreeningRefused(RegistryError):
    """The request breaks a screening rule; nothing was written. ``str()`` says why."""


class ScreeningNotFound(RegistryError):
    """No screening has the given id."""


class VisitNotFound(RegistryError):
    """No visit has the given id."""


class ObservationNotFound(RegistryError):
    """No result has the given id."""


class EntryChanged(ScreeningRefused):
    """A save over an entry that changed since it was read (in another window, or by
    another process); nothing was written. ``str()`` says who changed it and when.

    ``kind`` and ``name`` say which entry; ``version`` is its version now;
    ``changed_by`` and ``changed_at`` (UTC) the change that came between (None if the
    audit trail does not tell)."""

    def __init__(self, message: str, *, kind: EntryKind, name: str, version: int,
                 changed_by: str | None, changed_at: datetime | None) -> None:
        super().__init__(message)
        self.kind: EntryKind = kind
        self.name = name
        self.version = version
        self.changed_by = changed_by
        self.changed_at = changed_at
