"""FEEL compiler: turns the parser's AST into nested Python closures.

Each cell is parsed and compiled once when a model loads; evaluation only calls closures with
a context dict (name -> FEEL value). No user text is ever handed to Python's eval/exec.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from .builtins import BUILTINS
from .errors import FeelError, check_time, note, spend_iterations
from .feel_function import FeelFunction, names_table
from .feel_lexer import NameTable
from .feel_parser import parse_expression
from .temporal import arithmetic, path_of
from .values import (
    DECIMAL_CONTEXT,
    Range,
    YearsMonths,
    ordering,
    parse_date,
    parse_date_time,
    parse_duration,
    parse_time,
    type_name,
)

Ctx = dict[str, Any]
Fn = Callable[[Ctx], Any]
_MISSING = object()
__all__ = ["FeelFunction", "compile_ast", "compile_expression", "names_table"]
MAX_RANGE_ITEMS = 100_000


def compile_expression(text: str, names: NameTable) -> Fn:
    return compile_ast(parse_expression(text, names))


def compile_ast(node: tuple) -> Fn:
    return _compile(node)


# -- expression compiler -----------------------------------------------------------------------
def _compile(node: tuple) -> Fn:
    return _COMPILERS[node[0]](node)


def _c_lit(node: tuple) -> Fn:
    value = node[1]
    return lambda ctx: value


def _c_name(node: tuple) -> Fn:
    name = node[1]
    builtin = BUILTINS.get(name, _MISSING)

    def lookup(ctx: Ctx) -> Any:
        value = ctx.get(name, builtin)
        if value is _MISSING:
            if "." in name and name.split(".")[0] in ctx:  # `Person.Gender` read as a path
                value = ctx[name.split(".")[0]]
                for key in name.split(".")[1:]:
                    value = path_of(value, key)
                return value
            raise FeelError(f"unknown name '{name}'")
        return value
    return lookup


def _c_q(node: tuple) -> Fn:
    return lambda ctx: ctx.get("?")


def _c_temporal(node: tuple) -> Fn:
    text = node[1]
    try:
        if text.startswith(("P", "-P")):
            value: Any = parse_duration(text)
        elif "T" in text:
            value = parse_date_time(text)
        elif ":" in text:
            value = parse_time(text)
        else:
            value = parse_date(text)
    except FeelError as exc:  # `@"foo"` is null at run time, reported, not a load error
        message = exc.message

        def invalid(ctx: Ctx) -> Any:
            note(message)
        return invalid
    return lambda ctx: value


def _c_path(node: tuple) -> Fn:
    base, key = _compile(node[1]), node[2]

    def path(ctx: Ctx) -> Any:
        value = base(ctx)
        if isinstance(value, list):
            return [path_of(v, key) for v in value]
        return path_of(value, key)
    return path


def _c_filter(node: tuple) -> Fn:
    base, cond = _compile(node[1]), _compile(node[2])
    constant = node[2][0] in ("lit", "neg")

    def filt(ctx: Ctx) -> Any:
        items = base(ctx)
        if items is None:
            return None
        if not isinstance(items, list):
            items = [items]
        if constant:
            return _pick(items, cond(ctx))
        out = []
        for i, item in enumerate(items):
            scope = dict(ctx)
            scope["item"] = item
            if isinstance(item, dict):
                scope.update(item)
            try:
                r = cond(scope)
            except FeelError:
                if not isinstance(item, dict):
                    raise
                r = None  # a name this context item lacks: the item does not match
            if r.__class__ is Decimal and i == 0:  # numeric filter = 1-based index
                return _pick(items, r)
            if r is True:
                out.append(item)
        return out
    return filt


def _pick(items: list, r: Any) -> Any:
    if r.__class__ is Decimal:
        k = int(r)
        if 0 < k <= len(items):
            return items[k - 1]
        if k < 0 and -k <= len(items):
            return items[k]
        note(f"index {k} is outside the list")
        return None
    if r is True:
        return items
    if r is False or r is None:
        return []
    note("a filter must be a boolean or a number")
    return None


def _c_call(node: tuple) -> Fn:
    callee_node, arg_nodes, named_nodes = node[1], node[2], node[3]
    args = [_compile(a) for a in arg_nodes]
    named = {k: _compile(v) for k, v in (named_nodes or {}).items()}
    callee = _compile(callee_node)
    label = callee_node[1] if callee_node[0] == "name" else "function"
    if label == "is defined" and len(arg_nodes) == 1 and arg_nodes[0][0] == "name":
        var = arg_nodes[0][1]
        return lambda ctx: var in ctx

    def call(ctx: Ctx) -> Any:
        fn = callee(ctx)
        values = [a(ctx) for a in args]
        if named:
            invoke = getattr(fn, "invoke", None)
            if invoke is None:
                note(f"'{label}' is not a function")
                return None
            return invoke(values, {k: v(ctx) for k, v in named.items()})
        if isinstance(fn, FeelFunction):
            return fn.invoke(values)
        if not callable(fn):
            note(f"'{label}' is not a function")
            return None
        try:
            return fn(*values)
        except FeelError:
            raise
        except (TypeError, ValueError, ArithmeticError, InvalidOperation, OverflowError,
                AttributeError, IndexError):
            note(f"{label}() cannot take these arguments")
            return None
    return call


def _c_neg(node: tuple) -> Fn:
    inner = _compile(node[1])

    def neg(ctx: Ctx) -> Any:
        v = inner(ctx)
        if isinstance(v, Decimal):
            return -v
        if isinstance(v, dt.timedelta):
            return -v
        if v.__class__ is YearsMonths:
            return YearsMonths(-v.months)
        note(f"cannot negate {type_name(v)}")
        return None
    return neg


def _c_arith(node: tuple) -> Fn:
    op, left, right = node[1], _compile(node[2]), _compile(node[3])
    fast = {"+": DECIMAL_CONTEXT.add, "-": DECIMAL_CONTEXT.subtract,
            "*": DECIMAL_CONTEXT.multiply}.get(op)

    def arith(ctx: Ctx) -> Any:
        a, b = left(ctx), right(ctx)
        if fast is not None and a.__class__ is Decimal and b.__class__ is Decimal:
            return fast(a, b)
        result = arithmetic(op, a, b)
        if result is None:
            note(f"{type_name(a)} {op} {type_name(b)} is not defined")
        return result
    return arith


def _c_cmp(node: tuple) -> Fn:
    op, left, right = node[1], _compile(node[2]), _compile(node[3])

    def cmp(ctx: Ctx) -> Any:
        a, b = left(ctx), right(ctx)
        result = ordering(op, a, b, False)
        if result is None:
            note(f"cannot compare {type_name(a)} with {type_name(b)}")
        return result
    return cmp


def _c_and(node: tuple) -> Fn:
    left, right = _compile(node[1]), _compile(node[2])

    def conj(ctx: Ctx) -> Any:
        a = left(ctx)
        if a is False:
            return False
        b = right(ctx)
        if b is False:
            return False
        return True if a is True and b is True else None
    return conj


def _c_or(node: tuple) -> Fn:
    left, right = _compile(node[1]), _compile(node[2])

    def disj(ctx: Ctx) -> Any:
        a = left(ctx)
        if a is True:
            return True
        b = right(ctx)
        if b is True:
            return True
        return False if a is False and b is False else None
    return disj


def _c_if(node: tuple) -> Fn:
    cond, then, other = _compile(node[1]), _compile(node[2]), _compile(node[3])
    return lambda ctx: then(ctx) if cond(ctx) is True else other(ctx)


def _c_list(node: tuple) -> Fn:
    items = [_compile(n) for n in node[1]]
    return lambda ctx: [f(ctx) for f in items]


def _c_ctx(node: tuple) -> Fn:
    entries = [(k, _compile(v)) for k, v in node[1]]
    keys = [k for k, _ in entries]
    if len(set(keys)) != len(keys):  # an error of this decision when it runs, not of the whole file
        message = f"a context has the key '{next(k for k in keys if keys.count(k) > 1)}' twice"

        def duplicate(ctx: Ctx) -> Any:
            raise FeelError(message)
        return duplicate

    def context(ctx: Ctx) -> Any:
        scope = dict(ctx)
        out: dict[str, Any] = {}
        for key, fn in entries:  # later entries may refer to earlier ones
            out[key] = scope[key] = fn(scope)
        return out
    return context


def _c_range(node: tuple) -> Fn:
    low_closed, low, high, high_closed = node[1], _compile(node[2]), _compile(node[3]), node[4]
    span = node[5] if len(node) > 5 else ""
    return lambda ctx: Range(low(ctx), high(ctx), low_closed, high_closed, span)


def _c_ut_range(node: tuple) -> Fn:
    op, end = node[1], _compile(node[2])

    def range_value(ctx: Ctx) -> Any:
        e = end(ctx)
        if op == "=":
            return Range(e, e, True, True, op)
        if op in ("<", "<="):
            return Range(None, e, False, op == "<=", op)
        if op in (">", ">="):
            return Range(e, None, op == ">=", False, op)
        note("'!=' is not a range")
        return None
    return range_value


def _c_between(node: tuple) -> Fn:
    value, low, high = _compile(node[1]), _compile(node[2]), _compile(node[3])

    def between(ctx: Ctx) -> Any:
        v, lo, hi = value(ctx), low(ctx), high(ctx)
        if v is None or lo is None or hi is None:
            note("between with null")
            return None
        below, above = ordering(">=", v, lo, False), ordering("<=", v, hi, False)
        if below is None or above is None:
            note(f"cannot compare {type_name(v)} with {type_name(lo)} and {type_name(hi)}")
            return None
        return below and above
    return between


def _c_instanceof(node: tuple) -> Fn:
    value, kind = _compile(node[1]), node[2]
    return lambda ctx: kind.instance(value(ctx))


def _c_in(node: tuple) -> Fn:
    from .unary import compile_tests  # unary tests are built from expressions: import late

    value, tests = _compile(node[1]), compile_tests(node[2], strict=False)
    return lambda ctx: tests(value(ctx), ctx)


def _iterate(loops: list[tuple[str, Fn]], ctx: Ctx) -> Iterable[Ctx]:
    if not loops:
        yield ctx
        return
    (var, source), rest = loops[0], loops[1:]
    items = source(ctx)
    if isinstance(items, Range) and items.unary != ".." and ordering(">", items.low, items.high, False):
        raise FeelError(f"'{var}' iterates over a range whose start is after its end")
    if isinstance(items, Range) and items.low.__class__ is dt.date and items.high.__class__ is dt.date:
        days = (items.high - items.low).days
        step = 1 if days >= 0 else -1
        if abs(days) > MAX_RANGE_ITEMS:
            raise FeelError(f"'{var}' iterates over more than {MAX_RANGE_ITEMS} days")
        items = [items.low + dt.timedelta(days=i) for i in range(0, days + step, step)]
    if isinstance(items, Range) and isinstance(items.low, Decimal) and isinstance(items.high, Decimal):
        step = 1 if items.high >= items.low else -1
        if abs(items.high - items.low) > MAX_RANGE_ITEMS:  # a cell must not tie up a worker
            raise FeelError(f"'{var}' iterates over more than {MAX_RANGE_ITEMS} numbers")
        items = [Decimal(i) for i in range(int(items.low), int(items.high) + step, step)]
    if not isinstance(items, list):
        if items is None or isinstance(items, Range):
            raise FeelError(f"'{var}' must iterate over a list")
        items = [items]
    spend_iterations(len(items))
    for i, item in enumerate(items):
        if not i & 63:
            check_time()
        yield from _iterate(rest, {**ctx, var: item})


def _c_for(node: tuple) -> Fn:
    loops = [(v, _compile(e)) for v, e in node[1]]
    body = _compile(node[2])

    def for_loop(ctx: Ctx) -> Any:
        out: list[Any] = []
        for scope in _iterate(loops, ctx):
            scope["partial"] = out  # the results so far, as FEEL names them
            out.append(body(scope))
        return out
    return for_loop


def _c_some(node: tuple) -> Fn:
    loops = [(v, _compile(e)) for v, e in node[1]]
    cond = _compile(node[2])
    return lambda ctx: any(cond(scope) is True for scope in _iterate(loops, ctx))


def _c_every(node: tuple) -> Fn:
    loops = [(v, _compile(e)) for v, e in node[1]]
    cond = _compile(node[2])
    return lambda ctx: all(cond(scope) is True for scope in _iterate(loops, ctx))


def _c_function(node: tuple) -> Fn:
    names, types, body = [p for p, _ in node[1]], [t for _, t in node[1]], _compile(node[2])
    return lambda ctx: FeelFunction(names, body, ctx, param_types=types)


def _c_external(node: tuple) -> Fn:
    from .external import external_function

    names, spec = [p for p, _ in node[1]], _compile(node[2])
    return lambda ctx: external_function(names, spec(ctx))


_COMPILERS: dict[str, Callable[[tuple], Fn]] = {
    "lit": _c_lit, "name": _c_name, "q": _c_q, "temporal": _c_temporal, "path": _c_path,
    "filter": _c_filter, "call": _c_call, "neg": _c_neg, "arith": _c_arith, "cmp": _c_cmp,
    "and": _c_and, "or": _c_or, "if": _c_if, "list": _c_list, "ctx": _c_ctx, "range": _c_range,
    "between": _c_between, "in": _c_in, "for": _c_for, "some": _c_some, "every": _c_every,
    "function": _c_function, "external": _c_external, "instanceof": _c_instanceof,
    "ut_range": _c_ut_range,
}
