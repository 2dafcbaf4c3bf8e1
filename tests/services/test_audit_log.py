"""The audit view's service: who may see and export the trail, the CSV it writes (safe in
a spreadsheet, one line per field change, no password hash) and the export's own audit."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from desktop.domain.accounts import Actor, Role
from desktop.domain.text_safety import spreadsheet_cell
from desktop.registry.database import Registry, open_registry
from desktop.registry.patients import PatientInput, PatientRepository
from desktop.services.accounts import AccountService
from desktop.services.audit_log import (
    CSV_COLUMNS,
    AuditFilter,
    AuditLogService,
    AuditViewError,
    NotPermitted,
    may_view,
)
from desktop.services.passwords import fast_hasher
from tests.accounts_support import person


@pytest.fixture
def registry(tmp_path: Path) -> Any:
    reg = open_registry(tmp_path / "data")
    yield reg
    reg.close()


@pytest.fixture
def accounts(registry: Registry) -> AccountService:
    return AccountService(registry, hasher=fast_hasher())


@pytest.fixture
def admin(accounts: AccountService) -> Actor:
    return accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor


@pytest.fixture
def monitor(accounts: AccountService, admin: Actor) -> Actor:
    return person(accounts, admin, "mona", "Mona Monitor", Role.MONITOR)


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM a spreadsheet needs for UTF-8
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def add_event(registry: Registry, **values: Any) -> None:
    conn = sqlite3.connect(registry.path)
    with conn:
        conn.execute("INSERT INTO audit_event (occurred_at, actor, action, entity, entity_id, "
                     "details, reason, changes, recorded_at, time_zone) VALUES "
                     "(:occurred_at, :actor, :action, :entity, 0, :details, :reason, "
                     ":changes, :recorded_at, :time_zone)", values)
    conn.close()


# -- who may see the trail ---------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.INVESTIGATOR])
def test_coordinators_and_investigators_are_refused(registry: Registry, accounts: AccountService,
                                                    admin: Actor, role: Role,
                                                    tmp_path: Path) -> None:
    actor = person(accounts, admin, "cora", "Cora Person", role)
    assert not may_view(actor)
    service = AuditLogService(registry, actor)
    message = (f"Cora Person ({role.label}) may not see the audit trail: it is for "
               "administrators and monitors.")
    for call in (lambda: service.page(AuditFilter()), service.choices,
                 lambda: service.count(AuditFilter()),
                 lambda: service.export_csv(tmp_path / "out.csv", AuditFilter())):
        with pytest.raises(NotPermitted) as refused:
            call()
        assert str(refused.value) == message
    assert not (tmp_path / "out.csv").exists()


def test_admin_and_monitor_see_the_trail(registry: Registry, admin: Actor,
                                         monitor: Actor) -> None:
    for actor in (admin, monitor):
        assert may_view(actor)
        service = AuditLogService(registry, actor)
        assert "account.create" in service.choices().actions
        assert service.count(AuditFilter(actor="admin")) > 0


def test_a_monitor_made_coordinator_since_the_login_is_refused(
        registry: Registry, accounts: AccountService, admin: Actor, monitor: Actor) -> None:
    accounts.set_details(admin, "mona", "Mona Monitor", frozenset({Role.COORDINATOR}))
    with pytest.raises(NotPermitted, match="roles changed since the login"):
        AuditLogService(registry, monitor).page(AuditFilter())


def test_a_one_time_password_sees_nothing(registry: Registry, accounts: AccountService,
                                          admin: Actor) -> None:
    made = accounts.create_account(admin, "otto", "Otto Monitor", frozenset({Role.MONITOR}))
    first = accounts.login("otto", made.one_time_password)
    assert not may_view(first)
    with pytest.raises(NotPermitted, match="one-time password"):
        AuditLogService(registry, first).choices()


# -- filters -------------------------------------------------------------------------------

def test_the_mrn_filter_names_one_patient(registry: Registry, monitor: Actor) -> None:
    repo = PatientRepository(registry, "cora")
    ann = repo.add(PatientInput("AB12", "Fictional", "Ann", date(1970, 5, 17), "female"))
    service = AuditLogService(registry, monitor)
    assert service.patient_by_mrn(" ab12 ") == ann
    with pytest.raises(AuditViewError, match=r"^Patient MRN: no patient has the MRN 'ZZ9'\.$"):
        service.patient_by_mrn("ZZ9")
    with pytest.raises(AuditViewError, match="Patient MRN: type the MRN"):
        service.patient_by_mrn("  ")


def test_a_backwards_date_range_is_one_sentence(registry: Registry, monitor: Actor) -> None:
    with pytest.raises(AuditViewError, match=r"^The 'to' date is before the 'from' date\.$"):
        AuditLogService(registry, monitor).page(
            AuditFilter(start=date(2026, 12, 2), end=date(2026, 12, 1)))


# -- the CSV -----------------------------------------------------------------------------

@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_formula_start_is_neutralised(start: str) -> None:
    assert spreadsheet_cell(f"{start}SUM(A1)") == f"'{start}SUM(A1)"


@pytest.mark.parametrize("text", ["", "Ann", "1-2", "a=b", " =x", "'quoted"])
def test_other_text_is_left_alone(text: str) -> None:
    assert spreadsheet_cell(text) == text


def test_export_writes_one_line_per_field_change_every_cell_safe(
        registry: Registry, monitor: Actor, tmp_path: Path) -> None:
    changes = [["observation", "7", "update", {"id": 7, "value": "=1+1", "source": "+lab"},
                {"id": 7, "value": "-2", "source": "@lab"}],
               ["account", "3", "update", {"id": 3, "password_hash": "$argon2id$secret"},
                {"id": 3, "password_hash": "$argon2id$other"}]]
    add_event(registry, occurred_at="2026-12-01 12:00:00.000000", actor="=evil",
              action="+act", entity="-thing", details='{"note": "@x"}', reason="\tbecause",
              changes=json.dumps(changes), recorded_at="2026-12-01T07:00:00-05:00",
              time_zone="America/New_York")
    add_event(registry, occurred_at="2026-12-01 13:00:00.000000", actor="mona",
              action="login", entity="account", details='{"note": "ok"}',
              reason="\rlate", changes=None, recorded_at="2026-12-01T08:00:00-05:00",
              time_zone="America/New_York")
    target = tmp_path / "audit.csv"

    count = AuditLogService(registry, monitor).export_csv(
        target, AuditFilter(start=date(2026, 12, 1), end=date(2026, 12, 1)))

    assert count == 2
    header, *lines = read_csv(target)
    assert tuple(header) == CSV_COLUMNS
    login, *changed = lines
    assert (login[4], login[8], login[11], login[14]) == ("login", "", "'\rlate",
                                                          '{"note":"ok"}')
    assert [(line[7], line[8], line[9], line[10]) for line in changed] == [
        ("observation 7", "value", "'=1+1", "'-2"),
        ("observation 7", "source", "'+lab", "'@lab"),
        ("account 3", "password_hash", "(set)", "(changed)")]
    for line in changed:
        assert line[0] == str(int(login[0]) - 1)
        assert line[1:7] == ["2026-12-01 07:00:00 -05:00", "America/New_York", "'=evil",
                            "'+act", "'-thing", "0"]
        assert line[11] == "'\tbecause"
    assert "argon2id" not in target.read_text(encoding="utf-8-sig")


def test_the_export_is_audited_with_its_filters_and_count(registry: Registry, admin: Actor,
                                                          tmp_path: Path) -> None:
    service = AuditLogService(registry, admin)
    filters = AuditFilter(actor="admin", start=date(2000, 1, 1))
    expected = service.count(filters)
    assert service.export_csv(tmp_path / "a.csv", filters) == expected
    (row,) = service.page(AuditFilter(action="audit.export"))
    assert row.actor == "admin"
    assert json.loads(row.details) == {"filters": {"actor": "admin", "start": "2000-01-01"},
                                       "rows": expected, "file": "a.csv"}


def test_an_export_that_cannot_be_written_says_so_and_is_not_audited(
        registry: Registry, admin: Actor, tmp_path: Path) -> None:
    service = AuditLogService(registry, admin)
    missing = tmp_path / "no such folder" / "a.csv"
    with pytest.raises(AuditViewError, match="could not be written"):
        service.export_csv(missing, AuditFilter())
    assert service.page(AuditFilter(action="audit.export")) == []
    assert list(tmp_path.iterdir()) == [tmp_path / "data"]
