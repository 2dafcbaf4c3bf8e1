"""Helpers for the per-trial tests: seed texts, records built by hand, evaluation.

The seeds are the protocols as published (``shared/seeds`` beside the checkout, or the
folder ``NKSCREEN_SEEDS`` names). Their markdown escapes (``\\>``, ``\\<``, ``\\[``) and
whitespace are normalised before a criterion text is looked up in them. Without the seeds
the verbatim-text tests fail, never skip: a skipped safety test is a hidden gap.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from desktop.domain.engine import Verdict, evaluate
from desktop.domain.record import parse_record
from desktop.domain.trial import Trial
from desktop.library import find_trial

REPO = Path(__file__).resolve().parents[2]


def _seeds_folder() -> Path:
    """``NKSCREEN_SEEDS``, else ``shared/seeds`` beside the checkout (or beside the folder
    holding it: mutmut runs the tests from a copy in ``mutants/`` inside the checkout)."""
    if os.environ.get("NKSCREEN_SEEDS"):
        return Path(os.environ["NKSCREEN_SEEDS"])
    beside = REPO.parent / "shared" / "seeds"
    if REPO.name == "mutants" and not beside.is_dir():
        return REPO.parent.parent / "shared" / "seeds"
    return beside


SEEDS = _seeds_folder()


def normalise(text: str) -> str:
    text = re.sub(r"\\([^\w\s])", r"\1", text)  # markdown escapes: \> \< \[ \]
    return re.sub(r"\s+", " ", text).strip()


@cache
def seed_text(nct_id: str) -> str:
    """The normalised seed file that names ``nct_id``."""
    if not SEEDS.is_dir():
        pytest.fail(
            f"seed folder {SEEDS} not found: the verbatim protocol-text tests need the "
            f"published protocols. Put the project's shared/ folder beside the checkout "
            f"(so {REPO.parent / 'shared' / 'seeds'} exists), or set NKSCREEN_SEEDS to a "
            f"folder holding the seed .txt files.", pytrace=False)
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if nct_id in text:
            return normalise(text)
    raise AssertionError(f"no seed mentions {nct_id}")


@cache
def trial(nct_id: str) -> Trial:
    return find_trial(nct_id)


def record(**parts: Any) -> dict[str, Any]:
    """A RECORD dict; ``obs`` is a list of (code, value, unit, at[, uln]) tuples."""
    data: dict[str, Any] = {
        "patient": parts.pop("patient", {"birth_date": "1960-01-15", "sex": "female"}),
        "as_of": parts.pop("as_of", "2026-11-02T09:00"),
        "events": parts.pop("events", {}),
        "facts": parts.pop("facts", {}),
        "answers": parts.pop("answers", {}),
        "observations": [],
    }
    for item in parts.pop("obs", []):
        code, value, unit, at, *rest = item
        entry: dict[str, Any] = {"code": code, "value": value, "unit": unit, "at": at}
        if rest:
            entry["uln"] = rest[0]
        data["observations"].append(entry)
    assert not parts, f"unknown record parts: {sorted(parts)}"
    return data


def run(nct_id: str, stage: str, data: dict[str, Any]) -> Verdict:
    from datetime import datetime

    return evaluate(trial(nct_id), stage, parse_record(data, now=datetime(2026, 11, 2, 9, 0)))


def outcome(nct_id: str, stage: str, data: dict[str, Any], criterion: str) -> str:
    verdict = run(nct_id, stage, data)
    return next(r.outcome for r in verdict.results if r.id == criterion)


def nkscreen(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line as a user's script runs it: a subprocess at the repository root."""
    return subprocess.run([sys.executable, "-m", "desktop", *args], capture_output=True,
                          text=True, encoding="utf-8", cwd=REPO, timeout=60, check=False)
