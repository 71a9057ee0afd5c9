"""Print DMN TCK conformance counts: `python -m tests.conformance.report` (from the repo root)."""
from __future__ import annotations

import sys
from collections import defaultdict

from .tck import SHARED, cases


def main() -> int:
    if not SHARED.is_dir():
        print(f"conformance material not found at {SHARED}")
        return 1
    from .test_dmn_tck import run_case  # importing it without the material would skip

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    per_case: dict[tuple[str, str, str], bool] = {}
    for case in cases():
        ok, detail = run_case(case)
        key3 = (case.suite, case.model, case.case_id)
        per_case[key3] = per_case.get(key3, True) and ok
        for key in (case.suite, f"{case.suite} tables" if case.is_table else f"{case.suite} literal"):
            counts[key][0] += ok
            counts[key][1] += 1
        if not ok:
            failures.append(f"  FAIL {case.test_id}: {detail}")
    print("result nodes (one pytest case each):")
    for key in sorted(counts):
        print(f"  {key:40s} {counts[key][0]:4d} / {counts[key][1]}")
    print("TCK testCase elements (all result nodes pass):")
    for suite in sorted({k[0] for k in per_case}):
        oks = [v for k, v in per_case.items() if k[0] == suite]
        print(f"  {suite:40s} {sum(oks):4d} / {len(oks)}")
    print("\n".join(failures))
    from .level3 import run_all

    level3, level3_failures = run_all()
    passed, total = sum(p for p, _ in level3.values()), sum(t for _, t in level3.values())
    print(f"DMN TCK level 3 (testCase elements): {passed} / {total}")
    for key in sorted(level3):
        print(f"  {key:45s} {level3[key][0]:4d} / {level3[key][1]}")
    for test_id, detail in sorted(level3_failures.items()):
        print(f"  FAIL {test_id}: {detail}")
    return 0 if not failures and not level3_failures else 2


if __name__ == "__main__":
    sys.exit(main())
