"""The visit form's reading of the registry: loading the visit's entries with their
versions, reading them again when another window may have saved (what is not being
edited here follows the registry), a save refused because another window changed the
entry first, and the patient read again.
"""

from __future__ import annotations

from fractions import Fraction

from desktop.domain.draft import observation
from desktop.domain.numbers import fmt_number
from desktop.domain.record import RecordError
from desktop.domain.trial import EVENTS, FACTS
from desktop.domain.units import CODES, convert
from desktop.services.rows import (
    EntryKind,
    ObservationRow,
    PatientRow,
    RegistryError,
    VisitEntries,
)
from desktop.services.screening import EntryChanged
from desktop.ui.screening.visit_base import (
    VisitFormState,
    local_time,
)
from desktop.ui.screening.visit_inputs import (
    ResultRow,
)


class VisitSync(VisitFormState):
    """Loading, versions and refreshing (part of ``VisitForm``)."""

    @property
    def patient(self) -> PatientRow:
        return self._patient

    def set_patient(self, patient: PatientRow) -> None:
        """The patient was edited (date of birth, sex, name): shown at once. A draft
        re-evaluates with the new values (age, Cockcroft-Gault, a result's time against
        the date of birth); a completed visit keeps its stored decision and shows what
        changed after it was completed."""
        if patient == self._patient:
            return
        self._patient = patient
        self._show_patient()
        if self._visit.status == "draft":
            if self._loaded:
                for code in self.result_rows:
                    self._parse_row(code)
                self._evaluate()
        else:
            self._show_completed()

    def refresh_patient(self) -> None:
        """Read the patient again (it may have been edited in another window)."""
        try:
            current = self._repository.patient(self._patient.id)
        except RegistryError:
            return  # the next save or completion reports what is wrong
        self.set_patient(current)

    def _load(self) -> None:
        """Fill the form with what the registry holds for this visit (one read: every
        value with its version)."""
        try:
            entries = self._repository.entries(self._visit.id)
        except RegistryError as exc:
            self._messages.error(self, "Visit not opened", str(exc))
            return
        self._take_observations(entries.observations)
        for name in self.event_rows:
            self._adopt("event", name, entries)
        for name in self.fact_rows:
            self._adopt("fact", name, entries)
        for cid in self.questions:
            self._adopt("answer", cid, entries)
        for code in self.result_rows:
            self._adopt("result", code, entries)
        self._loaded = True

    def _reload_observations(self) -> None:
        """The patient's results again (for the earlier results and the evaluation).
        The rows' own results stay as this form saved or last read them."""
        self._take_observations(self._repository.observations(self._patient.id))

    def _take_observations(self, saved: list[ObservationRow] | tuple[ObservationRow, ...]
                           ) -> None:
        self._saved = list(saved)
        self._parsed = {}
        for row in saved:
            try:
                self._parsed[row.id] = observation(row.code, row.value, row.unit, row.at,
                                                   uln=row.uln, source=row.source or None)
            except RecordError:
                continue  # cannot be read as a result: left out, never guessed

    def _adopt(self, kind: EntryKind, name: str, entries: VisitEntries) -> None:
        """Show one entry as ``entries`` holds it, and remember the version read with
        it: the next save of the entry expects that version."""
        self._versions[kind, name] = entries.version(kind, name)
        if kind == "event":
            at = entries.events.get(name)
            event_row = self.event_rows[name]
            event_row.set_value(at)
            event_row.show_errors({})
            self._events_typed[name] = at
            if at is None:
                self._events_saved.pop(name, None)
            else:
                self._events_saved[name] = at
        elif kind == "fact":
            fact_row = self.fact_rows[name]
            fact_row.set_value(entries.facts.get(name))
            fact_row.show_errors({})
        elif kind == "answer":
            card = self.questions[name]
            answer = entries.answers.get(name)
            if answer is None:
                card.set_saved(None, "", "")
            else:
                card.set_saved(answer.value, answer.note, answer.source_document)
            card.show_errors({})
        else:
            row = self.result_rows[name]
            own = entries.own_result(name)
            self._confirmed.pop(name, None)  # confirmed for what this form had typed
            row.clear_values()
            if own is None:
                self._own.pop(name, None)
            else:
                self._own[name] = own
                row.set_values(own.value, own.unit, own.at, own.uln)
            self._prefill_uln(row)
            self._parse_row(name)

    def _stale(self, kind: EntryKind, name: str, entries: VisitEntries) -> bool:
        """Whether the entry changed in the registry since this form read or saved it."""
        if entries.version(kind, name) != self._versions.get((kind, name), 0):
            return True
        if kind != "result":
            return False
        own, shown = entries.own_result(name), self._own.get(name)
        return (None if own is None else (own.id, own.version)) != \
            (None if shown is None else (shown.id, shown.version))

    def _editing(self, kind: EntryKind, name: str) -> bool:
        """Whether the entry holds something typed here and not saved yet."""
        if kind == "event":
            text = self.event_rows[name].text().strip()
            typed = self._events_typed.get(name)
            return typed != self._events_saved.get(name) or bool(text and typed is None)
        if kind == "answer":
            return not self.questions[name].is_saved()
        if kind == "result":
            return self._result_dirty(name)
        return False  # a fact is saved as it is chosen

    def refresh_entries(self) -> None:
        """Read the entries again (another window may have saved some): each one not
        being edited here shows what the registry holds now. One being edited keeps
        what is typed; saving it is refused if the registry's changed meanwhile. A
        visit completed in another window turns read-only. A draft shown read-only
        (the user may not enter data) follows the registry all the same."""
        if self._visit.status != "draft" or not self._loaded:
            return
        try:
            entries = self._repository.entries(self._visit.id)
        except RegistryError:
            return  # the next save or completion reports what is wrong
        if entries.visit.status != self._visit.status:
            self._visit = entries.visit
            self._refresh_mode()
            return
        self._take_observations(entries.observations)
        fields: list[tuple[EntryKind, list[str]]] = [
            ("event", list(self.event_rows)), ("fact", list(self.fact_rows)),
            ("answer", list(self.questions)), ("result", list(self.result_rows))]
        for kind, names in fields:
            for name in names:
                if self._stale(kind, name, entries) and not self._editing(kind, name):
                    self._adopt(kind, name, entries)
        self._update_due()
        self._evaluate()

    def _entry_label(self, kind: EntryKind, name: str) -> str:
        if kind == "event":
            return f"Planned {EVENTS[name]}"
        if kind == "fact":
            return FACTS[name][:1].upper() + FACTS[name][1:]
        if kind == "answer":
            return f"Answer to {name}"
        return self.result_rows[name].label

    def _entry_changed(self, exc: EntryChanged, mine: str) -> None:
        """A save was refused: another window changed the entry first. Show the entry
        as the registry holds it now, and at it why, and what this window had typed."""
        kind, name = exc.kind, exc.name
        try:
            entries = self._repository.entries(self._visit.id)
        except RegistryError as read_exc:
            self._messages.error(self, "Not saved", f"{exc} {read_exc}")
            return
        self._take_observations(entries.observations)
        self._adopt(kind, name, entries)
        message = f"{exc} The field shows that value now; yours was {mine}."
        if self._refusals is not None:  # while flushing: say so with what was not saved
            by = "" if exc.changed_by is None else f" by {exc.changed_by}"
            at = "" if exc.changed_at is None else f" at {local_time(exc.changed_at)}"
            self._refusals.append(f"{self._entry_label(kind, name)} (changed in another "
                                  f"window{by}{at}; yours was {mine})")
        if kind == "event":
            self.event_rows[name].show_errors({"at": message})
        elif kind == "fact":
            self.fact_rows[name].show_errors({"value": message})
        elif kind == "answer":
            self.questions[name].show_errors({"value": message})
        else:
            self.result_rows[name].show_errors({"value": message})
        self.status.setText(f"Not saved: {exc}")
        self._update_due()
        self._evaluate()

    def _prefill_uln(self, row: ResultRow) -> None:
        if row.uln is None:
            return
        # The ULN in force on the day the result was taken (today until a time is typed).
        try:
            taken = self._when(row.at_text(), row.code)
        except RecordError:
            taken = None
        day = (taken or self._clock()).date()
        site = self._site_uln.on(row.code, day)
        if site is None:
            row.set_site_uln("")
            return
        unit = row.unit_text()
        value = convert(row.code, site, CODES[row.code].canonical, unit)
        text = fmt_number(value)
        exact = Fraction(text) == value
        since = self._site_uln.since(row.code, day)
        tip = ("The site's upper limit of normal"
               + (f" (in force since {since.isoformat()})" if since and since.year > 1900
                  else "") + ", converted to the result's unit.")
        if not exact:
            tip += (f" Shown rounded; the exact value ({float(value):.6g} {unit}) is used "
                    f"unless you type the lab's own ULN.")
        row.set_site_uln(text, tip)
