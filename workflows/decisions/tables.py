"""Running a compiled decision table: matching rules, hit policies, aggregation, defaults."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import DecisionError, FeelError
from .table_loader import DecisionTable, Rule
from .values import (
    DECIMAL_CONTEXT,
    compare,
    equal,
    number_or_none,
    parse_date,
    parse_date_time,
    parse_duration,
    parse_time,
    to_json,
    type_name,
)


@dataclass
class MatchedRule:
    index: int  # 1-based rule number as shown in the modeller
    rule_id: str | None
    annotation: str | None
    outputs: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "ruleId": self.rule_id, "annotation": self.annotation,
                "outputs": to_json(self.outputs)}


def table_error(message: str, decision: str, rule: int | None = None, column: str | None = None,
          kind: str = "input") -> DecisionError:
    return DecisionError(message, decision_id=decision, rule_index=rule, column=column, column_kind=kind)


def _outputs(rule: Rule, table: DecisionTable, name: str, ctx: dict) -> dict[str, Any]:
    out = {}
    for fn, col in zip(rule.outputs, table.outputs):
        try:
            out[col.name] = fn(ctx)
        except FeelError as exc:
            raise table_error(exc.message, name, rule.index, col.name, "output") from None
    return out


def _shape(table: DecisionTable, outputs: dict[str, Any]) -> Any:
    return next(iter(outputs.values())) if len(table.outputs) == 1 else outputs


def _priority(table: DecisionTable, outputs: dict[str, Any]) -> tuple:
    key = []
    for col in table.outputs:
        value = outputs[col.name]
        rank = next((i for i, p in enumerate(col.priorities) if equal(p, value) is True),
                    len(col.priorities))
        key.append(rank)
    return tuple(key)


def _rule_list(rules: list[Rule]) -> str:
    nums = [str(r.index) for r in rules]
    return ", ".join(nums[:-1]) + " and " + nums[-1]


def run_table(table: DecisionTable, name: str, ctx: dict) -> tuple[Any, list[MatchedRule], dict[str, Any]]:
    """Evaluate one table in ctx; returns (FEEL value, matched rules, input values by label)."""
    values = []
    for col in table.inputs:
        try:
            value = col.expression(ctx)
        except FeelError as exc:
            raise table_error(exc.message, name, None, col.label) from None
        if value.__class__ is str and col.type_ref:
            value = _column_typed(col.type_ref, value)
        if col.allowed is not None and value is not None and col.allowed(value, ctx) is not True:
            raise table_error(f"value {to_json(value)!r} is not one of the allowed values {col.allowed_text}",
                        name, None, col.label)
        values.append(value)
    first = table.hit_policy == "FIRST"
    matched: list[Rule] = []
    rule = None
    ci = 0
    try:
        for rule in table.rules:
            for ci, test in rule.tests:
                if test(values[ci], ctx) is not True:
                    break
            else:
                matched.append(rule)
                if first:
                    break
    except FeelError as exc:
        raise table_error(exc.message, name, rule.index if rule else None, table.inputs[ci].label) from None
    audit = {col.label: values[i] for i, col in enumerate(table.inputs)}
    results = [(r, _outputs(r, table, name, ctx)) for r in matched]
    info = [MatchedRule(r.index, r.rule_id, r.annotation, outs) for r, outs in results]
    return _apply_policy(table, name, results, ctx), info, audit


def _apply_policy(table: DecisionTable, name: str, results: list[tuple[Rule, dict]], ctx: dict) -> Any:
    policy = table.hit_policy
    if not results:
        return _default(table, name, ctx)
    if policy == "UNIQUE" and len(results) > 1:
        raise table_error(f"rules {_rule_list([r for r, _ in results])} match, but hit policy UNIQUE "
                    f"allows only one", name, results[1][0].index)
    if policy == "ANY":
        for rule, outs in results[1:]:
            if any(equal(outs[k], results[0][1][k]) is not True for k in outs):
                raise table_error(f"rules {results[0][0].index} and {rule.index} match with different outputs, "
                            f"but hit policy ANY requires equal outputs", name, rule.index)
    if policy in ("UNIQUE", "ANY", "FIRST"):
        return _shape(table, results[0][1])
    if policy == "PRIORITY":
        best = min(results, key=lambda ro: _priority(table, ro[1]))
        return _shape(table, best[1])
    if policy == "OUTPUT ORDER":
        results = sorted(results, key=lambda ro: _priority(table, ro[1]))
    values = [_shape(table, outs) for _, outs in results]
    return _aggregate(table, name, values)


def _aggregate(table: DecisionTable, name: str, values: list[Any]) -> Any:
    agg = table.aggregation
    if agg is None:
        return values
    if agg == "COUNT":
        return Decimal(len(values))
    present = [v for v in values if v is not None]
    if not present:
        return None
    if agg == "SUM":
        if not all(isinstance(v, Decimal) for v in present):
            raise table_error("COLLECT SUM needs numeric outputs", name, column=table.outputs[0].name,
                        kind="output")
        total = Decimal(0)
        for v in present:
            total = DECIMAL_CONTEXT.add(total, v)
        return total
    best = present[0]
    for v in present[1:]:
        c = compare(v, best)
        if c is None:
            raise table_error(f"COLLECT {agg} cannot compare {type_name(v)} with {type_name(best)}", name,
                        column=table.outputs[0].name, kind="output")
        if (c < 0) if agg == "MIN" else (c > 0):
            best = v
    return best


def _default(table: DecisionTable, name: str, ctx: dict) -> Any:
    if table.aggregation == "COUNT":
        return Decimal(0)
    if not any(col.default for col in table.outputs):
        return None
    outs = {}
    for col in table.outputs:
        try:
            outs[col.name] = col.default(ctx) if col.default else None
        except FeelError as exc:
            raise table_error(exc.message, name, None, col.name, "output") from None
    value = _shape(table, outs)
    if table.hit_policy in ("COLLECT", "RULE ORDER", "OUTPUT ORDER"):
        return _aggregate(table, name, [value])
    return value


COERCE = {"number": number_or_none, "date": parse_date, "dateTime": parse_date_time,
           "date and time": parse_date_time, "time": parse_time, "duration": parse_duration,
           "dayTimeDuration": parse_duration, "yearMonthDuration": parse_duration,
           "days and time duration": parse_duration, "years and months duration": parse_duration}


def _column_typed(type_ref: str, value: str) -> Any:
    """A text value in a column declared number/date/...: use the typed value when it parses,
    else keep the text so the cell reports a clear type mismatch."""
    coerce = COERCE.get(type_ref.split(":")[-1])
    if coerce is None:
        return value
    try:
        typed = coerce(value)
    except FeelError:
        return value
    return value if typed is None else typed


