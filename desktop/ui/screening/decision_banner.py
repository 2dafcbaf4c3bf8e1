"""The decision banner over a visit's outcomes: eligible / not eligible / incomplete.

Icon, colour and words together ("Not eligible — 2 criteria fail"), so the decision
never rests on colour alone. The words come from the engine's verdict: the decision,
and the count of failing or still-open criteria.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.domain.engine import Verdict
from desktop.ui.common.widgets import named
from desktop.ui.screening.visit_style import DECISION_LOOKS, Look, status_pixmap

_STATE: Final = {"eligible": "pass", "not_eligible": "fail", "incomplete": "unknown"}


def _criteria(count: int) -> str:
    return f"{count} criteri{'on' if count == 1 else 'a'}"


def decision_text(verdict: Verdict) -> str:
    """The banner's headline for a verdict."""
    total = len(verdict.results)
    decision = verdict.decision
    if decision == "eligible":
        return f"Eligible — all {_criteria(total)} pass"
    if decision == "not_eligible":
        failing = len(verdict.failing)
        verb = "fails" if failing == 1 else "fail"
        text = f"Not eligible — {_criteria(failing)} {verb}"
        open_ = len(verdict.missing)
        return f"{text} ({open_} more still open)" if open_ else text
    missing = len(verdict.missing)
    return f"Incomplete — {missing} of {_criteria(total)} still need a value or answer"


class DecisionBanner(QFrame):
    """A coloured strip: the decision's icon and headline, and a detail line below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("decision_banner")
        self.icon = named(QLabel(), "decision_icon")
        self.headline = named(QLabel(), "decision_text")
        self.detail = named(QLabel(), "decision_detail")
        self.headline.setWordWrap(True)
        self.detail.setWordWrap(True)
        self.detail.hide()
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.headline)
        text.addWidget(self.detail)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.icon)
        layout.addLayout(text, 1)
        self.decision = ""
        self._shown: tuple[str, str, str] = ("", "", "")
        self._look: Look | None = None
        font = self.headline.font()
        font.setPointSize(13)
        font.setBold(True)
        self.headline.setFont(font)

    def set_verdict(self, verdict: Verdict) -> None:
        self.show_decision(verdict.decision, decision_text(verdict))

    def show_decision(self, decision: str, headline: str, detail: str = "") -> None:
        """Show ``decision`` ("eligible", "not_eligible", "incomplete") with words."""
        if (decision, headline, detail) == self._shown:
            return  # keystrokes that change nothing here cost no relayout
        self._shown = (decision, headline, detail)
        self.decision = decision
        look = DECISION_LOOKS[decision]
        self._look = look
        # Colours through the palette and paintEvent, not a style sheet: re-polishing a
        # style sheet on every decision change costs more than the evaluation itself.
        self.icon.setPixmap(status_pixmap(_STATE[decision], 24))
        for label in (self.headline, self.detail):
            palette = label.palette()
            palette.setColor(QPalette.ColorRole.WindowText, QColor(look.text))
            label.setPalette(palette)
        self.headline.setText(headline)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.setAccessibleName(f"Decision: {headline}")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._look is not None:
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(self._look.strong), 2))
            painter.setBrush(QColor(self._look.pale))
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 6, 6)
            painter.end()
        super().paintEvent(event)
