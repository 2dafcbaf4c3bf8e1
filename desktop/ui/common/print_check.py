"""``nkscreen --print-self-check DIR``: the whole document chain in an installed copy,
offscreen, with no registry: a fictional worksheet built, signed twice and verified
(:mod:`desktop.services.self_check`), then printed through Qt's printing to a PDF file,
as Print… paints pages for a printer. The bundle test runs it; a site's IT can too.

Writes ``DIR/signed.pdf`` and ``DIR/printed.pdf``, prints one JSON object (the
verification report, the pages built and printed, the signature boxes' places) and
exits 0 when the signatures verify and every page printed, else 1. Not in ``--help``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

FLAG = "--print-self-check"


def run(argv: list[str]) -> int:
    """``argv``: the arguments after the flag (one: the folder to write into)."""
    if len(argv) != 1:
        sys.stderr.write(f"nkscreen: {FLAG} takes one argument: a folder to write into\n")
        return 2
    folder = Path(argv[0])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QApplication

    from desktop.services.printing import Printable
    from desktop.services.self_check import signed_and_verified
    from desktop.ui.common.printing import prepare_printer, print_pdf

    app = QApplication.instance() or QApplication([sys.argv[0]])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        checked = signed_and_verified()
        (folder / "signed.pdf").write_bytes(checked.pdf)
        printable = Printable("worksheet", "Self-check worksheet", "WS-0-V1", checked.pdf,
                              checked.pages, "visit", 0)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        prepare_printer(printer, printable)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(folder / "printed.pdf"))
        printed = print_pdf(checked.pdf, printer)
    except Exception as exc:  # a self-check reports, it never shows a traceback
        sys.stderr.write(f"nkscreen: self-check failed: {type(exc).__name__}: {exc}\n")
        return 1
    finally:
        del app
    summary = {"verify": checked.report, "pages": checked.pages, "printed": printed,
               "dpi": min(printer.resolution(), 300),
               "boxes": [{"role": b.role, "page": b.page_index, "x": b.x, "y": b.y,
                          "width": b.width, "height": b.height} for b in checked.boxes]}
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 0 if checked.ok and printed == checked.pages else 1
