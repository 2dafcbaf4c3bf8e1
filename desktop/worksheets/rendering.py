"""A PDF's pages as images, for a printer or a preview: PDFium (through pypdfium2), no Qt.

The worksheets and logs are PDFs; printing them means drawing each page as pixels onto
the printer's page (the PySide6 Essentials wheel has no Qt PDF). ``PdfPages`` opens the
bytes once and renders one page at a time, so a long log costs one page's memory, not
the document's.

Two things a printed worksheet depends on:

* the signature boxes are form fields (widget annotations) whose appearance streams hold
  the signer's name, meaning and time. PDFium draws them only when the document's form
  environment is initialised before any page is loaded (``init_forms``); without it the
  boxes of a signed worksheet print blank.
* the resolution: the printer's, capped at ``MAX_DPI``. An A4 page at 300 dpi is about
  35 MB (four bytes a pixel, the layout Qt paints without converting it); at 600 dpi it
  would be about 140 MB, for no visible gain on text that a laser printer rasterises at
  its own resolution anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final

#: The highest resolution pages are rendered at, in dots per inch.
MAX_DPI: Final = 300
POINTS_PER_INCH: Final = 72.0


class RenderError(ValueError):
    """The bytes are not a PDF PDFium can open; the message says so."""


@dataclass(frozen=True)
class PageImage:
    """One rendered page: 32-bit pixels, blue, green, red then an unused byte (Qt's
    ``Format_RGB32`` on a little-endian machine, so the printer takes them as they are),
    rows ``stride`` bytes apart. ``pixels`` is PDFium's own buffer: no copy is made."""

    index: int
    width: int
    height: int
    stride: int
    pixels: memoryview
    dpi: float
    _bitmap: Any = field(repr=False, compare=False)

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        """The (red, green, blue) of the pixel at column ``x``, row ``y``."""
        at = y * self.stride + x * 4
        return self.pixels[at + 2], self.pixels[at + 1], self.pixels[at]

    def release(self) -> None:
        """Free the pixels now rather than when the object is collected."""
        self.pixels.release()
        self._bitmap.close()


def capped_dpi(dpi: float) -> float:
    """``dpi`` limited to 1 … ``MAX_DPI``."""
    return float(min(max(dpi, 1.0), MAX_DPI))


class PdfPages:
    """The pages of one PDF, rendered on demand; use as a context manager (or ``close``)."""

    def __init__(self, pdf: bytes) -> None:
        import pypdfium2 as pdfium

        try:
            self._doc: Any = pdfium.PdfDocument(pdf)
        except pdfium.PdfiumError as exc:
            raise RenderError(f"The document cannot be opened for printing: {exc}.") \
                from None
        # Before any page is loaded: the signature fields' appearances are drawn only
        # once the form environment exists.
        self._doc.init_forms()

    def __enter__(self) -> PdfPages:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._doc.close()

    def __len__(self) -> int:
        return len(self._doc)

    def size(self, index: int) -> tuple[float, float]:
        """Page ``index``'s (width, height) in points (1/72 inch)."""
        width, height = self._doc.get_page_size(index)
        return float(width), float(height)

    def render(self, index: int, dpi: float) -> PageImage:
        """Page ``index`` at ``dpi`` (capped at ``MAX_DPI``), form fields drawn, on white."""
        if not 0 <= index < len(self):
            raise IndexError(f"page {index + 1} of {len(self)}")
        dpi = capped_dpi(dpi)
        page = self._doc[index]
        try:
            bitmap = page.render(scale=dpi / POINTS_PER_INCH, may_draw_forms=True,
                                 prefer_bgrx=True, optimize_mode="print")
        finally:
            page.close()
        return PageImage(index, bitmap.width, bitmap.height, bitmap.stride,
                         memoryview(bitmap.buffer).cast("B"), dpi, bitmap)


def page_count(pdf: bytes) -> int:
    """How many pages ``pdf`` has."""
    with PdfPages(pdf) as pages:
        return len(pages)
