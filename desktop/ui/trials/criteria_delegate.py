"""The criteria table's text delegate: the protocol text word-wrapped under its group.

``GroupedTextDelegate`` paints the TEXT column of
:class:`desktop.ui.trials.criteria_model.CriteriaTableModel` and gives each row the
height its wrapped text needs.
"""

from __future__ import annotations

from html import escape
from typing import Final

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.domain.trial import Criterion
from desktop.ui.trials.criteria_model import CriterionRole, GroupHeadingRole

ModelIndex = QModelIndex | QPersistentModelIndex

GROUP_COLOUR: Final = "#546e7a"
GROUP_INDENT: Final = 8  # room for the group bar left of a grouped criterion's text


class GroupedTextDelegate(QStyledItemDelegate):
    """Paints the criterion text word-wrapped, under its group heading where one starts.

    The default delegate cannot set part of a cell in bold; a small ``QTextDocument``
    can, and it also gives the height a wrapped cell needs at the column's width.
    Criteria under a group heading get a bar down their left edge, so a group reads as
    one block however many rows it has.
    """

    def _document(self, option: QStyleOptionViewItem, index: ModelIndex, width: int,
                  selected: bool = False) -> QTextDocument:
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setDocumentMargin(4)
        text = escape(str(index.data(Qt.ItemDataRole.DisplayRole) or ""))
        html = f"<p style='margin:0'>{text.replace(chr(10), '<br>')}</p>"
        heading = index.data(GroupHeadingRole)
        if heading:
            colour = "" if selected else f" color:{GROUP_COLOUR};"
            html = (f"<p style='margin:0 0 3px 0; font-weight:600;{colour}'>"
                    f"{escape(str(heading))}</p>{html}")
        document.setHtml(html)
        document.setTextWidth(max(width - self._indent(index), 40))
        return document

    @staticmethod
    def _indent(index: ModelIndex) -> int:
        criterion = index.data(CriterionRole)
        return GROUP_INDENT if isinstance(criterion, Criterion) and criterion.group else 0

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: ModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        rect = opt.rect
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        document = self._document(opt, index, rect.width(), selected)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        indent = self._indent(index)
        painter.save()
        if indent:
            painter.fillRect(rect.x() + 3, rect.y(), 3, rect.height(), QColor(GROUP_COLOUR))
        context = QAbstractTextDocumentLayout.PaintContext()
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(role))
        painter.translate(rect.x() + indent, rect.y())
        painter.setClipRect(0, 0, rect.width() - indent, rect.height())
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        width = opt.rect.width()
        document = self._document(opt, index, width if width > 0 else 400)
        return QSize(int(document.idealWidth()) + self._indent(index),
                     int(document.size().height()) + 2)
