"""Whether the patient view's "Start stage" may be pressed, and why not: the screening
service's words (who may enter data, then the gating rule ``start_visit`` refuses with).
Opening a stage already started is always offered (read-only where it must be).
"""

from __future__ import annotations

from desktop.services.rows import RegistryError
from desktop.ui.common.context import ScreeningContext
from desktop.ui.screening.role_words import refusal
from desktop.ui.screening.screening_summary import ScreeningSummary, SlotView


def start_refusal(context: ScreeningContext, summary: ScreeningSummary,
                  view: SlotView) -> str | None:
    """Why ``view``'s stage cannot be started now (None: it can, or it is started)."""
    if view.visit is not None:
        return None
    service = context.screenings
    why_not = refusal(service.actor, service.may_enter_data)
    if why_not is not None:
        return why_not
    if view.slot.may_start:
        return None
    try:
        rule = service.start_refusal(summary.screening.id, summary.trial, view.slot.stage.id)
    except RegistryError as exc:
        return str(exc)
    return rule or (f"{view.title} opens once every stage before it has been completed "
                    f"eligible and confirmed by an investigator (or approved to proceed "
                    f"where the protocol allows it).")
