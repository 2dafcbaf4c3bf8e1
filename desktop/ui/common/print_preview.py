"""The print preview: a document's pages as they will print, one at a time, with page
navigation and zoom, rendered by the same PDFium rendering as the printer's pages.

Only the page shown is rendered (at the screen's resolution times the zoom, capped at
300 dpi), so a long log opens as fast as a short one. Print… hands the document to the
window's ``Printing`` (the system print dialog, the audit, the pages).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.common.widgets import named, push_button
from desktop.worksheets.rendering import PdfPages

if TYPE_CHECKING:
    from desktop.services.printing import Printable

#: The zoom choices, as fractions of the page's real size on screen; 0 fits the width.
ZOOMS: Final = ((0.0, "Fit width"), (0.5, "50%"), (0.75, "75%"), (1.0, "100%"),
                (1.5, "150%"), (2.0, "200%"))
SCREEN_DPI: Final = 96.0


class PrintPreview(QDialog):
    def __init__(self, parent: QWidget, printable: Printable,
                 print_now: Callable[[Printable, QWidget], int]) -> None:
        super().__init__(parent)
        self.printable = printable
        self._print_now = print_now
        self._pages = PdfPages(printable.pdf)
        self.setWindowTitle(f"Print preview — {printable.title}")
        self.resize(760, 900)

        self.image = named(QLabel(), "preview_page")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages_view = named(QScrollArea(), "preview_scroll")
        self.pages_view.setWidget(self.image)
        self.pages_view.setWidgetResizable(True)
        self.pages_view.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.previous = push_button("◀ &Previous", "preview_previous", lambda: self.go(-1))
        self.next = push_button("&Next ▶", "preview_next", lambda: self.go(1))
        self.page = named(QSpinBox(), "preview_page_number")
        self.page.setRange(1, len(self._pages))
        self.page.setPrefix("Page ")
        self.page.setSuffix(f" of {len(self._pages)}")
        self.page.setAccessibleName("Page shown")
        self.page.valueChanged.connect(lambda _value: self.show_page())
        self.zoom = named(QComboBox(), "preview_zoom")
        for factor, label in ZOOMS:
            self.zoom.addItem(label, factor)
        self.zoom.setCurrentIndex(0)
        self.zoom.setAccessibleName("Zoom")
        self.zoom.currentIndexChanged.connect(lambda _index: self.show_page())
        self.print_button = push_button("&Print…", "preview_print", self.print_document)
        self.print_button.setDefault(True)
        self.close_button = push_button("Close", "preview_close", self.reject)
        self.status = named(QLabel(), "preview_status")
        self.status.setWordWrap(True)
        if printable.watermark is not None:
            self.status.setText(f"Every page carries “{printable.watermark}”.")

        bar = QHBoxLayout()
        for widget in (self.previous, self.page, self.next, self.zoom):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.print_button)
        bar.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.pages_view, 1)
        layout.addWidget(self.status)
        QShortcut(QKeySequence(QKeySequence.StandardKey.MoveToNextPage), self,
                  lambda: self.go(1))
        QShortcut(QKeySequence(QKeySequence.StandardKey.MoveToPreviousPage), self,
                  lambda: self.go(-1))
        self.finished.connect(lambda _result: self._pages.close())
        self.show_page()

    @property
    def page_index(self) -> int:
        return self.page.value() - 1

    def go(self, step: int) -> None:
        self.page.setValue(self.page.value() + step)  # the spin box keeps it in range

    def dpi(self) -> float:
        """The resolution the page is shown at: the zoom's, or the width's that fits."""
        factor = float(self.zoom.currentData())
        if factor == 0.0:
            width_pt, _height = self._pages.size(self.page_index)
            room = max(self.pages_view.viewport().width() - 24, 200)
            return float(room / width_pt * 72.0)
        return SCREEN_DPI * factor

    def show_page(self) -> None:
        index = self.page_index
        ratio = self.devicePixelRatioF()
        page = self._pages.render(index, self.dpi() * ratio)
        from desktop.ui.common.printing import as_qimage

        pixmap = QPixmap.fromImage(as_qimage(page))
        pixmap.setDevicePixelRatio(ratio)
        self.image.setPixmap(pixmap)
        self.previous.setEnabled(index > 0)
        self.next.setEnabled(index + 1 < len(self._pages))

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        if float(self.zoom.currentData()) == 0.0:
            self.show_page()

    def print_document(self) -> int:
        before = self.status.text()
        printed = self._print_now(self.printable, self)
        if printed:
            noun = "page" if printed == 1 else "pages"
            self.status.setText(f"{printed} {noun} sent to the printer.")
        else:  # cancelled or failed: no "page k of n sent…" left standing
            self.status.setText(before)
        return printed
