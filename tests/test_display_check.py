"""The check before Qt starts on X11 (#18): missing system libraries named as Debian
packages in one line, instead of Qt's uncatchable abort. The loader is a stand-in, so the
test does not depend on what this machine has installed."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from desktop import display_check, launcher

LINUX_X11 = {"DISPLAY": ":0"}


def _without(*sonames: str) -> display_check.Loader:
    def load(soname: str) -> object:
        if soname in sonames:
            raise OSError(f"{soname}: cannot open shared object file")
        return object()
    return load


def test_missing_libraries_named_as_packages_once() -> None:
    load = _without("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libglib-2.0.so.0",
                    "libgthread-2.0.so.0")
    assert display_check.missing_packages(load) == ["libglib2.0-0", "libxcb-cursor0",
                                                    "libxcb-icccm4"]
    line = display_check.problem(LINUX_X11, "linux", load)
    assert line is not None
    assert "\n" not in line
    assert line.endswith("sudo apt-get install libglib2.0-0 libxcb-cursor0 libxcb-icccm4")


def test_nothing_to_say_when_every_library_loads() -> None:
    assert display_check.problem(LINUX_X11, "linux", _without()) is None


@pytest.mark.parametrize(("environ", "platform", "checked"), [
    ({"DISPLAY": ":0"}, "linux", True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({"QT_QPA_PLATFORM": "xcb:nomitshm"}, "linux", True),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
    ({"QT_QPA_PLATFORM": "wayland;xcb"}, "linux", False),
    ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "linux", False),
    ({"DISPLAY": ":0"}, "win32", False),
    ({}, "darwin", False),
])
def test_checked_only_where_qt_will_use_xcb(environ: dict[str, str], platform: str,
                                            checked: bool) -> None:
    line = display_check.problem(environ, platform, _without("libxcb-cursor.so.0"))
    assert (line is not None) == checked


def test_the_real_loader_refuses_a_library_that_does_not_exist() -> None:
    with pytest.raises(OSError, match="libnkscreen-no-such-library"):
        display_check._load("libnkscreen-no-such-library.so.0")


def test_nkscreen_stops_before_qt_with_one_line(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    monkeypatch.setattr(launcher.sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    real_problem = display_check.problem
    monkeypatch.setattr(display_check, "problem", lambda: real_problem(
        load=_without("libxcb-cursor.so.0", "libxcb-keysyms.so.1")))
    args = argparse.Namespace(data_dir=str(tmp_path), smoke=False, demo=False)
    assert launcher.run_app(args) == 1
    err = capsys.readouterr().err
    assert err == ("nkscreen: the X11 display needs system libraries that are missing; "
                   "install them, then start NK Screen again: sudo apt-get install "
                   "libxcb-cursor0 libxcb-keysyms1\n")
