"""Engine speed: in-process evaluation, and ``nkscreen evaluate`` as a whole process.

Opt-in: ``python -m pytest tests/benchmarks/test_engine_bench.py --benchmark-enable
--benchmark-only``. Targets (issue 4): any stage in-process under 1 ms median; the whole
process at most 1.3 x ``python -c "import json"`` plus the import of the engine's own
modules.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from desktop.domain.engine import evaluate
from desktop.domain.record import parse_record
from desktop.library import load_library

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "trials" / "examples").glob("NCT*/*.json"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_evaluate_in_process(benchmark: Any, example: Path) -> None:
    trial = next(t for t in load_library() if t.id == example.parent.name)
    data = json.loads(example.read_text(encoding="utf-8"))

    def run() -> str:
        record = parse_record(data, now=datetime(2026, 11, 2))
        return evaluate(trial, example.stem, record).decision

    assert benchmark(run) == "eligible"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_engine_alone(benchmark: Any, example: Path) -> None:
    """The engine on a parsed record: what every keystroke of the visit form pays."""
    trial = next(t for t in load_library() if t.id == example.parent.name)
    record = parse_record(json.loads(example.read_text(encoding="utf-8")),
                          now=datetime(2026, 11, 2))
    assert benchmark(lambda: evaluate(trial, example.stem, record).decision) == "eligible"


def _process(benchmark: Any, args: list[str]) -> None:
    benchmark.pedantic(subprocess.run, args=(args,),
                       kwargs={"check": True, "capture_output": True, "cwd": REPO},
                       rounds=15, warmup_rounds=2)


def test_process_python_import_json(benchmark: Any) -> None:
    _process(benchmark, [sys.executable, "-c", "import json"])


def test_process_import_engine_modules(benchmark: Any) -> None:
    _process(benchmark, [sys.executable, "-c",
                         "import json, desktop.cli, desktop.library, desktop.domain.engine, "
                         "desktop.domain.record, desktop.site"])


@pytest.mark.skipif(not EXAMPLES, reason="no example records")
def test_process_nkscreen_evaluate(benchmark: Any) -> None:
    example = EXAMPLES[0]
    _process(benchmark, [sys.executable, "-m", "desktop", "evaluate", example.parent.name,
                         "--stage", example.stem, str(example)])
