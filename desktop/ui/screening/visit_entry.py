"""What every entry row of the visit form shares: date-time text, the label column, messages.

``when_text`` / ``parse_when`` write and read a typed date-time (parsing itself is
:func:`desktop.domain.record.parse_datetime`); ``message_label`` and ``Messages`` show a
row's inline messages and outline the offending field. The rows are
:mod:`.visit_inputs`, :mod:`.visit_results` and :mod:`.visit_questions`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from desktop.domain.typed_time import EXAMPLES, FORMATS, FORMATS_TIP, parse_typed_time
from desktop.ui.common.widgets import named
from desktop.ui.screening.visit_style import ERROR_COLOUR
from desktop.zone import site_zone

WHEN_FORMAT: Final = "%Y-%m-%d %H:%M"
WHEN_HINT: Final = "YYYY-MM-DD HH:MM"
#: A date-time field's tooltip: every format it takes.
WHEN_TIP: Final = FORMATS_TIP
#: The same where the date is enough (the stage counts the result's window in days).
DATE_TIP: Final = (f"Date and time as {FORMATS} ({EXAMPLES}), or the date alone "
                   f"(YYYY-MM-DD, meaning 00:00): this stage counts its window in days.")
LABEL_WIDTH: Final = 170
INVALID_STYLE: Final = f"QLineEdit {{ border: 2px solid {ERROR_COLOUR}; }}"
#: Set on the form: a read-only field (a completed visit, or a user who may not enter
#: data) does not look like one to type into.
READ_ONLY_STYLE: Final = ('QLineEdit[readOnly="true"] { background: #e4e8eb; color: #455a64; '
                          'border: 1px solid #cfd8dc; }')


def when_text(at: datetime | None) -> str:
    return "" if at is None else at.strftime(WHEN_FORMAT)


def parse_when(text: str, field: str = "at", *, today: date, timed: bool = True
               ) -> datetime | None:
    """A typed date-time (None when blank): the formats of
    :func:`desktop.domain.typed_time.parse_typed_time`, a time alone meaning ``today``
    (the site's date); a date alone is refused when ``timed``, else means 00:00."""
    return parse_typed_time(text, today=today, timed=timed, field=field, zone=site_zone())


def set_field_read_only(field: QLineEdit, read_only: bool) -> None:
    """Make ``field`` read-only (or not) and shown so: a style sheet reads the property
    when the widget is polished, so it is polished again."""
    if field.isReadOnly() == read_only:
        return
    field.setReadOnly(read_only)
    style = field.style()
    style.unpolish(field)
    style.polish(field)


def message_label(name: str) -> QLabel:
    """A row's message line. Its line is reserved while it is hidden, so the rows below
    do not move when a message comes or goes as the coordinator types (a click would
    land in the wrong field)."""
    label = named(QLabel(), name)
    label.setWordWrap(True)
    label.setStyleSheet(f"color:{ERROR_COLOUR};")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setMinimumHeight(label.fontMetrics().lineSpacing())
    policy = label.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    label.setSizePolicy(policy)
    label.hide()
    return label


class Messages:
    """Inline messages of a row: one label, and the offending field outlined."""

    def __init__(self, label: QLabel, fields: dict[str, QWidget]) -> None:
        self.label = label
        self.fields = fields
        self.shown: dict[str, str] = {}

    def show(self, errors: dict[str, str]) -> None:
        if errors == self.shown:
            return  # nothing to repaint: keeps a keystroke cheap
        self.shown = dict(errors)
        text = " ".join(errors.values())
        self.label.setText(text)
        self.label.setVisible(bool(text))
        for name, widget in self.fields.items():
            message = errors.get(name, "")
            if isinstance(widget, QLineEdit):
                widget.setStyleSheet(INVALID_STYLE if message else "")
            widget.setAccessibleDescription(message)
