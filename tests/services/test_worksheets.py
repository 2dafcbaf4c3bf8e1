"""The worksheet service (issue 15): a stage version's worksheet from exactly what was
stored at completion, its state on every page, the signers' boxes, corrections, exports."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from desktop.domain.accounts import Actor
from desktop.domain.signing import Action, Meaning
from desktop.library import find_trial
from desktop.registry.database import Registry
from desktop.registry.patients import PatientRepository
from desktop.registry.screening_rows import ObservationInput, VisitRow
from desktop.registry.screenings import ScreeningRefused, ScreeningRepository
from desktop.services.acting import NotPermitted
from desktop.services.worksheets import WorksheetService
from tests.registry.conftest import IND_HOLDER, patient, sign, store_example
from tests.registry.conftest import patient_id as patient_id
from tests.registry.conftest import registry as registry
from tests.registry.conftest import repo as repo
from tests.registry.conftest import screenings as screenings
from tests.registry.test_signatures import TRIAL, _completed, _failed


def _service(registry: Registry, screenings: ScreeningRepository,
             actor: object = "cora") -> WorksheetService:
    return WorksheetService(registry, actor, repository=screenings)  # type: ignore[arg-type]


def _text(pdf: bytes) -> str:
    """The PDF's text with every run of whitespace made one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _pages(pdf: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _column(pdf: bytes, heading: str, next_heading: str) -> str:
    """Everything printed in one column of the criteria table, page after page (between
    the x of its heading and the next one's), so a row split over two pages reads on."""
    parts: list[str] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        found: list[tuple[float, str]] = []

        def visit(text: str, cm: list[float], tm: list[float], *_: object,
                  into: list[tuple[float, str]] = found) -> None:
            if text.strip():
                into.append((cm[0] * tm[4] + cm[2] * tm[5] + cm[4], text))

        page.extract_text(visitor_text=visit)
        starts = {text.strip(): x for x, text in found}
        if heading in starts and next_heading in starts:
            parts += [t for x, t in found
                      if starts[heading] - 1 <= x < starts[next_heading] - 1]
    return _flat("".join(parts))


def test_a_completed_stage_prints_every_criterion_verbatim_with_what_it_was_read_from(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    data, built = _service(registry, screenings).build(done.id)
    text = _text(built.pdf)
    stage = TRIAL.stage("screening-1")
    assert stage is not None
    column = _column(built.pdf, "Criterion", "Response")
    for criterion in stage.criteria:  # verbatim (wrapping only moves the line breaks)
        assert _flat(criterion.text) in column, criterion.id
    assert "≥" in text or "≤" in text
    assert [row.number for row in data.criteria] == [
        str(n) for n in range(1, len(stage.criteria) + 1)]
    assert data.trial.file_sha256 == screenings.stage_versions(done.id)[0].trial_sha256
    assert data.content_hash == screenings.stage_versions(done.id)[0].content_sha256
    assert (data.patient.name, data.patient.mrn, data.patient.birth_date) == (
        "Fictional, Ann", "SCR1", date(1971, 7, 9))
    assert data.patient.age_at_visit == 55  # on the clock's 2026-12-31
    # A result is printed with its value as typed, unit, time and where the ULN came from.
    creatinine = next(r for r in data.criteria if "creatinine" in r.response.lower())
    assert re.search(r"Serum creatinine [\d.]+ (mg/dL|µmol/L), taken 2026-", creatinine.response)
    # Not confirmed yet: a draft on every page, with the footer's page count.
    pages = _pages(built.pdf)
    assert all("DRAFT – NOT SIGNED" in page for page in pages)
    assert [f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, 1)] == \
        [True] * len(pages)
    assert data.state == "draft"
    assert "ELIGIBLE" in data.decision


