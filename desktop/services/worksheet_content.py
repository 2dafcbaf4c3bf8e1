"""A stage version's worksheet data, put together from what the registry read.

``worksheet_data(source, standing)`` turns a ``WorksheetSource`` (the version's stored
content and verdict, its trial file, signatures, the patient, the site, the chain head)
into the plain ``WorksheetData`` the PDF builder lays out. Every word a person reads is
decided here or in ``desktop.domain.worksheet_lines``; the PDF decides none. No Qt, no
database access (the source was read in one transaction).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from desktop import __version__
from desktop.domain import calc
from desktop.domain.printed import printed
from desktop.domain.signing import Action, Meaning, meaning_for
from desktop.domain.worksheet_lines import (
    computed_lines,
    content_record,
    criterion_lines,
    planned_events,
    rerun,
)
from desktop.registry.screenings import WorksheetSource
from desktop.registry.signature_rows import SignatureRow, StageVersionRow, Standing
from desktop.worksheets.worksheet_data import (
    ChainHead,
    ComputedValue,
    Correction,
    CriterionRow,
    Kind,
    Outcome,
    OverrideInfo,
    PatientInfo,
    PlannedEvent,
    Signature,
    SignerBox,
    StageInfo,
    State,
    TrialInfo,
    WorksheetData,
)
from desktop.zone import site_zone

DECISION_WORDS: Final[dict[str, str]] = {
    "eligible": "ELIGIBLE", "not_eligible": "NOT ELIGIBLE", "incomplete": "INCOMPLETE"}
ROLE_LABELS: Final[dict[Action, str]] = {
    Action.PREPARE: "Study coordinator", Action.CONFIRM: "Investigator",
    Action.OVERRIDE: "Override approval (investigator)"}


def document_id(visit_id: int, version: int) -> str:
    """``WS-12-V2``: the stage visit and version the worksheet is of (QR-alphanumeric)."""
    return f"WS-{visit_id}-V{version}"


def parse_document_id(text: str) -> tuple[int, int] | None:
    """``document_id`` read back: (visit id, version), or None for another id."""
    visit, sep, version = text.removeprefix("WS-").partition("-V")
    if not (text.startswith("WS-") and sep and visit.isdigit() and version.isdigit()):
        return None
    return int(visit), int(version)


def _state(source: WorksheetSource, standing: Standing | None) -> State:
    if source.version < source.visit.version:
        return "superseded"
    stored = source.stored
    if stored is None or not _confirmed(stored):
        return "draft"
    if standing is not None and standing.data_changed:
        return "changed"
    return "signed"


def _confirmed(version: StageVersionRow) -> bool:
    actions = {s.action for s in version.signatures}
    return bool(actions & {Action.CONFIRM, Action.OVERRIDE}) or version.legacy is not None


def _expected(source: WorksheetSource, decision: str) -> list[Action]:
    stage = source.trial.stage(source.visit.stage_id)
    actions = [Action.PREPARE, Action.CONFIRM]
    if decision == "not_eligible" and stage is not None and stage.override is not None:
        actions.append(Action.OVERRIDE)
    return actions


def _box(action: Action, decision: str, signed: SignatureRow | None,
         decided: bool = True) -> SignerBox:
    """``decided``: the stage is completed (else a confirmation's meaning is not known)."""
    meaning: Meaning | None = meaning_for(action, decision)
    if not decided and action is Action.CONFIRM:
        meaning = None
    signature = None if signed is None else Signature(
        signed.printed_name, signed.role, signed.meaning, signed.signed_at)
    return SignerBox(ROLE_LABELS[action], meaning, signature)


def _override(stored: StageVersionRow | None) -> OverrideInfo | None:
    signed = None if stored is None else next(
        (s for s in stored.signatures if s.action is Action.OVERRIDE), None)
    if signed is None:
        return None
    parties = tuple(f"{p.role}: {p.name}, agreed {p.agreed_on:%Y-%m-%d}, documented as "
                    f"{p.documented_as}" for p in signed.parties)
    return OverrideInfo(signed.rationale or "", parties)


def _notes(source: WorksheetSource, standing: Standing | None, state: State,
           live: bool) -> list[str]:
    stage = source.trial.stage(source.visit.stage_id)
    notes: list[str] = []
    if live:
        at = str(source.content.get("assessed_at") or "")
        notes.append("Not completed: the outcomes are what completing the stage would "
                     f"decide as of {at[:16].replace('T', ' ') or 'now'}; nothing here is "
                     "signed.")
    if stage is not None:
        numbers = {c.id: n for n, c in enumerate(stage.criteria, start=1)}
        notes += [f"#{numbers[c.id]}: {c.note}" for c in stage.criteria if c.note]
        if stage.override is not None:
            notes.append(f"Override the protocol allows: {stage.override.text} (agreed by "
                         f"{', '.join(stage.override.agreed_by)})")
    stored = source.stored
    if stored is not None and stored.legacy:
        notes.append(f"Signed before electronic signatures: {stored.legacy}.")
    if state == "changed" and standing is not None:
        changed = "; ".join(standing.changes) or standing.problem or "the data moved"
        notes.append(f"Data changed since signing: {changed}.")
    if standing is not None and standing.verdict_differs and standing.decision_now:
        notes.append("Verdict would differ today: re-run on what the registry holds now, "
                     f"the stage decides {DECISION_WORDS.get(standing.decision_now)}.")
    return [printed(n) for n in notes]


def worksheet_data(source: WorksheetSource, standing: Standing | None) -> WorksheetData:
    """The worksheet of ``source``'s version; ``standing``: the current version's
    signatures today (None for a superseded version or a draft)."""
    content, visit, trial = source.content, source.visit, source.trial
    stage = trial.stage(visit.stage_id)
    if stage is None:
        raise ValueError(f"{visit.stage_id!r} is not a stage of the trial file kept for it")
    record, entries = content_record(content, site_zone())
    again = rerun(trial, stage.id, record)
    lines = criterion_lines(stage, source.verdict, content, again, entries)
    decision = str(source.verdict.get("decision") or content.get("decision") or "incomplete")
    stored = source.stored
    signed = {s.action: s for s in (stored.signatures if stored is not None else ())}
    state = _state(source, standing)
    patient = source.patient
    birth = record.birth_date or patient.birth_date
    on = record.as_of.date() if record.as_of != datetime.min else date.today()
    title = stage.title if stage.repeat == 1 else f"{stage.title} ({visit.repeat} of " \
                                                  f"{stage.repeat})"
    previous = next((v for v in source.versions if v.version == source.version - 1), None)
    reason = stored.correction_reason if stored is not None else visit.correction_reason
    words = DECISION_WORDS.get(decision, decision)
    if source.live:
        words += " (if completed now; not completed)"
    return WorksheetData(
        trial=TrialInfo(trial.id, trial.title, trial.protocol_version, source.trial_sha256),
        site_name=source.site.site_name or "(site name not set)",
        patient=PatientInfo(f"{patient.family_name}, {patient.given_name}", patient.mrn,
                            birth, (record.sex or patient.sex).capitalize(),
                            calc.age_years(birth, on)),
        stage=StageInfo(title, on, tuple(PlannedEvent(label, at)
                                         for label, at in planned_events(content))),
        criteria=tuple(CriterionRow(str(line.number), _kind(line.kind), line.text,
                                    line.response, _outcome(line.outcome))
                       for line in lines),
        decision=words,
        signers=tuple(_box(action, decision, signed.get(action),
                           decided=source.visit.status == "completed")
                      for action in _expected(source, decision)),
        document_id=document_id(visit.id, source.version),
        content_hash=source.content_sha256,
        chain_head=ChainHead(source.head.seq, source.head.hash),
        app_version=__version__,
        computed=tuple(ComputedValue(c.label, c.value, c.method, c.inputs)
                       for c in computed_lines(again, record, entries)),
        notes=tuple(_notes(source, standing, state, source.live)),
        override=_override(stored),
        paper="Letter" if source.site.paper_size == "Letter" else "A4",
        state=state,
        superseded_by=visit.version if state == "superseded" else None,
        correction=None if source.version == 1 or previous is None else Correction(
            previous.version, previous.content_sha256, reason or "not recorded"),
    )


def _kind(kind: str) -> Kind:
    return "Exclusion" if kind == "Exclusion" else "Inclusion"


def _outcome(word: str) -> Outcome:
    return "Pass" if word == "Pass" else "Fail" if word == "Fail" else "Unknown"


__all__ = ["Meaning", "document_id", "worksheet_data"]
