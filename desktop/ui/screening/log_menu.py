"""Trials → Screening log: one entry per trial of the library, named by its NCT id and
a short form of its title (:func:`desktop.domain.trial_names.trial_label`), the whole
title in its tooltip and status tip. Filled each time the menu opens.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMenu

from desktop.domain.trial_names import trial_label
from desktop.ui.common.context import ContextError, ScreeningContext
from desktop.ui.common.messages import MessageService


def fill_log_menu(menu: QMenu, context: ScreeningContext | None, messages: MessageService,
                  open_log: Callable[[str], object]) -> None:
    """Fill ``menu`` with the library's trials; disabled until a registry is open."""
    menu.clear()
    menu.setToolTipsVisible(True)
    menu.setEnabled(context is not None)
    if context is None:
        return
    try:
        trials = context.trials
    except ContextError as exc:
        messages.error(menu, "Trial library not read", str(exc))
        return
    for trial_id, trial in sorted(trials.items()):
        action = menu.addAction(trial_label(trial))
        action.setToolTip(f"{trial.id} — {trial.title}")
        action.setStatusTip(f"The screening log of {trial.id}: {trial.title}")
        action.setData(trial_id)
        action.triggered.connect(lambda _checked=False, t=trial_id: open_log(t))
