"""Small widget helpers shared by the window and the dialogs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QPushButton

Q = TypeVar("Q", bound=QObject)


def named(obj: Q, name: str) -> Q:
    """``obj`` with its ``objectName`` set: tests and saved window state find it by name.

    (The type stubs do not accept ``objectName=`` as a constructor keyword.)
    """
    obj.setObjectName(name)
    return obj


def push_button(label: str, name: str, slot: Callable[[], object]) -> QPushButton:
    """A named button that calls ``slot()`` when clicked (the clicked flag dropped)."""
    button = named(QPushButton(label), name)
    button.clicked.connect(lambda _checked=False: slot())
    return button
