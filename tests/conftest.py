"""Suite-wide fixtures: no test ever touches the real user data folder or display.

Qt runs offscreen (set here, before anything imports Qt); ``NKSCREEN_HOME`` points at
a fresh temporary folder for every test, and ``NKSCREEN_CACHE`` (the trial library's
cache) at one temporary folder for the whole session.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_QUICK_BACKEND", "software")

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def _session_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nkscreen-cache")


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch, _session_cache_dir: Path) -> Path:
    home = tmp_path_factory.mktemp("nkscreen-home")
    monkeypatch.setenv("NKSCREEN_HOME", str(home))
    monkeypatch.setenv("NKSCREEN_CACHE", str(_session_cache_dir))
    # platformdirs and QSettings read these; point them away from the real profile too.
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))
    return home


@pytest.fixture(autouse=True)
def _heap_unfrozen() -> Iterator[None]:
    """A login freezes the heap (``desktop.ui.common.heap``); the next test starts with a
    collector that sees everything again, so one test's objects never outlive it."""
    yield
    gc.unfreeze()


@pytest.fixture
def data_dir(_isolated_data_dir: Path) -> Path:
    """The temporary data folder this test's app and registry use."""
    return _isolated_data_dir


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests under tests/ui need Qt: mark them so `-m "not gui"` runs the core alone."""
    for item in items:
        if "tests/ui" in Path(str(item.fspath)).as_posix():
            item.add_marker(pytest.mark.gui)
