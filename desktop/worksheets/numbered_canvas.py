"""A ReportLab canvas that knows the page count when it draws each page's footer."""

from __future__ import annotations

from typing import Any

from reportlab.pdfgen.canvas import Canvas


class NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab has no type hints
    """Holds the pages back until ``save`` so each footer can say "Page X of Y" in one
    pass (no second build). Subclasses draw the footer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.footer(number, total)
            super().showPage()
        super().save()

    def footer(self, number: int, total: int) -> None:
        raise NotImplementedError
