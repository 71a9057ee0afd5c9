"""The whole DMN TCK level 3: reading its test cases, running them, counting passes per category.

Counting follows the TCK's published results: one count per <testCase>, which passes only when
every one of its result nodes does. An expected-error result node passes only when the model
loaded and that decision reported the error (raised it, or returned null and noted it).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from workflows.decisions import DecisionError, load_decisions
from workflows.decisions.evaluator import DecisionModel

from .tck import TCK, kids, parse_value, same

LEVEL3 = TCK / "compliance-level-3"
KNOWN_FAILURES = Path(__file__).with_name("level3_known_failures.txt")
RECORD = Path(__file__).with_name("level3_record.txt")


@dataclass
class ResultNode:
    name: str
    expected: Any
    error_expected: bool


@dataclass
class Level3Case:
    model: str  # folder name, e.g. 0070-feel-instance-of (the category counted)
    dmn: Path
    case_id: str
    inputs: dict[str, Any]
    results: list[ResultNode]
    invocable: str | None  # a decision service under test, when the case names one

    @property
    def test_id(self) -> str:
        return f"{self.model}/{self.case_id}"


def level3_cases() -> Iterator[Level3Case]:
    for folder in sorted(p for p in LEVEL3.iterdir() if p.is_dir()):
        for test_file in sorted(folder.glob("*-test-*.xml")):
            root = etree.parse(str(test_file)).getroot()
            model_name = kids(root, "modelName")
            if model_name and (model_name[0].text or "").strip():
                dmn = folder / model_name[0].text.strip()
            else:
                dmn = next(folder.glob("*.dmn"))
            for tc in kids(root, "testCase"):
                inputs = {n.get("name"): parse_value(n) for n in kids(tc, "inputNode")}
                results = []
                for rn in kids(tc, "resultNode"):
                    expected_el = kids(rn, "expected")
                    expected = parse_value(expected_el[0]) if expected_el else None
                    results.append(ResultNode(rn.get("name"), expected, rn.get("errorResult") == "true"))
                invocable = tc.get("invocableName") if tc.get("type") == "decisionService" else None
                yield Level3Case(folder.name, dmn, tc.get("id") or "?", inputs, results, invocable)


@cache
def load_model(path: Path) -> DecisionModel:
    """The model, loaded leniently: a decision that does not compile fails only itself."""
    return load_decisions(path, strict=False)


def run_result(case: Level3Case, node: ResultNode) -> tuple[bool, str]:
    try:
        model = load_model(case.dmn)
    except DecisionError as exc:
        return False, f"model did not load: {exc}"
    target = case.invocable or node.name
    try:
        result = model.evaluate(target, case.inputs)
    except DecisionError as exc:
        if node.error_expected and not _compile_error(model, target):
            return True, "raised as expected"
        return False, f"DecisionError: {exc}"
    except RecursionError:
        return False, "RecursionError"
    value = result.value
    if case.invocable:  # a decision service returns a context of its output decisions
        outputs = result.outputs or {}
        value = outputs.get(node.name, value)
    if node.error_expected:
        ok = value is None and bool(result.problems)
        return ok, "" if ok else f"expected an error, got {value!r} (problems: {result.problems})"
    ok = same(value, node.expected)
    return ok, "" if ok else f"expected {node.expected!r}, got {value!r}"


def _compile_error(model: DecisionModel, target: str) -> bool:
    """Whether the decision under test failed to compile (then an expected error does not count)."""
    found = model.decisions.get(target) or next((d for d in model.decisions.values() if d.name == target), None)
    return found is not None and found.error is not None


def run_case(case: Level3Case) -> tuple[bool, str]:
    details = []
    for node in case.results:
        ok, detail = run_result(case, node)
        if not ok:
            details.append(f"{node.name}: {detail}")
    return not details, "; ".join(details)


def read_known_failures() -> dict[str, str]:
    """test id -> cause, from the committed list (`id<TAB>cause` lines, # comments)."""
    if not KNOWN_FAILURES.exists():
        return {}
    out = {}
    for line in KNOWN_FAILURES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            test_id, _, cause = line.partition("\t")
            out[test_id.strip()] = cause.strip()
    return out


def recorded_total() -> int:
    return int(RECORD.read_text(encoding="utf-8").split()[0]) if RECORD.exists() else 0


_LAST: dict[str, list[int]] = {}


def last_counts() -> dict[str, list[int]]:
    """The counts of the last run_all() in this process (for the pytest summary)."""
    return _LAST


def run_all() -> tuple[dict[str, list[int]], dict[str, str]]:
    """(category -> [passed, total], failing test id -> detail)."""
    counts: dict[str, list[int]] = _LAST
    counts.clear()
    failures: dict[str, str] = {}
    for case in level3_cases():
        ok, detail = run_case(case)
        entry = counts.setdefault(case.model, [0, 0])
        entry[0] += ok
        entry[1] += 1
        if not ok:
            failures[case.test_id] = detail
    return counts, failures
