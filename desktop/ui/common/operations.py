"""Run slow work off the GUI thread and hand the result back on it.

One small object, after Anki's ``aqt.operations.QueryOp``: ``op`` runs on a worker
thread and must not touch widgets; exactly one of ``on_success`` / ``on_failure`` then
runs on the GUI thread, through a queued signal. Exceptions in ``op`` become a call to
``on_failure`` instead of a traceback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar, cast

from PySide6.QtCore import QObject, Qt, Signal, Slot

T = TypeVar("T")


class _Relay(QObject):
    """Lives in the GUI thread; its queued signal carries the worker's outcome back.

    The slot belongs to this QObject (not to a plain Python callable), so Qt delivers
    it in the thread the relay lives in, whatever thread emitted.
    """

    done = Signal(object, object)  # result, exception

    def __init__(self, receiver: Callable[[object, BaseException | None], None]) -> None:
        super().__init__()
        self._receiver = receiver
        self.done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object, object)
    def _deliver(self, result: object, error: BaseException | None) -> None:
        self._receiver(result, error)


class Operation(Generic[T]):
    """One background call with GUI-thread callbacks.

    Keep a reference until it finishes (``running``); the relay object and the worker
    thread are owned here.
    """

    def __init__(self, op: Callable[[], T], *, on_success: Callable[[T], None],
                 on_failure: Callable[[BaseException], None]) -> None:
        self._op = op
        self._on_success = on_success
        self._on_failure = on_failure
        self._relay = _Relay(self._finish)
        self._thread: threading.Thread | None = None
        self.running = False

    def start(self) -> Operation[T]:
        self.running = True
        self._thread = threading.Thread(target=self._work, name="nkscreen-operation",
                                        daemon=True)
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the worker is done (e.g. at exit, so a migration is never cut off).

        The callbacks do not run if the event loop has already stopped.
        """
        if self._thread is not None:
            self._thread.join()

    def _work(self) -> None:
        try:
            result = self._op()
        except Exception as exc:  # handed to on_failure on the GUI thread
            self._relay.done.emit(None, exc)
        else:
            self._relay.done.emit(result, None)

    def _finish(self, result: object, error: BaseException | None) -> None:
        self.running = False
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if error is not None:
            self._on_failure(error)
        else:
            self._on_success(cast(T, result))
