"""Decision tables in the modeller: the checks a DMN file passes on save, and "try it".

"Try it" evaluates the text in the editor (saved or not) with careflow's own evaluator, and says
for each rule that matched which input cell matched which value, so a process owner sees why.
"""
from __future__ import annotations

import re
from typing import Any

from lxml import etree

from .data import normalise, to_json_safe
from .errors import ProcessDefinitionError, ValidationFailed
from .model_checks import Problem
from .spiff_bridge import decision_inputs

DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "http://www.omg.org/spec/DMN/20151101/dmn.xsd")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _local(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c) == name]


def _text(el: Any) -> str:
    found = [c for c in el if _local(c) == "text"] if el is not None else []
    return (found[0].text or "").strip() if found else ""


def check_decision_file(root: etree._Element, filename: str) -> list[Problem]:
    """The file loads in careflow's evaluator (every FEEL cell compiles), and each literal output
    is one of its column's declared allowed values."""
    from .decisions import DecisionError, load_decisions

    if _local(root) != "definitions" or etree.QName(root).namespace not in DMN_NAMESPACES:
        return [Problem("dmn-loads", "The file is not a DMN 1.3 decision model", None, root.sourceline)]
    twice = _ids_used_twice(root)
    if twice:
        return twice
    try:
        model = load_decisions(etree.tostring(root), filename=filename, strict=False)
    except DecisionError as exc:
        return [_cell_problem(root, exc)]
    except ProcessDefinitionError as exc:
        return [Problem("dmn-loads", exc.message, exc.element, exc.line)]
    # Every decision that does not compile, each named at its rule when the cell is in one.
    problems = [_cell_problem(root, exc) for exc in getattr(model, "load_errors", [])]
    return problems or _output_values(root)


def _ids_used_twice(root: etree._Element) -> list[Problem]:
    """The decision log counts and compares rules by id: two rules sharing one would be counted as one."""
    first: dict[str, int | None] = {}
    problems = []
    for el in root.iter():
        eid = el.get("id") if isinstance(el.tag, str) else None
        if not eid:
            continue
        if eid in first:
            problems.append(Problem("unique-ids", f"The id '{eid}' is used again here (first on line {first[eid]}): "
                                    "each rule, column and decision needs an id of its own", eid, el.sourceline))
        else:
            first[eid] = el.sourceline
    return problems


def _cell_problem(root: etree._Element, exc: Any) -> Problem:
    element = getattr(exc, "decision_id", None)
    rule_index = getattr(exc, "rule_index", None)
    decision = next((d for d in root.iter() if _local(d) == "decision" and d.get("id") == element), None)
    if decision is not None and rule_index:
        rules = [r for r in decision.iter() if _local(r) == "rule"]
        if 1 <= rule_index <= len(rules) and rules[rule_index - 1].get("id"):
            element = rules[rule_index - 1].get("id")
    return Problem("dmn-cell-syntax", str(exc), element, getattr(exc, "line", None))


def _output_values(root: etree._Element) -> list[Problem]:
    problems = []
    for table in root.iter():
        if _local(table) != "decisionTable":
            continue
        allowed: list[list[str] | None] = []
        names = []
        for col in _kids(table, "output"):
            values = [c for c in col if _local(c) == "outputValues"]
            text = _text(values[0]) if values else ""
            allowed.append(_QUOTED.findall(text) if text else None)
            names.append(col.get("name") or col.get("label") or col.get("id") or "output")
        for number, rule in enumerate(_kids(table, "rule"), 1):
            for column, entry in enumerate(_kids(rule, "outputEntry")):
                if column >= len(allowed) or allowed[column] is None:
                    continue
                cell = _text(entry)
                literal = _QUOTED.fullmatch(cell)
                if literal and literal.group(1) not in (allowed[column] or []):
                    problems.append(Problem(
                        "dmn-output-values", f"Rule {number}: {names[column]} is {cell}, which is not one of "
                        f"its allowed values ({', '.join(allowed[column] or [])})",
                        rule.get("id"), entry.sourceline))
    return problems


def try_decision(xml: Any, decision_id: Any, inputs: Any, filename: str = "try.dmn") -> dict[str, Any]:
    """Evaluate ``decision_id`` of the DMN text ``xml`` with ``inputs``: the outputs, the rules that
    matched and, for each, the input cells that matched."""
    from .decisions import DecisionError, load_decisions
    from .library import parse_xml

    if not isinstance(xml, str) or not xml.strip():
        raise ValidationFailed("Send the decision table", [{"field": "xml", "message": "The table is empty"}])
    if not isinstance(decision_id, str) or not decision_id:
        raise ValidationFailed("Choose a decision", [{"field": "decisionId", "message": "Choose a decision"}])
    clean = normalise(inputs if inputs is not None else {}, source="inputs")
    root = parse_xml(xml, filename)
    try:
        model = load_decisions(xml.encode("utf-8"), filename=filename)
        result = model.evaluate(decision_id, decision_inputs(clean))
    except DecisionError as exc:
        raise ValidationFailed("The decision could not be evaluated",
                               [{"field": "decisionId", "message": str(exc)}]) from None
    record = to_json_safe(result.to_dict())
    why = _why(root, decision_id, record.get("matchedRules") or [], record.get("inputs") or clean)
    return {"decisionId": decision_id, "value": record.get("value"), "hitPolicy": record.get("hitPolicy"),
            "inputs": record.get("inputs") or {}, "matchedRules": record.get("matchedRules") or [], "why": why}


def _why(root: etree._Element, decision_id: str, matched: list[dict[str, Any]],
         inputs: dict[str, Any]) -> list[dict[str, Any]]:
    decision = next((d for d in root.iter() if _local(d) == "decision" and d.get("id") == decision_id), None)
    table = next((t for t in decision.iter() if _local(t) == "decisionTable"), None) if decision is not None else None
    if table is None:
        return []
    columns = []
    for col in _kids(table, "input"):
        expr = [c for c in col if _local(c) == "inputExpression"]
        text = _text(expr[0]) if expr else ""
        columns.append((col.get("label") or text, text))
    rules = _kids(table, "rule")
    out = []
    for match in matched:
        index = int(match.get("index") or 0)
        if not 1 <= index <= len(rules):
            continue
        cells = []
        for (label, expression), entry in zip(columns, _kids(rules[index - 1], "inputEntry"), strict=False):
            test = _text(entry)
            value = inputs.get(expression, inputs.get(label))
            cells.append({"input": label, "value": value, "test": test or "-",
                          "because": "any value" if test in ("", "-") else f"{value!r} matches {test}"})
        out.append({"rule": index, "annotation": match.get("annotation"), "cells": cells,
                    "outputs": match.get("outputs")})
    return out
