"""Print… (issue 17): a document's PDF painted onto a QPrinter one page at a time, the
preview's pages and zoom, the watermark prompt for a worksheet that is not signed, and
the audit row of every print. The printer is a PDF file (offscreen, no print server)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.registry.database import Registry
from desktop.services.printing import Printable, printable_log
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.common.print_preview import PrintPreview
from desktop.ui.common.printing import Printing, prepare_printer, print_pdf
from desktop.ui.screening.screening_log import ScreeningLogWindow
from desktop.worksheets.log_pdf import build_log_pdf
from desktop.worksheets.pdf_signing import with_signature_fields
from desktop.worksheets.rendering import PdfPages
from desktop.worksheets.worksheet_pdf import build_worksheet
from tests.ui.conftest import AddPatient
from tests.ui.test_screening_log_export import log_window as log_window
from tests.ui.test_worksheet_export_ui import _draft_form, _patient, audit_actions
from tests.worksheets.sample import worksheet
from tests.worksheets.test_log_pdf import _document
from tests.worksheets.test_pdf_signing import _signed
from tests.worksheets.test_rendering import ink_in

MB = 1024 * 1024


def pdf_printer(path: Path, printable: Printable) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    prepare_printer(printer, printable)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def to_file(path: Path) -> object:
    """An ``ask_printer`` that prints to ``path`` as a PDF instead of asking."""

    def ask(_parent: QWidget, printer: QPrinter) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        return True

    return ask


def pages_of(path: Path) -> int:
    return len(PdfReader(io.BytesIO(path.read_bytes())).pages)


def _worksheet_printable(pdf: bytes) -> Printable:
    return Printable("worksheet", "Worksheet test", "WS-1-V1", pdf,
                     len(PdfReader(io.BytesIO(pdf)).pages), "visit", 1)


def _printed_box_ink(qtbot: QtBot, pdf: bytes, path: Path) -> list[int]:
    printable = _worksheet_printable(pdf)
    assert print_pdf(pdf, pdf_printer(path, printable)) == printable.pages
    assert pages_of(path) == printable.pages
    boxes = build_worksheet(worksheet()).signer_boxes
    with PdfPages(path.read_bytes()) as printed:
        inks = []
        for box in boxes:
            _width, height = printed.size(box.page_index)
            inks.append(ink_in(printed.render(box.page_index, 100), box, height))
    return inks


def test_a_signed_worksheet_prints_every_page_with_its_signature_boxes_drawn(
        qtbot: QtBot, tmp_path: Path) -> None:
    """Printed to a PDF file through QPrinter: the worksheet's page count, and inside each
    signature box far more ink than the same box printed before anyone signed."""
    built = build_worksheet(worksheet())
    unsigned = with_signature_fields(built.pdf, built.signer_boxes)
    empty = _printed_box_ink(qtbot, unsigned, tmp_path / "unsigned.pdf")
    signed = _printed_box_ink(qtbot, _signed()[0], tmp_path / "signed.pdf")
    for blank, drawn in zip(empty, signed, strict=True):
        assert drawn > blank + 1000, (blank, drawn)


PRINT_A_LOG = """
import json, os, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from desktop.services.printing import printable_log
from desktop.ui.common.printing import print_pdf
from desktop.worksheets.log_pdf import build_log_pdf
from tests.ui.test_printing import pdf_printer
from tests.worksheets.test_log_pdf import _document

def rss():
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

rows, pdf = 400, b""
while True:
    pdf = build_log_pdf(_document(rows=rows))
    printable = printable_log("screening_log", "Log", "SL-1", pdf, rows)
    if printable.pages >= 20:
        break
    rows += 100
printer = pdf_printer(Path(sys.argv[1]), printable)
before = rss()
seen = []
printed = print_pdf(pdf, printer, progress=lambda _done, _of: seen.append(rss()))
# VmHWM, not ru_maxrss: Linux carries a forked parent's resident size into the child's
# ru_maxrss across exec, so under pytest it would report the test process's memory.
with open("/proc/self/status", encoding="ascii") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status
                if line.startswith("VmHWM:"))
print(json.dumps({"pages": printable.pages, "printed": printed, "dpi": printer.resolution(),
                  "before": before, "seen": seen, "peak": peak}))
