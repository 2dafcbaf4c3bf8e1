"""Unusual values (a creatinine under 0.2 mg/dL): saved only once confirmed, and the
confirmation kept with the result and in its audit; migration 0003 adds its columns."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine

from desktop.registry.confirmations import DEFAULT_LIMITS, ConfirmLimit, unusual
from desktop.registry.database import DB_FILENAME, Registry, open_registry
from desktop.registry.screening_rows import ObservationInput
from desktop.registry.screenings import ScreeningRefused, ScreeningRepository, ValidationFailed
from tests.registry.conftest import CLOCK
from tests.registry.test_screenings import audit

AT = datetime(2026, 11, 1, 8, 30)


def _creatinine(value: str, unit: str = "mg/dL", confirmed: bool = False,
                at: datetime = AT) -> ObservationInput:
    return ObservationInput("creatinine", value, unit, at, confirmed=confirmed)


@pytest.mark.parametrize(("value", "unit", "why"), [
    ("0.0001", "mg/dL", "Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL"),
    ("0.19", "mg/dL", "Serum creatinine 0.19 mg/dL is below 0.2 mg/dL"),
    ("0", "mg/dL", "Serum creatinine 0 mg/dL is below 0.2 mg/dL"),
    ("17.67", "umol/L", "Serum creatinine 17.67 umol/L is below 17.68 umol/L (0.2 mg/dL)"),
    ("0.2", "mg/dL", None),   # the limit itself is ordinary
    ("17.68", "umol/L", None),  # exactly 0.2 mg/dL
    ("1.1", "mg/dL", None),
])
def test_what_needs_confirming(value: str, unit: str, why: str | None) -> None:
    assert unusual("creatinine", Fraction(value), unit, value) == why


def test_a_site_may_mark_other_values() -> None:
    limits = {**DEFAULT_LIMITS, "ast": ConfirmLimit(above=Fraction(1000))}
    assert unusual("ast", Fraction(5000), "U/L", "5000", limits) == \
        "AST 5000 U/L is above 1000 U/L"
    assert unusual("ast", Fraction(5000), "U/L", "5000") is None  # not in the default table


def test_an_unusual_value_is_refused_until_confirmed(screenings: ScreeningRepository,
                                                     registry: Registry,
                                                     patient_id: int) -> None:
    with pytest.raises(ValidationFailed) as caught:
        screenings.add_observation(patient_id, None, _creatinine("0.0001"))
    assert caught.value.errors == {"value": "Value: Serum creatinine 0.0001 mg/dL is below "
                                            "0.2 mg/dL, which is rarely a real result: check "
                                            "it, and confirm it to save it."}
    assert str(caught.value).startswith("The result was not saved: ")
    assert screenings.observations(patient_id) == []
    assert audit(registry, "observation.add") == []

    row = screenings.add_observation(patient_id, None, _creatinine("0.0001", confirmed=True))
    assert (row.value, row.confirmation, row.confirmed_by) == (
        "0.0001", "Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL", "coordinator")
    assert row.confirmed_at is not None
    assert row.confirmed_at.tzinfo is UTC
    assert screenings.observations(patient_id) == [row]
    [(_, _, _, details)] = audit(registry, "observation.add")
    assert details["confirmed"] == {"what": "Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL",
                                    "by": "coordinator"}


def test_an_ordinary_value_needs_no_confirmation(screenings: ScreeningRepository,
                                                 registry: Registry, patient_id: int) -> None:
    row = screenings.add_observation(patient_id, None, _creatinine("1.1", confirmed=True))
    assert (row.confirmation, row.confirmed_by, row.confirmed_at) == (None, None, None)
    [(_, _, _, details)] = audit(registry, "observation.add")
    assert "confirmed" not in details


def test_correcting_a_confirmed_value(screenings: ScreeningRepository, registry: Registry,
                                      patient_id: int) -> None:
    row = screenings.add_observation(patient_id, None, _creatinine("0.1", confirmed=True))
    # Only the time corrected: the value's confirmation stands.
    later = datetime(2026, 11, 1, 9, 0)
    moved = screenings.update_observation(row.id, _creatinine("0.1", at=later))
    assert (moved.at, moved.confirmation, moved.confirmed_at) == (
        later, row.confirmation, row.confirmed_at)
    # Another unusual value must be confirmed again.
    with pytest.raises(ValidationFailed) as caught:
        screenings.update_observation(row.id, _creatinine("0.05", at=later))
    assert list(caught.value.errors) == ["value"]
    assert screenings.observations(patient_id) == [moved]
    again = screenings.update_observation(row.id, _creatinine("0.05", confirmed=True, at=later))
    assert again.confirmation == "Serum creatinine 0.05 mg/dL is below 0.2 mg/dL"
    # An ordinary value drops the confirmation; the audit keeps what it was.
    plain = screenings.update_observation(row.id, _creatinine("0.9", at=later))
    assert (plain.confirmation, plain.confirmed_by, plain.confirmed_at) == (None, None, None)
    changes = [details["changes"] for _, _, _, details in audit(registry, "observation.update")]
    assert changes[0] == {"at": {"old": "2026-11-01T08:30:00", "new": "2026-11-01T09:00:00"}}
    assert changes[1]["confirmed"] == {
        "old": {"what": "Serum creatinine 0.1 mg/dL is below 0.2 mg/dL", "by": "coordinator"},
        "new": {"what": "Serum creatinine 0.05 mg/dL is below 0.2 mg/dL", "by": "coordinator"}}
    assert changes[2]["confirmed"] == {
        "old": {"what": "Serum creatinine 0.05 mg/dL is below 0.2 mg/dL", "by": "coordinator"},
        "new": None}
    assert changes[2]["value"] == {"old": "0.05", "new": "0.9"}


def test_the_repository_takes_a_site_table(registry: Registry, patient_id: int) -> None:
    site = ScreeningRepository(registry, "coordinator", lambda: CLOCK,
                               confirm_limits={"ast": ConfirmLimit(above=Fraction(1000))})
    assert site.confirm_limits == {"ast": ConfirmLimit(above=Fraction(1000))}
    with pytest.raises(ValidationFailed, match="AST 5000 U/L is above 1000 U/L"):
        site.add_observation(patient_id, None, ObservationInput("ast", "5000", "U/L", AT))
    # creatinine is not in this site's table
    assert site.add_observation(patient_id, None, _creatinine("0.1")).confirmation is None


def test_migration_0003_keeps_results_and_adds_empty_confirmations(tmp_path: Path) -> None:
    from desktop.registry.schema import alembic_config

    folder = tmp_path / "old"
    folder.mkdir()
    path = folder / DB_FILENAME
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0002")
    finally:
        engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO patient (id, mrn, mrn_key, family_name, family_key, given_name, "
            "given_key, birth_date, sex, archived, created_at, created_by, updated_at, "
            "updated_by) VALUES (1, 'OLD-1', 'old-1', 'Older', 'older', 'Ola', 'ola', "
            "'1960-02-03', 'female', 0, '2026-01-01 00:00:00.000000', 'u', "
            "'2026-01-01 00:00:00.000000', 'u')")
        conn.execute(
            "INSERT INTO observation (patient_id, code, value, unit, at, source, entered_by, "
            "entered_at, retracted) VALUES (1, 'creatinine', '0.1', 'mg/dL', "
            "'2026-11-01 08:30:00.000000', '', 'u', '2026-11-01 09:00:00.000000', 0)")
    conn.close()
    registry = open_registry(folder)
    try:
        [row] = ScreeningRepository(registry, "u", lambda: CLOCK).observations(1)
        assert (row.value, row.confirmation, row.confirmed_by, row.confirmed_at) == (
            "0.1", None, None, None)
    finally:
        registry.close()
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
            columns = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(observation)")}
            assert "confirmation" not in columns
            assert conn.exec_driver_sql("SELECT value FROM observation").fetchall() == [
                ("0.1",)]
    finally:
        engine.dispose()


def test_a_decision_never_rests_on_an_unusual_value_nobody_confirmed(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    """A value saved before confirmations existed (migrated, confirmation NULL)."""
    from desktop.library import find_trial
    from tests.registry.conftest import store_example

    trial = find_trial("NCT06152809")
    screening = screenings.start(patient_id, trial)
    visit = screenings.start_visit(screening.id, trial, "screening-1")
    store_example(screenings, patient_id, visit, trial.id)
    [creatinine] = screenings.observations(patient_id, "creatinine")
    with registry.engine.begin() as conn:  # as a release before 0003 could have saved it
        conn.exec_driver_sql("UPDATE observation SET value = '0.0001', unit = 'mg/dL' "
                             f"WHERE id = {creatinine.id}")
    with pytest.raises(ScreeningRefused) as caught:
        screenings.complete(visit.id)
    assert str(caught.value) == (
        "Screening #1: trial enrollment cannot be evaluated: the decision would rest on an "
        "unusual value nobody confirmed: Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL, "
        "taken 2026-11-01 07:30. Confirm it at the result (or correct it) first.")
    assert screenings.visit(visit.id).status == "draft"
    confirmed = screenings.update_observation(creatinine.id, ObservationInput(
        "creatinine", "0.0001", "mg/dL", creatinine.at, confirmed=True))
    assert confirmed.confirmation == "Serum creatinine 0.0001 mg/dL is below 0.2 mg/dL"
    assert screenings.complete(visit.id).decision == "eligible"
