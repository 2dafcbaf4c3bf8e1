"""Find candidates' worker: one trial's first stage against every active patient, off
the GUI thread, in batches, cancellable.

``CandidateSearch`` is a ``QThread`` whose ``run`` calls the prescreen service batch by
batch (each batch a few queries for all its patients, on the worker's own pooled
read connection: ``Registry.read`` hands each thread its own). Batches are sized to
take about ``BATCH_SECONDS`` each, so ``progress(done, total)`` and ``found(rows)``
reach the GUI thread (queued) several times a second whatever the machine's speed;
``cancel()`` stops it after the batch under way. The site's ULN table and "now" are
read once, so every patient is judged against the same. After each batch, what
survives it (its rows) is frozen out of the cyclic collector's reach (``gc.freeze``, as
``desktop.ui.common.heap`` does after login), so no collection walks the growing list
with the GIL held while the GUI thread waits. Exactly one of ``finished_ok``
(cancelled or not) and ``failed(message)`` ends a run.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Final

from PySide6.QtCore import QObject, QThread, Signal

from desktop.domain.trial import Trial
from desktop.services.prescreening import PrescreenService
from desktop.services.rows import RegistryError
from desktop.ui.trials.candidates_model import rows_of

#: How long one batch should take: progress shows at least every ~4 batches' worth
#: of the 250 ms the search promises, even on a machine twice as slow as estimated.
BATCH_SECONDS: Final = 0.06
FIRST_BATCH: Final = 32
MAX_BATCH: Final = 2000


class CandidateSearch(QThread):
    """Screens every active patient against ``trial``'s first stage (see module)."""

    progress = Signal(int, int)
    found = Signal(object)  # list[CandidateRow], worked out here, off the GUI thread
    finished_ok = Signal(bool)  # cancelled
    failed = Signal(str)

    def __init__(self, service: PrescreenService, trial: Trial,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self.trial = trial
        self._cancel = threading.Event()
        self.total = 0

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        try:
            self._search()
        except RegistryError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:
            self.failed.emit(f"The search stopped: {type(exc).__name__}: {exc}")

    def _search(self) -> None:
        service = self._service
        ids = service.patient_ids()
        site, now = service.site_table(), service.now()
        self.total = len(ids)
        self.progress.emit(0, self.total)
        done, size = 0, FIRST_BATCH
        while done < len(ids) and not self._cancel.is_set():
            started = time.perf_counter()
            batch = ids[done:done + size]
            rows = rows_of(service.candidates(self.trial, batch, site, now))
            done += len(batch)
            gc.freeze()
            self.found.emit(rows)
            self.progress.emit(done, self.total)
            spent = max(time.perf_counter() - started, 1e-6)
            size = max(8, min(MAX_BATCH, int(len(batch) * BATCH_SECONDS / spent)))
        self.finished_ok.emit(done < len(ids))
