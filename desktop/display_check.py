"""Before Qt starts on X11: are the system libraries of its display plugin there?

On Linux, Qt draws through its ``xcb`` platform plugin, which needs a dozen X11 libraries
of the system. A bare Debian or Ubuntu install lacks some (``libxcb-cursor0``,
``libxcb-icccm4``, ``libxcb-keysyms1``...), and then creating ``QApplication`` aborts the
process (exit 134) with a message naming one of them at best; the abort cannot be caught.
So ``nkscreen`` loads those libraries first, before importing Qt, and names every missing
Debian package in one line with the command that installs them.

``XCB_LIBRARIES`` is the list the plugin needs, taken from the plugin itself: the
``NEEDED`` entries of PySide6's ``Qt/plugins/platforms/libqxcb.so``, of
``Qt/lib/libQt6XcbQpa.so.6`` and of ``Qt/lib/libQt6Gui.so.6`` (``readelf -d``), less the Qt
and C/C++ runtime libraries that PySide6 ships or every system has; each mapped to the
Debian package that holds it (``dpkg -S``; the names are the same on Ubuntu).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from typing import Final

#: The xcb platform plugin's system libraries (soname -> Debian package).
XCB_LIBRARIES: Final[dict[str, str]] = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}

#: Loads a shared library by soname; raises ``OSError`` if it (or one it needs) is missing.
Loader = Callable[[str], object]


def _load(soname: str) -> object:
    try:
        return ctypes.CDLL(soname)
    except OSError:
        bundle = getattr(sys, "_MEIPASS", None)  # a workstation bundle ships some itself
        if bundle is None:
            raise
        return ctypes.CDLL(os.path.join(bundle, soname))


def uses_xcb(environ: Mapping[str, str], platform: str) -> bool:
    """Whether Qt will start with its xcb plugin: on Linux, ``QT_QPA_PLATFORM`` unset (and
    no Wayland session, where Qt takes its Wayland plugin) or naming xcb first."""
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "").strip()
    if not chosen:
        return not environ.get("WAYLAND_DISPLAY")
    first = chosen.split(";")[0].split(":")[0].strip()
    return first == "xcb"


def missing_packages(load: Loader = _load) -> list[str]:
    """The Debian packages of the xcb plugin's libraries that ``load`` cannot load, sorted."""
    missing: set[str] = set()
    for soname, package in XCB_LIBRARIES.items():
        try:
            load(soname)
        except OSError:
            missing.add(package)
    return sorted(missing)


def problem(environ: Mapping[str, str] | None = None, platform: str | None = None,
            load: Loader = _load) -> str | None:
    """The one line to print when Qt's display plugin would abort for want of system
    libraries; None when it will not use xcb or has every library."""
    if not uses_xcb(os.environ if environ is None else environ,
                    sys.platform if platform is None else platform):
        return None
    missing = missing_packages(load)
    if not missing:
        return None
    return ("the X11 display needs system libraries that are missing; install them, then "
            f"start NK Screen again: sudo apt-get install {' '.join(missing)}")
