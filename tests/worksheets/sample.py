"""A worksheet's data as the service will fill it: a small stage, signed or not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from desktop.domain.signing import Meaning
from desktop.worksheets.worksheet_data import (
    ChainHead,
    ComputedValue,
    CriterionRow,
    OverrideInfo,
    PatientInfo,
    PlannedEvent,
    Signature,
    SignerBox,
    StageInfo,
    TrialInfo,
    WorksheetData,
)

CRITERIA = (
    CriterionRow("I1", "Inclusion", "Age ≥ 18 years at the time of signing informed consent.",
                 "68 y at 2026-12-12 (date of birth 1958-03-14)", "Pass"),
    CriterionRow("I2", "Inclusion",
                 "Total bilirubin ≤ 1.5 ×ULN; direct bilirubin < 1.0 mg/dL if Gilbert's & co.",
                 "1.9 mg/dL at 2026-12-12 06:00, ULN 1.2 mg/dL (site table)", "Fail"),
    CriterionRow("I3", "Inclusion", "Serum creatinine ≤ 150 µmol/L or CrCl ≥ 40 mL/min.",
                 "CrCl 41.8 mL/min (computed)", "Pass"),
    CriterionRow("E1", "Exclusion", "Active CNS leukemia.",
                 "No — lumbar puncture negative — source: LP report 2026-12-01", "Pass"),
    CriterionRow("E2", "Exclusion", "Prior allogeneic stem cell transplant within 90 days.",
                 "Unknown — awaiting referral letter", "Unknown"),
    CriterionRow("E3", "Exclusion", "Pregnant or breastfeeding.", "Not applicable: male", "Pass"),
)

CRCL = ComputedValue("CrCl", "41.8 mL/min", "Cockcroft-Gault",
                     ("age 68 y", "weight 79.5 kg", "creatinine 1.90 mg/dL", "male"))
PLUS_ONE = timezone(timedelta(hours=1))


def worksheet(**changes: object) -> WorksheetData:
    data = WorksheetData(
        trial=TrialInfo("NCT07011004", "Haplo NK cells after FLAG-Ida in R/R AML", "2026-03",
                        "3f" * 32),
        site_name="University Hospital Example, Haematology",
        patient=PatientInfo("DOE, John", "A1234567", date(1958, 3, 14), "male", 68),
        stage=StageInfo("Screening #1", date(2026, 12, 12),
                        (PlannedEvent("Lymphodepletion day -5", date(2026, 12, 20)),
                         PlannedEvent("NK infusion day 0", date(2026, 12, 25)))),
        criteria=CRITERIA,
        computed=(CRCL,),
        notes=("Bilirubin repeated on 2026-12-12; the earlier value was haemolysed.",),
        decision="Not eligible: I2 not met; E2 unknown.",
        override=None,
        signers=(SignerBox("Study coordinator", Meaning.PREPARED),
                 SignerBox("Investigator", Meaning.SCREEN_FAILURE_CONFIRMED)),
        document_id="WS-NCT07011004-A1234567-S1-V1",
        content_hash="a1" * 32,
        chain_head=ChainHead(1234, "c0" * 32),
        app_version="0.1.0",
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def signed(**changes: object) -> WorksheetData:
    boxes = (
        SignerBox("Study coordinator", Meaning.PREPARED,
                  Signature("Alice Martin", "Coordinator", Meaning.PREPARED,
                            datetime(2026, 12, 12, 14, 5, 33, tzinfo=PLUS_ONE))),
        SignerBox("Investigator", Meaning.SCREEN_FAILURE_CONFIRMED,
                  Signature("Dr Bruno Keller", "Investigator",
                            Meaning.SCREEN_FAILURE_CONFIRMED,
                            datetime(2026, 12, 12, 16, 40, 2, tzinfo=PLUS_ONE))),
    )
    return worksheet(**{"signers": boxes, "state": "signed", **changes})


def with_override() -> OverrideInfo:
    return OverrideInfo("Bilirubin rise from known Gilbert's syndrome; sponsor agreed.",
                        ("Dr Bruno Keller (investigator)", "Medical monitor, sponsor"))