"""


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc (Linux)")
def test_printing_a_20_page_log_stays_under_300_mb(tmp_path: Path) -> None:
    """In a process of its own, as the app prints (this test process carries every
    earlier test's memory): its peak resident memory, the log built and all its pages
    painted at 300 dpi, stays under 300 MB, and the last pages cost no more than the
    first (one page held at a time)."""
    import subprocess
    import sys

    path = tmp_path / "log.pdf"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                          os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", PRINT_A_LOG, str(path)], env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr
    facts = json.loads(run.stdout.strip().splitlines()[-1])
    seen = facts["seen"]
    assert facts["printed"] == facts["pages"] == pages_of(path) >= 20
    assert facts["dpi"] >= 300  # so pages are rendered at the 300 dpi cap
    assert len(seen) == facts["printed"]
    assert facts["peak"] < 300 * MB, (facts["peak"] // MB, [s // MB for s in seen])
    assert seen[-1] - seen[1] < 30 * MB, [s // MB for s in seen]


def _multipage_printing(parent: QWidget, messages: RecordingMessages) -> tuple[
        Printing, list[tuple[int, str]]]:
    pdf = build_log_pdf(_document(rows=120))
    recorded: list[tuple[int, str]] = []
    printing = Printing(parent, messages,
                        lambda: printable_log("delegation_log", "Log", "DL-1", pdf, 120),
                        lambda _p, pages, where: recorded.append((pages, where)))
    return printing, recorded


def test_the_preview_opens_pages_and_zooms(qtbot: QtBot,
                                           messages: RecordingMessages) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    printing, _ = _multipage_printing(parent, messages)
    assert printing.start()
    preview = printing.preview
    assert isinstance(preview, PrintPreview)
    qtbot.waitExposed(preview)
    count = preview.printable.pages
    assert count >= 3
    assert preview.page.suffix() == f" of {count}"
    assert (preview.page_index, preview.previous.isEnabled(), preview.next.isEnabled()) == (
        0, False, True)
    first = preview.image.pixmap().toImage()
    qtbot.mouseClick(preview.next, Qt.MouseButton.LeftButton)
    assert preview.page_index == 1
    assert preview.previous.isEnabled()
    assert preview.image.pixmap().toImage() != first  # another page is shown
    preview.page.setValue(count)
    assert not preview.next.isEnabled()
    qtbot.mouseClick(preview.next, Qt.MouseButton.LeftButton)
    assert preview.page_index == count - 1  # stays on the last page
    widths = {}
    for label in ("50%", "200%"):
        preview.zoom.setCurrentText(label)
        widths[label] = preview.image.pixmap().width()
    assert widths["200%"] == pytest.approx(4 * widths["50%"], rel=0.02)
    preview.reject()
    assert printing.preview is None or not printing.preview.isVisible()
    assert messages.messages == []


def test_print_from_the_preview_sends_the_chosen_range_and_records_it(
        qtbot: QtBot, messages: RecordingMessages, tmp_path: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    printing, recorded = _multipage_printing(parent, messages)
    path = tmp_path / "printed.pdf"

    def two_pages(_parent: QWidget, printer: QPrinter) -> bool:
        to_file(path)(_parent, printer)  # type: ignore[operator]
        printer.setPrintRange(QPrinter.PrintRange.PageRange)
        printer.setFromTo(2, 3)
        return True

    printing.ask_printer = two_pages
    assert printing.start()
    assert printing.preview is not None
    assert printing.preview.print_document() == 2
    assert pages_of(path) == 2
    assert recorded == [(2, f"PDF file {path}")]
    assert printing.preview.status.text() == "2 pages sent to the printer."


def test_a_draft_worksheet_asks_before_printing_with_its_watermark(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient,
        registry: Registry, messages: RecordingMessages, tmp_path: Path) -> None:
    form = _draft_form(qtbot, context, _patient(add_patient))
    assert form.print_button.isVisible()
    assert form.print_button.isEnabled()
    messages.answer = False
    qtbot.mouseClick(form.print_button, Qt.MouseButton.LeftButton)
    [asked] = messages.messages
    assert asked.kind == "confirm"
    assert "Print a worksheet that is not signed" in asked.title
    assert "“DRAFT – NOT SIGNED”" in asked.text
    assert form.worksheet_printing.preview is None  # cancelled: nothing shown
    assert "worksheet.print" not in audit_actions(registry)

    messages.answer = True
    path = tmp_path / "draft.pdf"
    form.worksheet_printing.ask_printer = to_file(path)  # type: ignore[assignment]
    qtbot.mouseClick(form.print_button, Qt.MouseButton.LeftButton)
    preview = form.worksheet_printing.preview
    assert preview is not None
    assert preview.status.text() == "Every page carries “DRAFT – NOT SIGNED”."
    text = " ".join(p.extract_text() or "" for p in
                    PdfReader(io.BytesIO(preview.printable.pdf)).pages)
    assert "DRAFT – NOT SIGNED" in text  # the pages printed are the watermarked PDF's
    printed = preview.print_document()
    assert printed == preview.printable.pages == pages_of(path)
    with registry.read() as conn:
        action, entity_id, details = conn.execute(
            "SELECT action, entity_id, details FROM audit_event ORDER BY id DESC LIMIT 1"
        ).fetchone()
    facts = json.loads(details)
    assert (action, entity_id) == ("worksheet.print", form.visit.id)
    assert (facts["pages"], facts["of_pages"], facts["state"]) == (printed, printed, "draft")
    assert facts["watermark"] == "DRAFT – NOT SIGNED"
    assert facts["printer"] == f"PDF file {path}"
    assert f"sent to PDF file {path}" in form.status.text()


def test_the_screening_log_prints_its_pages_and_records_who_printed_it(
        qtbot: QtBot, log_window: ScreeningLogWindow, registry: Registry,
        messages: RecordingMessages, tmp_path: Path) -> None:
    path = tmp_path / "log.pdf"
    log_window.printing.ask_printer = to_file(path)  # type: ignore[assignment]
    assert log_window.print_button.isEnabled(), log_window.print_button.toolTip()
    qtbot.mouseClick(log_window.print_button, Qt.MouseButton.LeftButton)
    preview = log_window.printing.preview
    assert preview is not None
    assert messages.messages == []  # a log has no watermark to confirm
    assert preview.print_document() == 1 == pages_of(path)
    with registry.read() as conn:
        actor, action, details = conn.execute(
            "SELECT actor, action, details FROM audit_event ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert (actor, action) == ("tester", "screening_log.print")
    assert json.loads(details)["rows"] == 1
    assert log_window.status.text().endswith(f"1 page sent to PDF file {path}.")



def test_the_self_check_signs_verifies_and_prints_to_a_file(
        qtbot: QtBot, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``nkscreen --print-self-check DIR`` (what the bundle test runs), in this process."""
    from desktop.launcher import main

    assert main(["--print-self-check", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["verify"]["ok"] is True
    assert summary["printed"] == summary["pages"] == pages_of(tmp_path / "printed.pdf")
    assert (tmp_path / "signed.pdf").read_bytes().startswith(b"%PDF")
    assert main(["--print-self-check"]) == 2  # the folder is required


def test_the_delegation_log_prints_from_the_admin_window(
        qtbot: QtBot, registry: Registry, messages: RecordingMessages,
        tmp_path: Path) -> None:
    from desktop.services.accounts import AccountService
    from desktop.services.delegations import DelegationService
    from desktop.services.logs import LogService
    from desktop.services.passwords import fast_hasher
    from desktop.ui.admin.admin_window import AdminWindow
    from tests.ui.test_admin_window import TRIALS

    accounts = AccountService(registry, hasher=fast_hasher())
    admin = accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor
    window = AdminWindow(accounts, DelegationService(registry), admin, TRIALS, messages,
                         logs=LogService(registry, admin))
    qtbot.addWidget(window)
    tab = window.delegations_tab
    path = tmp_path / "delegation-log.pdf"
    tab.printing.ask_printer = to_file(path)  # type: ignore[assignment]
    assert tab.print_button.isEnabled(), tab.print_button.toolTip()
    qtbot.mouseClick(tab.print_button, Qt.MouseButton.LeftButton)
    preview = tab.printing.preview
    assert preview is not None
    assert preview.print_document() == pages_of(path) == 1
    assert audit_actions(registry)[-1] == "delegation_log.print"
