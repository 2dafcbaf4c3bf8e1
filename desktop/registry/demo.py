"""Demo and benchmark data: clearly fictional patients, never real people.

``seed_demo`` adds a dozen obviously made-up patients (MRN ``DEMO-0001``...) through
the normal repository, so they are validated and audited like any other; running it
again adds nothing. ``seed_bulk`` writes many rows in one Core ``executemany`` for
benchmarks, bypassing validation and audit.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from desktop.registry import search_sql
from desktop.registry.database import Registry
from desktop.registry.models.base import search_key, utcnow
from desktop.registry.models.patient import patient_table
from desktop.registry.patients import PatientInput, PatientRepository

_DEMO_FAMILY = ("Testwell", "Sampleton", "Placeholder", "Fakesby", "Mockford", "Dummington")
_DEMO_GIVEN = (("Demo Ada", "female"), ("Demo Bob", "male"), ("Demo Cleo", "female"),
               ("Demo Dan", "male"), ("Demo Eve", "female"), ("Demo Finn", "male"))

_BULK_STEMS = ("Ab", "Bel", "Car", "Dun", "El", "Fa", "Gor", "Har", "Is", "Jan", "Kel", "Lor",
               "Mor", "Nal", "Or", "Pet", "Quin", "Ros", "Sm", "Tal", "Ur", "Val", "Wes", "Yor",
               "Zan")
_BULK_ENDINGS = ("ton", "berg", "son", "ley", "ford", "ini", "ez", "ova", "ard", "well", "by",
                 "stein", "ith", "er", "aki", "sen")
_BULK_GIVEN = ("Ada", "Ben", "Cora", "Dev", "Edda", "Femi", "Gus", "Hana", "Ivo", "Jun", "Kai",
               "Lena", "Milo", "Nia", "Otto", "Pia", "Ravi", "Sol", "Tove", "Uma", "Vic", "Wren",
               "Xan", "Yara", "Zeb")


def demo_mrn(number: int) -> str:
    return f"DEMO-{number:04d}"


def seed_demo(registry: Registry, count: int = 12, user: str = "demo") -> int:
    """Ensure demo patients ``DEMO-0001``..``DEMO-{count}`` exist; return how many were added."""
    repo = PatientRepository(registry, user)
    existing = {row.mrn for row in repo.search("DEMO-", limit=count + 1000,
                                               include_archived=True)}
    added = 0
    for number in range(1, count + 1):
        mrn = demo_mrn(number)
        if mrn in existing:
            continue
        given, sex = _DEMO_GIVEN[(number - 1) % len(_DEMO_GIVEN)]
        repo.add(PatientInput(
            mrn=mrn,
            family_name=_DEMO_FAMILY[(number - 1) // len(_DEMO_GIVEN) % len(_DEMO_FAMILY)],
            given_name=given,
            birth_date=date(1950, 1, 1) + timedelta(days=397 * number),
            sex=sex,
        ))
        added += 1
    return added

#: The share of bulk patients with a double-barrelled family name (and, separately, with
#: a second given name).
_COMPOUND = 0.15


def seed_bulk(registry: Registry, count: int, seed: int = 2024) -> None:
    """Insert ``count`` fictional patients (MRN ``BULK-0000001``...) in one transaction."""
    table = patient_table
    rng = random.Random(seed)
    now = utcnow()
    with registry.session() as session:
        start = int(session.execute(select(func.coalesce(func.max(table.c.id), 0)))
                    .scalar_one()) + 1
        rows: list[dict[str, Any]] = []
        for number in range(start, start + count):
            family = rng.choice(_BULK_STEMS) + rng.choice(_BULK_ENDINGS)
            given = rng.choice(_BULK_GIVEN)
            # Some double-barrelled family names and second given names, as in life: what
            # a search by an inner word ("lindqvist" of "Åberg-Lindqvist") has to find.
            if rng.random() < _COMPOUND:
                family += "-" + rng.choice(_BULK_STEMS) + rng.choice(_BULK_ENDINGS)
            if rng.random() < _COMPOUND:
                given += " " + rng.choice(_BULK_GIVEN)
            mrn = f"BULK-{number:07d}"
            rows.append({
                "mrn": mrn, "mrn_key": search_key(mrn),
                "family_name": family, "family_key": search_key(family),
                "given_name": given, "given_key": search_key(given),
                "birth_date": date(1930, 1, 1) + timedelta(days=rng.randrange(80 * 365)),
                "sex": rng.choice(("female", "male")), "archived": rng.random() < 0.05,
                "created_at": now, "created_by": "bulk", "updated_at": now,
                "updated_by": "bulk",
            })
        session.execute(insert(table), rows)
        words: list[dict[str, Any]] = []
        parts: list[dict[str, Any]] = []
        for number, row in enumerate(rows, start):
            more_words, more_parts = search_sql.index_rows(number, row["mrn"],
                                                           row["family_name"], row["given_name"])
            words += more_words
            parts += more_parts
        if words:
            session.execute(text(search_sql.INSERT_WORD_SQL), words)
        if parts:
            session.execute(text(search_sql.INSERT_PART_SQL), parts)
        # One audit row for the lot (each patient is among its changes).
        from desktop.registry.models.audit import record_event

        record_event(session, actor="bulk", action="patient.bulk_create", entity="patient",
                     entity_id=start, details={"count": count})
