"""The care-planning benchmark runs end to end at a small size (the real run is ``make bench``)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "care_planning.py"


def test_care_planning_benchmark_smoke() -> None:
    spec = importlib.util.spec_from_file_location("care_planning_bench", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    figures = bench.main(lines=10, plans=30, rounds=3)
    assert set(figures) == {"validate_p95_ms", "inbox_p95_ms", "api_p95_ms"}
    assert all(v > 0 for v in figures.values())
