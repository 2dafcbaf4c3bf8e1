"""The idle lock's clock: any key press, mouse press or wheel in the application restarts
it; ``idle`` fires once the set minutes pass without one."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

_INPUT = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                    QEvent.Type.Wheel, QEvent.Type.TouchBegin})


class IdleWatcher(QObject):
    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_minutes(self, minutes: float) -> None:
        self._timer.setInterval(max(1, round(minutes * 60_000)))

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def detach(self) -> None:
        """Stop watching the application's input (the session is over)."""
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT and self._timer.isActive():
            self._timer.start()  # restart the countdown
        return False
