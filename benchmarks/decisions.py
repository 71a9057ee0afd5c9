"""Benchmark careflow's DMN evaluator (and compare it with SpiffWorkflow's own DMN engine).

Run: .venv/bin/python benchmarks/decisions.py [--runs 5]
Prints evaluations per second (median of several runs) for:
  - DMN-02 UrgencyOfNeeds (FIRST, 9 rules, 7 inputs), written inline below;
  - a generated 200-rule table with FIRST and with COLLECT SUM;
  - a 200-rule UNIQUE table with Python-compatible cells, run by careflow and by SpiffWorkflow.
  - the DMN TCK level-3 pass count (coverage is watched with speed).
The last line is `decisions careflow/spiff=R`; the line before it `dmn tck level 3: P/T test cases pass`.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workflows.decisions import load_decisions  # noqa: E402

NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def _table(decision_id: str, hit_policy: str, inputs: list[tuple[str, str]], outputs: list[tuple[str, str]],
           rules: list[tuple[list[str], list[str]]], aggregation: str | None = None) -> str:
    """Build a one-decision DMN document from cell texts (XML-escaped here)."""
    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    parts = [f'<definitions xmlns="{NS}" id="bench" name="bench" namespace="http://careflow/bench">',
             f'<decision id="{decision_id}" name="{decision_id}">',
             f'<decisionTable id="{decision_id}_table" hitPolicy="{hit_policy}"{agg}>']
    for i, (name, type_ref) in enumerate(inputs):
        parts.append(f'<input id="in{i}" label="{name}"><inputExpression id="ie{i}" typeRef="{type_ref}">'
                     f'<text>{name}</text></inputExpression></input>')
    for i, (name, type_ref) in enumerate(outputs):
        parts.append(f'<output id="out{i}" name="{name}" typeRef="{type_ref}"/>')
    for r, (ins, outs) in enumerate(rules, 1):
        parts.append(f'<rule id="rule{r}">')
        parts += [f'<inputEntry id="r{r}i{i}"><text>{esc(t)}</text></inputEntry>' for i, t in enumerate(ins)]
        parts += [f'<outputEntry id="r{r}o{i}"><text>{esc(t)}</text></outputEntry>'
                  for i, t in enumerate(outs)]
        parts.append("</rule>")
    parts.append("</decisionTable></decision></definitions>")
    return "".join(parts)


def urgency_of_needs() -> str:
    inputs = [("riskToLife", "boolean"), ("immediateSignificantHealthRisk", "boolean"),
              ("safeguardingRisk", "boolean"), ("providerArrangementSatisfactory", "boolean"),
              ("daysUntilCareStops", "number"), ("terminallyIll", "boolean"),
              ("significantWellbeingImpact", "boolean")]
    outputs = [("urgency", "string"), ("isUrgent", "boolean"), ("responseWithin", "string"),
               ("safeguardingReferral", "boolean")]
    d = "-"
    rows = [
        ([("true"), d, d, d, d, d, d], ['"CRITICAL"', "true", '"PT4H"', "false"]),
        ([d, "true", d, d, d, d, d], ['"CRITICAL"', "true", '"PT24H"', "false"]),
        ([d, d, "true", d, d, d, d], ['"URGENT"', "true", '"PT24H"', "true"]),
        ([d, d, d, "true", d, d, d], ['"NONE"', "false", '"P7D"', "false"]),
        ([d, d, d, d, "<= 2", d, d], ['"CRITICAL"', "true", '"PT24H"', "false"]),
        ([d, d, d, d, d, "true", d], ['"URGENT"', "true", '"P2D"', "false"]),
        ([d, d, d, d, "<= 14", d, "true"], ['"URGENT"', "true", '"P3D"', "false"]),
        ([d, d, d, d, d, d, "true"], ['"URGENT"', "true", '"P7D"', "false"]),
        ([d, d, d, d, d, d, d], ['"ROUTINE"', "false", '"P14D"', "false"]),
    ]
    return _table("UrgencyOfNeeds", "FIRST", inputs, outputs, rows)


def urgency_inputs(rng: random.Random) -> dict[str, Any]:
    # mostly "no flag" people so that evaluation reaches the later rules, as in real caseloads
    flag = lambda p: rng.random() < p  # noqa: E731
    return {"riskToLife": flag(0.05), "immediateSignificantHealthRisk": flag(0.05),
            "safeguardingRisk": flag(0.05),
            "providerArrangementSatisfactory": flag(0.2), "daysUntilCareStops": rng.randint(0, 60),
            "terminallyIll": flag(0.05), "significantWellbeingImpact": flag(0.3)}


def generated(hit_policy: str, aggregation: str | None = None, rules: int = 200) -> str:
    rows = []
    for i in range(rules):
        age = f"[{i % 100}..{i % 100 + 10})"
        region = f'"R{i % 7}","R{(i + 3) % 7}"'
        flag = "true" if i % 3 == 0 else "-"
        rows.append(([age, region, flag], [str(i)]))
    return _table("Generated", hit_policy, [("age", "number"), ("region", "string"), ("flag", "boolean")],
                  [("amount", "number")], rows, aggregation)


def generated_inputs(rng: random.Random) -> dict[str, Any]:
    return {"age": rng.randint(0, 109), "region": f"R{rng.randint(0, 6)}", "flag": rng.random() < 0.5}


def python_compatible(rules: int = 200) -> str:
    """UNIQUE, cells both FEEL and Python can read: a string key and two numeric comparisons."""
    rows = [([f'"K{i}"', "> 5", "<= 1000"], [f'"OUT{i}"']) for i in range(rules)]
    return _table("Shared", "UNIQUE", [("key", "string"), ("score", "number"), ("limit", "number")],
                  [("result", "string")], rows)


def shared_inputs(rng: random.Random, rules: int = 200) -> dict[str, Any]:
    return {"key": f"K{rng.randrange(rules)}", "score": rng.randint(6, 50), "limit": rng.randint(0, 1000)}


def measure(fn: Callable[[dict[str, Any]], Any], inputs: list[dict[str, Any]], runs: int) -> float:
    """Median evaluations per second over `runs` passes through the same input set."""
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for values in inputs:
            fn(values)
        rates.append(len(inputs) / (time.perf_counter() - start))
    return statistics.median(rates)


def spiff_evaluator(xml: str) -> Callable[[dict[str, Any]], Any]:
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
    from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser

    parser = BpmnDmnParser()
    parser.add_dmn_str(xml.encode("utf-8"), filename="shared.dmn")
    engine = parser.get_engine("Shared", None)

    class _Workflow:
        script_engine = PythonScriptEngine()

    class _Task:  # the minimum of a task that DMNEngine touches
        workflow = _Workflow()
        data: dict[str, Any] = {}

    task = _Task()

    def run(values: dict[str, Any]) -> Any:
        task.data = values
        return engine.result(task)
    return run


def tck_level3_line() -> str:
    """How many DMN TCK level-3 test cases pass (the material sits in ../shared beside the repo)."""
    from tests.conformance.level3 import LEVEL3, run_all

    if not LEVEL3.is_dir():
        return f"dmn tck level 3: material not found at {LEVEL3}"
    start = time.perf_counter()
    counts, _ = run_all()
    passed, total = sum(p for p, _ in counts.values()), sum(t for _, t in counts.values())
    return f"dmn tck level 3: {passed}/{total} test cases pass ({time.perf_counter() - start:.1f} s)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--n", type=int, default=2000, help="evaluations per run")
    args = ap.parse_args()
    rng = random.Random(42)

    urgency = load_decisions(urgency_of_needs().encode(), filename="urgency.dmn")
    data = [urgency_inputs(rng) for _ in range(args.n)]
    rate = measure(lambda v: urgency.evaluate("UrgencyOfNeeds", v), data, args.runs)
    print(f"UrgencyOfNeeds (FIRST, 9 rules, 7 inputs): {rate:,.0f} evals/s")

    data = [generated_inputs(rng) for _ in range(args.n)]
    first = load_decisions(generated("FIRST").encode(), filename="first.dmn")
    rate = measure(lambda v: first.evaluate("Generated", v), data, args.runs)
    print(f"generated 200 rules FIRST: {rate:,.0f} evals/s")
    collect = load_decisions(generated("COLLECT", "SUM").encode(), filename="sum.dmn")
    rate = measure(lambda v: collect.evaluate("Generated", v), data, args.runs)
    print(f"generated 200 rules COLLECT SUM: {rate:,.0f} evals/s")

    xml = python_compatible()
    ours = load_decisions(xml.encode(), filename="shared.dmn")
    spiff = spiff_evaluator(xml)
    data = [shared_inputs(rng) for _ in range(args.n)]
    for values in data[:50]:  # both engines must agree before their speed means anything
        assert spiff(values)["result"] == ours.evaluate("Shared", values).value, values
    spiff_n = max(50, args.n // 10)  # spiff is slow; fewer evaluations keep the run short
    careflow_rate = measure(lambda v: ours.evaluate("Shared", v), data, args.runs)
    spiff_rate = measure(spiff, data[:spiff_n], args.runs)
    print(f"shared 200 rules UNIQUE careflow: {careflow_rate:,.0f} evals/s (checks all rules for overlap)")
    print(f"shared 200 rules UNIQUE spiff:    {spiff_rate:,.0f} evals/s (stops at the first match)")
    print(tck_level3_line())
    print(f"decisions careflow/spiff={careflow_rate / spiff_rate:.2f}")


if __name__ == "__main__":
    main()
