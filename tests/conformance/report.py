"""Print DMN TCK conformance counts: `python -m tests.conformance.report` (from the repo root)."""
from __future__ import annotations

import sys
from collections import defaultdict

from .tck import SHARED, cases
from .test_dmn_tck import run_case


def main() -> int:
    if not SHARED.is_dir():
        print(f"conformance material not found at {SHARED}")
        return 1
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for case in cases():
        ok, detail = run_case(case)
        for key in (case.suite, f"{case.suite} tables" if case.is_table else f"{case.suite} literal"):
            counts[key][0] += ok
            counts[key][1] += 1
        if not ok:
            failures.append(f"  FAIL {case.test_id}: {detail}")
    for key in sorted(counts):
        print(f"{key:40s} {counts[key][0]:4d} / {counts[key][1]}")
    print("\n".join(failures))
    return 0 if not failures else 2


if __name__ == "__main__":
    sys.exit(main())
