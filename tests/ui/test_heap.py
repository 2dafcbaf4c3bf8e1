"""After login the app loads the document modules and fonts on a worker and settles the
heap, so the first export neither pays for them nor lets a collection pause the GUI."""

from __future__ import annotations

import gc

from pytestqt.qtbot import QtBot

from desktop.ui.common.heap import prepare_documents


def test_prepare_documents_loads_fonts_and_freezes_the_survivors(qtbot: QtBot) -> None:
    from reportlab.pdfbase import pdfmetrics

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    preparing = prepare_documents()
    qtbot.waitUntil(lambda: not preparing.running, timeout=30_000)
    assert gc.get_freeze_count() > 0
    assert {"NKSans", "NKSans-Bold"} <= set(pdfmetrics.getRegisteredFontNames())
