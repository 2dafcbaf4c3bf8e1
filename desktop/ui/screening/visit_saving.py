"""The visit form's autosave: each finished field saved with the version it showed
(results added, corrected or withdrawn; planned dates, facts and answers set), and
flushing every pending field before completing or closing. A correction or a fact
change asks for its reason first when the service says the patient has a completed
stage (not while flushing: it stays unsaved, and listed so).
"""

from __future__ import annotations

from desktop.domain.record import RecordError
from desktop.domain.trial import EVENTS, FACTS
from desktop.services.rows import (
    ObservationInput,
    ObservationRow,
    RegistryError,
    ValidationFailed,
)
from desktop.services.screening import EntryChanged
from desktop.ui.common.reason_dialog import COVERED_CHANGE
from desktop.ui.screening.visit_base import (
    VisitFormState,
)
from desktop.ui.screening.visit_inputs import (
    FACT_WORDS,
    answer_text,
    when_text,
)


class VisitSaving(VisitFormState):
    """Saving finished fields (part of ``VisitForm``)."""

    def _saved_ok(self, what: str) -> None:
        self.status.setText(f"Saved {self._clock():%H:%M}: {what}")
        self.changed.emit(self._visit.id)

    def _not_saved(self, what: str, exc: RegistryError) -> None:
        self._messages.error(self, f"{what} not saved", str(exc))

    def _row_input(self, code: str) -> ObservationInput | None:
        row = self.result_rows[code]
        parsed = self._typed.get(code)
        if parsed is None:
            return None
        return ObservationInput(code=code, value=row.value_text().strip(),
                                unit=row.unit_text(), at=parsed.at, uln=row.uln_text(),
                                confirmed=self._is_confirmed(code, row.value_text(),
                                                             parsed.unit))

    @staticmethod
    def _result_text(data: ObservationInput) -> str:
        """A result as typed, for the message of a refused save."""
        at = "" if data.at is None else f" taken {when_text(data.at)}"
        uln = "" if data.uln is None else f" (ULN {data.uln})"
        return f"{data.value} {data.unit}{at}{uln}"

    def _result_dirty(self, code: str) -> bool:
        if code in self._unconfirmed:
            return True  # typed, or saved before confirmations: to confirm before it counts
        row = self.result_rows[code]
        own = self._own.get(code)
        if own is None:
            return bool(row.value_text().strip() or row.at_text().strip()
                        or (row.uln is not None and row.uln_text()))
        try:
            at = self._when(row.at_text(), code)
        except RecordError:
            return True
        return (row.value_text().strip(), row.unit_text(), at, row.uln_text()) != \
            (own.value, own.unit, own.at, own.uln)

    def _result_committed(self, code: str, ask: bool = True) -> None:
        """Save a finished result row. An unusual value is saved only once confirmed:
        asked here (``ask``; not while flushing before completion or closing)."""
        if self._closed:
            return  # editingFinished fires again as the window's widgets go
        if self.read_only or not self._result_dirty(code):
            return
        row = self.result_rows[code]
        own = self._own.get(code)
        if own is not None and not row.value_text().strip() and not row.at_text().strip():
            self._withdraw(code, own)
            return
        why = self._unconfirmed.get(code)
        if why is not None and (not ask or not self._confirm_unusual(code, why)):
            return  # the message stays at the field; nothing saved, nothing counted
        data = self._row_input(code)
        if data is None:
            return  # its message is already at the field; nothing saved, nothing lost
        try:
            if own is None:
                saved = self._add_result(code, data, ask)
                if saved is None:  # a reason was asked and not given: not saved
                    return
                self._versions["result", code] = saved.version
            else:
                reason = self._covered_reason(
                    f"Correcting {row.label} from {self._result_text(_saved_input(own))} "
                    f"to {self._result_text(data)}.", ask)
                if reason is None:  # cancelled (or not asked while flushing): not saved
                    if ask:
                        self._show_saved(code, own)
                    return
                saved = self._repository.update_observation(own.id, data,
                                                            expected=own.version,
                                                            reason=reason)
                known = self._versions.get(("result", code), 0)
                self._versions["result", code] = max(known, saved.version)
            self._own[code] = saved
            self._reload_observations()
        except EntryChanged as exc:
            self._entry_changed(exc, self._result_text(data))
            return
        except ValidationFailed as exc:
            row.show_errors(exc.errors)
            return
        except RegistryError as exc:
            self._not_saved(row.label, exc)
            return
        self._parse_row(code)
        self._evaluate()
        self._saved_ok(row.label)

    def _add_result(self, code: str, data: ObservationInput,
                    ask: bool) -> ObservationRow | None:
        """Add the row's result. Where the registry refuses it for want of a reason (it
        changes what a completed stage was decided on), ask the reason and add it with
        it; None if not given (cancelled, or not asked while flushing)."""
        expected = self._versions.get(("result", code), 0)
        try:
            return self._repository.add_observation(self._patient.id, self._visit.id, data,
                                                    expected=expected)
        except ValidationFailed as exc:
            if set(exc.errors) != {"reason"}:
                raise
            if not ask:
                return None
            why = exc.errors["reason"].removeprefix("Reason: say why this result is added "
                                                    "now: ")
            reason = self._messages.ask_reason(
                self, "Reason for the change",
                f"Adding {self.result_rows[code].label} {self._result_text(data)}: {why} "
                f"{COVERED_CHANGE}")
            if reason is None:
                return None
            return self._repository.add_observation(self._patient.id, self._visit.id, data,
                                                    expected=expected, reason=reason)

    def _covered_reason(self, change: str, ask: bool = True) -> str | None:
        """"" if the service saves a change to the patient's results or facts without a
        reason; else the reason the coordinator gives for ``change`` (None: cancelled, or
        not asked: ``ask`` is false while flushing). Raises RegistryError if the registry
        cannot say."""
        if not self._repository.has_completed_stage(self._patient.id):
            return ""
        if not ask:
            return None
        return self._messages.ask_reason(self, "Reason for the change",
                                         f"{change} {COVERED_CHANGE}")

    def _show_saved(self, code: str, own: ObservationRow) -> None:
        """Show the row's saved result again (its correction was not saved)."""
        row = self.result_rows[code]
        row.clear_values()
        row.set_values(own.value, own.unit, own.at, own.uln)
        self._prefill_uln(row)
        self._parse_row(code)
        self._evaluate()

    def _confirm_unusual(self, code: str, why: str) -> bool:
        """Ask the coordinator to confirm an unusual value; remember a yes for it."""
        row = self.result_rows[code]
        text = (f"{why}, which is rarely a real result: a unit slip or a lost digit is "
                f"likelier. Check it against the lab report. Save {row.label} "
                f"{row.value_text().strip()} {row.unit_text()} as it is? Your confirmation "
                f"is recorded with the result.")
        if not self._messages.confirm(self, "Confirm an unusual value", text,
                                      "Confirm and save"):
            return False
        self._confirmed[code] = (row.value_text().strip(), row.unit_text())
        self._parse_row(code)
        return True

    def _withdraw(self, code: str, own: ObservationRow) -> None:
        """The coordinator emptied a saved result: withdraw it (kept in the log)."""
        row = self.result_rows[code]
        text = (f"Withdraw the saved {row.label} {own.value} {own.unit} taken "
                f"{own.at:%Y-%m-%d %H:%M}? It is kept in the registry's log but no longer "
                f"counts for any screening.")
        if not self._messages.confirm(self, "Withdraw result", text, "Withdraw"):
            row.set_values(own.value, own.unit, own.at, own.uln)
            self._prefill_uln(row)
            self._parse_row(code)
            self._evaluate()
            return
        try:
            version = self._repository.retract_observation(
                own.id, "Emptied in the visit form", expected=own.version)
            self._own.pop(code, None)
            self._versions["result", code] = version
            self._reload_observations()
        except EntryChanged as exc:
            self._entry_changed(exc, "blank (to withdraw the result)")
            return
        except RegistryError as exc:
            self._not_saved(row.label, exc)
            return
        self._parse_row(code)
        self._evaluate()
        self._saved_ok(f"{row.label} withdrawn")

    def _event_committed(self, name: str) -> None:
        if self._closed:
            return  # editingFinished fires again as the window's widgets go
        if self.read_only:
            return
        self._parse_event(name)
        event_row = self.event_rows[name]
        if event_row.text().strip() and self._events_typed.get(name) is None:
            return  # unreadable: the message is at the field
        at = self._events_typed.get(name)
        if at == self._events_saved.get(name):
            return
        try:
            self._versions["event", name] = self._repository.set_event(
                self._visit.id, name, at, expected=self._versions.get(("event", name), 0))
        except EntryChanged as exc:
            self._entry_changed(exc, "blank" if at is None else when_text(at))
            return
        except ValidationFailed as exc:
            event_row.show_errors({"at": " ".join(exc.errors.values())})
            return
        except RegistryError as exc:
            self._not_saved(f"Planned {EVENTS[name]}", exc)
            return
        if at is None:
            self._events_saved.pop(name, None)
        else:
            self._events_saved[name] = at
        self._saved_ok(f"planned {EVENTS[name]}")

    def _fact_chosen(self, name: str) -> None:
        if self.read_only:
            return
        fact_row = self.fact_rows[name]
        value = fact_row.value()
        try:
            reason = self._covered_reason(
                f"Changing {FACTS[name]} from {FACT_WORDS[fact_row.saved_value]} to "
                f"{FACT_WORDS[value]}.")
            if reason is None:  # cancelled: nothing saved
                fact_row.revert()
                self._evaluate()
                return
            self._versions["fact", name] = self._repository.set_fact(
                self._patient.id, name, value, expected=self._versions.get(("fact", name), 0),
                reason=reason)
        except EntryChanged as exc:
            self._entry_changed(exc, FACT_WORDS[value])
            return
        except RegistryError as exc:
            fact_row.revert()
            self._not_saved(FACTS[name].capitalize(), exc)
            self._evaluate()
            return
        fact_row.saved()
        fact_row.show_errors({})
        self._evaluate()
        self._saved_ok(FACTS[name])

    def _answer_chosen(self, cid: str) -> None:
        if self.read_only:
            return
        self._evaluate()
        self._save_answer(cid)

    def _answer_committed(self, cid: str) -> None:
        if self._closed:
            return  # editingFinished fires again as the window's widgets go
        if self.read_only:
            return
        card = self.questions[cid]
        if card.value() is None:
            if card.note.text().strip() or card.source.text().strip():
                card.show_errors({"note": "Choose Yes, No or N/A to save the note and "
                                          "source document."})
            return
        self._save_answer(cid)

    def _save_answer(self, cid: str) -> None:
        card = self.questions[cid]
        if card.is_saved():
            return
        value, note, source = card.typed()
        try:
            self._versions["answer", cid] = self._repository.set_answer(
                self._visit.id, cid, value,  # type: ignore[arg-type]
                note=note if value is not None else "",
                source_document=source if value is not None else "",
                expected=self._versions.get(("answer", cid), 0))
        except EntryChanged as exc:
            self._entry_changed(exc, answer_text(value, note, source))
            return
        except ValidationFailed as exc:
            card.show_errors(exc.errors)
            return
        except RegistryError as exc:
            card.revert_choice()
            self._evaluate()
            self._not_saved(f"Answer to criterion {card.number}", exc)
            return
        card.show_errors({})
        card.mark_saved()
        self._saved_ok(f"answer to criterion {card.number}")

    def flush(self) -> list[str]:
        """Save every finished-but-unsaved field; returns what still is not saved,
        an entry refused because another window changed it first included (the field
        shows the other value then, so only this list still names what was typed)."""
        if self.read_only:
            return []
        self._refusals = []
        try:
            for name in self.event_rows:
                self._event_committed(name)
            for code in self.result_rows:
                self._result_committed(code, ask=False)
            for cid in self.questions:
                self._answer_committed(cid)
        finally:
            refused, self._refusals = self._refusals, None
        return refused + self.unsaved()

    def unsaved(self) -> list[str]:
        """Entries on screen that the registry does not hold, with why."""
        found: list[str] = []
        for name, event_row in self.event_rows.items():
            if self._events_typed.get(name) != self._events_saved.get(name) or \
                    (event_row.text().strip() and self._events_typed.get(name) is None):
                found.append(f"Planned {EVENTS[name]}")
        for code, row in self.result_rows.items():
            if self._result_dirty(code):
                errors = " ".join(self._row_errors.get(code, {}).values())
                if code in self._unconfirmed:
                    errors = f"{self._unconfirmed[code]}: not confirmed yet."
                found.append(f"{row.label}: {errors}" if errors else row.label)
        for card in self.questions.values():
            if not card.is_saved():
                found.append(f"Answer to criterion {card.number} (choose Yes, No or N/A)"
                             if card.value() is None else f"Answer to criterion {card.number}")
        return found


def _saved_input(own: ObservationRow) -> ObservationInput:
    """A saved result as input, to say what a correction changes."""
    return ObservationInput(code=own.code, value=own.value, unit=own.unit, at=own.at,
                            uln=own.uln)
