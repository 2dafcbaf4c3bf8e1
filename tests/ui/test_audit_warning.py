"""At start, the app checks the registry against its audit trail in the background and
warns the administrator, and only the administrator, when it fails."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.registry.database import open_registry
from desktop.registry.patients import PatientInput, PatientRepository
from desktop.ui.admin.audit_warning import TITLE
from desktop.ui.common.messages import RecordingMessages
from tests.ui.session_support import PASSWORD, log_in, opened_session, seed_coordinator


def _registry(data_dir: Path, *, tampered: bool) -> None:
    registry = open_registry(data_dir)
    try:
        seed_coordinator(registry)
        PatientRepository(registry, "cora").add(
            PatientInput("AW1", "Fictional", "Ann", date(1970, 1, 1), "female"))
    finally:
        registry.close()
    if tampered:
        conn = sqlite3.connect(data_dir / "nkscreen.sqlite3")
        conn.execute("UPDATE patient SET birth_date = '1990-01-01'")
        conn.commit()
        conn.close()


def _started(qtbot: QtBot, data_dir: Path, messages: RecordingMessages, user: str,
             password: str) -> None:
    session = opened_session(qtbot, data_dir, messages)
    try:
        log_in(qtbot, session, user, password)
        check = session.audit_check
        assert check is not None
        qtbot.waitUntil(lambda: check.result is not None, timeout=30_000)
        qtbot.wait(50)
    finally:
        session.shutdown()


def test_the_administrator_is_warned_of_a_registry_changed_outside(
        qtbot: QtBot, tmp_path: Path) -> None:
    _registry(tmp_path, tampered=True)
    messages = RecordingMessages()
    _started(qtbot, tmp_path, messages, "admin", "admin password 1")
    [warning] = [m for m in messages.messages if m.title == TITLE]
    assert "patient 1 differs from what the audit trail last recorded" in warning.text
    assert "nkscreen audit verify --data-dir" in warning.text
    assert "1990" not in warning.text  # never a value


def test_a_coordinator_is_not_shown_it_and_an_intact_registry_warns_nobody(
        qtbot: QtBot, tmp_path: Path) -> None:
    _registry(tmp_path / "a", tampered=True)
    messages = RecordingMessages()
    _started(qtbot, tmp_path / "a", messages, "cora", PASSWORD)
    assert [m for m in messages.messages if m.title == TITLE] == []
    _registry(tmp_path / "b", tampered=False)
    messages = RecordingMessages()
    _started(qtbot, tmp_path / "b", messages, "admin", "admin password 1")
    assert [m for m in messages.messages if m.title == TITLE] == []
