"""Why a screening window offers an action disabled: the words, for the actor's roles.

The services decide (``ScreeningService.may_enter_data``, ``may_complete``; the signing
service's ``available`` and ``request``) and refuse whatever the screen offers; these
say why the screen does not offer it, in the main window's words ("Logged in as ...:
you can see ... but not change them").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from desktop.services.screening import Actor

#: What a person who may not enter data can still do with screenings.
READ_ONLY: Final = "you can see screenings but not change them."
#: Who completes a stage, and who approves an override.
COMPLETES: Final = "only a coordinator or an investigator completes a stage."
OVERRIDES: Final = "only an investigator approves an override."


def refusal(actor: Actor, allowed: bool, what: str = READ_ONLY) -> str | None:
    """Why ``actor`` is not offered an action (None when ``allowed``, the service's
    answer): "Logged in as Monitor / auditor (read-only): you can see screenings but
    not change them."."""
    if allowed:
        return None
    if actor.one_time:
        return (f"{actor.full_name} is logged in with a one-time password: change it "
                "first.")
    return f"Logged in as {actor.roles_label or 'no role'}: {what}"
