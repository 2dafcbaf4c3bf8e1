"""The GUI thread while a worksheet PDF is built: it never blocks more than 50 ms.

Opt-in: ``python -m pytest tests/benchmarks/test_export_gui_bench.py --benchmark-enable
--benchmark-only -s``. Each round clicks Export worksheet… in a visit form already on
screen (NCT06152809 screening #1, its example record, a six-page draft) and waits for
the file; a 2 ms timer on the GUI thread meanwhile records the longest gap between its
ticks: the longest the event loop was kept from running (a repaint, a keystroke). The
first export after the session's preparation (``prepare_documents``, as the app does
after login: fonts and modules loaded on a worker, then the heap settled) is measured on
its own, then the rounds. The benchmark times the whole export, click to status line;
the assertion is on the longest gap of all.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytest_benchmark.fixture import BenchmarkFixture
from pytestqt.qtbot import QtBot

from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.heap import prepare_documents
from tests.ui.conftest import AddPatient
from tests.ui.conftest import add_patient as add_patient
from tests.ui.conftest import clock as clock
from tests.ui.conftest import context as context
from tests.ui.conftest import messages as messages
from tests.ui.conftest import registry as registry
from tests.ui.conftest import repository as repository
from tests.ui.test_worksheet_export_ui import _draft_form, _patient

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
LIMIT_MS = 50.0


class _Gaps:
    """The longest wait between ticks of a fast timer on the GUI thread."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(2)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        self._timer.stop()
        return self.longest * 1000


def test_the_gui_thread_keeps_running_while_a_worksheet_is_built(
        benchmark: BenchmarkFixture, qtbot: QtBot, context: ScreeningContext,
        add_patient: AddPatient, tmp_path: Path) -> None:
    form = _draft_form(qtbot, context, _patient(add_patient))
    form.choose_worksheet = lambda _parent, _suggested: str(tmp_path / "ws.pdf")
    qtbot.waitExposed(form)
    form.repaint()  # painted once, as it is long before anyone clicks Export
    QApplication.processEvents()

    def export() -> None:
        qtbot.mouseClick(form.export_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not form.worksheet_export.running, timeout=30_000)

    # As the app does once a user has logged in (desktop/ui/common/heap.py).
    preparing = prepare_documents()
    qtbot.waitUntil(lambda: not preparing.running, timeout=30_000)
    first = _Gaps()
    first.start()
    export()
    first_ms = first.stop()

    rounds = _Gaps()
    benchmark.group = "worksheet export, GUI thread"
    benchmark.pedantic(export, setup=rounds.start, rounds=10,  # type: ignore[no-untyped-call]
                       warmup_rounds=0)
    rounds_ms = rounds.stop()
    benchmark.extra_info["longest gap, first export (ms)"] = round(first_ms, 1)
    benchmark.extra_info["longest gap, later exports (ms)"] = round(rounds_ms, 1)
    print(f"\nlongest GUI thread gap: first export {first_ms:.1f} ms, "
          f"later exports {rounds_ms:.1f} ms")
    assert (tmp_path / "ws.pdf").read_bytes().startswith(b"%PDF")
    assert max(first_ms, rounds_ms) < LIMIT_MS
