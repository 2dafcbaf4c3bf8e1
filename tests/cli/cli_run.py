"""Running ``nkscreen`` in-process as a test: exit status, the JSON answer (or stdout as
text when the status is not 0) and stderr."""

from __future__ import annotations

import io
import json
from pathlib import Path
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


def demo_registry(data: Path) -> None:
    """The demo at ``data``: accounts per role (fast hashes), patients, NCT06152809
    screenings (visits 1 and 2 signed, 3 a draft, 4 a screen failure)."""
    from desktop.library import load_library
    from desktop.paths import trials_dir
    from desktop.registry.database import open_registry
    from desktop.services import passwords
    from desktop.services.demo import seed_demo, seed_demo_accounts, seed_demo_screenings

    registry = open_registry(data)
    try:
        trials = {t.id: t for t in load_library()}
        seed_demo_accounts(registry, trials, passwords.fast_hasher())
        seed_demo(registry, user="demo-coordinator")
        seed_demo_screenings(registry, trials, trials_dir() / "examples",
                             user="demo-coordinator")
    finally:
        registry.close()


def audit_rows(data: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """Every audit row of the registry at ``data``: (actor, action, details)."""
    from desktop.registry.database import open_registry

    registry = open_registry(data)
    try:
        with registry.read() as conn:
            rows = conn.execute("SELECT actor, action, details FROM audit_event "
                                "ORDER BY id").fetchall()
    finally:
        registry.close()
    return [(a, b, json.loads(c)) for a, b, c in rows]
