"""A digital signature on a worksheet, and its verification. Targets: each signature with
the key unlocked under 25 ms median; ``verify`` under 20 ms. Opt-in:
``python -m pytest tests/benchmarks/test_pdf_signing_bench.py --benchmark-enable
--benchmark-only``.

The worksheet is the sample stage's (two pages), sealed, with both signers' fields; the
signer is loaded once, as a session keeps it (``LoadedSigner``). Signing is timed for
the second signature (the investigator's, over the coordinator's); verifying for the
file holding both, against the site CA.
"""

from __future__ import annotations

from dataclasses import replace

from pytest_benchmark.fixture import BenchmarkFixture

from desktop.worksheets.pdf_signing import LoadedSigner, Stamp, sign_field, with_signature_fields
from desktop.worksheets.pdf_verify import verify_pdf
from desktop.worksheets.worksheet_pdf import build_worksheet
from tests.worksheets.sample import worksheet
from tests.worksheets.signing_support import NOW, Site

SITE = Site()
CORA, IVY = SITE.person("Cora Coordinator"), SITE.person("Dr Ivy Investigator")


def _base() -> tuple[bytes, tuple[object, ...]]:
    built = build_worksheet(replace(worksheet(), state="sealed"))
    return with_signature_fields(built.pdf, built.signer_boxes), built.signer_boxes


def test_one_signature(benchmark: BenchmarkFixture) -> None:
    base, boxes = _base()
    first = sign_field(base, boxes[0], LoadedSigner(CORA.key, CORA.certificate, CORA.chain),
                       Stamp("Study coordinator", "Cora Coordinator", "Coordinator",
                             "Prepared by", NOW, "Test site CA"))
    signer = LoadedSigner(IVY.key, IVY.certificate, IVY.chain)
    stamp = Stamp("Investigator", "Dr Ivy Investigator", "Investigator",
                  "Eligibility confirmed by", NOW, "Test site CA")
    benchmark.group = "PAdES"
    signed: bytes = benchmark.pedantic(  # type: ignore[no-untyped-call]
        sign_field, args=(first, boxes[1], signer, stamp), rounds=20, warmup_rounds=2)
    assert verify_pdf(signed).ok
    assert benchmark.stats is not None
    assert benchmark.stats.stats.median < 0.025


def test_verify(benchmark: BenchmarkFixture) -> None:
    base, boxes = _base()
    pdf = sign_field(base, boxes[0], LoadedSigner(CORA.key, CORA.certificate, CORA.chain),
                     Stamp("Study coordinator", "Cora Coordinator", "Coordinator",
                           "Prepared by", NOW, "Test site CA"))
    pdf = sign_field(pdf, boxes[1], LoadedSigner(IVY.key, IVY.certificate, IVY.chain),
                     Stamp("Investigator", "Dr Ivy Investigator", "Investigator",
                           "Eligibility confirmed by", NOW, "Test site CA"))
    known = [SITE.certificate, CORA.certificate, IVY.certificate]
    benchmark.group = "PAdES"
    report = benchmark.pedantic(  # type: ignore[no-untyped-call]
        verify_pdf, args=(pdf, known), rounds=20, warmup_rounds=2)
    assert report.ok
    assert benchmark.stats is not None
    assert benchmark.stats.stats.median < 0.020
