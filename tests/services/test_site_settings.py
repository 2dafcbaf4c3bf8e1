"""Site settings live in the registry: checked, audited, changed only by an admin; a ULN
change with an effective date leaves older results' ULN as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from desktop.domain.accounts import Actor, Role
from desktop.library import find_trial
from desktop.registry.database import Registry, open_registry
from desktop.services.patients import PatientInput, PatientService
from desktop.services.screening import ObservationInput, ScreeningService
from desktop.services.site_settings import (
    NotPermitted,
    SiteSettingError,
    SiteSettingsService,
)
from tests.registry.conftest import store_example

ADMIN = Actor("admin", "Ada Admin", frozenset({Role.ADMIN}))
MONITOR = Actor("mo", "Mo Monitor", frozenset({Role.MONITOR}))
TRIAL = find_trial("NCT05744440")
NOW = datetime(2026, 11, 2, 9, 0)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(tmp_path / "data")
    yield reg
    reg.close()


@pytest.fixture
def site(registry: Registry) -> SiteSettingsService:
    return SiteSettingsService(registry)


def test_defaults_until_set(site: SiteSettingsService) -> None:
    values = site.values()
    assert (values.site_name, values.paper_size, values.idle_lock_minutes,
            values.password_expiry_days, values.time_zone) == ("", "A4", 15, 0, None)


def test_each_setting_is_checked_and_audited(site: SiteSettingsService,
                                             registry: Registry) -> None:
    values = site.update(ADMIN, site_name="  Clinic   North ", time_zone="Europe/Berlin",
                         paper_size="Letter", idle_lock_minutes=1, password_expiry_days=90,
                         mrn_characters="A-Z0-9")
    assert (values.site_name, values.time_zone, values.paper_size, values.idle_lock_minutes,
            values.password_expiry_days, values.mrn_characters) == (
        "Clinic North", "Europe/Berlin", "Letter", 1, 90, "A-Z0-9")
    with registry.read() as conn:
        rows = conn.execute("SELECT actor, details FROM audit_event "
                            "WHERE action = 'site.setting'").fetchall()
    changed = {json.loads(d)["key"]: (actor, json.loads(d)["new"]) for actor, d in rows}
    assert changed["idle_lock_minutes"] == ("admin", 1)
    assert changed["paper_size"] == ("admin", "Letter")


@pytest.mark.parametrize(("key", "value", "words"), [
    ("idle_lock_minutes", 0, "Idle lock: a whole number of minutes from 1 to 240"),
    ("idle_lock_minutes", 241, "from 1 to 240"),
    ("idle_lock_minutes", True, "from 1 to 240"),
    ("password_expiry_days", -1, "Password expiry"),
    ("password_expiry_days", 3651, "Password expiry"),
    ("paper_size", "A5", "Paper size: A4 or Letter"),
    ("time_zone", "Mars/Olympus", "Time zone: 'Mars/Olympus' is not a time zone"),
    ("mrn_characters", "[", "MRN characters"),
    ("nonsense", 1, "'nonsense' is not a site setting"),
])
def test_a_wrong_setting_names_itself_and_nothing_is_stored(
        site: SiteSettingsService, key: str, value: Any, words: str) -> None:
    with pytest.raises(SiteSettingError, match=words):
        site.update(ADMIN, site_name="Changed", **{key: value})
    assert site.values().site_name == ""  # one wrong value: nothing of the change stored


@pytest.mark.parametrize(("entry", "words"), [
    ({"below": "2", "above": "1"}, "'confirm below' must be less than 'confirm above'"),
    ({"below": "1", "above": "1"}, "'confirm below' must be less than 'confirm above'"),
    ({"below": "100", "unit": "mg/dL"}, "creatinine below"),   # outside plausible limits
    ({"below": "0.2", "unit": "g/L"}, "creatinine unit"),
])
def test_confirm_thresholds_are_checked(site: SiteSettingsService, entry: dict[str, str],
                                        words: str) -> None:
    with pytest.raises(SiteSettingError, match=words):
        site.update(ADMIN, confirm={"creatinine": entry})
    assert site.values().confirm == {}


def test_boundaries_of_whole_number_settings_are_accepted(site: SiteSettingsService) -> None:
    assert site.update(ADMIN, idle_lock_minutes=240).idle_lock_minutes == 240
    assert site.update(ADMIN, password_expiry_days=0).password_expiry_days == 0
    assert site.update(ADMIN, password_expiry_days=3650).password_expiry_days == 3650


def test_only_an_admin_changes_settings(site: SiteSettingsService) -> None:
    with pytest.raises(NotPermitted):
        site.update(MONITOR, site_name="x")
    with pytest.raises(NotPermitted):
        site.add_uln(MONITOR, "ast", "40", "U/L", date(2026, 1, 1))


@pytest.mark.parametrize(("code", "value", "unit", "words"), [
    ("sodium", "140", "mmol/L", "not an observation with an upper limit"),
    ("ast", "forty", "U/L", "'forty' is not a number"),
    ("ast", "0", "U/L", "ULN ast"),
    ("bilirubin_total", "1.2", "g/L", "unit"),
])
def test_a_wrong_uln_is_refused(site: SiteSettingsService, code: str, value: str, unit: str,
                                words: str) -> None:
    with pytest.raises(SiteSettingError, match=words):
        site.add_uln(ADMIN, code, value, unit, date(2026, 1, 1))
    assert site.uln_rows() == []


def _visit_with_ast(registry: Registry, ast: str, taken: str) -> tuple[ScreeningService, int]:
    """A completed-ready screening #1 whose AST has no ULN of its own."""
    patients = PatientService.open(registry, "cora")
    screenings = ScreeningService.open(registry, "cora", lambda: NOW)
    patient = patients.add(PatientInput("U1", "Fictional", "Ann", date(1960, 1, 1), "male"))
    screening = screenings.start(patient.id, TRIAL)
    visit = screenings.start_visit(screening.id, TRIAL, "screening-1")
    store_example(cast(Any, screenings), patient.id, visit, TRIAL.id)
    own = next(o for o in screenings.observations(patient.id) if o.code == "ast")
    screenings.update_observation(own.id, ObservationInput(
        "ast", ast, "U/L", datetime.fromisoformat(taken), None, "lab"), expected=own.version)
    return screenings, visit.id


