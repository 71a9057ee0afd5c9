"""Decision tables: their compiled form, and loading them from DMN XML (a mixin of the loader)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .dmn_xml import child, children, text_of
from .errors import DecisionError, FeelError
from .feel_lexer import NameTable
from .feel_parser import parse_unary_tests
from .unary import Test

HIT_POLICIES = {"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER"}
AGGREGATIONS = {"SUM", "MIN", "MAX", "COUNT"}


@dataclass
class InputColumn:
    label: str
    expression: Callable[[dict], Any]
    type_ref: str | None
    allowed: Test | None
    allowed_text: str | None


@dataclass
class OutputColumn:
    name: str
    type_ref: str | None
    priorities: list[Any]  # outputValues in order, for PRIORITY / OUTPUT ORDER
    default: Callable[[dict], Any] | None


@dataclass
class Rule:
    index: int  # 1-based, as process owners count
    rule_id: str | None
    annotation: str | None
    tests: list[tuple[int, Test]]  # only the non '-' cells
    outputs: list[Callable[[dict], Any]]
    line: int | None


@dataclass
class DecisionTable:
    hit_policy: str
    aggregation: str | None
    inputs: list[InputColumn]
    outputs: list[OutputColumn]
    rules: list[Rule]


class TableLoader:
    """Compiles <decisionTable> elements; the DMN loader supplies feel(), error() and names."""

    names: NameTable

    def feel(self, text: str | None, el: Any, unary: bool = False, **where: Any) -> Any:
        raise NotImplementedError

    def error(self, message: str, el: Any = None, **kw: Any) -> DecisionError:
        raise NotImplementedError

    def table(self, el: Any, owner: str, default_name: str) -> DecisionTable:
        policy = (el.get("hitPolicy") or "UNIQUE").upper().replace("_", " ")
        aggregation = (el.get("aggregation") or "").upper() or None
        if policy not in HIT_POLICIES:
            raise self.error(f"unknown hit policy '{policy}'", el, decision_id=owner)
        if aggregation and (policy != "COLLECT" or aggregation not in AGGREGATIONS):
            raise self.error(f"aggregation '{aggregation}' needs hit policy COLLECT", el, decision_id=owner)
        inputs = []
        for col in children(el, "input"):
            expr_el = child(col, "inputExpression")
            text = text_of(expr_el)
            label = col.get("label") or (text or "").strip() or col.get("id") or "input"
            expr = self.feel(text, expr_el if expr_el is not None else col, decision_id=owner,
                             column=label, column_kind="input")
            allowed_text = text_of(child(col, "inputValues"))
            allowed = None
            if allowed_text and allowed_text.strip():
                allowed = self.feel(allowed_text, col, unary=True, decision_id=owner, column=label,
                                    column_kind="input")
            type_ref = expr_el.get("typeRef") if expr_el is not None else None
            inputs.append(InputColumn(label, expr, type_ref, allowed, (allowed_text or "").strip() or None))
        outputs_el = children(el, "output")
        outputs = []
        for col in outputs_el:
            name = col.get("name") or col.get("label") or (default_name if len(outputs_el) == 1 else "")
            if not name:
                raise self.error("an output column of a multi-output table needs a name", col,
                                 decision_id=owner)
            priorities = self.output_values(col, owner, name)
            default_el = child(col, "defaultOutputEntry")
            default = None
            if default_el is not None and (text_of(default_el) or "").strip():
                default = self.feel(text_of(default_el), default_el, decision_id=owner, column=name,
                                    column_kind="output")
            outputs.append(OutputColumn(name, col.get("typeRef"), priorities, default))
        if aggregation and len(outputs) > 1:
            raise self.error("COLLECT with an aggregation needs exactly one output", el, decision_id=owner)
        rules = [self.rule(r, i, inputs, outputs, owner) for i, r in enumerate(children(el, "rule"), 1)]
        return DecisionTable(policy, aggregation, inputs, outputs, rules)

    def output_values(self, col: Any, owner: str, name: str) -> list[Any]:
        text = text_of(child(col, "outputValues"))
        if not text or not text.strip():
            return []
        try:
            ast = parse_unary_tests(text, self.names)
        except FeelError as exc:
            raise self.error(f"{exc.message} in outputValues", col, decision_id=owner, column=name,
                             column_kind="output") from None
        values = [t[1][1] for t in ast[1] if ast[0] == "tests" and t[0] == "ut_expr" and t[1][0] == "lit"]
        return values

    def rule(self, el: Any, index: int, inputs: list[InputColumn], outputs: list[OutputColumn],
             owner: str) -> Rule:
        entries = children(el, "inputEntry")
        results = children(el, "outputEntry")
        if len(entries) != len(inputs) or len(results) != len(outputs):
            raise self.error(f"rule has {len(entries)} input and {len(results)} output entries but the "
                             f"table has {len(inputs)} inputs and {len(outputs)} outputs", el,
                             decision_id=owner, rule_index=index)
        tests = []
        for ci, (cell, col) in enumerate(zip(entries, inputs)):
            test = self.feel(text_of(cell), cell, unary=True, decision_id=owner, rule_index=index,
                             column=col.label, column_kind="input")
            if test is not None:
                tests.append((ci, test))
        outs = []
        for cell, out_col in zip(results, outputs):
            text = text_of(cell)
            if text is not None and not text.strip():
                text = "null"  # an empty output cell is null
            outs.append(self.feel(text, cell, decision_id=owner, rule_index=index, column=out_col.name,
                                  column_kind="output"))
        notes = [(text_of(a) or "").strip() for a in children(el, "annotationEntry")]
        desc = child(el, "description")
        annotation = "; ".join(n for n in notes if n) or (desc.text.strip() if desc is not None and desc.text
                                                         else None)
        return Rule(index, el.get("id"), annotation or None, tests, outs, el.sourceline)
