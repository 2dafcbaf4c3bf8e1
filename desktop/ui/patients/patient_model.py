"""The patient list as a Qt table model: a thin, paged adapter over the repository.

The model never copies the registry into memory. ``rowCount`` is one ``count`` query,
capped for a search (``COUNT_STEP``: "a" matches thousands, and counting them all on each
keystroke is most of its time); scrolling to the end fetches the next step, so every match
can still be reached. Rows are read a page at a time with ``search(offset, limit)`` when
the view asks for them, and only the most recently used pages are kept. A new filter
resets the model and drops every cached page (after Anki's browser table model).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from desktop.services.patients import PatientRow, PatientService

ModelIndex = QModelIndex | QPersistentModelIndex

COLUMNS: Final = ("MRN", "Family name", "Given name", "Date of birth", "Age", "Sex")
MRN, FAMILY, GIVEN, BIRTH_DATE, AGE, SEX = range(len(COLUMNS))

PAGE_SIZE: Final = 100  # a screenful or three: the first page is read on every keystroke
MAX_PAGES: Final = 40  # about 4,000 rows held at most, whatever the registry's size
#: How many matches of a search are counted at first, and how many more each time the
#: view scrolls to the end of them (a blank search counts everyone: that is quick).
COUNT_STEP: Final = 1000

PatientIdRole: Final = Qt.ItemDataRole.UserRole + 1


class PatientTableModel(QAbstractTableModel):
    """Patients matching the current search text, in the repository's order.

    ``load_failed`` reports a registry error met while reading a page, as a sentence
    for the status bar; the rows it could not read show empty.
    """

    load_failed = Signal(str)

    def __init__(self, parent: QObject | None = None,
                 today: Callable[[], date] = date.today) -> None:
        super().__init__(parent)
        self._today = today
        self._repository: PatientService | None = None
        self._text = ""
        self._include_archived = False
        self._count = 0
        self._more = False  # more matches than ``_count``, which is then a cap
        self.count_step = COUNT_STEP
        self._pages: OrderedDict[int, list[PatientRow]] = OrderedDict()

    # -- what the window sets --------------------------------------------------

    @property
    def filter_text(self) -> str:
        return self._text

    @property
    def include_archived(self) -> bool:
        return self._include_archived

    @property
    def more(self) -> bool:
        """Whether more patients match than ``rowCount`` (fetched on scrolling to the end)."""
        return self._more

    def set_repository(self, repository: PatientService | None) -> None:
        self._repository = repository
        self.refresh()

    def set_filter(self, text: str, include_archived: bool | None = None) -> None:
        """Show patients whose MRN or name starts with ``text`` (the repository decides)."""
        self._text = text.strip()
        if include_archived is not None:
            self._include_archived = include_archived
        self.refresh()

    def refresh(self) -> None:
        """Count again and read the first page, e.g. after a patient was added."""
        self.beginResetModel()
        self._pages.clear()
        self._count, self._more = 0, False
        self._count_up_to(self.count_step if self._text else None)
        self.endResetModel()
        if self._count:
            self._page(0)

    def patient_at(self, row: int) -> PatientRow | None:
        if not 0 <= row < self._count:
            return None
        page = self._page(row // PAGE_SIZE)
        offset = row % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    def row_of(self, patient_id: int) -> int | None:
        """The row showing ``patient_id`` among the pages read so far."""
        for number, page in self._pages.items():
            for offset, patient in enumerate(page):
                if patient.id == patient_id:
                    return number * PAGE_SIZE + offset
        return None

    # -- QAbstractTableModel ---------------------------------------------------

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        """Count the next ``count_step`` matches and add their rows."""
        if not self.canFetchMore(parent):
            return
        shown = self._count
        self._count_up_to(shown + self.count_step)
        if self._count > shown:
            self.beginInsertRows(QModelIndex(), shown, self._count - 1)
            self.endInsertRows()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == AGE:
            return Qt.AlignmentFlag.AlignCenter
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | \
            Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        patient = self.patient_at(index.row())
        if patient is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(patient, column)
        if role == PatientIdRole:
            return patient.id
        if role == Qt.ItemDataRole.TextAlignmentRole and column == AGE:
            return Qt.AlignmentFlag.AlignCenter
        if patient.archived:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QApplication.palette().brush(QPalette.ColorGroup.Disabled,
                                                    QPalette.ColorRole.Text)
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setItalic(True)
                return font
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Archived"
        return None

    # -- internals -------------------------------------------------------------

    def _count_up_to(self, limit: int | None) -> None:
        """Count the matches, all of them or up to ``limit`` (one more tells whether
        there are more)."""
        if self._repository is None:
            return
        try:
            found = self._repository.count(self._text, self._include_archived,
                                           cap=None if limit is None else limit + 1)
        except Exception as exc:
            self._report(exc)
            return
        self._more = limit is not None and found > limit
        self._count = min(found, limit) if limit is not None else found

    def _display(self, patient: PatientRow, column: int) -> str:
        if column == MRN:
            return patient.mrn
        if column == FAMILY:
            return patient.family_name
        if column == GIVEN:
            return patient.given_name
        if column == BIRTH_DATE:
            return patient.birth_date.isoformat()
        if column == AGE:
            # Imported here: desktop.domain pulls in ``fractions``, which the first
            # paint does not need.
            from desktop.domain.calc import age_years

            return str(age_years(patient.birth_date, self._today()))
        if column == SEX:
            return patient.sex.capitalize()
        return ""

    def _page(self, number: int) -> list[PatientRow]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        page = []
        if self._repository is not None:
            try:
                page = self._repository.search(self._text, offset=number * PAGE_SIZE,
                                               limit=PAGE_SIZE,
                                               include_archived=self._include_archived)
            except Exception as exc:
                self._report(exc)
        self._pages[number] = page
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    def _report(self, exc: Exception) -> None:
        from desktop.services.rows import RegistryError

        if not isinstance(exc, RegistryError):
            raise exc
        self.load_failed.emit(str(exc))


def count_wording(count: int, more: bool, text: str) -> str:
    """The status bar's count: "1 patient", "1,000+ patients matching “a”"."""
    noun = "patient" if count == 1 and not more else "patients"
    number = f"{count:,}+" if more else f"{count:,}"
    return f"{number} {noun} matching “{text}”" if text else f"{number} {noun}"
