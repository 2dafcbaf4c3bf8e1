"""A patient's screenings as the patient view shows them: slots, states, what is due.

Glue between the registry's rows and the domain's rules (``visits.slots``,
``visits.due_next``); no Qt here, so the summaries are tested without widgets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from desktop.domain.attribution import Attribution
from desktop.domain.text import fmt_when
from desktop.domain.trial import Trial
from desktop.domain.visits import Slot, StageState, due_next, next_slot, slots
from desktop.domain.wording import criterion_ref
from desktop.services.rows import (
    PatientChangeRow,
    ScreenFailureRow,
    ScreeningRow,
    VisitRow,
    changed_after_completion,
)
from desktop.services.signing import Standing

#: A mark for each state, so no state is told by colour alone (also in print).
STATE_MARK: dict[StageState, str] = {
    StageState.NOT_STARTED: "○",
    StageState.IN_PROGRESS: "◐",
    StageState.ELIGIBLE: "✔",
    StageState.AWAITING_SIGNATURE: "✔…",
    StageState.NOT_ELIGIBLE: "✘",
    StageState.OVERRIDDEN: "⚑",
    StageState.SIGNED: "✔✍",
}


@dataclass(frozen=True)
class SlotView:
    """One visit slot of a screening, with its visit (None until started)."""

    slot: Slot
    visit: VisitRow | None
    failure: ScreenFailureRow | None
    #: Changes to the patient's date of birth or sex made after the visit was completed.
    changes: tuple[PatientChangeRow, ...] = ()
    #: How recorded names are shown (None: as recorded).
    names: Attribution | None = None
    #: The signatures of the visit's current version and whether they still hold
    #: (None: not read, or not completed).
    standing: Standing | None = None

    def _who(self, recorded: str, at: datetime | None) -> str:
        return recorded if self.names is None else self.names.who(recorded, at)

    @property
    def state(self) -> StageState:
        return self.slot.state

    @property
    def title(self) -> str:
        return self.slot.title

    def state_text(self) -> str:
        return f"{STATE_MARK[self.state]} {self.state.value}"

    def detail(self) -> str:
        """Who completed it and when; the override or screen-failure reasons."""
        visit = self.visit
        if visit is None:
            return "may be started now" if self.slot.may_start else "waits for the stage before"
        parts: list[str] = []
        if visit.status == "draft":
            parts.append(f"draft started {visit.started_at.astimezone():%Y-%m-%d %H:%M} "
                         f"by {self._who(visit.started_by, visit.started_at)}")
        elif visit.completed_at is not None:
            decision = "eligible" if visit.decision == "eligible" else "not eligible"
            parts.append(f"completed {decision} {visit.completed_at.astimezone():%Y-%m-%d %H:%M}"
                         f" by {self._who(visit.completed_by or '—', visit.completed_at)}")
        if visit.version > 1:
            parts.append(f"version {visit.version} (correction: "
                         f"{visit.correction_reason or '—'})")
        standing = self.standing
        for signature in () if standing is None else standing.signatures:
            parts.append(f"{signature.meaning.value.lower()} {signature.printed_name} "
                         f"{signature.signed_at:%Y-%m-%d %H:%M}")
            if signature.rationale:
                parts.append(f"rationale: {signature.rationale}")
        if visit.override is not None:
            parts.append(f"legacy override: {visit.override.rationale} "
                         f"(agreed by {visit.override.agreed_by})")
        if visit.signed_by is not None and visit.signed_at is not None:
            signer = visit.signed_by if self.names is None else \
                self.names.signoff(visit.signed_by, visit.signed_at)
            parts.append(f"legacy sign-off by {signer} "
                         f"{visit.signed_at.astimezone():%Y-%m-%d %H:%M}")
        if self.state is StageState.AWAITING_SIGNATURE:
            parts.append("the next stage waits for an investigator's confirmation")
        if standing is not None and standing.data_changed:
            parts.append("⚠ data changed since signing: "
                         + "; ".join(standing.changes or (standing.problem or "",)))
        if standing is not None and standing.version is None and standing.problem:
            parts.append(f"⚠ its signatures could not be checked: {standing.problem}")
        if standing is not None and standing.verdict_differs:
            now = standing.decision_now or "—"
            parts.append("⚠ verdict would differ today: "
                         + ("not eligible" if now == "not_eligible" else now))
        if self.failure is not None and visit.override is None:
            parts.append("screen failure: " + "; ".join(
                criterion_ref(self.slot.stage, cid, 60) for cid, _ in self.failure.reasons))
        if self.changes:
            parts.append(changes_text(self.changes))
        return " · ".join(parts)


def changes_text(changes: Sequence[PatientChangeRow]) -> str:
    """E.g. "⚠ changed after completion: date of birth 1958-07-14 → 2010-01-01 by tester
    on 2026-11-02 09:15" (the stored decision was assessed with the earlier value)."""
    return "⚠ changed after completion: " + "; ".join(c.text() for c in changes)


