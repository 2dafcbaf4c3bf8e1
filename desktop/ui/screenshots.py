"""Render the README screenshot of the main window with the fictional demo patients.

``python -m desktop.ui.screenshots [output.png]`` (default ``docs/screenshots/main-window.png``)
builds a throwaway registry in a temporary folder, seeds the demo patients, and grabs
the window offscreen, so it never touches a real registry and needs no display.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "main-window.png"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else DEFAULT_OUTPUT
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop import paths
    from desktop.registry.database import open_registry
    from desktop.registry.demo import seed_demo
    from desktop.registry.patients import PatientRepository
    from desktop.ui.main_window import MainWindow
    from desktop.ui.messages import RecordingMessages
    from desktop.ui.settings import UiSettings

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setWindowIcon(QIcon(str(paths.resource("icons", "nkscreen.png"))))
    with tempfile.TemporaryDirectory(prefix="nkscreen-screenshot-") as folder:
        registry = open_registry(Path(folder))
        try:
            seed_demo(registry)
            window = MainWindow(UiSettings(Path(folder)), RecordingMessages())
            window.resize(1000, 440)
            window.set_repository(PatientRepository(registry, "demo"), "demo registry")
            window.statusBar().clearMessage()
            window.show()
            window.table.selectRow(2)
            app.processEvents()
            output.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(output)):
                print(f"could not write {output}", file=sys.stderr)
                return 1
            window.close()
        finally:
            registry.close()
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
