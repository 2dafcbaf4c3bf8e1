"""Window settings, declared once with their defaults, stored in ``<data_dir>/ui.ini``.

Keeping the file in the data folder (not the platform's settings store) means a test's
temporary data folder isolates its settings too, and a copied data folder carries its
window layout with it. Only this module touches ``QSettings``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_FILE = "ui.ini"

MAIN_WINDOW_GEOMETRY = "main_window/geometry"
MAIN_WINDOW_STATE = "main_window/state"
SHOW_ARCHIVED = "patients/show_archived"

# Every key this app stores, with its default. A key not listed here is a bug.
DEFAULTS: dict[str, object] = {
    MAIN_WINDOW_GEOMETRY: QByteArray(),
    MAIN_WINDOW_STATE: QByteArray(),
    SHOW_ARCHIVED: False,
}


def dialog_geometry_key(name: str) -> str:
    """Dialogs remember their geometry per dialog class name."""
    return f"dialogs/{name}/geometry"


class UiSettings:
    """Typed access to the few values the interface remembers between runs."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / SETTINGS_FILE
        self._qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)

    def geometry(self, key: str) -> QByteArray:
        value = self._qsettings.value(key, QByteArray())
        return value if isinstance(value, QByteArray) else QByteArray()

    def set_geometry(self, key: str, value: QByteArray) -> None:
        self._qsettings.setValue(key, value)

    def flag(self, key: str) -> bool:
        value = self._qsettings.value(key, DEFAULTS.get(key, False))
        # IniFormat reads booleans back as the strings "true"/"false".
        if isinstance(value, str):
            return value.lower() == "true"
        return bool(value)

    def set_flag(self, key: str, value: bool) -> None:
        self._qsettings.setValue(key, value)

    def sync(self) -> None:
        """Write pending changes now (Qt otherwise writes on destruction or a timer)."""
        self._qsettings.sync()
