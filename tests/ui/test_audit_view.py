"""The audit view as a monitor and an administrator use it: filter by patient, read a
result correction's old and new values side by side, see a clock set back, export CSV;
and who is offered it (the Account menu, the administration window)."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor, Role
from desktop.registry.database import Registry
from desktop.registry.patients import PatientInput, PatientRepository
from desktop.registry.screening_rows import ObservationInput
from desktop.registry.screenings import ScreeningRepository
from desktop.services.accounts import AccountService
from desktop.services.audit_log import AuditFilter, AuditLogService
from desktop.services.delegations import DelegationService
from desktop.services.logs import LogService
from desktop.services.passwords import fast_hasher
from desktop.services.patients import PatientService
from desktop.ui.admin.admin_window import AdminWindow
from desktop.ui.admin.audit_models import CLOCK, CLOCK_HEADER, FLAGS
from desktop.ui.admin.audit_view import AuditView, AuditWindow, open_audit_window
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import Message, RecordingMessages
from desktop.ui.session.account_menu import AccountMenu
from desktop.ui.session.controller import SessionController
from tests.accounts_support import person


@pytest.fixture
def accounts(registry: Registry) -> AccountService:
    return AccountService(registry, hasher=fast_hasher())


@pytest.fixture
def admin(accounts: AccountService) -> Actor:
    return accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor


@pytest.fixture
def monitor(accounts: AccountService, admin: Actor) -> Actor:
    return person(accounts, admin, "mona", "Mona Monitor", Role.MONITOR)


def creatinine(value: str) -> ObservationInput:
    return ObservationInput("creatinine", value, "mg/dL", datetime(2026, 12, 1, 8, 0))


@pytest.fixture
def corrected(registry: Registry) -> int:
    """Two patients with a creatinine each, both corrected; Ann's result's id."""
    patients = PatientRepository(registry, "cora")
    ann = patients.add(PatientInput("AB12", "Fictional", "Ann", date(1970, 5, 17), "female"))
    bob = patients.add(PatientInput("CD34", "Fictional", "Bob", date(1971, 6, 18), "male"))
    screenings = ScreeningRepository(registry, "cora", lambda: datetime(2026, 12, 31))
    ann_result = screenings.add_observation(ann.id, None, creatinine("1.10"))
    bob_result = screenings.add_observation(bob.id, None, creatinine("0.90"))
    screenings.update_observation(ann_result.id, creatinine("1.20"))
    screenings.update_observation(bob_result.id, creatinine("0.95"))
    return ann_result.id


def errors(messages: RecordingMessages) -> list[Message]:
    return [m for m in messages.messages if m.kind == "error"]


def view_for(qtbot: QtBot, registry: Registry, actor: Actor,
             messages: RecordingMessages) -> AuditView:
    view = AuditView(AuditLogService(registry, actor), messages)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    return view


def cells(view: AuditView, column: int) -> list[str]:
    model = view.model
    return [str(model.data(model.index(row, column))) for row in range(model.rowCount())]


def test_filter_by_patient_and_read_the_correction_side_by_side(
        qtbot: QtBot, registry: Registry, monitor: Actor, corrected: int,
        messages: RecordingMessages) -> None:
    view = view_for(qtbot, registry, monitor, messages)
    ModelTester(qtbot).check(view.model)
    assert view.model.headerData(CLOCK, Qt.Orientation.Horizontal) == CLOCK_HEADER
    assert "workstation clock" in view.findChild(QWidget, "audit_clock_note").text()
    assert "observation.update" in cells(view, 3)

    view.mrn.setText("ab12")
    qtbot.mouseClick(view.show_button, Qt.MouseButton.LeftButton)
    assert cells(view, 3) == ["observation.update", "observation.add", "patient.create"]
    assert view.position.text() == "Rows 1–3 of 3"
    assert view.status.text() == "Rows of Fictional, Ann (MRN AB12)."

    view.table.selectRow(0)
    assert cells(view, 5)[0] == str(corrected)
    changes = view.changes_model
    shown = [[str(changes.data(changes.index(row, column))) for column in range(4)]
             for row in range(changes.rowCount())]
    assert [f"observation {corrected} (changed)", "value", "1.10", "1.20"] in shown
    assert view.summary.text().startswith(f"Row {cells(view, 0)[0]}: observation.update")
    assert "workstation clock" in view.summary.text()

    index = view.action.findText("patient.create")
    view.action.setCurrentIndex(index)
    view.apply()
    assert cells(view, 3) == ["patient.create"]
    assert errors(messages) == []


def test_pages_go_older_and_newer(qtbot: QtBot, registry: Registry, monitor: Actor,
                                  corrected: int, messages: RecordingMessages,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import desktop.ui.admin.audit_view as audit_view

    monkeypatch.setattr(audit_view, "PAGE", 2)
    view = view_for(qtbot, registry, monitor, messages)
    total = view.total
    assert total > 4
    first = cells(view, 0)
    assert view.position.text() == f"Rows 1–2 of {total}"
    assert not view.newer_button.isEnabled()
    qtbot.mouseClick(view.older_button, Qt.MouseButton.LeftButton)
    assert view.position.text() == f"Rows 3–4 of {total}"
    assert [int(n) for n in cells(view, 0)] == [int(first[1]) - 1, int(first[1]) - 2]
    qtbot.mouseClick(view.newer_button, Qt.MouseButton.LeftButton)
    assert cells(view, 0) == first


def test_an_unknown_mrn_is_one_sentence_and_the_list_stays(
        qtbot: QtBot, registry: Registry, monitor: Actor, corrected: int,
        messages: RecordingMessages) -> None:
    view = view_for(qtbot, registry, monitor, messages)
    before = cells(view, 0)
    view.mrn.setText("ZZ9")
    view.apply()
    assert [(m.title, m.text) for m in errors(messages)] == [
        ("Audit trail not shown", "Patient MRN: no patient has the MRN 'ZZ9'.")]
    assert cells(view, 0) == before


def test_a_clock_set_back_is_flagged_in_words(qtbot: QtBot, registry: Registry,
                                              monitor: Actor,
                                              messages: RecordingMessages) -> None:
    conn = sqlite3.connect(registry.path)
    with conn:  # the trail's newest time is later than this workstation's clock
        conn.execute("UPDATE audit_head SET newest_at = '2999-01-01 00:00:00'")
    conn.close()
    PatientRepository(registry, "cora").add(
        PatientInput("EF56", "Fictional", "Eve", date(1972, 7, 19), "female"))
    view = view_for(qtbot, registry, monitor, messages)
    assert cells(view, 3)[0] == "patient.create"
    assert cells(view, FLAGS)[0] == "clock set back"
    assert all(flag == "" for flag in cells(view, FLAGS)[1:])
    view.table.selectRow(0)
    assert "Clock set back" in view.summary.text()


def test_export_writes_the_filtered_rows_as_csv(qtbot: QtBot, registry: Registry,
                                                monitor: Actor, corrected: int,
                                                messages: RecordingMessages,
                                                tmp_path: Path) -> None:
    view = view_for(qtbot, registry, monitor, messages)
    view.mrn.setText("AB12")
    view.apply()
    target = tmp_path / "trail.csv"
    asked: list[str] = []
    view.choose_path = lambda _parent, suggested: asked.append(suggested) or str(target)
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    assert view.export is not None
    qtbot.waitUntil(lambda: view.status.text().endswith(".csv."), timeout=10_000)

    assert len(asked) == 1
    assert asked[0].endswith(".csv")
    assert view.status.text() == f"3 audit rows exported to {target}."
    lines = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"),
                                        newline="")))
    assert lines[0][:3] == ["Row", "Workstation clock", "Time zone"]
    assert {line[4] for line in lines[1:]} == {"observation.update", "observation.add",
                                               "patient.create"}
    assert ["value", "1.10", "1.20"] in [line[8:11] for line in lines[1:]]
    assert "audit.export" in [view.action.itemText(i) for i in range(view.action.count())]
    assert errors(messages) == []


def test_an_export_that_cannot_be_written_says_why(
        qtbot: QtBot, registry: Registry, monitor: Actor, messages: RecordingMessages,
        tmp_path: Path) -> None:
    view = view_for(qtbot, registry, monitor, messages)
    target = tmp_path / "no such folder" / "trail.csv"
    view.choose_path = lambda _parent, _suggested: str(target)
    view.export_csv()
    qtbot.waitUntil(lambda: bool(errors(messages)), timeout=10_000)
    assert [(m.title, m.text) for m in errors(messages)] == [
        ("Audit trail not exported",
         f"{target} could not be written: No such file or directory.")]
    assert view.export_button.isEnabled()


def test_a_cancelled_export_writes_nothing(qtbot: QtBot, registry: Registry, monitor: Actor,
                                           messages: RecordingMessages, tmp_path: Path) -> None:
    view = view_for(qtbot, registry, monitor, messages)
    view.choose_path = lambda _parent, _suggested: ""
    view.export_csv()
    assert AuditLogService(registry, monitor).count(AuditFilter(action="audit.export")) == 0
    assert list(tmp_path.iterdir()) == [p for p in tmp_path.iterdir() if p.is_dir()]


# -- who is offered it ------------------------------------------------------------------

def test_the_account_menu_offers_the_trail_to_admins_and_monitors_only(
        qtbot: QtBot, accounts: AccountService, admin: Actor, monitor: Actor,
        messages: RecordingMessages) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    opened: list[bool] = []
    menu = AccountMenu(window, SessionController(accounts, messages), lambda: None,
                       lambda: opened.append(True))
    coordinator = person(accounts, admin, "cora", "Cora Coordinator", Role.COORDINATOR)
    for actor, offered in ((admin, True), (monitor, True), (coordinator, False),
                           (None, False)):
        menu.update(actor)
        assert menu.audit.isEnabled() is offered, actor
        assert ("Only an administrator or a monitor" in menu.audit.toolTip()) is not offered
    menu.update(monitor)
    menu.audit.trigger()
    assert opened == [True]


def test_a_monitor_opens_the_trail_window_and_a_coordinator_is_told_why_not(
        qtbot: QtBot, registry: Registry, accounts: AccountService, admin: Actor,
        monitor: Actor, messages: RecordingMessages, data_dir: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)

    def context(actor: Actor) -> ScreeningContext:
        return ScreeningContext(registry=registry, user=actor.user_id,
                                patients=PatientService.open(registry, actor),
                                messages=messages, data_dir=data_dir, actor=actor)

    window = open_audit_window(parent, context(monitor))
    assert isinstance(window, AuditWindow)
    assert window.view.model.rowCount() > 0
    window.close()
    coordinator = person(accounts, admin, "cora", "Cora Coordinator", Role.COORDINATOR)
    assert open_audit_window(parent, context(coordinator)) is None
    assert [m.text for m in errors(messages)] == [
        "Cora Coordinator (Coordinator) may not see the audit trail: it is for "
        "administrators and monitors."]


def test_the_administration_window_has_an_audit_trail_tab(
        qtbot: QtBot, registry: Registry, accounts: AccountService, admin: Actor,
        messages: RecordingMessages) -> None:
    window = AdminWindow(accounts, DelegationService(registry), admin, [], messages,
                         logs=LogService(registry, admin),
                         audit=AuditLogService(registry, admin))
    qtbot.addWidget(window)
    tabs = [window.tabs.tabText(i).replace("&", "") for i in range(window.tabs.count())]
    assert "Audit trail" in tabs
    assert window.audit_tab is not None
    assert "account.first_admin" in cells(window.audit_tab, 3)
