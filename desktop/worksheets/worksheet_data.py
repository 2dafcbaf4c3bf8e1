"""What an eligibility worksheet shows, as plain frozen data.

The worksheet service fills these from the registry; the PDF builder
(``worksheet_pdf.py``) only lays them out. Texts arrive as they are to be printed
(criterion texts verbatim, responses already worded), so the PDF decides no wording
beyond its labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

from desktop.domain.signing import Meaning

Kind = Literal["Inclusion", "Exclusion"]
Outcome = Literal["Pass", "Fail", "Unknown"]
#: "sealed": the base of a digitally signed worksheet, laid out before its first signature
#: (each later signature only fills its own box, so the page cannot say who signed).
State = Literal["draft", "signed", "superseded", "changed", "sealed"]
Paper = Literal["A4", "Letter"]

#: Each outcome's mark, printed beside its word: the outcome never rests on colour alone.
#: "Pass" is the app's word for a criterion that does not stand in the way (an inclusion
#: that holds, an exclusion that does not apply), so an exclusion is never "met".
MARKS: Final[dict[str, str]] = {"Pass": "✓", "Fail": "✗", "Unknown": "?"}


@dataclass(frozen=True)
class TrialInfo:
    nct_id: str
    short_title: str
    file_version: str
    file_sha256: str


@dataclass(frozen=True)
class PatientInfo:
    name: str
    mrn: str
    birth_date: date
    sex: str
    age_at_visit: int  # whole years on the visit date


@dataclass(frozen=True)
class PlannedEvent:
    label: str  # e.g. "Lymphodepletion day -5"
    on: date  # a datetime where a time was planned

    def text(self) -> str:
        """``Lymphodepletion 2026-12-03 08:00`` (the date alone where no time was set)."""
        when = self.on
        if isinstance(when, datetime) and (when.hour, when.minute) != (0, 0):
            return f"{self.label} {when:%Y-%m-%d %H:%M}"
        return f"{self.label} {when:%Y-%m-%d}"


@dataclass(frozen=True)
class StageInfo:
    name: str
    visit_date: date
    planned: tuple[PlannedEvent, ...] = ()


@dataclass(frozen=True)
class CriterionRow:
    number: str  # as the protocol numbers it: "I3", "E12", "3"
    kind: Kind
    text: str  # verbatim from the trial file
    response: str  # e.g. "Yes — note — source: X" or "1.9 mg/dL at ..., ULN 1.2 mg/dL (site table)"
    outcome: Outcome

    @property
    def mark(self) -> str:
        return MARKS[self.outcome]


@dataclass(frozen=True)
class ComputedValue:
    """A derived value with everything it was computed from, e.g. CrCl by Cockcroft-Gault."""

    label: str  # "CrCl"
    value: str  # "41.8 mL/min"
    method: str  # "Cockcroft-Gault"
    inputs: tuple[str, ...]  # ("age 68 y", "weight 79.5 kg", "creatinine 1.90 mg/dL", "male")

    def line(self) -> str:
        return f"{self.label} {self.value} — {self.method}: {', '.join(self.inputs)}"


@dataclass(frozen=True)
class OverrideInfo:
    rationale: str
    parties: tuple[str, ...]  # named parties who agreed, as printed


@dataclass(frozen=True)
class Signature:
    """A signature's manifestation (21 CFR 11.50): printed name, date-time, meaning."""

    printed_name: str
    role: str
    meaning: Meaning
    signed_at: datetime  # aware: the workstation clock with its UTC offset

    def __post_init__(self) -> None:
        if self.signed_at.utcoffset() is None:
            raise ValueError("a signature's time needs its UTC offset")

    def when(self) -> str:
        return format_when(self.signed_at)


@dataclass(frozen=True)
class SignerBox:
    """One expected signer: blank lines until signed, the manifestation once signed."""

    role_label: str  # "Study coordinator", "Investigator"
    #: None: the meaning follows the decision, which completing the stage will give.
    expected: Meaning | None
    signature: Signature | None = None


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str

    def text(self) -> str:
        return f"#{self.seq} {self.hash}"


@dataclass(frozen=True)
class Correction:
    replaces_version: int
    replaced_hash: str
    reason: str


@dataclass(frozen=True)
class WorksheetData:
    trial: TrialInfo
    site_name: str
    patient: PatientInfo
    stage: StageInfo
    criteria: tuple[CriterionRow, ...]  # in protocol order
    decision: str
    signers: tuple[SignerBox, ...]
    document_id: str
    content_hash: str
    chain_head: ChainHead
    app_version: str
    computed: tuple[ComputedValue, ...] = ()
    notes: tuple[str, ...] = ()
    override: OverrideInfo | None = None
    paper: Paper = "A4"
    state: State = "draft"
    superseded_by: int | None = None  # the superseding version, with state "superseded"
    correction: Correction | None = None

    def __post_init__(self) -> None:
        if (self.state == "superseded") != (self.superseded_by is not None):
            raise ValueError("a superseded worksheet names its superseding version, "
                             "and only a superseded one does")


def format_when(at: datetime) -> str:
    """``2026-12-12 14:05:33 UTC+01:00``: the workstation's time and its offset."""
    offset = at.strftime("%z")
    return f"{at:%Y-%m-%d %H:%M:%S} UTC{offset[:3]}:{offset[3:]}"


#: The top strip of a digitally signed worksheet, on every page.
SEALED_NOTE: Final = "SIGNED DIGITALLY – A SIGNATURE BOX WITH BLANK LINES IS NOT SIGNED"


def strip_text(data: WorksheetData) -> str | None:
    """The strip across the top of every page: the banner, or the sealed note."""
    return SEALED_NOTE if data.state == "sealed" else banner_text(data)


def banner_text(data: WorksheetData) -> str | None:
    """The state banner on every page; none on a signed worksheet still current (nor on
    a digitally signed one, whose boxes say who signed)."""
    if data.state == "draft":
        return "DRAFT – NOT SIGNED"
    if data.state == "superseded":
        return f"SUPERSEDED by version {data.superseded_by}"
    if data.state == "changed":
        return "DATA CHANGED SINCE SIGNING"
    return None
