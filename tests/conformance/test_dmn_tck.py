"""DMN TCK conformance: one pytest case per (testCase, resultNode) of the shared TCK material."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from workflows.decisions import DecisionError, load_decisions
from workflows.decisions.evaluator import DecisionModel

from .tck import SHARED, TckCase, cases, same

if not SHARED.is_dir():
    pytest.skip(f"conformance material not found at {SHARED} (expected ../shared beside the repo)",
                allow_module_level=True)

ALL = list(cases())

# Literal-expression cases that cannot pass, with the reason (decision tables are never listed).
XFAIL: dict[str, str] = {}


@cache
def _model(path: Path) -> DecisionModel:
    return load_decisions(path)


def run_case(case: TckCase) -> tuple[bool, str]:
    """(passed, detail) for one TCK result node."""
    try:
        result = _model(case.dmn).evaluate(case.result_name, case.inputs)
    except DecisionError as exc:
        if case.error_expected:
            return True, "raised as expected"
        return False, f"DecisionError: {exc}"
    if case.error_expected:  # the decision must report the error, not merely give null
        return result.value is None and bool(result.problems), \
            f"expected an error, got {result.value!r} (problems: {result.problems})"
    ok = same(result.value, case.expected)
    return ok, "" if ok else f"expected {case.expected!r}, got {result.value!r}"


def _param(case: TckCase) -> object:
    marks = []
    if case.test_id in XFAIL:
        assert not case.is_table, "decision-table cases must not be xfailed"
        marks.append(pytest.mark.xfail(reason=XFAIL[case.test_id], strict=True))
    kind = "table" if case.is_table else "literal"
    return pytest.param(case, id=f"{case.test_id}:{kind}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in ALL])
def test_tck_case(case: TckCase) -> None:
    ok, detail = run_case(case)
    assert ok, detail


def test_tck_counts_cover_the_material() -> None:
    level2 = [c for c in ALL if c.suite == "compliance-level-2"]
    level2_tables = [c for c in level2 if c.is_table]
    level3 = [c for c in ALL if c.suite == "compliance-level-3-tables"]
    assert len(level2_tables) == 51
    assert len(level2) >= 116
    assert level3
