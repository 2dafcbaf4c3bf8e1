"""Unexpected errors become a message and a log entry, never a raw traceback.

``ExceptionHook`` replaces ``sys.excepthook`` while the GUI runs (PySide6 routes
exceptions raised in slots and event handlers through it). The full traceback goes to
``<data_dir>/nkscreen.log``; the user sees one sentence and a short "details" section
naming the error and where it happened.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication

from desktop.paths import private_file
from desktop.ui.common.messages import MessageService

LOG_FILE = "nkscreen.log"


def short_details(exc: BaseException) -> str:
    """The error and the innermost place it was raised: enough to report, not a dump."""
    lines = traceback.format_exception_only(type(exc), exc)
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        lines.append(f"at {Path(last.filename).name}, line {last.lineno}, in {last.name}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).strip()


def log_exception(log_path: Path, exc: BaseException, context: str) -> bool:
    """Append the full traceback to the log; False if the log cannot be written."""
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        private_file(log_path)  # it may quote what a patient's record held
        with log_path.open("a", encoding="utf-8") as log:
            log.write(f"{stamp} {context}\n{text}\n")
    except OSError:
        return False
    return True


def report_unexpected(messages: MessageService, log_path: Path, exc: BaseException,
                      context: str = "Unexpected error") -> None:
    """Log ``exc`` and tell the user in a sentence, with the short details attached."""
    logged = log_exception(log_path, exc, context)
    where = (f"The details were saved to {log_path}." if logged
             else "The details could not be saved to the log.")
    messages.error(QApplication.activeWindow(), "Unexpected error",
                   f"Something went wrong and the last action may not have completed. "
                   f"{where} Please tell your NK Screen administrator.", short_details(exc))


class ExceptionHook:
    """A ``sys.excepthook`` for the GUI; use as a context manager to install it."""

    def __init__(self, messages: MessageService, log_path: Path,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        self._messages = messages
        self._log_path = log_path
        self._on_error = on_error
        self._previous = sys.excepthook
        self._reporting = False

    def __call__(self, exc_type: type[BaseException], exc: BaseException,
                 tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt) or self._reporting:
            # Ctrl+C, or an error while showing an error: let Python handle it.
            self._previous(exc_type, exc, tb)
            return
        self._reporting = True
        try:
            report_unexpected(self._messages, self._log_path, exc.with_traceback(tb))
            if self._on_error is not None:
                self._on_error(exc)
        finally:
            self._reporting = False

    def __enter__(self) -> ExceptionHook:
        self._previous = sys.excepthook
        sys.excepthook = self
        return self

    def __exit__(self, *exc_info: object) -> None:
        sys.excepthook = self._previous