def test_a_new_uln_leaves_an_older_results_uln_as_it_was(registry: Registry,
                                                         site: SiteSettingsService) -> None:
    site.add_uln(ADMIN, "ast", "40", "U/L", date(2020, 1, 1),
                 backdated_because="the site's table since 2020")
    screenings, visit_id = _visit_with_ast(registry, "105", "2026-11-01T23:59")

    def ast_outcome() -> str:
        verdict = screenings.evaluate_visit(visit_id)
        return next(r.outcome for r in verdict.results if r.id == "alt-ast")

    assert ast_outcome() == "pass"  # 105 <= 3 x 40
    site.add_uln(ADMIN, "ast", "30", "U/L", date(2026, 11, 2),  # from the next day on
                 backdated_because="lab changed its range")
    assert ast_outcome() == "pass"  # the result of 2026-11-01 keeps ULN 40
    site.add_uln(ADMIN, "ast", "30", "U/L", date(2026, 11, 1),  # from the result's own day
                 backdated_because="entered a day late")
    assert ast_outcome() == "fail"  # 105 > 3 x 30


def test_a_uln_from_today_or_earlier_needs_a_reason_and_keeps_it(
        registry: Registry) -> None:
    """ULNs hold by day: one in force from today would change the ULN of results taken
    this morning, so it needs a reason; from tomorrow it changes nothing already taken."""
    today = date(2026, 12, 2)
    site = SiteSettingsService(registry, clock=lambda: datetime(2026, 12, 2, 14, 0))
    with pytest.raises(SiteSettingError, match="from today on it would change the ULN of "
                                               "results already taken"):
        site.add_uln(ADMIN, "ast", "40", "U/L", today)
    with pytest.raises(SiteSettingError, match="from that day on"):
        site.add_uln(ADMIN, "ast", "40", "U/L", date(2026, 12, 1), backdated_because="  ")
    assert site.uln_rows() == []
    site.add_uln(ADMIN, "ast", "40", "U/L", date(2026, 12, 3))  # tomorrow: no reason needed
    site.add_uln(ADMIN, "alt", "40", "U/L", today, backdated_because="lab's range, late")
    with registry.read() as conn:
        details = [json.loads(d) for (d,) in conn.execute(
            "SELECT details FROM audit_event WHERE action = 'site.uln' ORDER BY id")]
    assert "backdated_because" not in details[0]
    assert details[1]["backdated_because"] == "lab's range, late"


