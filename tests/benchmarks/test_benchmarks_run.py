"""Every benchmark runs at a small size inside the test run, so none can rot unnoticed: each must exit
cleanly and end with its summary line. The figures themselves are for `make bench`, not asserted here."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SMALL = {
    "care_planning.py": (["--lines", "10", "--plans", "30", "--rounds", "3"],
                         r"^care_planning lines=10 validate_p95_ms=[\d.]+ plans=30 inbox_p95_ms=[\d.]+ "
                         r"api_p95_ms=[\d.]+$"),
    "decisions.py": (["--runs", "1", "--n", "200"], r"^decisions careflow/spiff=[\d.]+$"),
    "engine_overhead.py": (["--rounds", "1"], r"^overhead runtime/raw=[\d.]+ http/raw=[\d.]+$"),
    "load.py": (["--users", "3", "--seconds", "8", "--people", "60", "--timers", "20"],
                r"^load users=3 p95_ms=[\d.]+ errors=0 lost=0$"),
    "inbox.py": (["--tasks", "600", "--rounds", "5"], r"^inbox tasks=600 page_p95_ms=[\d.]+ api_p95_ms=[\d.]+$"),
    "provider_failure_fanout.py": (["--sizes", "20,40", "--samples", "3"],
                                   r"^fanout n=40 seconds=[\d.]+ per_person_ms=[\d.]+ growth_\S+=[\d.]+$"),
    "timers.py": (["--n", "40", "--window", "2", "--poll", "0.2", "--backends", "sqlite"],
                  r"^timers n=40 fire_all_s=[\d.]+ lag_p99_s=[\d.]+$"),
}


def test_every_benchmark_script_is_smoke_run():
    assert {p.name for p in (ROOT / "benchmarks").glob("*.py")} == set(SMALL)


@pytest.mark.parametrize("script", sorted(SMALL))
def test_benchmark_runs_small_and_prints_its_summary_last(script):
    args, last = SMALL[script]
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines and re.match(last, lines[-1]), done.stdout[-2000:]
