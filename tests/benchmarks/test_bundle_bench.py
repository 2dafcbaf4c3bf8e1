"""Start-up of the built bundle against the same from source: process start to first paint.

Opt-in, and needs a built bundle (``pyinstaller build.spec``, or ``NKSCREEN_BUNDLE`` set
to the executable):

    python -m pytest tests/benchmarks/test_bundle_bench.py --benchmark-enable --benchmark-only

Each round runs ``--smoke`` offscreen on a fresh data folder. The benchmark's own timing
is the whole run (start, paint, open and migrate the registry, close); the time from
process start to the first painted window is taken from the monotonic clock stamp that
``--smoke`` prints, and stored as ``extra_info["first_paint_median_s"]``.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLE_EXE = Path(os.environ.get("NKSCREEN_BUNDLE", REPO / "dist" / "nkscreen" / "nkscreen"))
FIRST_PAINT = re.compile(r"smoke: first paint .*\(monotonic ([0-9.]+)\)")
ROUNDS = 10

if not sys.platform.startswith("linux"):  # the stamp is CLOCK_MONOTONIC, shared by processes
    pytest.skip("first-paint timing compares monotonic clocks across processes (Linux)",
                allow_module_level=True)


def _smoke(command: list[str], first_paints: list[float]) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        env = os.environ | {"QT_QPA_PLATFORM": "offscreen", "NKSCREEN_HOME": data_dir}
        started = time.monotonic()
        result = subprocess.run([*command, "--smoke", "--data-dir", data_dir], env=env,
                                capture_output=True, text=True, cwd=tempfile.gettempdir(),
                                timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    match = FIRST_PAINT.search(result.stdout)
    assert match, result.stdout
    first_paints.append(float(match.group(1)) - started)


def _bench(benchmark: Any, command: list[str]) -> None:
    first_paints: list[float] = []
    benchmark.pedantic(_smoke, args=(command, first_paints), rounds=ROUNDS, warmup_rounds=1)
    measured = first_paints[1:]  # without the warm-up round
    benchmark.extra_info["first_paint_median_s"] = round(statistics.median(measured), 4)
    benchmark.extra_info["first_paint_min_s"] = round(min(measured), 4)


@pytest.mark.skipif(not BUNDLE_EXE.is_file(), reason=f"no built bundle at {BUNDLE_EXE}")
def test_smoke_bundle(benchmark: Any) -> None:
    _bench(benchmark, [str(BUNDLE_EXE)])


def test_smoke_source(benchmark: Any) -> None:
    _bench(benchmark, [sys.executable, "-m", "desktop"])
