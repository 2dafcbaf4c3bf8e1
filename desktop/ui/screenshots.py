"""Render the README screenshots: the main window with the fictional demo patients,
the trial library on NCT06152809 screening #1 with a criterion that has a note, and a
demo patient part-way through NCT06152809: the patient view with its timeline, and the
pre-lymphodepletion visit form mid-screening (results in, questions still open).

``python -m desktop.ui.screenshots [folder]`` (default ``docs/screenshots``) builds a
throwaway registry in a temporary folder, seeds the demo patients, and grabs the windows
offscreen, so it never touches a real registry and needs no display.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder_out = Path(args[0]) if args else DEFAULT_FOLDER
    output = folder_out / "main-window.png"
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop import paths
    from desktop.registry.database import open_registry
    from desktop.services.demo import seed_demo
    from desktop.services.patients import PatientService
    from desktop.ui.common.messages import RecordingMessages
    from desktop.ui.common.settings import UiSettings
    from desktop.ui.patients.main_window import MainWindow

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setWindowIcon(QIcon(str(paths.resource("icons", "nkscreen.png"))))
    with tempfile.TemporaryDirectory(prefix="nkscreen-screenshot-") as folder:
        registry = open_registry(Path(folder))
        try:
            seed_demo(registry)
            window = MainWindow(UiSettings(Path(folder)), RecordingMessages())
            window.resize(1000, 440)
            window.set_repository(PatientService.open(registry, "demo"), "demo registry")
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
    return (_trials_view(app, folder_out / "trials-view.png")
            or _screening(app, folder_out))


def _trials_view(app: object, output: Path) -> int:
    from PySide6.QtWidgets import QApplication

    from desktop.library import load_library
    from desktop.ui.trials.trials_view import TrialsWindow

    assert isinstance(app, QApplication)
    window = TrialsWindow(load_library())
    window.resize(1400, 850)
    window.show()
    app.processEvents()
    window.view.select_stage("NCT06152809", "screening-1")
    window.view.select_criterion("hma-venetoclax")
    app.processEvents()
    if not window.grab().save(str(output)):
        print(f"could not write {output}", file=sys.stderr)
        return 1
    window.close()
    print(f"wrote {output}")
    return 0


#: The screenshots' "now", fixed so the pictures do not change from run to run.
SCREENSHOT_NOW = (2026, 12, 7, 7, 45)


def _screening(app: object, folder: Path) -> int:
    from datetime import datetime

    from PySide6.QtWidgets import QApplication

    from desktop import paths
    from desktop.library import load_library
    from desktop.registry.database import open_registry
    from desktop.services.demo import demo_mrn, seed_demo, seed_demo_screenings
    from desktop.services.patients import PatientService
    from desktop.ui.common.context import ScreeningContext
    from desktop.ui.common.messages import RecordingMessages
    from desktop.ui.screening.patient_view import PatientView

    assert isinstance(app, QApplication)
    now = datetime(*SCREENSHOT_NOW)
    with tempfile.TemporaryDirectory(prefix="nkscreen-screenshot-") as data:
        registry = open_registry(Path(data))
        try:
            seed_demo(registry)
            seed_demo_screenings(registry, {t.id: t for t in load_library()},
                                 paths.trials_dir() / "examples", now=now)
            patients = PatientService.open(registry, "demo")
            context = ScreeningContext(registry=registry, user="demo", patients=patients,
                                       messages=RecordingMessages(), data_dir=Path(data),
                                       clock=lambda: now)
            patient = patients.search(demo_mrn(2), limit=1)[0]
            view = PatientView(context, patient)
            view.resize(1200, 860)
            view.show()
            app.processEvents()
            written = [folder / "patient-view.png", folder / "visit-form.png"]
            ok = view.grab().save(str(written[0]))
            form = view.open_selected_stage()
            if form is not None:
                form.resize(1280, 800)
                app.processEvents()
                ok = form.grab().save(str(written[1])) and ok
                form.close()
            view.close()
            app.processEvents()
        finally:
            registry.close()
    if not ok or form is None:
        print(f"could not write {', '.join(map(str, written))}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
