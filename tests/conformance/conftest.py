"""Print DMN TCK conformance counts at the end of a pytest run that included the TCK cases."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

_RESULTS: dict[str, list[int]] = defaultdict(lambda: [0, 0])


def pytest_runtest_logreport(report: Any) -> None:
    if report.when != "call" or "test_tck_case[" not in report.nodeid:
        return
    case_id = report.nodeid.split("test_tck_case[", 1)[1].rstrip("]")
    suite, kind = case_id.split("/", 1)[0], case_id.rsplit(":", 1)[-1]
    for key in (suite, f"{suite} {kind}"):
        _RESULTS[key][0] += report.passed
        _RESULTS[key][1] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from .level3 import last_counts

    level3 = last_counts()
    if level3:
        passed, total = sum(p for p, _ in level3.values()), sum(t for _, t in level3.values())
        terminalreporter.section(f"DMN TCK level 3: {passed} / {total} test cases pass")
        for key in sorted(level3):
            if level3[key][0] < level3[key][1]:
                terminalreporter.write_line(f"{key:45s} {level3[key][0]:4d} / {level3[key][1]}")
        terminalreporter.write_line(f"(the other {sum(1 for v in level3.values() if v[0] == v[1])} "
                                    f"categories pass in full)")
    if not _RESULTS:
        return
    terminalreporter.section("DMN TCK conformance (result nodes passed)")
    for key in sorted(_RESULTS):
        passed, total = _RESULTS[key]
        terminalreporter.write_line(f"{key:40s} {passed:4d} / {total}")
