"""The visit form's live evaluation: each typed row checked as it is edited, the draft
record re-evaluated as of now, the outcomes repainted, and the freshness of each
result and of the earlier results under its row.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from PySide6.QtCore import Qt

from desktop.domain.draft import Draft, observation
from desktop.domain.engine import Verdict, evaluate
from desktop.domain.freshness import (
    freshness,
)
from desktop.domain.pending import with_pending
from desktop.domain.record import Observation, RecordError
from desktop.domain.units import display_text, display_unit
from desktop.domain.validity import validity
from desktop.domain.visits import due_next, events_of
from desktop.domain.wording import sentence
from desktop.services.rows import (
    RegistryError,
    unusual,
)
from desktop.ui.screening.schedule_text import due_html
from desktop.ui.screening.visit_base import (
    EARLIER_SHOWN,
    VisitFormState,
    local_time,
)
from desktop.ui.screening.visit_style import HINT_COLOUR, LOOKS


class VisitLive(VisitFormState):
    """Live checking and evaluation (part of ``VisitForm``)."""

    def _parse_row(self, code: str) -> None:
        """Check one typed result; keep it (or None) and show its message at the field."""
        row = self.result_rows[code]
        value, at_text = row.value_text(), row.at_text()
        errors: dict[str, str] = {}
        parsed: Observation | None = None
        if value.strip() or at_text.strip():
            try:
                at = self._when(at_text, code)
                parsed = observation(code, value, row.unit_text(), at, uln=row.uln_text(),
                                     now=self._clock(), birth_date=self._patient.birth_date)
            except RecordError as exc:
                errors[exc.field] = sentence(display_text(exc.message))
        self._unconfirmed.pop(code, None)
        shown = errors
        if parsed is not None:
            why = unusual(code, parsed.value, parsed.unit, value,
                          self._repository.confirm_limits)
            if why is not None and not self._is_confirmed(code, value, parsed.unit):
                # Not saved, not evaluated until the coordinator confirms it.
                self._unconfirmed[code] = why
                parsed = None
                shown = {"value": f"{why}, which is rarely a real result: check it. It is "
                                  f"saved and counted once you confirm it (Enter, or leave "
                                  f"the field)."}
        self._typed[code] = parsed
        self._row_errors[code] = errors
        row.show_errors(shown)

    def _is_confirmed(self, code: str, value: str, unit: str) -> bool:
        """Whether this value was confirmed: in this form, or when it was saved."""
        typed = (value.strip(), unit)
        if self._confirmed.get(code) == typed:
            return True
        own = self._own.get(code)
        return own is not None and own.confirmation is not None and \
            (own.value, own.unit) == typed

    def _draft(self, as_of: datetime) -> Draft:
        # The rows' own results count as typed; every other result as saved (own
        # results of codes this stage has no row for among them: still the patient's).
        own_ids = {row.id for row in self._own.values()}
        observations = [o for oid, o in self._parsed.items() if oid not in own_ids]
        observations.extend(o for o in self._typed.values() if o is not None)
        answers = {cid: v for cid, card in self.questions.items()
                   if (v := card.value()) is not None}
        facts = {name: fact for name, row in self.fact_rows.items()
                 if (fact := row.value()) is not None}
        events = {name: at for name, at in self._events_typed.items() if at is not None}
        return Draft(birth_date=self._patient.birth_date, sex=self._patient.sex,
                     events=events, facts=facts, observations=observations, answers=answers)

    def _evaluate(self) -> None:
        """Re-evaluate what is on screen, as of now, and repaint what changed."""
        if self._visit.status != "draft":
            return
        as_of = self._clock()
        try:
            verdict = evaluate(self._trial, self._stage.id,
                               self._draft(as_of).record(as_of, self._zone), self._site_uln)
        except RecordError as exc:  # the form only builds valid records: a bug, said plainly
            self.status.setText(f"Cannot evaluate: {exc}")
            return
        # A row holding an entry that cannot be read leaves the criteria reading it
        # unknown: an earlier result never stands in for what is being typed.
        invalid = {code for code, errors in self._row_errors.items() if errors}
        verdict = with_pending(verdict, invalid, set(self._unconfirmed))
        self.verdict = verdict
        self._apply(verdict)
        self._update_earlier(verdict, as_of)
        self._update_buttons()

    def _apply(self, verdict: Verdict) -> None:
        for row in self.model.set_verdict(verdict):
            self.table.resizeRowToContents(row)
        self.banner.set_verdict(verdict)

    def _update_earlier(self, verdict: Verdict, as_of: datetime) -> None:
        """Under each result row: this result's and earlier results' freshness."""
        used = {o for r in verdict.results for o in r.used}
        events = {n: at for n, at in self._events_typed.items() if at is not None}
        event_key = tuple(sorted(events.items()))
        for code, row in self.result_rows.items():
            typed = self._typed.get(code)
            own_row = self._own.get(code)
            earlier = [r for r in self._saved if r.code == code
                       and (own_row is None or r.id != own_row.id)]
            key = (event_key, typed, typed is not None and typed.at > as_of,
                   tuple((r, self._parsed.get(r.id) in used, r.at > as_of)
                         for r in earlier[:EARLIER_SHOWN]), len(earlier))
            if self._earlier_keys.get(code) == key:
                continue  # nothing this row shows has changed: no text to lay out again
            self._earlier_keys[code] = key
            lines: list[str] = []
            windows = self._windows[code]
            if typed is not None:
                own = freshness(self._stage, code, events, typed.at, as_of, windows,
                                self._zone)
                if not own.counts:
                    lines.append(self._flag_line("This result", own.status, own.text))
                elif (until := validity(self._stage, code, events, typed.at, self._zone,
                                        windows)) is not None:
                    lines.append(self._flag_line("This result", "counts", until.text,
                                                 "inside window"))
            for saved in earlier[:EARLIER_SHOWN]:
                found = freshness(self._stage, code, events, saved.at, as_of, windows,
                                  self._zone)
                parsed = self._parsed.get(saved.id)
                value = f"{saved.value} {display_unit(saved.unit)}"
                text = found.text
                if found.counts and parsed is not None and parsed in used:
                    label = "reused: inside window" if found.status == "fresh" else \
                        "reused: most recent result"
                    status = "reused"
                    valid = validity(self._stage, code, events, saved.at, self._zone, windows)
                    text += f"; {valid.text}" if valid is not None else ""
                elif found.counts:
                    label = "inside window" if found.status == "fresh" else "older result"
                    status = "counts"
                else:
                    label = {"stale": "stale", "needs_event": "window not known yet",
                             "after_as_of": "not counted"}[found.status]
                    status = found.status
                who = (f"entered by {escape(self._names.who(saved.entered_by, saved.entered_at))} "
                       f"{local_time(saved.entered_at)[:10]}")
                if saved.confirmed_by is not None:
                    who += f"; unusual value confirmed by {escape(saved.confirmed_by)}"
                lines.append(self._flag_line(f"Earlier {value}", status, text, label, who))
            if len(earlier) > EARLIER_SHOWN:
                lines.append(f"<span style='color:{HINT_COLOUR}'>… and "
                             f"{len(earlier) - EARLIER_SHOWN} older</span>")
            row.set_earlier("<br>".join(lines))

    @staticmethod
    def _flag_line(what: str, status: str, text: str, label: str = "",
                   who: str = "") -> str:
        look = {"reused": LOOKS["pass"], "counts": LOOKS["pass"]}.get(status, LOOKS["unknown"])
        mark = "✓" if status in ("reused", "counts") else "⚠"
        word = label or {"stale": "stale", "needs_event": "window not known yet",
                         "after_as_of": "not counted"}.get(status, status)
        tail = f" <span style='color:{HINT_COLOUR}'>({who})</span>" if who else ""
        return (f"<span style='color:{look.strong}; font-weight:600'>{mark} {escape(word)}"
                f"</span> — {escape(what)}, {escape(text)}{tail}")

    def _update_due(self) -> None:
        events = {n: at for n, at in self._events_typed.items() if at is not None}
        due = due_next(self._stage, events, self._zone)
        shown = due.start is not None or bool(events_of(self._stage))
        # A draft's due time can pass; a completed visit's labs were taken.
        overdue = self._visit.status == "draft" and due.overdue(self._clock())
        warnings = self._repository.schedule_warnings(self._trial, self._planned(events))
        text = due.text_at(self._clock()) if overdue else due.text
        self.due.setTextFormat(Qt.TextFormat.RichText)
        self.due.setText(due_html(text, overdue, warnings) if shown or warnings else "")
        self.due.setProperty("overdue", overdue)
        self.due.setVisible(bool(self.due.text()))

    def _planned(self, typed: dict[str, datetime]) -> dict[str, datetime]:
        """The visit's planned dates as the schedule sees them: those this stage asks
        for as typed, with the others the visit holds (carried forward from the visit
        before, e.g. the lymphodepletion date at the infusion)."""
        try:
            saved = self._repository.events(self._visit.id)
        except RegistryError:
            saved = {}  # the form's own reads report what is wrong
        return {**{n: at for n, at in saved.items() if n not in self.event_rows}, **typed}

    # ------------------------------------------------------------------ edits (live)

    def _result_edited(self, code: str) -> None:
        if self.read_only:
            return
        row = self.result_rows[code]
        if row.uln is not None and not row.uln_text():
            self._prefill_uln(row)  # the unit changed: the site ULN follows it
        self._parse_row(code)
        self._evaluate()

    def _event_edited(self, name: str) -> None:
        if self.read_only:
            return
        self._parse_event(name)
        self._update_due()
        self._evaluate()

    def _parse_event(self, name: str) -> None:
        event_row = self.event_rows[name]
        try:
            self._events_typed[name] = self._when(event_row.text())
            event_row.show_errors({})
        except RecordError as exc:
            self._events_typed[name] = None
            event_row.show_errors({"at": sentence(display_text(exc.message))})
