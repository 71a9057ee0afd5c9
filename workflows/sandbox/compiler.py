"""Static validation and instrumentation of diagram expressions.

Every expression or script text from a diagram is parsed with :mod:`ast`, checked node by
node against a whitelist, rewritten so that the operations that could exhaust memory or
time go through guard functions (see :mod:`workflows.sandbox.runtime`), and only then
compiled. Compiled code objects are cached by source text.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from types import CodeType
from typing import NamedTuple

from .errors import ExpressionError

# Private names the rewritten tree refers to. They start with '_' so diagram text can
# never name them itself.
TICK = "_cf_tick"
BINOP_HELPERS = {ast.Add: "_cf_add", ast.Mult: "_cf_mul", ast.Pow: "_cf_pow",
                 ast.LShift: "_cf_lshift", ast.Mod: "_cf_mod"}
INPLACE_HELPERS = {ast.Add: "_cf_iadd", ast.Mult: "_cf_imul", ast.Pow: "_cf_pow",
                   ast.LShift: "_cf_lshift", ast.Mod: "_cf_mod"}
AUGITEM = "_cf_augitem"
METHOD = "_cf_method"
FORMAT = "_cf_format"
CHECK_STR = "_cf_checked_str"
BUILT = "_cf_built"
# Calls and expressions that copy or build a value: their results count against the evaluation's budget.
BUILDERS = frozenset({"list", "tuple", "dict", "set", "frozenset", "sorted", "str"})

# Method names whose result can be far larger than their inputs; calls to them are routed
# through a guard that checks the size first (for str/bytes/list receivers).
RISKY_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "replace",
                           "join", "extend", "translate", "strftime"})

# Attribute names refused whatever the receiver: the str.format escape, and the
# introspection attributes of generators, coroutines, frames, tracebacks and code objects.
BLOCKED_ATTRIBUTES = frozenset({"format", "format_map", "mro"})
_BLOCKED_ATTRIBUTE_PREFIX = re.compile(r"^(gi|cr|ag|f|tb|co|func)_")

_ALLOWED_NODES: tuple[type, ...] = (
    ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.AugAssign, ast.For, ast.While,
    ast.If, ast.Pass, ast.Break, ast.Continue, ast.Delete, ast.Assert, ast.Return,
    ast.FunctionDef, ast.arguments, ast.arg, ast.keyword, ast.BoolOp, ast.NamedExpr,
    ast.BinOp, ast.UnaryOp, ast.Lambda, ast.IfExp, ast.Dict, ast.Set, ast.ListComp,
    ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension, ast.Compare, ast.Call,
    ast.FormattedValue, ast.JoinedStr, ast.Constant, ast.Attribute, ast.Subscript,
    ast.Starred, ast.Name, ast.List, ast.Tuple, ast.Slice,
    ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
)

_REFUSALS: dict[type, str] = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.ClassDef: "class definitions are not allowed",
    ast.Global: "'global' is not allowed",
    ast.Nonlocal: "'nonlocal' is not allowed",
    ast.With: "'with' is not allowed",
    ast.AsyncWith: "async code is not allowed",
    ast.AsyncFor: "async code is not allowed",
    ast.AsyncFunctionDef: "async code is not allowed",
    ast.Await: "async code is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Try: "'try' is not allowed",
    ast.Raise: "'raise' is not allowed; use 'assert' to stop with a message",
    ast.AnnAssign: "type annotations are not allowed",
    ast.Match: "'match' is not allowed",
}
if hasattr(ast, "TryStar"):
    _REFUSALS[ast.TryStar] = "'try' is not allowed"


class CompiledExpression(NamedTuple):
    code: CodeType        # compiled with filename '<string>'
    needs_tick: bool      # True when the code contains loops, comprehensions or functions
    source: str


def _is_private(name: str) -> bool:
    return name.startswith("_") and name != "_"


class _Sandboxer(ast.NodeTransformer):
    """Checks every node against the whitelist, then rewrites the risky ones."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.needs_tick = False

    # -- checking --------------------------------------------------------------------
    def refuse(self, node: ast.AST, reason: str) -> ExpressionError:
        line = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        return ExpressionError(reason, self.source, line, None if col is None else col + 1)

    def check_name(self, node: ast.AST, name: str | None, what: str = "names") -> None:
        if name is not None and _is_private(name):
            raise self.refuse(node, f"{what} starting with '_' are not allowed: '{name}'")

    def visit(self, node: ast.AST) -> ast.AST:
        kind = type(node)
        if kind in _REFUSALS:
            raise self.refuse(node, _REFUSALS[kind])
        if not isinstance(node, _ALLOWED_NODES):
            raise self.refuse(node, f"'{kind.__name__}' is not allowed in expressions")
        return super().visit(node)

    # -- helpers ---------------------------------------------------------------------
    def call(self, helper: str, args: list[ast.expr], like: ast.AST,
             keywords: list[ast.keyword] | None = None) -> ast.Call:
        node = ast.Call(func=ast.Name(id=helper, ctx=ast.Load()), args=args,
                        keywords=keywords or [])
        return ast.copy_location(node, like)

    def tick_call(self, like: ast.AST) -> ast.Call:
        self.needs_tick = True
        return self.call(TICK, [], like)

    # -- names and attributes --------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> ast.AST:
        self.check_name(node, node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if node.attr.startswith("_"):
            raise self.refuse(node, f"attributes starting with '_' are not allowed: '.{node.attr}'")
        if node.attr in ("format", "format_map"):
            raise self.refuse(node, f"'.{node.attr}()' is not allowed; use an f-string instead")
        if node.attr in BLOCKED_ATTRIBUTES or _BLOCKED_ATTRIBUTE_PREFIX.match(node.attr):
            raise self.refuse(node, f"the attribute '.{node.attr}' is not allowed")
        if not isinstance(node.ctx, ast.Load):
            raise self.refuse(node, "assigning to or deleting attributes is not allowed")
        self.generic_visit(node)
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        self.check_name(node, node.arg, "argument names")
        self.generic_visit(node)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        self.check_name(node, node.arg, "argument names")
        self.generic_visit(node)
        return node

    # -- functions -------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.check_name(node, node.name, "function names")
        if node.decorator_list:
            raise self.refuse(node, "decorators are not allowed")
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(self.tick_call(node)), node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self.generic_visit(node)
        node.body = ast.copy_location(
            ast.BoolOp(op=ast.And(), values=[self.tick_call(node.body), node.body]), node.body)
        return node

    # -- loops -----------------------------------------------------------------------
    def _tick_body(self, node: ast.For | ast.While) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(self.tick_call(node)), node))
        return node

    visit_For = _tick_body
    visit_While = _tick_body

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        if node.is_async:
            raise self.refuse(node.target, "async code is not allowed")
        self.generic_visit(node)
        node.ifs.insert(0, self.tick_call(node.iter))
        return node

    # -- size guards -----------------------------------------------------------------
    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        helper = BINOP_HELPERS.get(type(node.op))
        if helper is None:
            return node
        return self.call(helper, [node.left, node.right], node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        op = type(node.op)
        if op not in INPLACE_HELPERS:
            return node
        target = node.target
        if isinstance(target, ast.Name):
            load = ast.copy_location(ast.Name(id=target.id, ctx=ast.Load()), target)
            value = self.call(INPLACE_HELPERS[op], [load, node.value], node)
            return ast.copy_location(ast.Assign(targets=[target], value=value), node)
        if isinstance(target, ast.Subscript) and not isinstance(target.slice, ast.Slice):
            args = [target.value, target.slice, ast.Constant(op.__name__), node.value]
            return ast.copy_location(ast.Expr(self.call(AUGITEM, args, node)), node)
        raise self.refuse(node, f"this augmented assignment ('{_OP_TEXT[op]}=') is not allowed")

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in RISKY_METHODS:
            args = [func.value, ast.Constant(func.attr), *node.args]
            return self.call(METHOD, args, node, node.keywords)
        if isinstance(func, ast.Name) and func.id in BUILDERS:
            return self.built(node, func.id)
        if isinstance(func, ast.Attribute):  # any other method's result is measured too (.encode, .split ...)
            return self.built(node, f".{func.attr}()")
        return node

    def built(self, node: ast.expr, what: str) -> ast.Call:
        return self.call(BUILT, [node, ast.Constant(what)], node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.slice, ast.Slice) and isinstance(node.ctx, ast.Load):
            return self.built(node, "a slice")
        return node

    def visit_ListComp(self, node: ast.ListComp) -> ast.AST:
        return self.built(self.generic_visit(node), "a list comprehension")  # type: ignore[arg-type]

    def visit_SetComp(self, node: ast.SetComp) -> ast.AST:
        return self.built(self.generic_visit(node), "a set comprehension")  # type: ignore[arg-type]

    def visit_DictComp(self, node: ast.DictComp) -> ast.AST:
        return self.built(self.generic_visit(node), "a dict comprehension")  # type: ignore[arg-type]

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        if node.format_spec is None:
            return node
        # f"{x:{width}}" -> f"{_cf_format(x, conversion, spec)}" so widths are bounded.
        value = self.call(FORMAT, [node.value, ast.Constant(node.conversion), node.format_spec], node)
        return ast.copy_location(ast.FormattedValue(value=value, conversion=-1, format_spec=None), node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        self.generic_visit(node)
        if all(isinstance(v, ast.Constant) for v in node.values):
            return node
        return self.call(CHECK_STR, [node], node)


_OP_TEXT = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}


def _parse(source: str, mode: str) -> ast.AST:
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    if not isinstance(source, str):
        raise ExpressionError(f"expected expression text, got {type(source).__name__}")
    text, shift = source, 0
    if mode == "eval":
        # eval() tolerates surrounding whitespace (diagram texts often carry it); keep
        # line numbers relative to the original text.
        text = source.lstrip()
        shift = source[: len(source) - len(text)].count("\n")
        text = text.rstrip()
        if not text:
            raise ExpressionError("the expression is empty", source)
    try:
        tree = ast.parse(text, filename="<string>", mode=mode)
    except SyntaxError as err:
        line = err.lineno + shift if err.lineno is not None else None
        raise ExpressionError(f"syntax error: {err.msg}", source, line, err.offset) from None
    if shift:
        ast.increment_lineno(tree, shift)
    return tree


def sandbox_tree(tree: ast.AST, source: str) -> tuple[ast.AST, bool]:
    """Check ``tree`` against the whitelist and rewrite it; returns (tree, needs_tick)."""
    sandboxer = _Sandboxer(source)
    tree = sandboxer.visit(tree)
    ast.fix_missing_locations(tree)
    return tree, sandboxer.needs_tick


@lru_cache(maxsize=4096)
def compile_sandboxed(source: str, mode: str) -> CompiledExpression:
    """Parse, check, instrument and compile ``source`` (cached by source text and mode)."""
    tree, needs_tick = sandbox_tree(_parse(source, mode), source)
    if not isinstance(tree, (ast.Module, ast.Expression)):  # _parse only allows 'eval' and 'exec'
        raise TypeError(f"expected a module or expression tree, got {type(tree).__name__}")
    try:
        code = compile(tree, "<string>", mode, dont_inherit=True)
    except SyntaxError as err:  # e.g. 'return' outside function, 'break' outside loop
        raise ExpressionError(f"syntax error: {err.msg}", source, err.lineno, err.offset) from None
    return CompiledExpression(code, needs_tick, source)


def check_expression(text: str, mode: str = "eval") -> None:
    """Statically validate ``text`` for the modeller and validator.

    Raises :class:`ExpressionError` (with ``line_number``, ``column`` and a plain
    ``reason``) when the text is not valid Python or uses something the sandbox refuses.
    Names are not resolved: whether a variable exists is only known at run time.
    """
    compile_sandboxed(text, mode)


def check_tree_of(text: str, mode: str = "eval") -> None:
    """Check without the whitespace tolerance or caching (used by ``validate``)."""
    sandbox_tree(ast.parse(text, filename="<string>", mode=mode), text)
