"""What changed in a stage's covered data since a signature: the words beside "data
changed since signing" (issue 13), worked out from two canonical contents.

Both sides are :meth:`desktop.domain.signing.SignedContent.canonical` values (the one
stored with the signature, and the one the registry gives now), so the comparison needs
no display strings either: it names codes, criterion ids, events and facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _keyed(items: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        grouped.setdefault(str(item[key]), []).append(item)
    return grouped


def changes_since(signed: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """Each covered thing that differs between ``signed`` and ``now``, one short line
    each, in a fixed order; empty when the data is as signed."""
    lines: list[str] = []
    if signed.get("content_version") != now.get("content_version"):
        lines.append("the signed content's version")
    for part, label in (("trial", "the trial file"), ("stage", "the stage"),
                        ("assessed_at", "the time assessed")):
        if signed.get(part) != now.get(part):
            lines.append(label)
    patient_before, patient_after = signed.get("patient", {}), now.get("patient", {})
    for key, label in (("birth_date", "date of birth"), ("sex", "sex")):
        if patient_before.get(key) != patient_after.get(key):
            lines.append(f"the patient's {label} changed")
    before = _keyed(list(signed.get("observations", [])), "code")
    after = _keyed(list(now.get("observations", [])), "code")
    for code in sorted(before.keys() | after.keys()):
        old, new = before.get(code, []), after.get(code, [])
        if old == new:
            continue
        if not new:
            lines.append(f"result {code} withdrawn")
        elif not old:
            lines.append(f"result {code} added")
        else:
            lines.append(f"result {code} changed")
    answers_before = {a["criterion"]: a for a in signed.get("answers", [])}
    answers_after = {a["criterion"]: a for a in now.get("answers", [])}
    for criterion in sorted(answers_before.keys() | answers_after.keys()):
        if answers_before.get(criterion) != answers_after.get(criterion):
            lines.append(f"answer {criterion} changed")
    events_before, events_after = signed.get("events", {}), now.get("events", {})
    for name in sorted(events_before.keys() | events_after.keys()):
        if events_before.get(name) != events_after.get(name):
            lines.append(f"planned {name} date changed")
    facts_before, facts_after = signed.get("facts", {}), now.get("facts", {})
    for name in sorted(facts_before.keys() | facts_after.keys()):
        if facts_before.get(name) != facts_after.get(name):
            lines.append(f"fact {name} changed")
    if signed.get("decision") != now.get("decision"):
        lines.append("the decision")
    return lines
