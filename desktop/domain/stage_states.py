"""The states a screening stage goes through, and which stages may be worked on.

Kept apart from :mod:`desktop.domain.visits` (which needs the trial model, and so
pydantic) so that the registry's row types and the patient list can name a stage's
state without importing the trial model.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum


class StageState(Enum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    ELIGIBLE = "eligible"
    #: Completed eligible, and the investigator's confirmation is still to come: the
    #: next stage waits for it (unless the site allows opening it before the signature,
    #: when the stage shows as ``ELIGIBLE``).
    AWAITING_SIGNATURE = "awaiting signature"
    NOT_ELIGIBLE = "not eligible"
    OVERRIDDEN = "overridden"
    SIGNED = "signed"

    @property
    def lets_next_open(self) -> bool:
        return self in (StageState.ELIGIBLE, StageState.OVERRIDDEN, StageState.SIGNED)

    @property
    def completed(self) -> bool:
        return self not in (StageState.NOT_STARTED, StageState.IN_PROGRESS)


def can_complete(decision: str) -> bool:
    """Only a decided stage can be completed: 'incomplete' cannot."""
    return decision in ("eligible", "not_eligible")


def open_stages(states: Sequence[StageState]) -> list[bool]:
    """For each stage in order, whether it may be started or worked on."""
    result: list[bool] = []
    previous_ok = True
    for state in states:
        result.append(previous_ok)
        previous_ok = previous_ok and state.lets_next_open
    return result
