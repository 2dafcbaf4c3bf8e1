"""How due times and schedule warnings read on screen: an overdue time in red and bold
with the word "overdue" (never by colour alone), a broken schedule rule with a warning
sign. Shared by the patient view and the visit form; the rules are the domain's.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Final

from PySide6.QtWidgets import QLabel

from desktop.domain.schedule import ScheduleWarning
from desktop.ui.screening.visit_style import ERROR_COLOUR, LOOKS

OVERDUE_STYLE: Final = f"color:{ERROR_COLOUR}; font-weight:700;"
WARNING_COLOUR: Final = LOOKS["unknown"].text


def mark_overdue(label: QLabel, overdue: bool, base: str = "") -> None:
    """``label`` in red and bold while ``overdue`` (its text says "overdue"), else in
    ``base`` style; the property ``overdue`` says which (tests, style sheets)."""
    label.setStyleSheet(OVERDUE_STYLE if overdue else base)
    label.setProperty("overdue", overdue)


def warning_lines(warnings: Sequence[ScheduleWarning]) -> str:
    """Each warning as a rich-text line: "⚠ Planned dates: NK cell infusion is Day 0, ..."."""
    return "<br>".join(
        f"<span style='color:{WARNING_COLOUR}; font-weight:600'>⚠ Against the protocol's "
        f"schedule:</span> {escape(w.text)}" for w in warnings)


def due_html(text: str, overdue: bool, warnings: Sequence[ScheduleWarning]) -> str:
    """The due line (its "— overdue" tail red and bold) with the warnings under it."""
    if overdue and text.endswith(" — overdue"):
        line = (f"{escape(text.removesuffix(' — overdue'))} "
                f"<span style='{OVERDUE_STYLE}'>— overdue</span>")
    else:
        line = escape(text)
    extra = warning_lines(warnings)
    return line + (f"<br>{extra}" if extra else "")