def test_the_previous_site_file_is_imported_once(registry: Registry,
                                                 site: SiteSettingsService,
                                                 tmp_path: Path) -> None:
    data_dir = registry.path.parent
    (data_dir / "site.json").write_text('{"uln": {"ast": {"value": 40}}, '
                                        '"mrn_characters": "A-Z0-9"}', encoding="utf-8")
    note = site.import_previous_site_file(data_dir)
    assert note is not None
    assert "was imported into the registry (1 upper limits of normal)" in note
    assert site.values().uln.on("ast", date(1990, 1, 1)) == 40  # as before: for every result
    assert site.values().mrn_characters == "A-Z0-9"
    assert site.import_previous_site_file(data_dir) is None  # once
    (data_dir / "site.json").write_text('{"uln": {"ast": {"value": 50}}}', encoding="utf-8")
    changed = site.import_previous_site_file(data_dir)
    assert changed is not None
    assert "has changed since it was imported" in changed
    assert site.values().uln.on("ast", date(2030, 1, 1)) == 40  # not re-read


def test_a_site_file_dropped_beside_a_registry_with_accounts_is_never_read(
        registry: Registry, site: SiteSettingsService) -> None:
    from desktop.services import passwords
    from desktop.services.accounts import AccountService

    AccountService(registry, hasher=passwords.fast_hasher()).create_first_admin(
        "admin", "Ada Admin", "admin password 1")
    site.update(ADMIN, confirm={"creatinine": {"below": "0.3"}})
    data_dir = registry.path.parent
    (data_dir / "site.json").write_text('{"uln": {"ast": {"value": 400}}}', encoding="utf-8")
    note = site.import_previous_site_file(data_dir)
    assert note is not None
    assert "is not read" in note
    assert site.uln_rows() == []
    assert "creatinine" in site.values().confirm  # nothing wiped


def test_an_imported_file_without_thresholds_keeps_them_and_wrong_ones_are_refused(
        registry: Registry, site: SiteSettingsService, tmp_path: Path) -> None:
    site.update(ADMIN, confirm={"creatinine": {"below": "0.3"}})
    plain = tmp_path / "plain.json"
    plain.write_text('{"uln": {"ast": {"value": 40}}}', encoding="utf-8")
    site.import_file("admin", plain, date(2026, 1, 1), backdated_because="initial table")
    assert "creatinine" in site.values().confirm
    crossed = tmp_path / "crossed.json"
    crossed.write_text('{"confirm": {"ast": {"below": 5, "above": 1}}}', encoding="utf-8")
    with pytest.raises(SiteSettingError, match="must be less than"):
        site.import_file("admin", crossed, date(2026, 1, 1), backdated_because="initial")


def test_a_broken_previous_site_file_names_the_field(registry: Registry,
                                                     site: SiteSettingsService) -> None:
    data_dir = registry.path.parent
    (data_dir / "site.json").write_text('{"uln": {"ast": 40}}', encoding="utf-8")
    with pytest.raises(SiteSettingError, match=r"site\.json: uln\.ast: must be an object"):
        site.import_previous_site_file(data_dir)
    assert site.uln_rows() == []
