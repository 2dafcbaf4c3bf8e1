"""The Qt binding itself: defects of a PySide6 release that would crash the app.

Run in a child process, because the failure is an interpreter abort, not an exception.
"""

from __future__ import annotations

import subprocess
import sys

# PySide6 6.12.0: every emit of a signal with no receivers releases one reference to
# ``False`` too many; the interpreter aborts once it runs out ("bool_dealloc"). The app
# emits ``changed`` on every autosave, often with no one listening.
_EMITS = """
from PySide6.QtCore import QObject, Signal

class Source(QObject):
    changed = Signal()
    saved = Signal(int)

source = Source()
for _ in range(20000):
    source.changed.emit()
    source.saved.emit(1)
print("ok")
"""


def test_emitting_signals_nobody_listens_to_does_not_crash_the_interpreter() -> None:
    done = subprocess.run([sys.executable, "-c", _EMITS], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, (
        f"exit {done.returncode}: the installed PySide6 aborts after many signal emits "
        f"(see the pin in pyproject.toml)\n{done.stderr[-800:]}")
    assert done.stdout.strip() == "ok"
