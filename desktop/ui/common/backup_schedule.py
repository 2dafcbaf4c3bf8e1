"""The scheduled backup while the app runs: checked at start and every hour, off the GUI
thread (the service decides whether one is due and makes it; see
``desktop.services.backup``). A backup that cannot be made is said once in a message box
(the folder is missing, say), then in the status bar at each later try.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMainWindow

from desktop.services.backup import CHECK_EVERY, BackupService, Manifest
from desktop.services.rows import RegistryError
from desktop.ui.common.messages import MessageService
from desktop.ui.common.operations import Operation


class ScheduledBackups(QObject):
    def __init__(self, service: BackupService, messages: MessageService,
                 window: QMainWindow, every_ms: int | None = None) -> None:
        super().__init__(window)
        self._service = service
        self._messages = messages
        self._window = window
        self._operation: Operation[Manifest | None] | None = None
        self._told = False
        self.timer = QTimer(self)
        self.timer.setInterval(every_ms or int(CHECK_EVERY.total_seconds() * 1000))
        self.timer.timeout.connect(self.check)

    def start(self) -> ScheduledBackups:
        self.check()
        self.timer.start()
        return self

    def check(self) -> None:
        if self._operation is not None and self._operation.running:
            return
        self._operation = Operation(self._service.backup_if_due, on_success=self._made,
                                    on_failure=self._failed).start()

    def stop(self) -> None:
        """Stop checking and wait for a backup under way (at exit, or before a restore)."""
        self.timer.stop()
        if self._operation is not None:
            self._operation.wait()

    def _made(self, manifest: Manifest | None) -> None:
        if manifest is not None:
            self._window.statusBar().showMessage(
                f"Scheduled backup made: {manifest.file} (audit trail up to row "
                f"{manifest.head.seq}).", 10000)

    def _failed(self, error: BaseException) -> None:
        text = str(error) if isinstance(error, RegistryError) else \
            f"{type(error).__name__}: {error}"
        if self._told:
            self._window.statusBar().showMessage(f"Scheduled backup not made: {text}", 30000)
            return
        self._told = True
        self._messages.error(self._window, "Scheduled backup not made",
                             f"{text}\n\nNK Screen tries again every hour. An administrator "
                             "can choose the backup folder in Administration > Backups.")
