"""The document chain checked end to end on a fictional worksheet, with no registry:
build it, sign it twice, verify it. The bundle's self-check (``nkscreen
--print-self-check``, :mod:`desktop.ui.common.print_check`) runs this, then prints the
result; it proves an installed copy carries ReportLab, its fonts, pyHanko, cryptography
and PDFium working together. Nothing here touches a registry or the network. No Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from desktop import __version__
from desktop.domain.signing import Meaning
from desktop.worksheets.signer_boxes import BoxPlace
from desktop.worksheets.worksheet_data import (
    ChainHead,
    CriterionRow,
    PatientInfo,
    SignerBox,
    StageInfo,
    TrialInfo,
    WorksheetData,
)

SIGNERS = (("Study coordinator", "Self-check Coordinator", Meaning.PREPARED),
           ("Investigator", "Dr Self-check Investigator", Meaning.ELIGIBILITY_CONFIRMED))


@dataclass(frozen=True)
class Checked:
    """The signed fictional worksheet and what verifying it said."""

    pdf: bytes = field(repr=False)
    pages: int
    boxes: tuple[BoxPlace, ...]
    report: dict[str, Any]
    ok: bool


def fictional_worksheet() -> WorksheetData:
    """A sealed worksheet of a made-up patient: laid out as a real one, signed by no one."""
    return WorksheetData(
        trial=TrialInfo("NCT00000000", "Self-check (fictional trial)", "self-check",
                        "0" * 64),
        site_name="NK Screen self-check",
        patient=PatientInfo("SELF-CHECK, Fictional", "SELFCHECK", date(1960, 1, 1),
                            "female", 66),
        stage=StageInfo("Screening #1", date(2026, 1, 1), ()),
        criteria=(CriterionRow("I1", "Inclusion", "Age ≥ 18 years.", "66 y", "Pass"),
                  CriterionRow("E1", "Exclusion", "Active CNS leukemia.", "No", "Pass")),
        decision="Eligible: every criterion met.",
        signers=tuple(SignerBox(role, meaning) for role, _name, meaning in SIGNERS),
        document_id="WS-0-V1", content_hash="0" * 64, chain_head=ChainHead(0, "0" * 64),
        app_version=__version__, state="sealed")


def signed_and_verified(now: datetime | None = None) -> Checked:
    """The fictional worksheet built, signed by two people a throwaway site CA issued
    certificates to, and verified against that CA."""
    from desktop.worksheets.pdf_signing import (
        LoadedSigner,
        Stamp,
        sign_field,
        with_signature_fields,
    )
    from desktop.worksheets.pdf_verify import verify_pdf
    from desktop.worksheets.pki import issue_certificate, name_common, new_key, new_site_ca
    from desktop.worksheets.worksheet_pdf import build_worksheet

    when = now or datetime.now(UTC)
    ca_key, ca_cert = new_site_ca("Self-check", when)
    built = build_worksheet(fictional_worksheet())
    pdf = with_signature_fields(built.pdf, built.signer_boxes)
    known = [ca_cert]
    for box, (role, name, meaning) in zip(built.signer_boxes, SIGNERS, strict=True):
        key = new_key()
        cert = issue_certificate(ca_key, ca_cert, key.public_key(), name.split()[-1].lower(),
                                 name, when)
        known.append(cert)
        pdf = sign_field(pdf, box, LoadedSigner(key, cert, (ca_cert,)),
                         Stamp(role, name, role, meaning.value, when.astimezone(),
                               name_common(ca_cert.subject)))
    report = verify_pdf(pdf, known)
    summary = {"ok": report.ok, "signatures": [s.as_json() for s in report.signatures],
               "ends_with_signature": report.ends_with_signature,
               "problems": list(report.problems), "qr": report.qr}
    return Checked(pdf, built.pages, built.signer_boxes, summary, report.ok)