def test_cockcroft_gault_is_printed_with_every_input(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    trial = find_trial("NCT06152809")  # its screening #1 reads CrCl >= 45 mL/min
    visit = screenings.start_visit(screenings.start(patient_id, trial).id, trial,
                                   "screening-1")
    store_example(screenings, patient_id, visit, trial.id)
    done = screenings.complete(visit.id)
    data, built = _service(registry, screenings).build(done.id)
    [line] = [c for c in data.computed if c.method == "Cockcroft-Gault"]
    text = _text(built.pdf)
    assert "Cockcroft-Gault" in text
    # Age 55 on 2026-12-31 (born 1971-07-09), 80 kg, creatinine 88.4 umol/L = 1.0 mg/dL,
    # male: (140 - 55) * 80 / (72 * 1.0) = 94.4 mL/min.
    for part in ("age 55 y", "weight 80 kg", "creatinine 88.4 µmol/L",
                 "sex assigned at birth male", "94.4 mL/min"):
        assert part in line.line(), part
        assert part in text, part
    crcl = next(r for r in data.criteria
                if "creatinine clearance ≥ 45 mL/min" in r.text)
    assert crcl.outcome == "Pass"
    assert "94.4" in crcl.response


def test_signers_printed_names_once_signed_and_no_draft_mark(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    sign(screenings, done.id, Action.PREPARE, user_id="cora")
    data, built = _service(registry, screenings).build(done.id)
    assert data.state == "draft"  # prepared, not confirmed
    sign(screenings, done.id)
    data, built = _service(registry, screenings).build(done.id)
    text = _text(built.pdf)
    assert data.state == "signed"
    assert "DRAFT" not in text
    for name in ("Cora Coordinator", "Dr Ivy Investigator", "Eligibility confirmed by",
                 "Prepared by"):
        assert name in text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d", text)
    assert [box.role for box in built.signer_boxes] == ["Study coordinator", "Investigator"]


def test_a_correction_supersedes_version_1_and_names_it(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    sign(screenings, done.id)
    v1_hash = screenings.stage_versions(done.id)[0].content_sha256
    screenings.open_correction(done.id, "ECOG was entered for the wrong day")
    service = _service(registry, screenings)
    old, old_built = service.build(done.id, 1)
    assert old.state == "superseded"
    assert all("SUPERSEDED by version 2" in page for page in _pages(old_built.pdf))
    assert "Dr Ivy Investigator" in _text(old_built.pdf)  # its signatures stay readable
    new, new_built = service.build(done.id)
    text = _text(new_built.pdf)
    assert (new.state, new.document_id) == ("draft", f"WS-{done.id}-V2")
    assert "replaces version 1" in text
    assert v1_hash in _flat(text)
    assert "ECOG was entered for the wrong day" in text
    with pytest.raises(ScreeningRefused, match=r"has no version 3 \(versions: 1"):
        service.build(done.id, 3)


def test_data_changed_since_signing_is_printed_with_what_changed(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    sign(screenings, done.id)
    signed, _ = _service(registry, screenings).build(done.id)
    row = screenings.observations(patient_id, "creatinine")[0]
    screenings.update_observation(row.id, ObservationInput(
        row.code, "90", row.unit, row.at, row.uln, row.source or ""), reason="typo")
    data, built = _service(registry, screenings).build(done.id)
    assert data.state == "changed"
    pages = _pages(built.pdf)
    assert all("DATA CHANGED SINCE SIGNING" in page for page in pages)
    assert "result creatinine changed" in _text(built.pdf)
    # The worksheet still prints what was signed, not today's value.
    assert data.criteria == signed.criteria


def test_an_override_has_its_own_box_rationale_and_named_parties(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    failed = _failed(screenings, patient_id)
    service = _service(registry, screenings)
    data, built = service.build(failed.id)
    assert "NOT ELIGIBLE" in data.decision
    assert [box.role for box in built.signer_boxes] == [
        "Study coordinator", "Investigator", "Override approval (investigator)"]
    assert data.override is None
    sign(screenings, failed.id, Action.OVERRIDE, rationale="Reviewed: transient event.",
         parties=[IND_HOLDER])
    data, built = service.build(failed.id)
    text = _text(built.pdf)
    assert data.state == "signed"
    assert "Reviewed: transient event." in text
    assert "IND holder: Dr Bea Holder" in text
    assert "Approved to proceed despite unmet criteria" in text


def test_a_draft_stage_is_printed_from_what_completing_it_now_would_store(
        registry: Registry, screenings: ScreeningRepository, patient_id: int) -> None:
    screening = screenings.start(patient_id, TRIAL)
    visit: VisitRow = screenings.start_visit(screening.id, TRIAL, "screening-1")
    store_example(screenings, patient_id, visit, TRIAL.id)
    data, _built = _service(registry, screenings).build(visit.id)
    assert data.state == "draft"
    assert "if completed now" in data.decision
    assert screenings.stage_versions(visit.id) == []  # building stored nothing
    # Until it is completed, the investigator's meaning is not known yet.
    assert [box.expected for box in data.signers] == [Meaning.PREPARED, None]
    assert "its meaning follows the decision at completion" in _text(_built.pdf)
    done = screenings.complete(visit.id)
    stored, _ = _service(registry, screenings).build(done.id)
    assert stored.content_hash == data.content_hash  # the same content, now stored
    assert stored.signers[1].expected is Meaning.ELIGIBILITY_CONFIRMED


def test_an_export_is_written_whole_and_audited(
        registry: Registry, screenings: ScreeningRepository, patient_id: int,
        tmp_path: Path) -> None:
    done = _completed(screenings, patient_id)
    target = tmp_path / "ws.pdf"
    exported = _service(registry, screenings).export(done.id, target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == exported.file_sha256
    with registry.read() as conn:
        [(actor, entity_id, details)] = conn.execute(
            "SELECT actor, entity_id, details FROM audit_event "
            "WHERE action = 'worksheet.export'").fetchall()
    details = json.loads(details)
    assert (actor, entity_id) == ("cora", done.id)
    assert (details["sha256"], details["version"], details["state"], details["file"]) == (
        exported.file_sha256, 1, "draft", "ws.pdf")
    assert [p.name for p in tmp_path.iterdir()] == ["ws.pdf", "data"] or \
        sorted(p.name for p in tmp_path.iterdir()) == ["data", "ws.pdf"]


def test_a_role_without_export_is_refused_before_anything_is_written(
        registry: Registry, screenings: ScreeningRepository, patient_id: int,
        tmp_path: Path) -> None:
    done = _completed(screenings, patient_id)
    nobody = Actor(user_id="nemo", full_name="Nemo", roles=frozenset())
    with pytest.raises(NotPermitted):
        _service(registry, screenings, nobody).export(done.id, tmp_path / "ws.pdf")
    assert not (tmp_path / "ws.pdf").exists()


def test_the_worksheet_keeps_the_date_of_birth_it_was_decided_with(
        registry: Registry, screenings: ScreeningRepository, repo: PatientRepository,
        patient_id: int) -> None:
    done = _completed(screenings, patient_id)
    sign(screenings, done.id)
    repo.update(patient_id, patient(mrn="SCR1", birth=date(1971, 7, 10), sex="male"),
                reason="registration typo")
    data, _ = _service(registry, screenings).build(done.id)
    assert data.patient.birth_date == date(1971, 7, 9)
    assert data.state == "changed"
