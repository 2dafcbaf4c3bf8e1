"""A stage version's worksheet lines, from exactly the content its signatures cover.

The stored content (``SignedContent.canonical()``) holds every result the verdict used,
with its text as typed, its ULN and where the ULN came from, the answers with their notes
and source documents, the planned events and facts, the patient's date of birth and sex,
and the time it was assessed as of. ``content_record`` turns it back into the engine's
record; re-evaluating that under the kept trial file tells which result each criterion
read. The outcome and reason printed are always the stored verdict's (what was decided
and signed); the re-run only says which values to print beside them.

Pure: no I/O. The worksheet service hands the content, the stored verdict and the trial in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Final

from desktop.domain import calc
from desktop.domain.draft import make_record
from desktop.domain.draft import observation as checked_observation
from desktop.domain.engine import evaluate, inputs
from desktop.domain.numbers import fixed, fmt_number
from desktop.domain.printed import printed, unit
from desktop.domain.record import Observation, Record
from desktop.domain.results import Verdict
from desktop.domain.text import fmt_when
from desktop.domain.trial import EVENTS, FACTS, Compare, Stage, Trial
from desktop.domain.units import CODES

#: The stored outcome and the word printed for it (the app's words, with a mark beside).
OUTCOME_WORDS: Final[dict[str, str]] = {"pass": "Pass", "fail": "Fail", "unknown": "Unknown"}
ANSWER_WORDS: Final[dict[str, str]] = {"yes": "Yes", "no": "No", "n/a": "N/A"}
ULN_SOURCES: Final[dict[str, str]] = {"result": "from the lab report",
                                      "site": "site ULN table"}


@dataclass(frozen=True)
class CriterionLine:
    number: int  # the criterion's place in the stage, as the app numbers it ("#3")
    criterion_id: str
    kind: str  # "Inclusion" or "Exclusion"
    text: str  # verbatim
    response: str
    outcome: str  # "Pass", "Fail", "Unknown"


@dataclass(frozen=True)
class ComputedLine:
    label: str
    value: str
    method: str
    inputs: tuple[str, ...]


class ContentError(ValueError):
    """The stored content cannot be read back (a registry changed outside the app)."""


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def content_record(content: Mapping[str, Any], zone: tzinfo | None
                   ) -> tuple[Record, dict[Observation, Mapping[str, Any]]]:
    """The engine's record for the content, and each observation's stored entry."""
    try:
        assessed = content["assessed_at"]
        patient = content["patient"]
        entries: dict[Observation, Mapping[str, Any]] = {}
        for item in content["observations"]:
            obs = checked_observation(item["code"], item["value"], item["unit"],
                                      _when(item["at"]), uln=item["uln"])
            entries[obs] = item
        answers = {a["criterion"]: a["value"] for a in content["answers"]}
        birth = patient["birth_date"]
        record = make_record(
            None if birth is None else date.fromisoformat(birth), patient["sex"],
            _when(assessed) if assessed else datetime.min,
            {name: _when(at) for name, at in content["events"].items()},
            dict(content["facts"]), entries, answers, zone)
    except (KeyError, TypeError, ValueError) as exc:
        raise ContentError(f"the stored content cannot be read: {exc}") from None
    return record, entries


def rerun(trial: Trial, stage_id: str, record: Record) -> Verdict | None:
    """The stage re-evaluated on the content's record (every ULN travels with its
    result), or None if it cannot be (the lines then name results by code)."""
    try:
        return evaluate(trial, stage_id, record, {})
    except ValueError:
        return None


def _other_inputs(names: Sequence[str], content: Mapping[str, Any]) -> list[str]:
    """The inputs a rule read that are not results: date of birth, sex, facts, events."""
    patient, facts, events = content.get("patient", {}), content.get("facts", {}), \
        content.get("events", {})
    words: list[str] = []
    for name in names:
        if name == "birth_date":
            words.append(f"date of birth {patient.get('birth_date') or 'not recorded'}")
        elif name == "sex":
            words.append(f"sex assigned at birth {patient.get('sex') or 'not recorded'}")
        elif name in FACTS:
            value = facts.get(name)
            words.append(f"{FACTS[name]}: "
                         f"{'not recorded' if value is None else 'yes' if value else 'no'}")
        elif name in EVENTS:
            at = events.get(name)
            words.append(f"planned {EVENTS[name]} "
                         f"{'not entered' if at is None else fmt_when(_when(at))}")
    return words


def result_text(entry: Mapping[str, Any]) -> str:
    """One result as printed: value and unit, when taken, ULN and where it came from."""
    code = str(entry["code"])
    label = CODES[code].label if code in CODES else code
    shown_unit = unit(str(entry["unit"]))
    text = f"{label} {entry['value']} {shown_unit}, taken {fmt_when(_when(entry['at']))}"
    if entry.get("uln"):
        source = ULN_SOURCES.get(str(entry.get("uln_source")), "source not recorded")
        text += f"; ULN {entry['uln']} {shown_unit} ({source})"
    return text


def _answer_text(answer: Mapping[str, Any] | None) -> str:
    if answer is None:
        return "Not answered"
    parts = [ANSWER_WORDS.get(str(answer["value"]), str(answer["value"]))]
    if answer.get("note"):
        parts.append(f"note: {answer['note']}")
    if answer.get("source_document"):
        parts.append(f"source document: {answer['source_document']}")
    return " — ".join(parts)


def criterion_lines(stage: Stage, verdict: Mapping[str, Any], content: Mapping[str, Any],
                    again: Verdict | None,
                    entries: Mapping[Observation, Mapping[str, Any]]) -> list[CriterionLine]:
    """Every criterion of the stage in protocol order, with the stored outcome and reason
    and what it was read from (``again``: the re-run, for which results each used)."""
    stored = {str(c["id"]): c for c in verdict.get("criteria", [])}
    used = {r.id: r.used for r in again.results} if again is not None else {}
    answers = {str(a["criterion"]): a for a in content.get("answers", [])}
    lines: list[CriterionLine] = []
    for number, criterion in enumerate(stage.criteria, start=1):
        decided = stored.get(criterion.id)
        outcome = "unknown" if decided is None else str(decided["outcome"])
        reason = "not evaluated in this version" if decided is None else str(decided["reason"])
        if criterion.attested:
            response = _answer_text(answers.get(criterion.id))
        else:
            names = inputs(criterion, stage)
            if criterion.id in used:
                results = [entries[o] for o in used[criterion.id] if o in entries]
            else:  # no re-run: every stored result of a code the rule reads
                results = [e for e in content.get("observations", []) if e["code"] in names]
            parts = [result_text(e) for e in results] + _other_inputs(names, content)
            response = "; ".join(parts) or "No result used"
            if criterion.id in answers:  # an exception answered by a person
                response += f". Answer: {_answer_text(answers[criterion.id])}"
        lines.append(CriterionLine(
            number, criterion.id, criterion.kind.capitalize(), criterion.text,
            printed(f"{response}\n→ {reason}"), OUTCOME_WORDS.get(outcome, outcome)))
    return lines


def computed_lines(again: Verdict | None, record: Record,
                   entries: Mapping[Observation, Mapping[str, Any]]) -> list[ComputedLine]:
    """Each derived value a criterion used, with every input it was computed from."""
    if again is None:
        return []
    found: list[ComputedLine] = []
    seen: set[tuple[str, tuple[Observation, ...]]] = set()
    for result in again.results:
        rule = result.criterion.rule
        if not isinstance(rule, Compare) or (rule.of, result.used) in seen:
            continue
        seen.add((rule.of, result.used))
        line = _derived(rule.of, result.used, record, entries)
        if line is not None:
            found.append(line)
    return found


def _derived(of: str, used: Sequence[Observation], record: Record,
             entries: Mapping[Observation, Mapping[str, Any]]) -> ComputedLine | None:
    by_code = {o.code: o for o in used}
    if of == "crcl_cockcroft_gault" and {"creatinine", "weight"} <= set(by_code) \
            and record.birth_date is not None and record.sex is not None:
        creat, weight = by_code["creatinine"], by_code["weight"]
        creat_mg = creat.in_unit("mg/dL")
        if creat_mg <= 0:
            return None
        age = calc.age_years(record.birth_date, record.as_of.date())
        value = calc.cockcroft_gault(age, weight.in_unit("kg"), creat_mg,
                                     record.sex == "female")
        return ComputedLine(
            "Creatinine clearance", f"{fixed(value, 1)} mL/min", "Cockcroft-Gault",
            (f"age {age} y (born {record.birth_date.isoformat()}, on "
             f"{record.as_of.date().isoformat()})",
             f"weight {_typed(weight, entries)}", f"creatinine {_typed(creat, entries)}"
             + ("" if creat.unit == "mg/dL" else f" = {fixed(creat_mg, 2)} mg/dL"),
             f"sex assigned at birth {record.sex}"
             + (" (× 0.85)" if record.sex == "female" else "")))
    if of == "corrected_calcium" and {"calcium", "albumin"} <= set(by_code):
        ca, alb = by_code["calcium"], by_code["albumin"]
        value = calc.corrected_calcium(ca.in_unit("mg/dL"), alb.in_unit("g/dL"))
        return ComputedLine("Corrected calcium", f"{fixed(value, 2)} mg/dL",
                            "Ca + 0.8 × (4.0 − albumin g/dL)",
                            (f"calcium {_typed(ca, entries)}", f"albumin {_typed(alb, entries)}"))
    return None


def _typed(obs: Observation, entries: Mapping[Observation, Mapping[str, Any]]) -> str:
    entry = entries.get(obs)
    value = str(entry["value"]) if entry is not None else fmt_number(obs.value)
    return f"{value} {unit(obs.unit)} taken {fmt_when(obs.at)}"


def planned_events(content: Mapping[str, Any]) -> list[tuple[str, datetime]]:
    """The planned event dates the stage was decided with, labelled for a person."""
    def label(name: str) -> str:
        words = EVENTS.get(name, name)
        return words[:1].upper() + words[1:]  # "NK cell infusion" keeps its capitals

    return [(label(name), _when(at)) for name, at in sorted(content.get("events", {}).items())]

