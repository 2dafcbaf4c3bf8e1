"""Signatures on stages in the registry (issue 13): the content captured at completion,
the state machine as stored, what changes a signature's standing, corrections."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from desktop.domain.signing import Action, OverrideParty
from desktop.domain.visits import StageState
from desktop.library import find_trial
from desktop.paths import trials_dir
from desktop.registry.database import Registry
from desktop.registry.patients import PatientRepository
from desktop.registry.screening_rows import ObservationInput, VisitRow
from desktop.registry.screenings import ScreeningRefused, ScreeningRepository, ValidationFailed
from tests.registry.conftest import IND_HOLDER, patient, sign, store_example

#: screening-1, then pre-infusion, which may proceed after review by PI and IND holder.
TRIAL = find_trial("NCT06138587")


def _completed(screenings: ScreeningRepository, patient_id: int, stage_id: str = "screening-1",
               answers: dict[str, Any] | None = None) -> VisitRow:
    screening = screenings.screenings(patient_id)
    sid = screening[0].id if screening else screenings.start(patient_id, TRIAL).id
    visit = screenings.start_visit(sid, TRIAL, stage_id)
    store_example(screenings, patient_id, visit, TRIAL.id, answers)
    return screenings.complete(visit.id)


def _failed(screenings: ScreeningRepository, patient_id: int) -> VisitRow:
    sign(screenings, _completed(screenings, patient_id).id)
    return _completed(screenings, patient_id, "pre-infusion", {"clinical-status": False})


def test_completion_keeps_the_trial_file_bytes_and_the_signed_content(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    [version] = screenings.stage_versions(done.id)
    data = (trials_dir() / f"{TRIAL.id}.yaml").read_bytes()
    assert version.trial_sha256 == hashlib.sha256(data).hexdigest()
    with registry.read() as conn:
        stored = conn.execute("SELECT data, format FROM trial_file").fetchall()
    assert [(bytes(d), f) for d, f in stored] == [(data, "yaml")]
    content = screenings.signed_content(done.id, 1)
    assert content is not None
    assert hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()).hexdigest() \
        == version.content_sha256
    assert content["trial"] == {"id": TRIAL.id, "sha256": version.trial_sha256}
    assert content["patient"] == {"birth_date": "1971-07-09", "sex": "male"}
    assert content["decision"] == "eligible"
    assert {o["code"] for o in content["observations"]}  # the results the verdict used
    assert all(isinstance(o["value"], str) for o in content["observations"])
    # A second completion under the same file stores no second copy.
    sign(screenings, done.id)
    _completed(screenings, patient_id, "pre-infusion")
    with registry.read() as conn:
        assert conn.execute("SELECT count(*) FROM trial_file").fetchone() == (1,)


def test_prepared_then_confirmed_then_locked(screenings: ScreeningRepository,
                                             patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    with pytest.raises(ScreeningRefused, match="cannot start before an investigator confirms"):
        screenings.start_visit(done.screening_id, TRIAL, "pre-infusion")
    prepared = sign(screenings, done.id, Action.PREPARE, user_id="cora")
    assert prepared.meaning.value == "Prepared by"
    assert (prepared.printed_name, prepared.user_id, prepared.role) == (
        "Cora Coordinator", "cora", "Coordinator")
    assert prepared.signed_at.utcoffset() is not None
    with pytest.raises(ScreeningRefused, match="prepared already"):
        sign(screenings, done.id, Action.PREPARE, user_id="cora")
    assert screenings.visit(done.id).state is StageState.AWAITING_SIGNATURE
    confirmed = sign(screenings, done.id)
    assert confirmed.meaning.value == "Eligibility confirmed by"
    assert confirmed.content_sha256 == screenings.stage_versions(done.id)[0].content_sha256
    assert screenings.visit(done.id).state is StageState.SIGNED
    for action in Action:
        with pytest.raises(ScreeningRefused, match="locked"):
            sign(screenings, done.id, action)
    assert screenings.start_visit(done.screening_id, TRIAL, "pre-infusion").stage_id \
        == "pre-infusion"


def test_a_draft_is_not_signed(screenings: ScreeningRepository, patient_id: int) -> None:
    visit = screenings.start_visit(screenings.start(patient_id, TRIAL).id, TRIAL,
                                   "screening-1")
    with pytest.raises(ScreeningRefused, match="Only a completed stage is signed"):
        sign(screenings, visit.id)


def test_the_site_may_open_the_next_stage_before_the_signature(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    from desktop.registry.site_settings import SiteSettingRepository

    SiteSettingRepository(registry).set("admin", {"open_before_signature": True})
    done = _completed(screenings, patient_id)
    assert done.state is StageState.ELIGIBLE
    assert screenings.start_visit(done.screening_id, TRIAL, "pre-infusion").repeat == 1


def test_screen_failure_confirmed_ends_the_screening(screenings: ScreeningRepository,
                                                     patient_id: int) -> None:
    failed = _failed(screenings, patient_id)
    assert sign(screenings, failed.id).meaning.value == "Screen failure confirmed by"
    assert screenings.visit(failed.id).state is StageState.NOT_ELIGIBLE
    with pytest.raises(ScreeningRefused, match="locked"):
        sign(screenings, failed.id, Action.OVERRIDE, rationale="Reviewed: transient event.",
             parties=[IND_HOLDER])


def test_an_override_needs_the_named_parties(screenings: ScreeningRepository,
                                             patient_id: int) -> None:
    failed = _failed(screenings, patient_id)
    cases: list[tuple[str, list[OverrideParty], str]] = [
        ("", [IND_HOLDER], "Give the rationale"),
        ("Reviewed with the sponsor.", [], "requires the IND holder's agreement"),
        ("Reviewed with the sponsor.",
         [OverrideParty("IND holder", "IND holder", datetime(2026, 11, 30), "email on file")],
         "name the person, not the role"),
        ("Reviewed with the sponsor.",
         [OverrideParty("IND holder", "Dr B", datetime(2099, 1, 1), "email on file")],
         "in the future"),
        ("Reviewed with the sponsor.",
         [OverrideParty("IND holder", "Dr Bea Holder", datetime(2026, 11, 30), "hallway")],
         "how the agreement is documented"),
    ]
    for rationale, parties, message in cases:
        with pytest.raises(ValidationFailed, match=message):
            sign(screenings, failed.id, Action.OVERRIDE, rationale=rationale, parties=parties)
    assert screenings.stage_versions(failed.id)[0].signatures == ()
    approved = sign(screenings, failed.id, Action.OVERRIDE,
                    rationale=" Reviewed with the sponsor:  transient. ", parties=[IND_HOLDER])
    assert approved.meaning.value == "Approved to proceed despite unmet criteria"
    assert approved.rationale == "Reviewed with the sponsor: transient."
    assert approved.parties == (IND_HOLDER,)
    assert screenings.visit(failed.id).state is StageState.OVERRIDDEN


def test_an_eligible_stage_needs_no_override(screenings: ScreeningRepository,
                                             patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    with pytest.raises(ScreeningRefused, match="needs no override"):
        sign(screenings, done.id, Action.OVERRIDE, rationale="Reviewed with the sponsor.",
             parties=[IND_HOLDER])


def _creatinine(screenings: ScreeningRepository, patient_id: int) -> int:
    return next(o.id for o in screenings.observations(patient_id, "creatinine"))


def test_a_corrected_result_marks_the_signature(screenings: ScreeningRepository,
                                                patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    sign(screenings, done.id)
    assert screenings.standing(done.id).changes == ()
    assert not screenings.standing(done.id).data_changed
    row = screenings.observations(patient_id, "creatinine")[0]
    screenings.update_observation(row.id, ObservationInput(
        row.code, "90", row.unit, row.at, row.uln, row.source or ""), reason="typo")
    standing = screenings.standing(done.id)
    assert standing.data_changed
    assert standing.changes == ("result creatinine changed",)
    assert not standing.verdict_differs  # 90 umol/L: still at most 2.0 mg/dL (176.8)


def test_a_change_that_flips_the_decision_shows_verdict_would_differ(
        screenings: ScreeningRepository, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    sign(screenings, done.id)
    row = screenings.observations(patient_id, "creatinine")[0]
    screenings.update_observation(row.id, ObservationInput(
        row.code, "190", row.unit, row.at, row.uln, row.source or ""), reason="typo")
    standing = screenings.standing(done.id)
    assert standing.data_changed
    assert (standing.decision_now, standing.verdict_differs) == ("not_eligible", True)


def test_a_date_of_birth_edit_marks_the_signature(screenings: ScreeningRepository,
                                                  repo: PatientRepository,
                                                  patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    sign(screenings, done.id)
    repo.update(patient_id, patient(mrn="SCR1", birth=date(1971, 7, 10), sex="male"),
                reason="registration typo")
    assert "the patient's date of birth changed" in screenings.standing(done.id).changes


def test_data_changed_after_completion_cannot_be_signed(screenings: ScreeningRepository,
                                                       patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    screenings.retract_observation(_creatinine(screenings, patient_id), "wrong patient")
    with pytest.raises(ScreeningRefused, match=r"its data changed since it was completed "
                                               r"\(result creatinine withdrawn"):
        sign(screenings, done.id)


def test_a_correction_is_version_2_and_keeps_version_1(screenings: ScreeningRepository,
                                                       registry: Registry,
                                                       patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    first = sign(screenings, done.id)
    with pytest.raises(ValidationFailed, match="Give the reason"):
        screenings.open_correction(done.id, "  ")
    reopened = screenings.open_correction(done.id, "ECOG was entered for the wrong day")
    assert (reopened.status, reopened.version, reopened.correction_reason) == (
        "draft", 2, "ECOG was entered for the wrong day")
    assert reopened.state is StageState.IN_PROGRESS
    with pytest.raises(ScreeningRefused, match="Only a completed stage is corrected"):
        screenings.open_correction(done.id, "again")
    screenings.set_answer(done.id, "remission-status", "yes", "rechecked", "clinic note")
    again = screenings.complete(done.id)
    assert (again.version, again.state) == (2, StageState.AWAITING_SIGNATURE)
    v1, v2 = screenings.stage_versions(done.id)
    assert (v1.version, v1.signatures) == (1, (first,))
    assert (v2.version, v2.signatures, v2.correction_reason) == (
        2, (), "ECOG was entered for the wrong day")
    assert v1.content_sha256 != v2.content_sha256
    second = sign(screenings, done.id)
    assert (second.version, screenings.visit(done.id).state) == (2, StageState.SIGNED)
    with registry.read() as conn:
        [(details,)] = conn.execute("SELECT details FROM audit_event "
                                    "WHERE action = 'visit.correction'").fetchall()
    assert json.loads(details)["reason"] == "ECOG was entered for the wrong day"


def test_a_legacy_sign_off_reads_as_confirmed_and_is_locked(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    with registry.engine.begin() as conn:  # as a release before signatures left it
        conn.exec_driver_sql("UPDATE visit SET signed_by = 'Dr Imaginary Test, PI', "
                             f"signed_at = '2026-11-01 10:00:00' WHERE id = {done.id}")
        conn.exec_driver_sql("DELETE FROM stage_version")
    legacy = screenings.visit(done.id)
    assert (legacy.signed_by, legacy.state) == ("Dr Imaginary Test, PI", StageState.SIGNED)
    with pytest.raises(ScreeningRefused, match="locked"):
        sign(screenings, done.id)
    # Its content is captured when first needed (here by the refused signature's check).
    assert [v.captured for v in screenings.stage_versions(done.id)] == []


def test_signed_at_keeps_its_utc_offset(screenings: ScreeningRepository,
                                        patient_id: int) -> None:
    from zoneinfo import ZoneInfo

    done = _completed(screenings, patient_id)
    at = datetime(2026, 12, 2, 9, 14, 3, tzinfo=ZoneInfo("America/New_York"))
    row = screenings.add_signature(done.id, user_id="ivy", printed_name="Dr Ivy",
                                   role="Investigator", action=Action.CONFIRM, signed_at=at,
                                   shown=screenings.shown(done.id))
    assert row.signed_at == at
    assert row.signed_at.utcoffset() == at.utcoffset()
    assert "2026-12-02 09:14:03 -0500" in row.manifestation
    with pytest.raises(ValueError, match="UTC offset"):
        screenings.add_signature(done.id, user_id="ivy", printed_name="Dr Ivy",
                                 role="Investigator", action=Action.CONFIRM,
                                 signed_at=datetime(2026, 12, 2),
                                 shown=screenings.shown(done.id))
    assert row.signed_at.astimezone(UTC).hour == 14


def test_a_stage_keeps_being_read_under_the_trial_file_it_was_decided_on(
        screenings: ScreeningRepository, patient_id: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import desktop.paths

    done = _completed(screenings, patient_id)
    sign(screenings, done.id)
    assert not screenings.standing(done.id).protocol_changed
    edited = tmp_path / "library"
    edited.mkdir()
    original = (trials_dir() / f"{TRIAL.id}.yaml").read_bytes()
    (edited / f"{TRIAL.id}.yaml").write_bytes(original + b"\n# a later amendment\n")
    monkeypatch.setattr(desktop.paths, "trials_dir", lambda: edited)
    standing = screenings.standing(done.id)
    assert standing.protocol_changed
    assert (standing.changes, standing.decision_now) == ((), "eligible")  # the kept file


# -- found in review: what the signer saw, legacy stages, corrections -----------------

def test_a_signature_covers_only_what_the_signer_was_shown(screenings: ScreeningRepository,
                                                           patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    shown = screenings.shown(done.id)
    assert (shown.version, shown.decision) == (1, "eligible")
    # Meanwhile, in another window: a correction, decided not eligible.
    screenings.open_correction(done.id, "donor status was misread")
    screenings.set_answer(done.id, "remission-status", "no", "rechecked", "clinic note")
    assert screenings.complete(done.id).decision == "not_eligible"
    with pytest.raises(ScreeningRefused, match="changed since the signing dialog opened "
                                               r"\(now version 2, not eligible\)"):
        screenings.add_signature(done.id, user_id="ivy", printed_name="Dr Ivy",
                                 role="Investigator", action=Action.CONFIRM,
                                 signed_at=datetime.now(UTC), shown=shown)
    assert screenings.stage_versions(done.id)[1].signatures == ()
    assert sign(screenings, done.id).meaning.value == "Screen failure confirmed by"


def _as_before_signatures(registry: Registry, visit_id: int) -> None:
    with registry.engine.begin() as conn:  # as a release before signatures left it
        conn.exec_driver_sql("DELETE FROM stage_version")


def test_a_stage_completed_before_signatures_is_captured_when_signed(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    _as_before_signatures(registry, done.id)
    shown = screenings.shown(done.id)  # the content a signature would capture now
    signed = sign(screenings, done.id)
    assert signed.content_sha256 == shown.content_sha256
    [version] = screenings.stage_versions(done.id)
    assert (version.captured, version.decision, signed.content_sha256) == (
        "signing", "eligible", version.content_sha256)


def test_a_stage_completed_before_signatures_that_would_be_decided_otherwise_is_not_signed(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    _as_before_signatures(registry, done.id)
    row = screenings.observations(patient_id, "creatinine")[0]
    screenings.update_observation(row.id, ObservationInput(
        row.code, "190", row.unit, row.at, row.uln, row.source or ""), reason="typo")
    with pytest.raises(ScreeningRefused, match="completed before electronic signatures; on "
                                               "what the registry holds now it would be "
                                               "decided not eligible, not eligible"):
        sign(screenings, done.id)
    assert screenings.stage_versions(done.id) == []
    with pytest.raises(ScreeningRefused, match="cannot start before an investigator confirms"):
        screenings.start_visit(done.screening_id, TRIAL, "pre-infusion")
    # The way on: a correction, which keeps version 1 with the decision it had.
    screenings.open_correction(done.id, "creatinine corrected")
    [first] = screenings.stage_versions(done.id)
    assert (first.version, first.decision, first.captured) == (1, "eligible", "correction")
    with registry.read() as conn:  # the verdict it was given, not today's re-run
        [(verdict,)] = conn.execute("SELECT verdict FROM stage_version").fetchall()
    assert json.loads(verdict)["decision"] == "eligible"
    assert screenings.complete(done.id).decision == "not_eligible"


def test_a_legacy_stage_whose_failing_criteria_moved_is_not_signed(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    failed = _completed(screenings, patient_id, answers={"remission-status": False})
    assert failed.decision == "not_eligible"
    _as_before_signatures(registry, failed.id)
    with registry.engine.begin() as conn:  # its verdict said another criterion failed
        conn.exec_driver_sql(
            "UPDATE visit SET verdict = json_set(verdict, '$.criteria[0].outcome', 'fail') "
            f"WHERE id = {failed.id}")
    with pytest.raises(ScreeningRefused, match=r"the outcomes of .* differ from those it was "
                                               r"given"):
        sign(screenings, failed.id)


def test_a_legacy_stage_is_signed_only_on_the_content_shown(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    _as_before_signatures(registry, done.id)
    shown = screenings.shown(done.id)
    row = screenings.observations(patient_id, "creatinine")[0]
    screenings.update_observation(row.id, ObservationInput(
        row.code, "120", row.unit, row.at, row.uln, row.source or ""), reason="typo")
    with pytest.raises(ScreeningRefused, match="changed since the signing dialog opened"):
        screenings.add_signature(done.id, user_id="ivy", printed_name="Dr Ivy",
                                 role="Investigator", action=Action.CONFIRM,
                                 signed_at=datetime.now(UTC), shown=shown)


def test_a_later_stage_is_not_signed_once_an_earlier_one_is_corrected_to_a_failure(
        screenings: ScreeningRepository, patient_id: int) -> None:
    first = _completed(screenings, patient_id)
    sign(screenings, first.id)
    later = _completed(screenings, patient_id, "pre-infusion")
    screenings.open_correction(first.id, "remission was misread")
    screenings.set_answer(first.id, "remission-status", "no", "", "clinic note")
    assert screenings.complete(first.id).decision == "not_eligible"
    with pytest.raises(ScreeningRefused, match="Pre-infusion cannot be signed while Screening "
                                               "#1, before it, is not eligible"):
        sign(screenings, later.id)


def test_a_correction_decided_eligible_is_no_longer_a_screen_failure(
        screenings: ScreeningRepository, patient_id: int) -> None:
    failed = _failed(screenings, patient_id)
    assert [f.visit_id for f in screenings.screen_failures(failed.screening_id)] == [failed.id]
    screenings.open_correction(failed.id, "clinical status answered for the wrong visit")
    # Still a screen failure while the correction is decided.
    assert [f.visit_id for f in screenings.screen_failures(failed.screening_id)] == [failed.id]
    screenings.set_answer(failed.id, "clinical-status", "yes", "", "clinic note")
    assert screenings.complete(failed.id).decision == "eligible"
    assert screenings.screen_failures(failed.screening_id) == []
    [row] = screenings.screening_log(TRIAL)
    assert row.failures == ()
    v1, v2 = screenings.stage_versions(failed.id)
    assert (v1.decision, v2.decision) == ("not_eligible", "eligible")


def test_each_version_keeps_its_verdict(screenings: ScreeningRepository, registry: Registry,
                                        patient_id: int) -> None:
    failed = _failed(screenings, patient_id)
    screenings.open_correction(failed.id, "clinical status answered for the wrong visit")
    assert screenings.verdict_snapshot(failed.id) is None  # the draft has none yet
    with registry.read() as conn:
        [(verdict,)] = conn.execute("SELECT verdict FROM stage_version WHERE visit_id = ?",
                                    (failed.id,)).fetchall()
    failing = [c["id"] for c in json.loads(verdict)["criteria"] if c["outcome"] == "fail"]
    assert failing == ["clinical-status"]


def test_a_legacy_sign_off_stays_with_version_1_after_a_correction(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    with registry.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE visit SET signed_by = 'Dr Imaginary Test, PI', "
                             f"signed_at = '2026-11-01 10:00:00' WHERE id = {done.id}")
    screenings.open_correction(done.id, "ECOG re-measured")
    assert screenings.visit(done.id).signed_by is None  # not version 2's
    [first] = screenings.stage_versions(done.id)
    assert first.legacy == "legacy sign-off by Dr Imaginary Test, PI (typed name)"


def test_a_result_that_changes_a_completed_stage_needs_a_reason(
        screenings: ScreeningRepository, registry: Registry, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    sign(screenings, done.id)
    used = screenings.observations(patient_id, "creatinine")[0]
    newer = ObservationInput("creatinine", "190", used.unit, used.at.replace(minute=31),
                             None, "lab")
    with pytest.raises(ValidationFailed, match="say why this result is added now: it "
                                               "changes what NCT06138587 Screening #1"):
        screenings.add_observation(patient_id, None, newer)
    assert screenings.observations(patient_id, "creatinine") == [used]  # nothing saved
    added = screenings.add_observation(patient_id, None, newer, reason="late lab report")
    assert screenings.standing(done.id).changes == ("result creatinine changed",)
    with registry.read() as conn:
        [(details,)] = conn.execute("SELECT details FROM audit_event WHERE action = "
                                    "'observation.add' AND entity_id = ?",
                                    (added.id,)).fetchall()
    assert json.loads(details)["reason"] == "late lab report"


def test_a_result_that_changes_nothing_decided_needs_no_reason(
        screenings: ScreeningRepository, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    sign(screenings, done.id)
    used = screenings.observations(patient_id, "creatinine")[0]
    for at in (used.at.replace(minute=29),  # older than the one used: not read
               used.at):  # the same time: the one used stays
        screenings.add_observation(patient_id, None, ObservationInput(
            "creatinine", "190", used.unit, at, None, "lab"))
    assert screenings.standing(done.id).changes == ()
