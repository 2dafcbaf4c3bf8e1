"""Bad input in a record names its field; good input parses exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from desktop.domain.record import RecordError, parse_record

NOW = datetime(2026, 11, 2, 9, 0)


def _obs(**item: Any) -> dict[str, Any]:
    return {"observations": [{"code": "creatinine", "value": 1.0, "unit": "mg/dL",
                              "at": "2026-11-01"} | item]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "RECORD"),
        ({"colour": 1}, "colour"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"patient": {"birth_date": "1958-13-01"}}, "patient.birth_date"),
        ({"patient": {"birth_date": "2027-01-01"}}, "patient.birth_date"),
        ({"patient": {"birth_date": "1899-12-31"}}, "patient.birth_date"),
        ({"patient": {"sex": "f"}}, "patient.sex"),
        ({"patient": {"weight": 70}}, "patient.weight"),
        ({"events": {"surgery": "2026-11-03"}}, "events.surgery"),
        ({"events": {"infusion": "soon"}}, "events.infusion"),
        ({"facts": {"smoker": True}}, "facts.smoker"),
        ({"facts": {"gilbert_syndrome": "yes"}}, "facts.gilbert_syndrome"),
        ({"observations": {}}, "observations"),
        (_obs(code="glucose"), "observations[0].code"),
        (_obs(unit="mmol/L"), "observations[0].unit"),
        (_obs(unit=None), "observations[0].unit"),
        (_obs(value="1.0"), "observations[0].value"),
        (_obs(value=True), "observations[0].value"),
        (_obs(value=-0.1), "observations[0].value"),
        (_obs(uln=0), "observations[0].uln"),
        (_obs(at=None), "observations[0].at"),
        (_obs(note="x"), "observations[0].note"),
        ({"observations": [{"code": "ecog", "value": 2.5, "unit": "score", "at": "2026-11-01"}]},
         "observations[0].value"),
        ({"observations": [{"code": "karnofsky", "value": 65, "unit": "%", "at": "2026-11-01"}]},
         "observations[0].value"),
        ({"observations": [{"code": "spo2", "value": 101, "unit": "%", "at": "2026-11-01"}]},
         "observations[0].value"),
        ({"observations": [{"code": "weight", "value": 0, "unit": "kg", "at": "2026-11-01"}]},
         "observations[0].value"),
        ({"answers": {"hiv": "maybe"}}, "answers.hiv"),
    ],
)
def test_bad_input_names_the_field(data: Any, field: str) -> None:
    with pytest.raises(RecordError) as caught:
        parse_record(data, NOW)
    assert caught.value.field == field
    assert caught.value.message


def test_a_good_record_parses_exactly() -> None:
    record = parse_record({
        "patient": {"birth_date": "1958-04-12", "sex": "Female"},
        "as_of": "2026-11-02T09:00",
        "events": {"lymphodepletion": "2026-11-03T08:00"},
        "facts": {"gilbert_syndrome": False},
        "observations": [{"code": "creatinine", "value": 97.2, "unit": "µmol/L",
                          "at": "2026-11-01T07:30", "uln": 110}],
        "answers": {"consent": True, "pregnancy": "n/a"},
    }, NOW)
    assert record.sex == "female"
    assert record.events["lymphodepletion"] == datetime(2026, 11, 3, 8, 0)
    obs = record.observations[0]
    assert (obs.value, obs.unit, obs.uln) == (Fraction("97.2"), "umol/L", Fraction(110))
    assert record.answers == {"consent": True, "pregnancy": "n/a"}


def test_missing_as_of_means_now_and_a_bare_date_is_midnight() -> None:
    record = parse_record({"events": {"infusion": "2026-11-08"}}, NOW)
    assert record.as_of == NOW
    assert record.events["infusion"] == datetime(2026, 11, 8, 0, 0)


def test_a_utc_offset_is_converted_to_local_time() -> None:
    record = parse_record({"as_of": "2026-11-02T09:00+00:00"}, NOW)
    expected = datetime(2026, 11, 2, 9, 0, tzinfo=UTC).astimezone()
    assert record.as_of == expected.replace(tzinfo=None)
    assert record.as_of.tzinfo is None
    assert abs(record.as_of - datetime(2026, 11, 2, 9, 0)) <= timedelta(hours=14)
