"""Compiling DMN input entries (FEEL unary tests) into `test(value, ctx) -> bool | None`.

`-` compiles to None so the evaluator skips the cell; common shapes (`< 5`, `[1..5]`,
`"A","B"`) get fast paths because they dominate large tables.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .errors import FeelError, note
from .feel import Ctx, compile_ast
from .feel_lexer import NameTable
from .feel_parser import parse_unary_tests
from .values import Range, compare, equal, ordering, show, type_name

Test = Callable[[Any, Ctx], Any]


def compile_unary_tests(text: str, names: NameTable, strict: bool = True) -> Test | None:
    """Compile an input entry; None means '-' (matches anything, so the evaluator skips it).

    strict: ordering two incompatible non-null values raises instead of quietly not matching,
    because in a table that is nearly always a wrong input type or a wrong cell.
    """
    ast = parse_unary_tests(text, names)
    if ast[0] == "any":
        return None
    if ast[0] == "not":
        inner = compile_tests(ast[1], strict)

        def negated(value: Any, ctx: Ctx) -> Any:
            r = inner(value, ctx)
            return None if r is None else not r
        return negated
    return compile_tests(ast[1], strict)


def compile_tests(tests: list[tuple], strict: bool) -> Test:
    strings = [t[1][1] for t in tests if t[0] == "ut_expr" and t[1][0] == "lit" and isinstance(t[1][1], str)]
    if len(strings) == len(tests) > 1:  # `"A","B","C"`: one set lookup instead of N tests
        choices = frozenset(strings)
        return lambda value, ctx: value in choices if value.__class__ is str else (
            None if value is not None else False)
    compiled = [_compile_test(t, strict) for t in tests]
    if len(compiled) == 1:
        return compiled[0]

    def any_of(value: Any, ctx: Ctx) -> Any:
        saw_null = False
        for test in compiled:
            r = test(value, ctx)
            if r is True:
                return True
            saw_null = saw_null or r is None
        return None if saw_null else False
    return any_of


def _compile_test(test: tuple, strict: bool) -> Test:
    if test[0] == "ut_cmp":
        op, endpoint = test[1], test[2]
        if endpoint[0] == "lit" and isinstance(endpoint[1], Decimal) and op in ("<", "<=", ">", ">="):
            return _number_test(op, endpoint[1], strict)
        end = compile_ast(endpoint)
        return lambda value, ctx: ordering(op, value, end(ctx), strict)
    expr = test[1]
    if _uses_q(expr):  # `? > 5 and ? < 9`: the expression itself is the boolean test
        fn = compile_ast(expr)

        def boolean_test(value: Any, ctx: Ctx) -> Any:
            ctx["?"] = value  # ctx is the evaluation's own dict, so binding here is safe
            return fn(ctx) is True
        return boolean_test
    if expr[0] == "lit":
        const = expr[1]
        if isinstance(const, str):
            return lambda value, ctx: value == const if value.__class__ is str else equal(value, const)
        if isinstance(const, bool):
            return lambda value, ctx: value is const if value.__class__ is bool else equal(value, const)
        if const is None:
            return lambda value, ctx: value is None
        return lambda value, ctx: equal(value, const)
    if expr[0] == "range" and expr[2][0] == "lit" and expr[3][0] == "lit":
        return _range_test(Range(expr[2][1], expr[3][1], expr[1], expr[4]), strict)
    fn = compile_ast(expr)

    def match(value: Any, ctx: Ctx) -> Any:
        target = fn(ctx)
        if isinstance(target, Range):
            r = target.contains(value)
            if r is None:
                note("a null value or range end in a range test")
            if r is None and strict and value is not None and target.low is not None \
                    and compare(target.low, target.low) is not None:
                raise FeelError(f"cannot compare {type_name(value)} {show(value)} with range of "
                                f"{type_name(target.low)}")
            return r
        if isinstance(target, list):
            for x in target:
                if (x.contains(value) if isinstance(x, Range) else equal(value, x)) is True:
                    return True
            return equal(value, target) if isinstance(value, list) else False
        return equal(value, target)
    return match


def _range_test(rng: Range, strict: bool) -> Test:
    low, high, low_closed, high_closed = rng.low, rng.high, rng.low_closed, rng.high_closed
    numeric = isinstance(low, Decimal) and isinstance(high, Decimal)

    def test(value: Any, ctx: Ctx) -> Any:
        if numeric and value.__class__ is Decimal:
            return (low <= value if low_closed else low < value) and \
                (value <= high if high_closed else value < high)
        r = rng.contains(value)
        if r is None:
            note("a null value or range end in a range test")
        if r is None and strict and value is not None and compare(low, low) is not None:
            raise FeelError(f"cannot compare {type_name(value)} {show(value)} with range of {type_name(low)}")
        return r
    return test


def _number_test(op: str, const: Decimal, strict: bool) -> Test:
    # fast path for the commonest cell shape: `< 5`, `>= 18`
    def test(value: Any, ctx: Ctx) -> Any:
        if value.__class__ is Decimal:
            return value < const if op == "<" else value <= const if op == "<=" else \
                value > const if op == ">" else value >= const
        return ordering(op, value, const, strict)
    return test


def _uses_q(node: Any) -> bool:
    if isinstance(node, tuple):
        if node and node[0] == "q":
            return True
        return any(_uses_q(x) for x in node[1:])
    if isinstance(node, list):
        return any(_uses_q(x) for x in node)
    return False
