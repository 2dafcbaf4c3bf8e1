"""'Data changed since signing': what differs between the signed content and today's."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from desktop.domain.signing import SignedAnswer, SignedContent, SignedObservation
from desktop.domain.signing_changes import changes_since

AT = datetime(2026, 11, 2, 7, 30)
BASE = SignedContent(
    trial_id="NCT06152809", trial_sha256="ab" * 32, stage_id="screening-1", repeat=1,
    version=1,
    observations=(SignedObservation("creatinine", "1.90", "mg/dL", AT),
                  SignedObservation("ast", "30", "U/L", AT, "40", "result")),
    answers=(SignedAnswer("consent", "yes"),), events={"infusion": datetime(2026, 11, 9, 10)},
    facts={"gilbert_syndrome": False}, decision="eligible")


def test_nothing_changed() -> None:
    assert changes_since(BASE.canonical(), BASE.canonical()) == []


def test_each_kind_of_change_is_named() -> None:
    now = replace(
        BASE,
        observations=(SignedObservation("creatinine", "1.9", "mg/dL", AT),   # corrected
                      SignedObservation("alt", "35", "U/L", AT)),            # ast withdrawn
        answers=(SignedAnswer("consent", "yes", "re-consented"),),
        events={"infusion": datetime(2026, 11, 10, 10)},
        facts={"gilbert_syndrome": True}, decision="not_eligible")
    assert changes_since(BASE.canonical(), now.canonical()) == [
        "result alt added", "result ast withdrawn", "result creatinine changed",
        "answer consent changed", "planned infusion date changed",
        "fact gilbert_syndrome changed", "the decision"]


def test_a_new_trial_file_is_named() -> None:
    now = replace(BASE, trial_sha256="cd" * 32)
    assert changes_since(BASE.canonical(), now.canonical()) == ["the trial file"]


def test_the_patient_and_the_time_assessed_are_named() -> None:
    from datetime import date

    signed = replace(BASE, birth_date=date(1971, 7, 9), sex="male", assessed_at=AT)
    assert changes_since(signed.canonical(), replace(
        signed, birth_date=date(1971, 7, 10)).canonical()) == [
        "the patient's date of birth changed"]
    assert changes_since(signed.canonical(), replace(signed, sex="female").canonical()) == [
        "the patient's sex changed"]
    assert changes_since(signed.canonical(), replace(
        signed, assessed_at=AT.replace(minute=31)).canonical()) == ["the time assessed"]
