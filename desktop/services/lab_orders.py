"""The next stage of a screening as phlebotomy needs it, and planned dates against the
protocol's schedule.

``LabOrderService.next_stage(screening_id, trial)`` reads the screening's visits, their
planned events and the patient's results, and says for the stage worked on next: when
its labs are due (and whether that is overdue, as of the service's clock), which planned
dates break the protocol's schedule (:mod:`desktop.domain.schedule`), and each blood test
it reads with the result that still counts and until when, or the span to draw it in
(:mod:`desktop.domain.validity`). ``schedule_warnings(visit_id, trial)`` says the same of
one visit's saved planned dates.

``export(screening_id, trial, path)`` writes that as a short lab-order sheet (PDF,
:mod:`desktop.worksheets.lab_order_pdf`), whole or not at all, after its audit row
(``lab_order.export``: who, which screening and stage, the tests, the file's SHA-256).
Exporting needs ``Permission.EXPORT``. No Qt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Final

from desktop import __version__
from desktop.domain.schedule import ScheduleWarning, event_name, schedule_warnings
from desktop.domain.text import fmt_when
from desktop.domain.trial import Stage, Trial
from desktop.domain.validity import Draw, draws
from desktop.domain.visits import Due, due_next, events_of, next_slot, slots
from desktop.registry.database import Registry
from desktop.registry.screenings import ScreeningRepository, TrialSource
from desktop.services.acting import Actor, Permission, acting, need
from desktop.services.documents import DocumentError, write_whole
from desktop.services.rows import PatientRow
from desktop.worksheets.lab_order_pdf import LabOrder, build_lab_order_pdf
from desktop.worksheets.worksheet_data import format_when

ACTION: Final = "lab_order.export"


@dataclass(frozen=True)
class NextStage:
    """What the stage worked on next needs, as of ``now``."""

    screening_id: int
    trial: Trial
    stage: Stage
    #: The slot's title ("Pre-infusion", or "... (2 of 3)" for a repeated stage).
    title: str
    events: Mapping[str, datetime]
    due: Due
    now: datetime
    warnings: tuple[ScheduleWarning, ...]
    draws: tuple[Draw, ...]

    @property
    def overdue(self) -> bool:
        return self.due.overdue(self.now)

    @property
    def due_text(self) -> str:
        return self.due.text_at(self.now)

    @property
    def to_draw(self) -> tuple[Draw, ...]:
        return tuple(d for d in self.draws if d.status == "draw")

    def event_lines(self) -> list[str]:
        """Each planned event the stage hangs on, e.g. "NK cell infusion: 2026-12-12
        08:00" (or "not entered")."""
        return [f"{event_name(e)}: "
                + (fmt_when(self.events[e]) if e in self.events else "not entered")
                for e in events_of(self.stage)]


@dataclass(frozen=True)
class LabOrderExported:
    path: Path
    document_id: str
    tests: int
    file_sha256: str

    def summary(self) -> dict[str, Any]:
        return {"file": str(self.path), "document_id": self.document_id,
                "tests": self.tests, "sha256": self.file_sha256}


