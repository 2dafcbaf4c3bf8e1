"""Keep the GUI running while a worker builds a PDF: warm up, then settle the heap.

A worker thread that allocates (ReportLab building a worksheet) triggers the cyclic
collector, which then walks every tracked object of the process with the GIL held: the
Qt widgets' wrappers, the trial library, SQLAlchemy's metadata. The GUI thread waits
that long (measured: over 100 ms on the first export after login). ``settle_heap`` runs
once the session is set up: one collection, then ``gc.freeze()`` moves the survivors
(the long-lived objects) out of the collector's reach, so later collections walk only
what was made since (tests/benchmarks/test_export_gui_bench.py). ``prepare_documents``
first loads the document modules and fonts on a worker (``services.worksheets.warm_up``),
so the first export does not pay for them, then settles the heap on the GUI thread.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop.ui.common.operations import Operation


def settle_heap() -> None:
    """Collect once, then freeze what survives (cheap to call again later)."""
    gc.collect()
    gc.freeze()


def prepare_documents() -> Operation[None]:
    """Warm the document modules up on a worker, then ``settle_heap``; keep the returned
    operation until it is done."""
    from desktop.services.worksheets import warm_up
    from desktop.ui.common.operations import Operation

    return Operation(warm_up, on_success=lambda _none: settle_heap(),
                     on_failure=lambda _error: settle_heap()).start()
