"""The patient view's trial chooser: every trial of the library, by NCT id and short
title (the whole title on hover). A trial the patient is already screened for stays
listed, marked and not selectable, so the chooser keeps the trial just started (it
never jumps to another trial the coordinator did not choose), and Start screening says
why it is not offered then.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox

from desktop.domain.trial import Trial
from desktop.domain.trial_names import trial_label

#: After a trial already being screened for.
SCREENED_MARK = " (being screened)"


def fill(choice: QComboBox, trials: Mapping[str, Trial], screened: Set[str],
         keep: str | None) -> None:
    """List ``trials`` in ``choice``, those in ``screened`` marked and disabled; stay on
    ``keep`` (the trial chosen before) if listed, else on the first one not screened."""
    choice.blockSignals(True)
    try:
        choice.clear()
        model = choice.model()
        for trial_id, trial in sorted(trials.items()):
            label = trial_label(trial) + (SCREENED_MARK if trial_id in screened else "")
            choice.addItem(label, trial_id)
            index = choice.count() - 1
            choice.setItemData(index, f"{trial.id} — {trial.title}",
                               Qt.ItemDataRole.ToolTipRole)
            if trial_id in screened and isinstance(model, QStandardItemModel):
                item = model.item(index)
                if item is not None:
                    item.setEnabled(False)
        at = choice.findData(keep) if keep is not None else -1
        if at < 0:
            at = next((i for i in range(choice.count())
                       if choice.itemData(i) not in screened), 0 if choice.count() else -1)
        choice.setCurrentIndex(at)
    finally:
        choice.blockSignals(False)


def start_refusal(choice: QComboBox, screened: Set[str], patient_name: str,
                  archived: bool) -> str | None:
    """Why Start screening is not offered for the chosen trial (None: it is)."""
    trial_id = choice.currentData()
    if archived:
        return f"{patient_name} is archived: restore the patient to start a screening."
    if not isinstance(trial_id, str):
        return "Choose a trial to start screening for."
    if trial_id in screened:
        if all(choice.itemData(i) in screened for i in range(choice.count())):
            return "The patient is being screened for every trial."
        return (f"{patient_name} is already being screened for {trial_id}: choose another "
                f"trial to start a second screening.")
    return None
