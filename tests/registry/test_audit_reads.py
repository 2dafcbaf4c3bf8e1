"""The audit view's reads: each filter, the date range's edges in the site's zone, a
patient's rows, the field-level changes, and password hashes never shown."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from desktop.domain.accounts import Role
from desktop.registry.audit_reads import (
    CHANGED,
    SET,
    AuditFilter,
    AuditFilterError,
    AuditReads,
    field_changes,
    utc_bounds,
)
from desktop.registry.database import Registry
from desktop.registry.patients import PatientRepository
from desktop.registry.screening_rows import ObservationInput
from desktop.registry.screenings import ScreeningRepository
from desktop.services.accounts import AccountService
from desktop.services.passwords import fast_hasher
from tests.registry.conftest import CLOCK, patient
from tests.registry.legacy import upgraded

NEW_YORK = ZoneInfo("America/New_York")


def reads(registry: Registry) -> AuditReads:
    return AuditReads(registry, NEW_YORK)


def ids(registry: Registry, filters: AuditFilter) -> list[int]:
    return [row.id for row in reads(registry).page(filters, 0, 1000)]


def creatinine(value: str) -> ObservationInput:
    return ObservationInput("creatinine", value, "mg/dL", datetime(2026, 12, 1, 8, 0))


def add_event(registry: Registry, occurred_at: str, *, actor: str = "someone",
              action: str = "test.event", entity: str = "thing", entity_id: int = 1) -> int:
    """An audit row at a given stored time (the reads do not care whether it is sealed)."""
    conn = sqlite3.connect(registry.path)
    try:
        with conn:
            cursor = conn.execute(
                "INSERT INTO audit_event (occurred_at, actor, action, entity, entity_id, "
                "details) VALUES (?, ?, ?, ?, ?, '{}')",
                (occurred_at, actor, action, entity, entity_id))
        assert cursor.lastrowid is not None
        return cursor.lastrowid
    finally:
        conn.close()


# -- plain filters ----------------------------------------------------------------------

def test_user_action_and_entity_filters(registry: Registry, repo: PatientRepository) -> None:
    ann = repo.add(patient(mrn="A1"))
    PatientRepository(registry, "other").set_archived(ann.id, True)
    every = reads(registry).page(AuditFilter())
    created = [row for row in every if row.action == "patient.create"]
    archived = [row for row in every if row.action == "patient.archive"]
    assert len(created) == len(archived) == 1

    assert ids(registry, AuditFilter(actor="other")) == [archived[0].id]
    assert ids(registry, AuditFilter(actor="coordinator")) == [created[0].id]
    assert ids(registry, AuditFilter(action="patient.create")) == [created[0].id]
    assert ids(registry, AuditFilter(entity="patient")) == [archived[0].id, created[0].id]
    assert ids(registry, AuditFilter(entity="account")) == []
    assert ids(registry, AuditFilter(actor="other", action="patient.create")) == []
    assert reads(registry).count(AuditFilter(entity="patient")) == 2


def test_rows_come_newest_first_a_page_at_a_time(registry: Registry) -> None:
    made = [add_event(registry, f"2026-12-0{day} 12:00:00.000000") for day in range(1, 6)]
    assert ids(registry, AuditFilter()) == made[::-1]
    page = reads(registry).page(AuditFilter(), offset=1, limit=2)
    assert [row.id for row in page] == [made[3], made[2]]
    assert [row.id for row in reads(registry).each(AuditFilter(), chunk=2)] == made[::-1]


def test_choices_list_each_value_once_sorted(registry: Registry) -> None:
    add_event(registry, "2026-12-01 10:00:00", actor="zed", action="b.two", entity="y")
    add_event(registry, "2026-12-01 11:00:00", actor="amy", action="a.one", entity="x")
    add_event(registry, "2026-12-01 12:00:00", actor="zed", action="a.one", entity="x")
    choices = reads(registry).choices()
    assert choices.actors == ("amy", "zed")
    assert choices.actions == ("a.one", "b.two")
    assert choices.entities == ("x", "y")


# -- the date range, in the site's zone ---------------------------------------------------

def test_a_day_in_new_york_is_its_utc_hours_including_a_clock_change() -> None:
    # 8 March 2026: the clocks go forward, so the day lasts 23 hours (05:00 to 04:00 UTC).
    assert utc_bounds(date(2026, 3, 8), date(2026, 3, 8), NEW_YORK) == (
        "2026-03-08 05:00:00", "2026-03-09 04:00:00")
    assert utc_bounds(None, None, NEW_YORK) == (None, None)
    with pytest.raises(AuditFilterError, match="'to' date is before the 'from' date"):
        utc_bounds(date(2026, 3, 9), date(2026, 3, 8), NEW_YORK)


def test_date_range_edges_are_exact(registry: Registry) -> None:
    before = add_event(registry, "2026-03-08 04:59:59.999999")
    first = add_event(registry, "2026-03-08 05:00:00")  # no fraction: as a seal writes it
    first_fraction = add_event(registry, "2026-03-08 05:00:00.000001")
    last = add_event(registry, "2026-03-09 03:59:59.999999")
    after = add_event(registry, "2026-03-09 04:00:00.000000")
    day = AuditFilter(start=date(2026, 3, 8), end=date(2026, 3, 8))
    assert ids(registry, day) == [last, first_fraction, first]
    assert ids(registry, AuditFilter(start=date(2026, 3, 9))) == [after]
    assert ids(registry, AuditFilter(end=date(2026, 3, 7))) == [before]


def test_the_site_zone_is_the_default(registry: Registry,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    late = add_event(registry, "2026-12-02 03:00:00.000000")  # 1 Dec 22:00 in New York
    monkeypatch.setenv("TZ", "America/New_York")
    assert [r.id for r in AuditReads(registry).page(AuditFilter(end=date(2026, 12, 1)))] \
        == [late]
    monkeypatch.setenv("TZ", "UTC")
    assert AuditReads(registry).page(AuditFilter(end=date(2026, 12, 1))) == []


# -- a patient's rows ---------------------------------------------------------------------

def test_patient_filter_catches_a_result_correction_of_that_patient_only(
        registry: Registry, repo: PatientRepository, screenings: ScreeningRepository) -> None:
    ann = repo.add(patient(mrn="A1", given="Ann")).id
    bob = repo.add(patient(mrn="B1", given="Bob")).id
    ann_result = screenings.add_observation(ann, None, creatinine("1.10"))
    bob_result = screenings.add_observation(bob, None, creatinine("0.90"))
    screenings.update_observation(ann_result.id, creatinine("1.20"))
    screenings.update_observation(bob_result.id, creatinine("0.95"))
    screenings.set_fact(ann, "gilbert_syndrome", True)

    ann_rows = reads(registry).page(AuditFilter(patient_id=ann))
    assert [row.action for row in ann_rows] == ["fact.set", "observation.update",
                                                "observation.add", "patient.create"]
    correction = ann_rows[1]
    assert correction.entity_id == ann_result.id
    value = [c for c in correction.changes if c.field == "value"]
    assert [(c.table, c.op, c.old, c.new) for c in value] == [
        ("observation", "update", "1.10", "1.20")]
    bob_rows = reads(registry).page(AuditFilter(patient_id=bob))
    assert bob_result.id in {row.entity_id for row in bob_rows if row.entity == "observation"}
    assert ann_result.id not in {row.entity_id for row in bob_rows
                                 if row.entity == "observation"}
    assert {row.id for row in ann_rows}.isdisjoint(row.id for row in bob_rows)
    assert reads(registry).count(AuditFilter(patient_id=ann)) == 4
    # "Show" reads the total and the page together; past the last page, still the total.
    assert reads(registry).listing(AuditFilter(patient_id=ann), 1, 2) == (4, ann_rows[1:3])
    assert reads(registry).listing(AuditFilter(patient_id=ann), 10, 2) == (4, [])
    assert reads(registry).listing(AuditFilter(patient_id=ann, actor="nobody")) == (0, [])
    assert reads(registry).listing(AuditFilter(), 0, 1)[0] == reads(registry).count(
        AuditFilter())
    assert ids(registry, AuditFilter(patient_id=ann, action="observation.update")) == [
        correction.id]


def test_patient_filter_covers_screenings_visits_and_answers(
        registry: Registry, repo: PatientRepository, screenings: ScreeningRepository) -> None:
    from desktop.library import find_trial

    trial = find_trial("NCT06152809")
    ann = repo.add(patient(mrn="A1")).id
    other = repo.add(patient(mrn="B1")).id
    screening = screenings.start(ann, trial)
    visit = screenings.start_visit(screening.id, trial, trial.stages[0].id)
    criterion = trial.stages[0].criteria[0].id
    screenings.set_answer(visit.id, criterion, "yes")
    screenings.start(other, trial)

    actions = [row.action for row in reads(registry).page(AuditFilter(patient_id=ann))]
    assert actions == ["answer.set", "visit.start", "screening.start", "patient.create"]
    answer_row = reads(registry).page(AuditFilter(patient_id=ann))[0]
    assert ("answer", "value", None, "yes") in [
        (c.table, c.field, c.old, c.new) for c in answer_row.changes]
    assert [row.action for row in reads(registry).page(AuditFilter(patient_id=other))] == [
        "screening.start", "patient.create"]


def test_a_merged_duplicate_keeps_the_merge_that_moved_its_records(tmp_path: Path) -> None:
    # Patients 1 and 2 share an MRN under the new key: registered before the MRN rules.
    legacy = upgraded(tmp_path / "legacy", [("AB 17", "Older", "1960-02-03", "female"),
                                            ("AB  17", "Older", "1960-02-03", "female"),
                                            ("CD-1", "Other", "1961-03-04", "male")])
    try:
        screenings = ScreeningRepository(legacy, "coordinator", lambda: CLOCK)
        result = screenings.add_observation(2, None, creatinine("1.00"))
        PatientRepository(legacy, "admin").merge(2, 1, "the same person registered twice")

        (merge,) = reads(legacy).page(AuditFilter(action="patient.merge"))
        assert merge.entity_id == 1  # the kept patient's row, carrying the duplicate's
        assert merge.id in ids(legacy, AuditFilter(patient_id=2))
        assert merge.id in ids(legacy, AuditFilter(patient_id=1))
        assert merge.id not in ids(legacy, AuditFilter(patient_id=3))
        moved = [c for c in merge.changes if c.table == "observation"]
        assert [(c.key, c.field, c.old, c.new) for c in moved] == [
            (str(result.id), "patient_id", "2", "1")]
        void = reads(legacy).page(AuditFilter(action="patient.void"))[0]
        assert void.id in ids(legacy, AuditFilter(patient_id=2))
        assert void.id not in ids(legacy, AuditFilter(patient_id=1))
    finally:
        legacy.close()


# -- field changes and secrets ------------------------------------------------------------

def test_password_hashes_are_never_shown(registry: Registry) -> None:
    accounts = AccountService(registry, hasher=fast_hasher())
    admin = accounts.create_first_admin("admin", "Ada Admin", "admin password 1").actor
    made = accounts.create_account(admin, "mona", "Mona Monitor", frozenset({Role.MONITOR}))
    first = accounts.login("mona", made.one_time_password)
    accounts.change_password(first, made.one_time_password, "mona's own password")
    with registry.read() as conn:
        hashes = [h for (h,) in conn.execute("SELECT password_hash FROM account")]

    rows = reads(registry).page(AuditFilter(entity="account"))
    shown = [c for row in rows for c in row.changes if c.field == "password_hash"]
    assert {(c.old, c.new) for c in shown} >= {(None, SET), (SET, CHANGED)}
    text = json.dumps([[row.details, [vars(c) for c in row.changes]] for row in rows])
    assert all(h not in text for h in hashes)
    assert "mona's own password" not in text


def test_field_changes_list_only_fields_that_differ() -> None:
    changes = json.dumps([
        ["observation", "7", "update", {"id": 7, "value": "1.1", "unit": "mg/dL"},
         {"id": 7, "value": "1.2", "unit": "mg/dL"}],
        ["answer", "3", "insert", None, {"id": 3, "value": "yes", "note": None}],
        ["visit_event", "2", "delete", {"id": 2, "name": "infusion"}, None]])
    assert [(c.table, c.key, c.op, c.field, c.old, c.new) for c in field_changes(changes)] == [
        ("observation", "7", "update", "value", "1.1", "1.2"),
        ("answer", "3", "insert", "id", None, "3"),
        ("answer", "3", "insert", "value", None, "yes"),
        ("visit_event", "2", "delete", "id", "2", None),
        ("visit_event", "2", "delete", "name", "infusion", None)]
    assert field_changes(None) == field_changes("not json") == ()


def test_rows_show_the_workstation_clock_and_the_clock_flag(
        registry: Registry, repo: PatientRepository) -> None:
    repo.add(patient(mrn="C1"))
    (row,) = reads(registry).page(AuditFilter(action="patient.create"))
    assert datetime.fromisoformat(row.at).utcoffset() is not None
    assert row.time_zone
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d", row.clock)
    assert row.clock_back is False

    # The trail's newest time is later than the workstation's clock: it was set back.
    conn = sqlite3.connect(registry.path)
    with conn:
        conn.execute("UPDATE audit_head SET newest_at = '2999-01-01 00:00:00'")
    conn.close()
    repo.add(patient(mrn="C2"))
    newest = reads(registry).page(AuditFilter(action="patient.create"))[0]
    assert newest.clock_back is True
