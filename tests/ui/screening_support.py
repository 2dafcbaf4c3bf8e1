"""Test data for the screening windows: example records stored through the repository."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from desktop.registry.screening_rows import ObservationInput, VisitRow
from desktop.registry.screenings import ScreeningRepository

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLineEdit
    from pytestqt.qtbot import QtBot

    from desktop.registry.database import Registry
    from desktop.ui.screening.visit_form import VisitForm

EXAMPLES = Path(__file__).resolve().parents[2] / "trials" / "examples"

_ANSWER_WORD = {True: "yes", False: "no", "n/a": "n/a"}


def example(trial_id: str, stage_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / trial_id / f"{stage_id}.json").read_text())
    return data


def open_before_signature(registry: Registry) -> None:
    """The site setting that lets the next stage open once a stage is completed eligible,
    before the investigator's confirmation (for tests not about signing)."""
    from desktop.domain.accounts import Actor, Role
    from desktop.services.site_settings import SiteSettingsService

    admin = Actor("admin", "Ada Admin", frozenset({Role.ADMIN}))
    SiteSettingsService(registry).update(admin, open_before_signature=True)


def store_example(repo: ScreeningRepository, patient_id: int, visit: VisitRow,
                  trial_id: str, *, skip_codes: tuple[str, ...] = (),
                  changes: dict[str, str] | None = None) -> None:
    """Save an example record's results, facts, events and answers into ``visit``.

    ``changes`` replaces values (code -> typed text) to make a stage fail.
    """
    data = example(trial_id, visit.stage_id)
    for name, at in (data.get("events") or {}).items():
        repo.set_event(visit.id, name, datetime.fromisoformat(at))
    for name, value in (data.get("facts") or {}).items():
        repo.set_fact(patient_id, name, value)
    for obs in data.get("observations") or []:
        if obs["code"] in skip_codes:
            continue
        value = (changes or {}).get(obs["code"], str(obs["value"]))
        uln = obs.get("uln")
        repo.add_observation(patient_id, visit.id, ObservationInput(
            obs["code"], value, obs["unit"], datetime.fromisoformat(obs["at"]),
            None if uln is None else str(uln), "example record"))
    for criterion_id, answer in (data.get("answers") or {}).items():
        repo.set_answer(visit.id, criterion_id, _ANSWER_WORD[answer],  # type: ignore[arg-type]
                        "", "example record")


# -- typing into the visit form, as a coordinator would ---------------------------------

def type_text(qtbot: QtBot, field: QLineEdit, text: str, commit: bool = True) -> None:
    field.setFocus()
    field.selectAll()
    if text:
        qtbot.keyClicks(field, text)
    elif field.text():
        qtbot.keyClick(field, Qt.Key.Key_Backspace)
    if commit:
        qtbot.keyClick(field, Qt.Key.Key_Return)


def choose_unit(form: VisitForm, code: str, unit: str) -> None:
    combo = form.result_rows[code].unit
    index = combo.findText(unit)  # as shown (µmol/L), or as the registry spells it (umol/L)
    if index < 0:
        index = combo.findData(unit)
    assert index >= 0, f"{unit} is not offered for {code}"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def enter_result(qtbot: QtBot, form: VisitForm, code: str, value: str, unit: str, at: str,
           uln: str | None = None) -> None:
    row = form.result_rows[code]
    if unit != row.unit_text():
        choose_unit(form, code, unit)
    type_text(qtbot, row.value, value)
    if uln is not None:
        assert row.uln is not None
        type_text(qtbot, row.uln, uln)
    type_text(qtbot, row.at, at)


def answer(qtbot: QtBot, form: VisitForm, cid: str, value: str) -> None:
    qtbot.mouseClick(form.questions[cid].buttons[value], Qt.MouseButton.LeftButton)


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def fill_example(qtbot: QtBot, form: VisitForm, trial_id: str, stage_id: str) -> None:
    """Type a whole example record into the form, as a coordinator would."""
    data = example(trial_id, stage_id)
    for name, at in data.get("events", {}).items():
        if name in form.event_rows:
            type_text(qtbot, form.event_rows[name].field, at.replace("T", " "))
    for name, value in data.get("facts", {}).items():
        if name in form.fact_rows:
            qtbot.mouseClick(form.fact_rows[name].buttons[bool(value)],
                             Qt.MouseButton.LeftButton)
    for obs in data["observations"]:
        uln = number_text(obs["uln"]) if "uln" in obs else None
        enter_result(qtbot, form, obs["code"], number_text(obs["value"]), obs["unit"],
               obs["at"].replace("T", " "), uln)
    words = {True: "yes", False: "no", "n/a": "n/a"}
    for cid, value in data["answers"].items():
        answer(qtbot, form, cid, words[value])
