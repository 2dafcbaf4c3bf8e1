"""Print… from a window: the document's PDF, previewed, then painted onto the printer.

The services give the bytes and the audit (``desktop.services.printing``); this module
only shows and paints them. ``Printing.start`` fetches the document, asks to confirm a
worksheet whose pages carry a watermark (a draft, superseded, or changed since signing),
and opens the preview (:mod:`.print_preview`). Its Print… button opens the system print
dialog (``ask_printer``, which tests replace); once a printer is chosen the print is
audited, then ``print_pdf`` renders one page at a time (PDFium, at the printer's
resolution capped at 300 dpi) and paints it onto the printer's page, so memory holds one
page whatever the document's length.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, TypeVar

from PySide6.QtCore import QCoreApplication, QEventLoop, QMarginsF, QObject, QRectF, QSizeF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import QLabel, QWidget

from desktop.services.rows import RegistryError
from desktop.worksheets.rendering import PageImage, PdfPages, RenderError, capped_dpi

if TYPE_CHECKING:
    from desktop.services.printing import Printable
    from desktop.ui.common.messages import MessageService
    from desktop.ui.common.print_preview import PrintPreview

NOT_PRINTED: Final = "Not printed"
WATERMARK_TITLE: Final = "Print a worksheet that is not signed as it stands"

#: (parent, printer) -> whether to print; the printer set as the user chose.
AskPrinter = Callable[[QWidget, QPrinter], bool]


class PrintError(Exception):
    """The printer refused the job; the message says so."""


def print_dialog(parent: QWidget, printer: QPrinter) -> bool:
    """The system print dialog; True when the user chose Print."""
    dialog = QPrintDialog(printer, parent)
    dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, True)
    return dialog.exec() == QPrintDialog.DialogCode.Accepted.value


def as_qimage(page: PageImage) -> QImage:
    """The rendered page as a QImage over the same pixels (keep ``page`` alive)."""
    return QImage(page.pixels, page.width, page.height, page.stride,
                  QImage.Format.Format_RGB32)


def prepare_printer(printer: QPrinter, printable: Printable) -> None:
    """The printer set for the document: its name, its first page's paper size and
    orientation, no margins of its own (the PDF's pages have theirs), all pages."""
    printer.setDocName(printable.title)
    printer.setFullPage(True)
    printer.setFromTo(1, printable.pages)
    with PdfPages(printable.pdf) as pages:
        width, height = pages.size(0)
    landscape = width > height
    size = QPageSize(QSizeF(min(width, height), max(width, height)), QPageSize.Unit.Point,
                     "", QPageSize.SizeMatchPolicy.FuzzyMatch)
    printer.setPageLayout(QPageLayout(
        size, QPageLayout.Orientation.Landscape if landscape
        else QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))


def chosen_pages(printer: QPrinter, count: int) -> list[int]:
    """The page indexes (from 0) the print dialog's range selects out of ``count``."""
    first, last = printer.fromPage(), printer.toPage()
    if printer.printRange() is not QPrinter.PrintRange.PageRange or first == 0:
        return list(range(count))
    return list(range(max(first, 1) - 1, min(last or count, count)))


def printer_label(printer: QPrinter) -> str:
    """What the audit row says the pages went to."""
    if printer.outputFormat() is QPrinter.OutputFormat.PdfFormat:
        where = f"PDF file {printer.outputFileName()}"
    else:
        where = printer.printerName() or "the default printer"
    copies = printer.copyCount()
    return where if copies <= 1 else f"{where} ({copies} copies)"


def print_pdf(pdf: bytes, printer: QPrinter, pages: Sequence[int] | None = None,
              progress: Callable[[int, int], None] | None = None) -> int:
    """Paint ``pages`` (indexes; default all) of ``pdf`` onto ``printer``, each rendered
    at the printer's resolution capped at 300 dpi and fitted to the paper, one at a time.
    Returns how many pages were painted; raises ``PrintError`` or ``RenderError``."""
    with PdfPages(pdf) as document:
        wanted = list(range(len(document))) if pages is None else list(pages)
        dpi = capped_dpi(printer.resolution())
        painter = QPainter()
        if not painter.begin(printer):
            raise PrintError("The printer could not start the job (is it connected, or "
                             "the file writable?).")
        try:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            paper = printer.pageLayout().fullRectPixels(printer.resolution())
            for done, index in enumerate(wanted):
                if done and not printer.newPage():
                    raise PrintError(f"The printer refused page {index + 1}.")
                page = document.render(index, dpi)
                image = as_qimage(page)
                painter.drawImage(_fitted(QRectF(paper), page), image)
                del image
                page.release()  # one page in memory at a time
                if progress is not None:
                    progress(done + 1, len(wanted))
        finally:
            painter.end()
    return len(wanted)


def _fitted(paper: QRectF, page: PageImage) -> QRectF:
    """Where the page goes: as large as fits the paper, its proportions kept, centred."""
    scale = min(paper.width() / page.width, paper.height() / page.height)
    width, height = page.width * scale, page.height * scale
    return QRectF(paper.x() + (paper.width() - width) / 2,
                  paper.y() + (paper.height() - height) / 2, width, height)


def _progress(owner: QWidget, done: int, of: int) -> None:
    """Say how far the job is, and let the windows repaint (not take input) meanwhile."""
    status = getattr(owner, "status", None)
    if isinstance(status, QLabel):
        status.setText(f"Printing: page {done} of {of} sent…")
    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)


