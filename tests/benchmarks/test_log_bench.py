"""The screening log of 1,000 patients as PDF. Target: under 1 s. Opt-in:
``python -m pytest tests/benchmarks/test_log_bench.py --benchmark-enable --benchmark-only``.

Measured twice: the PDF alone (``build_log_pdf`` over a thousand rows, a third of them
screen failures with two reasons), and the whole export through the service from a
registry of a thousand screened patients (read, words, PDF, audit row, file).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pytest_benchmark.fixture import BenchmarkFixture

from desktop.worksheets.log_pdf import LogDocument, build_log_pdf

COLUMNS = ("Screening no.", "Patient", "MRN", "Date of birth", "Screening date",
           "Furthest stage", "Outcome", "Screen-fail reasons (criterion number and text)")
REASONS = ("Screening #1: #5 ECOG performance status ≤2 (see Appendix A)\n"
           "Screening #1: #9 creatinine clearance ≥ 45 mL/min; calculated by the Cockcroft "
           "Gault formula")


def _document(count: int) -> LogDocument:
    return LogDocument(
        title="Subject screening log — NCT06152809", lines=("NCT06152809", "Site: bench"),
        columns=COLUMNS, widths=(0.07, 0.13, 0.08, 0.08, 0.08, 0.13, 0.12, 0.31),
        rows=tuple((str(n), f"FICTIONAL{n}, Patient", f"MRN{n:05d}", "1970-01-01",
                    "2026-11-01", "Screening #1: trial enrollment",
                    "Screen failure" if n % 3 == 0 else "In screening",
                    REASONS if n % 3 == 0 else "") for n in range(1, count + 1)),
        document_id="SL-NCT06152809-20261203T060000", created="2026-12-03 06:00:00 UTC+00:00",
        chain_head="#1 " + "0" * 64, app_version="bench")


def test_a_thousand_patient_log_pdf(benchmark: BenchmarkFixture) -> None:
    document = _document(1000)
    benchmark.group = "screening log PDF"
    pdf: bytes = benchmark.pedantic(  # type: ignore[no-untyped-call]
        build_log_pdf, args=(document,), rounds=5, warmup_rounds=1)
    assert pdf.startswith(b"%PDF")
    assert benchmark.stats is not None
    assert benchmark.stats.stats.median < 1.0


def test_a_thousand_patient_log_exported_through_the_service(
        benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    from desktop.library import find_trial
    from desktop.registry.database import open_registry
    from desktop.registry.patients import PatientInput, PatientRepository
    from desktop.registry.screenings import ScreeningRepository
    from desktop.services.logs import LogService

    registry = open_registry(tmp_path / "data")
    try:
        trial = find_trial("NCT06152809")
        patients = PatientRepository(registry, "cora")
        screenings = ScreeningRepository(registry, "cora")
        for n in range(1000):
            pid = patients.add(PatientInput(f"B{n:05d}", f"Bench{n}", "Pat",
                                            date(1970, 1, 1), "female")).id
            screenings.start(pid, trial)
        service = LogService(registry, "cora")
        target = tmp_path / "log.pdf"

        benchmark.group = "screening log PDF"
        exported: Any = benchmark.pedantic(  # type: ignore[no-untyped-call]
            service.export_screening_log, args=(trial, target), rounds=3, warmup_rounds=1)
        assert exported.rows == 1000
        assert benchmark.stats is not None
        assert benchmark.stats.stats.median < 1.0
    finally:
        registry.close()
