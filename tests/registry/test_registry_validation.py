"""Each patient validation rule, at its boundary; nothing is saved when any rule fails."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest

from desktop.domain.identifiers import MrnRules
from desktop.registry.database import Registry
from desktop.registry.patients import PatientRepository, ValidationFailed
from desktop.registry.site_settings import SiteSettingRepository
from tests.registry.conftest import patient

TODAY = date(2025, 3, 14)


def test_valid_input_has_no_errors(repo: PatientRepository) -> None:
    assert repo.validate(patient(), today=TODAY) == {}


@pytest.mark.parametrize("field", ["mrn", "family_name", "given_name"])
@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_required_text_fields(repo: PatientRepository, field: str, value: str) -> None:
    kwargs = {"mrn": "AB12", "family": "Fictional", "given": "Ann"}
    kwargs[{"mrn": "mrn", "family_name": "family", "given_name": "given"}[field]] = value
    errors = repo.validate(patient(**kwargs), today=TODAY)
    assert set(errors) == {field}


def test_birth_date_required(repo: PatientRepository) -> None:
    assert set(repo.validate(patient(birth=None), today=TODAY)) == {"birth_date"}


@pytest.mark.parametrize(("birth", "ok"), [
    (date(1900, 1, 1), True),
    (date(1899, 12, 31), False),
    (TODAY, True),
    (TODAY + timedelta(days=1), False),
])
def test_birth_date_bounds(repo: PatientRepository, birth: date, ok: bool) -> None:
    errors = repo.validate(patient(birth=birth), today=TODAY)
    assert ("birth_date" not in errors) is ok
    assert set(errors) <= {"birth_date"}


def test_birth_date_defaults_to_real_today(repo: PatientRepository) -> None:
    assert repo.validate(patient(birth=date.today())) == {}
    assert "birth_date" in repo.validate(patient(birth=date.today() + timedelta(days=1)))


@pytest.mark.parametrize(("sex", "ok"), [("female", True), ("male", True), (" male ", True),
                                         ("", False), ("other", False), ("Female", False)])
def test_sex_must_be_one_of_sexes(repo: PatientRepository, sex: str, ok: bool) -> None:
    assert ("sex" not in repo.validate(patient(sex=sex), today=TODAY)) is ok


def test_mrn_unique_case_insensitive_and_trimmed(repo: PatientRepository) -> None:
    repo.add(patient(mrn="AB12"))
    errors = repo.validate(patient(mrn=" ab12 ", family="Other"), today=TODAY)
    assert set(errors) == {"mrn"}
    assert "AB12" in errors["mrn"]
    with pytest.raises(ValidationFailed) as info:
        repo.add(patient(mrn=" ab12 ", family="Other"))
    assert set(info.value.errors) == {"mrn"}
    assert repo.count(include_archived=True) == 1


def test_mrn_clash_with_archived_patient_still_refused(repo: PatientRepository) -> None:
    first = repo.add(patient(mrn="AB12"))
    repo.set_archived(first.id, True)
    errors = repo.validate(patient(mrn="ab12"), today=TODAY)
    assert "archived" in errors["mrn"]


def test_editing_patient_may_keep_own_mrn(repo: PatientRepository) -> None:
    row = repo.add(patient(mrn="AB12"))
    other = repo.add(patient(mrn="CD34"))
    assert repo.validate(patient(mrn=" ab12"), patient_id=row.id, today=TODAY) == {}
    assert set(repo.validate(patient(mrn="ab12"), patient_id=other.id, today=TODAY)) == {"mrn"}


def test_invalid_add_saves_nothing_and_reports_every_field(repo: PatientRepository) -> None:
    bad = patient(mrn=" ", family="", given="", birth=date(1800, 1, 1), sex="x")
    with pytest.raises(ValidationFailed) as info:
        repo.add(bad)
    assert set(info.value.errors) == {"mrn", "family_name", "given_name", "birth_date", "sex"}
    assert str(info.value).startswith("The patient was not saved")
    assert repo.count(include_archived=True) == 0


def test_invalid_update_changes_nothing(repo: PatientRepository) -> None:
    row = repo.add(patient())
    with pytest.raises(ValidationFailed):
        repo.update(row.id, patient(family="Changed", birth=date(1899, 12, 31)))
    assert repo.get(row.id) == row


# -- the MRN and name rules, enforced by the registry itself (not only the dialog) --------

@pytest.mark.parametrize(
    ("mrn", "words"),
    [
        ("\u200b", "invisible or control character (U+200B ZERO WIDTH SPACE)"),
        ("\x00", "invisible or control character (U+0000)"),
        ("AB\x0012", "invisible or control character (U+0000)"),
        ("AB\t12", "invisible or control character (U+0009)"),
        ("AB\n12", "invisible or control character (U+000A)"),
        ("A\u200dB12", "U+200D ZERO WIDTH JOINER"),
        ("X" * 33, "is 33 characters long; at most 32"),
        ("X" * 10_000, "is 10000 characters long; at most 32"),
        ("\u0410B12", "'\u0410' (U+0410 CYRILLIC CAPITAL LETTER A) is not allowed in an MRN"),
        ("AB#12", "'#' (U+0023 NUMBER SIGN) is not allowed"),
    ],
)
def test_an_mrn_breaking_the_rules_is_refused_by_add_and_update(
        repo: PatientRepository, mrn: str, words: str) -> None:
    assert words in repo.validate(patient(mrn=mrn), today=TODAY)["mrn"]
    with pytest.raises(ValidationFailed) as info:
        repo.add(patient(mrn=mrn))
    assert set(info.value.errors) == {"mrn"}
    assert words in info.value.errors["mrn"]
    assert "\n" not in info.value.errors["mrn"]
    assert len(info.value.errors["mrn"]) < 200  # a 10,000-character MRN is not repeated
    assert repo.count(include_archived=True) == 0

    row = repo.add(patient(mrn="GOOD-1"))
    with pytest.raises(ValidationFailed, match="MRN"):
        repo.update(row.id, patient(mrn=mrn))
    assert repo.get(row.id) == row


def test_32_characters_and_every_allowed_character_are_kept(repo: PatientRepository) -> None:
    assert repo.add(patient(mrn="X" * 32)).mrn == "X" * 32
    assert repo.add(patient(mrn=" MRN-0001/a.b 9 ")).mrn == "MRN-0001/a.b 9"


def test_an_mrn_is_stored_nfkc(repo: PatientRepository) -> None:
    assert repo.add(patient(mrn="AB\uff11\uff15")).mrn == "AB15"  # full-width digits


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("AB15", "AB\uff11\uff15"),  # full-width digits
        ("AB\uff11\uff15", "AB15"),
        ("AB 17", "AB  17"),  # runs of inner spaces
        ("AB  17", "ab 17"),
        ("AB-18", "ab-18"),  # case
        ("ab-19", " AB-19 "),
    ],
)
def test_spellings_of_one_mrn_are_one_mrn(repo: PatientRepository, first: str,
                                          second: str) -> None:
    kept = repo.add(patient(mrn=first))
    with pytest.raises(ValidationFailed) as info:
        repo.add(patient(mrn=second, family="Other"))
    message = info.value.errors["mrn"]
    assert f"MRN {kept.mrn} already belongs to another patient (Fictional, Ann)" in message
    assert repo.count(include_archived=True) == 1
    other = repo.add(patient(mrn="OTHER-1"))
    with pytest.raises(ValidationFailed, match=f"MRN {kept.mrn} already belongs"):
        repo.update(other.id, patient(mrn=second))


def test_nfc_and_nfd_spellings_are_one_mrn_where_the_site_allows_accents(
        registry: Registry) -> None:
    repo = PatientRepository(registry, "coordinator", MrnRules(r"\w \-/."))
    nfc, nfd = unicodedata.normalize("NFC", "JOSÉ-1"), unicodedata.normalize("NFD", "JOSÉ-1")
    assert nfc != nfd
    assert repo.add(patient(mrn=nfd)).mrn == nfc  # stored composed
    with pytest.raises(ValidationFailed, match="MRN JOSÉ-1 already belongs"):
        repo.add(patient(mrn=nfc, family="Other"))
    with pytest.raises(ValidationFailed, match="MRN JOSÉ-1 already belongs"):
        repo.add(patient(mrn="josé-1", family="Other"))


def test_the_default_rules_refuse_accents(repo: PatientRepository) -> None:
    assert "'É' (U+00C9 LATIN CAPITAL LETTER E WITH ACUTE) is not allowed" in repo.validate(
        patient(mrn="JOSÉ-1"), today=TODAY)["mrn"]


def test_the_site_setting_sets_the_allowed_characters(registry: Registry) -> None:
    SiteSettingRepository(registry).set("admin", {"mrn_characters": "0-9"})
    repo = PatientRepository(registry, "coordinator")
    assert repo.mrn_rules == MrnRules("0-9")
    assert "'A' (U+0041 LATIN CAPITAL LETTER A) is not allowed" in repo.validate(
        patient(mrn="A1"), today=TODAY)["mrn"]
    assert repo.add(patient(mrn="12345")).mrn == "12345"


def test_a_site_json_beside_the_registry_is_not_read(registry: Registry) -> None:
    (registry.path.parent / "site.json").write_text('{"mrn_characters": "0-9"}',
                                                    encoding="utf-8")
    assert PatientRepository(registry, "coordinator").mrn_rules == MrnRules()


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("family", "Ann\x00", "The family name contains an invisible or control character"),
        ("given", "A\u200bnn", "The given name contains an invisible or control character"),
        ("given", "Ann\nMarie", "U+000A"),
        ("family", "N" * 101, "The family name is 101 characters long; at most 100"),
    ],
)
def test_a_name_breaking_the_rules_is_refused(repo: PatientRepository, field: str, value: str,
                                              words: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        repo.add(patient(**{field: value}))
    key = {"family": "family_name", "given": "given_name"}[field]
    assert set(info.value.errors) == {key}
    assert words in info.value.errors[key]
    assert repo.count(include_archived=True) == 0


def test_names_are_stored_nfc_and_100_characters_are_enough(repo: PatientRepository) -> None:
    row = repo.add(patient(family=unicodedata.normalize("NFD", "Zoë"), given="N" * 100))
    assert (row.family_name, row.given_name) == ("Zoë", "N" * 100)
