"""Exports from a window: ask where to save, write through a service off the GUI thread,
then say what was written or why not.

The services write (whole or not at all, audited) and decide who may
(``Permission.EXPORT``, refused with ``NotPermitted`` whatever the screen offers); a
window only asks where (``ChoosePath``, which tests replace), runs the service's call in
an ``Operation`` with its export buttons disabled meanwhile, and shows the outcome: the
status line on success, the service's sentence in a message on a refusal.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, Generic, TypeVar

import shiboken6
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QWidget

from desktop.domain.accounts import Permission
from desktop.services.rows import RegistryError
from desktop.ui.common.operations import Operation

if TYPE_CHECKING:
    from desktop.domain.accounts import Actor
    from desktop.ui.common.messages import MessageService

T = TypeVar("T")

#: (parent, suggested path) -> the path chosen, or "" when cancelled.
ChoosePath = Callable[[QWidget, str], str]

PDF_FILTER: Final = "PDF files (*.pdf)"
CSV_FILTER: Final = "CSV files (*.csv)"
PDF_OR_CSV: Final = f"{PDF_FILTER};;{CSV_FILTER}"


def save_dialog(caption: str, filters: str) -> ChoosePath:
    """The platform's save dialog with ``caption`` and ``filters``; a name typed without
    a suffix gets the chosen filter's (``*.pdf`` -> ``.pdf``)."""

    def choose(parent: QWidget, suggested: str) -> str:
        path, chosen = QFileDialog.getSaveFileName(parent, caption, suggested, filters)
        return with_suffix(path, chosen or filters)

    return choose


def save_dialog_by_suffix(caption: str) -> ChoosePath:
    """The save dialog filtered to the suggested file's kind (PDF or CSV)."""

    def choose(parent: QWidget, suggested: str) -> str:
        csv = Path(suggested).suffix.lower() == ".csv"
        return save_dialog(caption, CSV_FILTER if csv else PDF_FILTER)(parent, suggested)

    return choose


def with_suffix(path: str, filters: str) -> str:
    """``path`` with the first suffix of ``filters`` added when it has none ("" stays)."""
    if not path or Path(path).suffix:
        return path
    start = filters.find("*.")
    if start < 0:
        return path
    suffix = filters[start + 1:].split(")", 1)[0].split(" ", 1)[0].split(";", 1)[0]
    return path + suffix


def export_refusal(actor: Actor) -> str | None:
    """Why ``actor`` is not offered an export (None: their roles allow it)."""
    if actor.may(Permission.EXPORT):
        return None
    if actor.one_time:
        return (f"{actor.full_name} is logged in with a one-time password: change it "
                "first.")
    return (f"Logged in as {actor.roles_label or 'no role'}: you may not "
            f"{Permission.EXPORT.value}.")


def failure_text(error: BaseException) -> str:
    """What a failed export says: the service's sentence, or that it stopped."""
    if isinstance(error, RegistryError):
        return str(error)
    return (f"The export stopped unexpectedly ({type(error).__name__}: {error}); no file "
            "was written.")


class Export(Generic[T]):
    """One export at a time from a window.

    ``buttons`` are disabled while it runs and handed back to ``gate`` (which enables
    them as the window's state says) when it is done; ``status`` shows the progress and
    the outcome; a refusal is shown with ``title`` through ``messages``. The window and
    its ``gate`` are held weakly: an export kept by its window keeps no window alive.
    """

    def __init__(self, parent: QWidget, messages: MessageService, status: QLabel,
                 buttons: Sequence[QPushButton], gate: Callable[[], None]) -> None:
        self._parent = weakref.ref(parent)
        self._messages = messages
        self._status = status
        self._buttons = tuple(buttons)
        self._gate: Callable[[], Callable[[], None] | None] = (
            weakref.WeakMethod(gate) if hasattr(gate, "__self__") else lambda: gate)
        self.operation: Operation[T] | None = None

    @property
    def running(self) -> bool:
        return self.operation is not None and self.operation.running

    def run(self, choose: ChoosePath, suggested: Path, work: Callable[[Path], T], *,
            title: str, done: Callable[[T], str],
            progress: Callable[[Path], str] = lambda path: f"Exporting to {path}…",
            ) -> bool:
        """Ask where (``choose``), then run ``work(path)`` on a worker thread; whether
        it started (False: cancelled, or one is running already)."""
        parent = self._parent()
        if self.running or parent is None:
            return False
        chosen = choose(parent, str(suggested))
        if not chosen:
            return False
        path = Path(chosen)
        for button in self._buttons:
            button.setEnabled(False)
        self._status.setText(progress(path))
        self.operation = Operation(lambda: work(path),
                                   on_success=lambda result: self._finished(done(result)),
                                   on_failure=lambda error: self._failed(title, error))
        self.operation.start()
        return True

    def wait(self) -> None:
        """Block until the worker is done (closing the window, tests)."""
        if self.operation is not None:
            self.operation.wait()

    def _ended(self) -> QWidget | None:
        """The window, its buttons gated again; None if it closed meanwhile."""
        parent, gate = self._parent(), self._gate()
        if parent is None or gate is None or not shiboken6.isValid(parent) \
                or not shiboken6.isValid(self._status) \
                or not all(shiboken6.isValid(button) for button in self._buttons):
            return None
        gate()
        return parent

    def _finished(self, text: str) -> None:
        if self._ended() is not None:
            self._status.setText(text)

    def _failed(self, title: str, error: BaseException) -> None:
        parent = self._ended()
        if parent is not None:
            self._status.setText("")
            self._messages.error(parent, title, failure_text(error))
