"""Small widget helpers shared by the window and the dialogs."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject

Q = TypeVar("Q", bound=QObject)


def named(obj: Q, name: str) -> Q:
    """``obj`` with its ``objectName`` set: tests and saved window state find it by name.

    (The type stubs do not accept ``objectName=`` as a constructor keyword.)
    """
    obj.setObjectName(name)
    return obj
