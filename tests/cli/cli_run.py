"""Running ``nkscreen`` in-process as a test: exit status, the JSON answer (or stdout as
text when the status is not 0) and stderr."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from desktop.cli import main


class Run:
    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                 stdin: str = "") -> None:
        self._capsys, self._monkeypatch, self._stdin = capsys, monkeypatch, stdin

    def __call__(self, *args: str, stdin: str | None = None) -> tuple[int, Any, str]:
        self._monkeypatch.setattr("sys.stdin",
                                  io.StringIO(self._stdin if stdin is None else stdin))
        code = main(list(args))
        out, err = self._capsys.readouterr()
        return code, (json.loads(out) if code == 0 else out), err
