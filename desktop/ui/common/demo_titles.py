"""In the demo, every window's title says DEMO, so no screenshot or printout of it can be
taken for a real patient's record."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

PREFIX: Final = "DEMO — "


class DemoTitles(QObject):
    """Prefixes ``DEMO — `` to the title of every window, now and whenever one changes."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.installEventFilter(self)
        for widget in app.topLevelWidgets():
            self._mark(widget)

    @staticmethod
    def _mark(widget: QWidget) -> None:
        title = widget.windowTitle()
        if widget.isWindow() and not title.startswith(PREFIX):
            widget.setWindowTitle(PREFIX + title)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() in (QEvent.Type.WindowTitleChange, QEvent.Type.Show)
                and isinstance(watched, QWidget) and watched.isWindow()):
            self._mark(watched)
        return False