class LabOrderService:
    def __init__(self, registry: Registry, actor: Actor | str, *,
                 repository: ScreeningRepository, zone: tzinfo | None = None,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self._registry = registry
        self.actor = acting(actor)
        self._repository = repository
        self._zone = zone
        self._clock = clock

    @classmethod
    def open(cls, registry: Registry, actor: Actor | str, *,
             clock: Callable[[], datetime] = datetime.now, trials: TrialSource | None = None,
             zone: tzinfo | None = None) -> LabOrderService:
        """``zone``: the site's time zone (default: the process's, ``desktop.zone``)."""
        if zone is None:
            from desktop.zone import site_zone

            zone = site_zone()
        user = acting(actor)
        repository = ScreeningRepository(registry, user.user_id, clock, trials=trials)
        return cls(registry, user, repository=repository, zone=zone, clock=clock)

    def schedule_warnings(self, visit_id: int, trial: Trial) -> list[ScheduleWarning]:
        """The visit's saved planned dates that break the trial's schedule."""
        return schedule_warnings(trial.schedule, self._repository.events(visit_id), self._zone)

    def next_stage(self, screening_id: int, trial: Trial) -> NextStage | None:
        """The stage worked on next and what it needs; None when screening ended."""
        repo = self._repository
        screening = repo.screening(screening_id)
        visits = repo.visits(screening_id)
        latest = {(v.stage_id, v.repeat): v for v in sorted(visits, key=lambda v: v.id)}
        upcoming = next_slot(slots(trial.stages, {k: v.state for k, v in latest.items()}))
        if upcoming is None:
            return None
        own = latest.get((upcoming.stage.id, upcoming.repeat))
        source = own or (max(visits, key=lambda v: v.id) if visits else None)
        events = repo.events(source.id) if source is not None else {}
        results: dict[str, list[datetime]] = {}
        for row in repo.observations(screening.patient_id):
            results.setdefault(row.code, []).append(row.at)
        now = self._clock()
        if now.tzinfo is not None:
            now = now.astimezone(self._zone).replace(tzinfo=None)
        stage = upcoming.stage
        return NextStage(screening_id, trial, stage, upcoming.title, events,
                         due_next(stage, events, self._zone), now,
                         tuple(schedule_warnings(trial.schedule, events, self._zone)),
                         tuple(draws(stage, events, results, self._zone)))

    def lab_order(self, screening_id: int, trial: Trial) -> LabOrder:
        """The lab-order sheet of the screening's next stage, as words."""
        found = self.next_stage(screening_id, trial)
        if found is None:
            raise DocumentError("The screening has no stage left to screen: there is "
                                "nothing to draw.")
        patient = self._repository.patient(self._repository.screening(screening_id).patient_id)
        return _sheet(found, patient, self.actor.full_name or self.actor.user_id,
                      self._clock())

    def export(self, screening_id: int, trial: Trial, path: Path) -> LabOrderExported:
        """Write the next stage's lab-order sheet to ``path``, audited."""
        need(self.actor, Permission.EXPORT, self._registry)
        sheet = self.lab_order(screening_id, trial)
        pdf = build_lab_order_pdf(sheet)
        path = Path(path)
        exported = LabOrderExported(path, sheet.document_id, len(sheet.rows),
                                    hashlib.sha256(pdf).hexdigest())
        write_whole(path, pdf, lambda: self._audit(screening_id, exported, sheet))
        return exported

    def _audit(self, screening_id: int, exported: LabOrderExported, sheet: LabOrder) -> None:
        from desktop.registry.document_exports import record_document

        record_document(self._registry, self.actor.user_id, ACTION, "screening", screening_id, {
            "document_id": exported.document_id, "stage": sheet.stage_id,
            "tests": [row[0] for row in sheet.rows], "sha256": exported.file_sha256,
            "file": exported.path.name})


def _row(draw: Draw, now: datetime) -> tuple[str, str, str, str]:
    """(test, draw from, draw by, note) of one test to draw."""
    if draw.status == "draw":
        return (draw.label, fmt_when(draw.start) if draw.start else "", draw.by_words(),
                "overdue" if draw.overdue(now) else "")
    if draw.status == "needs_event":
        return draw.label, "", "", "planned date needed"
    return draw.label, "", "", "no time window"


def _sheet(found: NextStage, patient: PatientRow, who: str, made: datetime) -> LabOrder:
    """Every test without a result that counts is on the sheet: timed, or saying why not."""
    rows = tuple(_row(d, found.now) for d in found.draws
                 if d.status in ("draw", "needs_event") or
                 (d.status == "no_window" and d.reused is None))
    reused = tuple(d.text for d in found.draws if d.reused is not None)
    local = made.astimezone()
    return LabOrder(
        document_id=f"LABORDER-{found.screening_id}-{local:%Y%m%dT%H%M%S}",
        patient=f"{patient.family_name.upper()}, {patient.given_name}",
        mrn=patient.mrn, birth_date=patient.birth_date.isoformat(),
        trial=f"{found.trial.id} — {found.trial.title}", stage=found.title,
        stage_id=found.stage.id, due=found.due_text, events=tuple(found.event_lines()),
        warnings=tuple(w.text for w in found.warnings), rows=rows, reused=reused,
        made_by=who, created=format_when(local),
        app_version=__version__)
