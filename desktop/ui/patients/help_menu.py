"""Help → About NK Screen (version, data folder, registry, licences of the shipped fonts
and libraries) and Help → Keyboard shortcuts (every shortcut of the main window's
actions, read from them, and those of the other windows).

Each opens a small dialog whose text scrolls and whose Close button stays in view.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.ui.common.widgets import named

if TYPE_CHECKING:
    from desktop.services.about import About

_NATIVE: Final = QKeySequence.SequenceFormat.NativeText
#: The shortcuts of the other windows (their own ``QShortcut``s and Qt's defaults).
OTHER_SHORTCUTS: Final = (
    ("Patient list", "Down (in the search box)", "Move into the patient list"),
    ("Patient list", "Enter", "Open the selected patient's screenings"),
    ("Patient's screenings", "Enter, or a double click on a stage",
     "Open (or start) the stage"),
    ("Visit form", "Tab, Enter", "Finish a field: it is saved"),
    ("Screening log", "Enter, or a double click on a patient",
     "Open the patient at this trial"),
    ("Screening log", "Esc", "Close the log"),
    ("Dialogs", "Esc", "Cancel"),
    ("Every window", QKeySequence(QKeySequence.StandardKey.Close).toString(_NATIVE),
     "Close the window"),
)


def main_window_shortcuts(window: QWidget) -> list[tuple[str, str]]:
    """(action, keys) of every action of ``window`` that has a shortcut, in order."""
    found = []
    for action in window.actions():
        keys = action.shortcut().toString(_NATIVE)
        if keys:
            found.append((action.text().replace("&", "").rstrip("…"), keys))
    return found


def shortcuts_html(window: QWidget) -> str:
    rows = [f"<tr><td>{escape(what)}</td><td><b>{escape(keys)}</b></td></tr>"
            for what, keys in main_window_shortcuts(window)]
    others = [f"<tr><td>{escape(where)}: {escape(what)}</td><td><b>{escape(keys)}</b></td>"
              f"</tr>" for where, keys, what in OTHER_SHORTCUTS]
    return ("<h3>Patient list (menus)</h3><table cellspacing='0' cellpadding='3'>"
            + "".join(rows) + "</table><h3>Other windows</h3>"
            "<table cellspacing='0' cellpadding='3'>" + "".join(others) + "</table>")


def about_html(facts: About) -> str:
    libraries = "".join(f"<tr><td>{escape(s.name)}</td><td>{escape(s.version)}</td>"
                        f"<td>{escape(s.licence)}</td></tr>" for s in facts.libraries)
    fonts = "".join(f"<p><b>{escape(f.name)}</b> fonts — licence "
                    f"<code>{escape(str(f.licence_file))}</code>:</p>"
                    f"<pre style='white-space:pre-wrap'>{escape(f.licence_text)}</pre>"
                    for f in facts.fonts)
    return (f"<h2>{escape(facts.name)} {escape(facts.version)}</h2>"
            f"<p>Screening AML patients for NK-cell therapy trials, offline.</p>"
            f"<p><b>Data folder:</b> <code>{escape(str(facts.data_dir))}</code><br>"
            f"<b>Registry:</b> <code>{escape(str(facts.registry))}</code></p>"
            f"<h3>Libraries</h3><table cellspacing='0' cellpadding='3'>"
            f"<tr><th align='left'>Library</th><th align='left'>Version</th>"
            f"<th align='left'>Licence</th></tr>{libraries}</table>"
            f"<h3>Fonts</h3>{fonts or '<p>None shipped.</p>'}")


class TextDialog(QDialog):
    """Rich text that scrolls, and a Close button below it."""

    def __init__(self, parent: QWidget, title: str, html: str, name: str) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(f"{title} — {APP_NAME}")
        self.text = named(QLabel(html), f"{name}_text")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setContentsMargins(8, 8, 8, 8)
        area = QScrollArea()
        area.setWidget(self.text)
        area.setWidgetResizable(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(area, 1)
        layout.addWidget(buttons)
        self.resize(640, 620)


class HelpMenu:
    """The Help menu of ``window``; ``facts`` says what About shows when it opens."""

    def __init__(self, window: QMainWindow, facts: Callable[[], About]) -> None:
        self._window = window
        self._facts = facts
        menu = window.menuBar().addMenu("&Help")
        self.shortcuts_action = menu.addAction("&Keyboard shortcuts")
        self.shortcuts_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.shortcuts_action.triggered.connect(lambda _checked=False: self.show_shortcuts())
        menu.addSeparator()
        self.about_action = menu.addAction(f"&About {APP_NAME}")
        self.about_action.triggered.connect(lambda _checked=False: self.show_about())
        window.addAction(self.shortcuts_action)
        self.dialog: TextDialog | None = None

    def show_shortcuts(self) -> TextDialog:
        return self._show("Keyboard shortcuts", shortcuts_html(self._window), "shortcuts")

    def show_about(self) -> TextDialog:
        return self._show(f"About {APP_NAME}", about_html(self._facts()), "about")

    def _show(self, title: str, html: str, name: str) -> TextDialog:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        self.dialog = TextDialog(self._window, title, html, name)
        self.dialog.show()
        return self.dialog
