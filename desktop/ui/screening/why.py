"""An action offered disabled says why: in its tooltip, its status tip, and a line of the
window (its "status line"), so the reason is on screen without hovering.

The reason is always the service's (a rule lives in the layer that refuses the
request); these widgets only show it. An action that cannot succeed is disabled rather
than left enabled to end in an error message.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtWidgets import QAbstractButton, QFrame, QLabel, QScrollArea, QWidget

from desktop.ui.common.widgets import named
from desktop.ui.screening.visit_style import HINT_COLOUR

#: The property a button keeps its reason in while disabled (read by :func:`reasons`).
WHY: Final = "why_not"


def offer(button: QAbstractButton, why_not: str | None, tip: str = "") -> None:
    """Enable ``button``, or disable it with ``why_not`` as its tooltip and status tip."""
    button.setEnabled(why_not is None)
    button.setToolTip(why_not or tip)
    button.setStatusTip(why_not or tip)
    button.setProperty(WHY, why_not or "")


def reasons(buttons: list[QAbstractButton]) -> list[str]:
    """The reasons of the visible, disabled buttons (each once, in order)."""
    found: list[str] = []
    for button in buttons:
        why = button.property(WHY)
        if button.isVisibleTo(button.window()) and not button.isEnabled() \
                and isinstance(why, str) and why and why not in found:
            found.append(why)
    return found


def why_line(name: str, parent: QWidget | None = None) -> QLabel:
    """The line that shows why an action is not offered (word-wrapped, in the hint colour)."""
    line = named(QLabel(parent), name)
    line.setWordWrap(True)
    line.setStyleSheet(f"color:{HINT_COLOUR};")
    return line


def show_reasons(line: QLabel, buttons: list[QAbstractButton], prefix: str = "") -> None:
    """Put the reasons of ``buttons`` on ``line`` (empty when every one is offered)."""
    found = reasons(buttons)
    line.setText(" ".join(prefix + why for why in found))


def scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area: a pane that scrolls on a small screen
    rather than making its window taller than the screen."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area
