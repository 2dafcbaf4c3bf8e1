"""Fixtures for the widget tests: a real registry in the test's data folder, recording
message boxes, and the main window built on them.

Widgets are registered with ``qtbot.addWidget`` so they close after each test; tests
wait with ``qtbot.waitSignal`` / ``waitUntil``, never with sleeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# The offscreen platform plugin says this whenever a top-level window with a layout
# gets size constraints; it is a notice about the test platform, not about our code.
OFFSCREEN_NOTICE = "This plugin does not support propagateSizeHints"
#: Likewise whenever a window or tooltip is raised (``raise_()``) offscreen.
OFFSCREEN_RAISE_NOTICE = "This plugin does not support raise()"

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from desktop.registry.database import Registry
    from desktop.services.patients import PatientRow, PatientService
    from desktop.ui.common.context import ScreeningContext
    from desktop.ui.common.messages import RecordingMessages
    from desktop.ui.common.settings import UiSettings
    from desktop.ui.patients.main_window import MainWindow


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui" in Path(str(item.fspath)).as_posix():
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOTICE, OFFSCREEN_RAISE_NOTICE))


@pytest.fixture
def registry(data_dir: Path) -> Iterator[Registry]:
    from desktop.registry.database import open_registry

    opened = open_registry(data_dir)
    yield opened
    opened.close()


@pytest.fixture
def repository(registry: Registry) -> PatientService:
    """What the windows get: the patient service (for a user below the accounts)."""
    from desktop.services.patients import PatientService

    return PatientService.open(registry, "tester")


AddPatient = Callable[..., "PatientRow"]


@pytest.fixture
def add_patient(repository: PatientService) -> AddPatient:
    """Save a patient straight through the repository (test data, not the UI)."""
    from desktop.registry.patients import PatientInput

    def add(mrn: str, family_name: str, given_name: str = "Alex",
            birth_date: date = date(1970, 5, 17), sex: str = "female") -> PatientRow:
        return repository.add(PatientInput(mrn, family_name, given_name, birth_date, sex))

    return add


@pytest.fixture
def messages() -> RecordingMessages:
    from desktop.ui.common.messages import RecordingMessages

    return RecordingMessages()


@pytest.fixture
def settings(data_dir: Path) -> UiSettings:
    from desktop.ui.common.settings import UiSettings

    return UiSettings(data_dir)


#: The screening tests' "now": a Monday morning in clinic.
NOW = datetime(2026, 11, 2, 9, 0)


class Clock:
    """A clock the test sets: ``clock.now = ...`` moves every window's "now"."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def context(registry: Registry, repository: PatientService, messages: RecordingMessages,
            data_dir: Path, clock: Clock) -> ScreeningContext:
    """What the screening windows share, on the test's registry, with the test's clock."""
    from desktop.ui.common.context import ScreeningContext

    return ScreeningContext(registry=registry, user="tester", patients=repository,
                            messages=messages, data_dir=data_dir, clock=clock)


@pytest.fixture
def window(qtbot: QtBot, settings: UiSettings, messages: RecordingMessages,
           repository: PatientService, context: ScreeningContext) -> MainWindow:
    """The main window, shown, with the registry already open."""
    from desktop.ui.patients.main_window import MainWindow

    main = MainWindow(settings, messages)
    qtbot.addWidget(main)
    main.set_repository(repository, "", context)
    main.show()
    qtbot.waitExposed(main)
    return main
