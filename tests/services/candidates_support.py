"""A registry of many generated patients with results, built in bulk (for the
candidate search's tests and benchmark).

``seed_candidates`` adds ``count`` patients (``desktop.registry.demo.seed_bulk``) and,
for each, a random set of results of the codes the trials read (some inside, some
outside the protocols' limits, some codes missing), a fact now and then, and a
screening for some; everything in a few ``executemany`` calls. It returns what it
wrote, so a test can build each patient's record on its own and hold the search to
the engine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from desktop.registry.database import Registry
from desktop.registry.demo import seed_bulk

#: Per code: a unit and values a protocol may pass or fail on, with a ULN where the
#: code carries one.
_VALUES: Final[dict[str, tuple[str, tuple[str, ...], str | None]]] = {
    "ecog": ("score", ("0", "1", "2", "3"), None),
    "karnofsky": ("%", ("50", "70", "80", "90", "100"), None),
    "anc": ("10^9/L", ("0.4", "1.2", "2.5"), None),
    "hemoglobin": ("g/dL", ("7.5", "9.2", "12.1"), None),
    "platelets": ("10^9/L", ("20", "80", "150"), None),
    "alt": ("U/L", ("25", "60", "200"), "40"),
    "ast": ("U/L", ("22", "70", "180"), "40"),
    "bilirubin_total": ("mg/dL", ("0.6", "1.4", "3.9"), "1.2"),
    "bilirubin_direct": ("mg/dL", ("0.1", "0.3", "0.9"), "0.3"),
    "inr": ("ratio", ("1.0", "1.6"), "1.2"),
    "aptt": ("s", ("30", "55"), "35"),
    "creatinine": ("mg/dL", ("0.7", "1.1", "2.4"), "1.2"),
    "weight": ("kg", ("55", "72", "96"), None),
    "creatinine_clearance": ("mL/min", ("35", "65", "110"), None),
    "calcium": ("mg/dL", ("8.8", "9.6", "11.9"), "10.5"),
    "albumin": ("g/dL", ("2.9", "3.8"), None),
    "calcium_ionized": ("mmol/L", ("1.1", "1.3"), "1.32"),
    "lvef": ("%", ("35", "45", "60"), None),
    "spo2": ("%", ("88", "93", "98"), None),
    "bone_marrow_blasts": ("%", ("3", "12", "40"), None),
    "cd123_expression": ("%", ("5", "25", "70"), None),
    "cmv_dna": ("copies/mL", ("0", "150", "5000"), None),
}
_FACTS: Final = ("gilbert_syndrome", "childbearing_potential")


@dataclass
class Generated:
    """What ``seed_candidates`` wrote, by patient id."""

    #: (code, value, unit, at, uln) per patient.
    results: dict[int, list[tuple[str, str, str, datetime, str | None]]] = field(
        default_factory=dict)
    facts: dict[int, dict[str, bool]] = field(default_factory=dict)
    screened: dict[int, set[str]] = field(default_factory=dict)
    births: dict[int, tuple[date, str]] = field(default_factory=dict)
    archived: set[int] = field(default_factory=set)


def seed_candidates(registry: Registry, count: int, now: datetime,
                    screen_for: tuple[str, ...] = (), seed: int = 19) -> Generated:
    """Add ``count`` patients with results taken in the 40 days before ``now``; about
    one in twenty is screened for each trial of ``screen_for``."""
    rng = random.Random(seed)
    seed_bulk(registry, count, seed)
    made = Generated()
    observations: list[tuple[object, ...]] = []
    facts: list[tuple[object, ...]] = []
    screenings: list[tuple[object, ...]] = []
    stamp = "2026-01-01 00:00:00"
    with registry.read() as conn:
        people = conn.execute("SELECT id, birth_date, sex, archived FROM patient "
                              "ORDER BY id DESC LIMIT ?", (count,)).fetchall()
    for pid, born, sex, archived in people:
        made.births[pid] = (date.fromisoformat(born), sex)
        if archived:
            made.archived.add(pid)
        mine = []
        for code in rng.sample(sorted(_VALUES), rng.randrange(6, 16)):
            unit, values, uln = _VALUES[code]
            at = (now - timedelta(days=rng.randrange(0, 40), hours=rng.randrange(0, 9))
                  ).replace(second=0, microsecond=0)
            value = rng.choice(values)
            mine.append((code, value, unit, at, uln))
            observations.append((pid, code, value, unit, at.isoformat(), uln, "", "bulk",
                                 stamp, 0))
        made.results[pid] = mine
        made.facts[pid] = {}
        if rng.random() < 0.1:
            name, value = rng.choice(_FACTS), rng.random() < 0.5
            made.facts[pid][name] = value
            facts.append((pid, name, value, "bulk", stamp))
        made.screened[pid] = set()
        for trial_id in screen_for:
            if rng.random() < 0.05:
                made.screened[pid].add(trial_id)
                screenings.append((pid, trial_id, stamp, "bulk"))
    with registry.session() as session:
        raw = session.connection().exec_driver_sql
        raw("INSERT INTO observation (patient_id, code, value, unit, at, uln, source, "
            "entered_by, entered_at, retracted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            observations)
        if facts:
            raw("INSERT INTO patient_fact (patient_id, name, value, entered_by, entered_at) "
                "VALUES (?, ?, ?, ?, ?)", facts)
        if screenings:
            raw("INSERT INTO screening (patient_id, trial_id, started_at, started_by) "
                "VALUES (?, ?, ?, ?)", screenings)
    return made