@dataclass(frozen=True)
class ScreeningSummary:
    screening: ScreeningRow
    trial: Trial
    slots: tuple[SlotView, ...]
    #: The planned event dates known for the next slot (its own, or the latest visit's).
    events: Mapping[str, datetime]
    #: Per (stage id, repeat): that visit's planned event dates.
    visit_events: Mapping[tuple[str, int], Mapping[str, datetime]]

    @property
    def next(self) -> SlotView | None:
        found = next_slot([v.slot for v in self.slots])
        return next((v for v in self.slots if v.slot is found), None)

    def stages_text(self) -> str:
        return "\n".join(f"{STATE_MARK[v.state]} {v.title}: {v.state.value}"
                         for v in self.slots)

    def due_text(self, now: datetime | None = None) -> str:
        """What the coordinator does next, e.g. "Pre-lymphodepletion labs due from ...",
        with "— overdue" once ``now`` (local wall-clock) is past the due time."""
        upcoming = self.next
        if upcoming is None:
            last = self.slots[-1]
            if all(v.state.lets_next_open for v in self.slots):
                return f"Screening complete: all {len(self.slots)} stages passed"
            stopped = next(v for v in self.slots if not v.state.lets_next_open)
            if stopped.state is StageState.NOT_ELIGIBLE:
                return f"Screen failure at {stopped.title}"
            if stopped.state is StageState.AWAITING_SIGNATURE:
                return f"{stopped.title}: awaiting the investigator's confirmation"
            return f"Stopped before {last.title}"
        due = due_next(upcoming.slot.stage, self.events)
        if due.start is None and due.end is None and "no time window" in due.text:
            verb = "continue" if upcoming.visit is not None else "start"
            return f"{upcoming.title}: {verb} now"
        return due.text if now is None else due.text_at(now)

    def overdue(self, now: datetime) -> bool:
        """Whether the next stage's labs are past their due time at ``now``."""
        upcoming = self.next
        return upcoming is not None and due_next(upcoming.slot.stage, self.events).overdue(now)


def summarise(screening: ScreeningRow, trial: Trial, visits: Sequence[VisitRow],
              failures: Sequence[ScreenFailureRow],
              events_of_visit: Mapping[int, Mapping[str, datetime]],
              patient_changes: Sequence[PatientChangeRow] = (),
              names: Attribution | None = None,
              standings: Mapping[int, Standing] | None = None) -> ScreeningSummary:
    """Build a screening's summary from its rows (``events_of_visit``: visit id -> dates;
    ``patient_changes``: the patient's date of birth and sex changes, from the audit;
    ``standings``: visit id -> its signatures' standing, for the signed visits)."""
    latest: dict[tuple[str, int], VisitRow] = {}
    for visit in sorted(visits, key=lambda v: v.id):
        latest[(visit.stage_id, visit.repeat)] = visit
    states = {key: visit.state for key, visit in latest.items()}
    failure_of = {f.visit_id: f for f in failures}
    views: list[SlotView] = []
    for slot in slots(trial.stages, states):
        found = latest.get((slot.stage.id, slot.repeat))
        if found is None:
            views.append(SlotView(slot, None, None))
            continue
        views.append(SlotView(slot, found, failure_of.get(found.id),
                              tuple(changed_after_completion(patient_changes, found)), names,
                              (standings or {}).get(found.id)))
    visit_events = {key: events_of_visit.get(visit.id, {}) for key, visit in latest.items()}
    upcoming = next_slot([v.slot for v in views])
    events: Mapping[str, datetime] = {}
    if upcoming is not None and (upcoming.stage.id, upcoming.repeat) in visit_events:
        events = visit_events[(upcoming.stage.id, upcoming.repeat)]
    elif visits:
        newest = max(visits, key=lambda v: v.id)
        events = events_of_visit.get(newest.id, {})
    return ScreeningSummary(screening, trial, tuple(views), events, visit_events)


def when(at: datetime | None) -> str:
    return fmt_when(at) if at is not None else ""
