"""Every window opens inside the screen it is shown on.

A laptop at 1366×768, or a 1920×1080 screen at 150 % (1280×720 logical pixels), is
smaller than the sizes the windows ask for (the visit form 1280×800, the patient view
1100×760). :func:`fitted` is the arithmetic: the window's frame (its size plus the
window manager's title bar and borders) shrunk to the available area (the screen less
its task bars, ``QScreen.availableGeometry``), and moved inside it, centred over the
window's parent when it has one. :func:`fit_window` applies it to a widget;
:class:`WindowFitter`, installed once on the application, applies it to every window
and dialog as it is shown, so no window can open with its buttons below the screen's
edge. The windows themselves scroll what does not fit (their tall forms sit in a
``QScrollArea``, their action buttons outside it).
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QEvent, QMargins, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

#: The frame assumed before the window manager has framed a window (title bar and
#: borders are unknown until then): generous, so the real frame fits too.
DEFAULT_FRAME: Final = QMargins(6, 32, 6, 6)

#: The window types fitted (menus, tooltips and pop-ups place themselves).
_FITTED_TYPES: Final = (Qt.WindowType.Window, Qt.WindowType.Dialog)


def fitted(size: QSize, frame: QMargins, available: QRect,
           centre_on: QRect | None = None, at: QPoint | None = None) -> QRect:
    """The client geometry (without the frame) of a window that wants ``size``, framed by
    ``frame``, inside ``available``: as large as wanted up to the available area, with
    its frame's top left at ``at`` if the whole frame is inside there, else centred on
    ``centre_on`` (or the available area) and moved inside it."""
    extra_w = frame.left() + frame.right()
    extra_h = frame.top() + frame.bottom()
    width = max(1, min(size.width(), available.width() - extra_w))
    height = max(1, min(size.height(), available.height() - extra_h))
    outer = QRect(0, 0, width + extra_w, height + extra_h)
    if at is not None:
        outer.moveTopLeft(at)
    if at is None or not available.contains(outer):
        outer.moveCenter((centre_on or available).center())
        outer.moveLeft(min(max(outer.left(), available.left()),
                           available.right() - outer.width() + 1))
        outer.moveTop(min(max(outer.top(), available.top()),
                          available.bottom() - outer.height() + 1))
    return QRect(outer.left() + frame.left(), outer.top() + frame.top(), width, height)


def frame_margins(window: QWidget) -> QMargins:
    """The window manager's frame around ``window``: measured once it is framed, else
    :data:`DEFAULT_FRAME`."""
    handle = window.windowHandle()
    margins = handle.frameMargins() if handle is not None else QMargins()
    if margins.top() <= 0 and margins.left() <= 0:
        return DEFAULT_FRAME
    return margins


def available_geometry(window: QWidget) -> QRect:
    """The free area of the screen the window is on (or will open on)."""
    screen = window.screen() if window.windowHandle() is not None else None
    parent = window.parentWidget()
    if screen is None and parent is not None:
        screen = parent.window().screen()
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 720)


def fit_window(window: QWidget, available: QRect | None = None) -> QRect:
    """Shrink and move ``window`` so that its frame is inside ``available`` (default:
    its screen's available geometry); a maximised or full-screen window is left alone.
    The client geometry it now has."""
    if window.isMaximized() or window.isFullScreen():
        return window.geometry()
    area = available if available is not None else available_geometry(window)
    parent = window.parentWidget()
    centre_on = parent.window().frameGeometry() \
        if parent is not None and parent.isVisible() else None
    placed = window.testAttribute(Qt.WidgetAttribute.WA_Moved)
    frame = frame_margins(window)
    target = fitted(window.size(), frame, area, centre_on,
                    window.pos() if placed else None)
    if target.size() != window.size():
        window.resize(target.size())
    corner = target.topLeft() - QPoint(frame.left(), frame.top())
    if corner != window.pos() or not placed:
        window.move(corner)  # a window's position is its frame's
    return window.geometry()


class WindowFitter(QObject):
    """Fits every top-level window and dialog into its screen as it is shown."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.Show and isinstance(watched, QWidget)
                and watched.isWindow() and watched.windowType() in _FITTED_TYPES):
            fit_window(watched)
        return False