def watermark_text(printable: Printable) -> str:
    return (f"{printable.title} is not signed as it stands: every printed page will carry "
            f"“{printable.watermark}” across it, as its PDF does. A watermarked copy is "
            "not the signed record. Print it anyway?")


F = TypeVar("F", bound=Callable[..., object])


def _weakly(function: F) -> Callable[[], F | None]:
    """``function`` held weakly when it is a Python method of a window or widget (which
    keeps this Printing: a cycle would keep the window alive); else as it is."""
    if isinstance(getattr(function, "__self__", None), QObject):
        try:
            return weakref.WeakMethod(function)
        except TypeError:  # a Qt method of the widget: it holds no window
            pass
    return lambda: function


class Printing:
    """The Print… of one window: ``fetch`` gives the document (a service call),
    ``record`` audits a print (the service's ``record_print``); ``done`` gets the
    sentence to show once pages were sent. The window and the callables are held
    weakly: a Printing kept by its window keeps no window alive."""

    def __init__(self, parent: QWidget, messages: MessageService,
                 fetch: Callable[[], Printable],
                 record: Callable[[Printable, int, str], None],
                 done: Callable[[str], None] | None = None) -> None:
        self._parent = weakref.ref(parent)
        self._messages = messages
        self._fetch = _weakly(fetch)
        self._record = _weakly(record)
        self._done = None if done is None else _weakly(done)
        self.ask_printer: AskPrinter = print_dialog
        #: The open preview, if any (tests look here).
        self.preview: PrintPreview | None = None

    def start(self) -> bool:
        """Fetch, confirm a watermarked worksheet, open the preview; whether it opened."""
        from desktop.ui.common.print_preview import PrintPreview

        parent = self._parent()
        if parent is None:
            return False
        if self.preview is not None and self.preview.isVisible():
            self.preview.raise_()
            return True
        fetch = self._fetch()
        if fetch is None:
            return False
        try:
            printable = fetch()
        except RegistryError as exc:
            self._messages.error(parent, NOT_PRINTED, str(exc))
            return False
        if printable.watermark is not None and not self._messages.confirm(
                parent, WATERMARK_TITLE, watermark_text(printable), "Print with the watermark"):
            return False
        try:
            self.preview = PrintPreview(parent, printable, self.print_now)
        except RenderError as exc:
            self._messages.error(parent, NOT_PRINTED, str(exc))
            return False
        self.preview.finished.connect(self._closed)
        self.preview.open()
        return True

    def _closed(self, _result: int) -> None:
        if self.preview is not None:
            self.preview.deleteLater()
            self.preview = None

    def print_now(self, printable: Printable, owner: QWidget) -> int:
        """Ask for a printer over ``owner``, audit, print; the pages sent (0: none)."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        prepare_printer(printer, printable)
        if not self.ask_printer(owner, printer):
            return 0
        pages = chosen_pages(printer, printable.pages)
        if not pages:
            self._messages.error(owner, NOT_PRINTED, "The page range chosen has no pages "
                                 f"of the {printable.pages}.")
            return 0
        where = printer_label(printer)
        record = self._record()
        if record is None:
            return 0
        try:
            record(printable, len(pages), where)
        except RegistryError as exc:
            self._messages.error(owner, NOT_PRINTED, str(exc))
            return 0
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            printed = print_pdf(printable.pdf, printer, pages,
                                lambda done, of: _progress(owner, done, of))
        except (PrintError, RenderError) as exc:
            self._messages.error(owner, NOT_PRINTED, f"{exc} The print was recorded in "
                                 "the audit trail as sent; check the printer's output.")
            return 0
        finally:
            QGuiApplication.restoreOverrideCursor()
        noun = "page" if printed == 1 else "pages"
        done = None if self._done is None else self._done()
        if done is not None:
            done(f"{printable.title}: {printed} {noun} sent to {where}.")
        return printed
