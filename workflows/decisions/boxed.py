"""Boxed expressions (DMN 1.5 §7 and §10.2): context, invocation, relation, list, function
definition, conditional, filter, for, some and every, each compiled into a closure over a context
dict, like a FEEL literal expression. Decision tables inside them run through the evaluator.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import FeelError, note
from .feel import FeelFunction
from .feel_types import FeelType, coerce
from .tables import run_table

if TYPE_CHECKING:
    from .model import DefinitionsLoader

Fn = Callable[[dict], Any]
KINDS = ("literalExpression", "decisionTable", "context", "invocation", "relation", "list",
         "functionDefinition", "conditional", "filter", "for", "some", "every")


def _local(el: Any) -> str:
    from lxml import etree

    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def expression_in(el: Any) -> Any | None:
    """The one boxed expression element directly inside el (None when there is none)."""
    for child in el:
        if _local(child) in KINDS:
            return child
    return None


def compile_boxed(loader: DefinitionsLoader, el: Any, owner: str, name: str) -> Fn:
    kind = _local(el)
    if kind == "literalExpression":
        fn = loader.feel(loader.text_of(el), el, decision_id=owner)
    elif kind == "decisionTable":
        fn = _table(loader, el, owner, name)
    else:
        fn = _COMPILERS[kind](loader, el, owner, name)
    declared = loader.type_of(el.get("typeRef")) if el.get("typeRef") else None
    return fn if declared is None else _typed(fn, declared)


def _typed(fn: Fn, declared: FeelType) -> Fn:
    """A box with its own typeRef converts its value to it (null, reported, when it cannot)."""
    def typed(ctx: dict) -> Any:
        value, ok = coerce(fn(ctx), declared)
        if not ok:
            note(f"the value is not a {declared.name}")
        return value
    return typed


def _inner(loader: DefinitionsLoader, el: Any, owner: str, name: str, part: str = "") -> Fn:
    holder = el
    if part:
        holder = next((c for c in el if _local(c) == part), None)
        if holder is None:
            raise loader.error(f"<{_local(el)}> has no <{part}>", el, decision_id=owner)
    found = expression_in(holder)
    if found is None:
        return lambda ctx: None  # an empty box is null
    return compile_boxed(loader, found, owner, name)


def _table(loader: DefinitionsLoader, el: Any, owner: str, name: str) -> Fn:
    table = loader.table(el, owner, name)

    def run(ctx: dict) -> Any:
        return run_table(table, name, ctx)[0]
    return run


def _context(loader: DefinitionsLoader, el: Any, owner: str, name: str) -> Fn:
    entries: list[tuple[str | None, FeelType | None, Fn]] = []
    for entry in el:
        if _local(entry) != "contextEntry":
            continue
        var = next((c for c in entry if _local(c) == "variable"), None)
        key = var.get("name") if var is not None else None
        kind = loader.type_of(var.get("typeRef")) if var is not None else None
        entries.append((key, kind, _inner(loader, entry, owner, key or name)))

    def context(ctx: dict) -> Any:
        scope = dict(ctx)
        out: dict[str, Any] = {}
        for key, kind, fn in entries:
            value = fn(scope)
            if kind is not None:
                value, ok = coerce(value, kind)
                if not ok:
                    note(f"context entry '{key}' is not a {kind.name}")
            if key is None:  # the final result box
                return value
            out[key] = scope[key] = value
        return out
    return context


def _invocation(loader: DefinitionsLoader, el: Any, owner: str, name: str) -> Fn:
    callee = _inner(loader, el, owner, name)
    bindings = []
    for binding in el:
        if _local(binding) != "binding":
            continue
        param = next((c for c in binding if _local(c) == "parameter"), None)
        if param is None:
            raise loader.error("<binding> has no <parameter>", binding, decision_id=owner)
        bindings.append((param.get("name"), _inner(loader, binding, owner, name)))

    def invoke(ctx: dict) -> Any:
        fn = callee(ctx)
        invoker = getattr(fn, "invoke", None)
        if invoker is None:
            note("the invoked name is not a function")
            return None
        return invoker([], {param: value(ctx) for param, value in bindings})
    return invoke


def _relation(loader: DefinitionsLoader, el: Any, owner: str, name: str) -> Fn:
    columns = [c.get("name") for c in el if _local(c) == "column"]
    rows = []
    for row in el:
        if _local(row) != "row":
            continue
        cells = [compile_boxed(loader, c, owner, name) for c in row if _local(c) in KINDS]
        if len(cells) != len(columns):
            raise loader.error("a relation row has a different number of cells than columns", row,
                               decision_id=owner)
        rows.append(cells)
    return lambda ctx: [{col: cell(ctx) for col, cell in zip(columns, cells)} for cells in rows]


def _list(loader: DefinitionsLoader, el: Any, owner: str, name: str) -> Fn:
    items = [compile_boxed(loader, c, owner, name) for c in el if _local(c) in KINDS]
    return lambda ctx: [item(ctx) for item in items]


def _function(loader: DefinitionsLoader, el: Any, owner: str, name: str) -> Fn:
    params = [p for p in el if _local(p) == "formalParameter"]
    names = [p.get("name") for p in params]
    types = [loader.type_of(p.get("typeRef")) for p in params]
    for param in names:
        loader.names.add(param)
    kind = (el.get("kind") or "FEEL").upper()
    body = _inner(loader, el, owner, name)
    if kind == "JAVA":
        from .external import external_function

        return lambda ctx: external_function(names, body(ctx))
    if kind != "FEEL":
        raise loader.error(f"function kind {kind} is not supported", el, decision_id=owner)
    return lambda ctx: FeelFunction(names, body, ctx, name, types)


def _conditional(loader: DefinitionsLoader, el: Any, owner: str, name: str) -> Fn:
    cond, then, other = (_inner(loader, el, owner, name, part) for part in ("if", "then", "else"))

    def conditional(ctx: dict) -> Any:
        test = cond(ctx)
        if test is not None and not isinstance(test, bool):
            raise FeelError("the condition of a boxed conditional must be a boolean")
        return then(ctx) if test is True else other(ctx)
    return conditional


def _filter(loader: DefinitionsLoader, el: Any, owner: str, name: str) -> Fn:
    source, match = _inner(loader, el, owner, name, "in"), _inner(loader, el, owner, name, "match")

    def filt(ctx: dict) -> Any:
        items = source(ctx)
        if not isinstance(items, list):
            items = [items]
        out = []
        for item in items:
            scope = {**ctx, **item} if isinstance(item, dict) else dict(ctx)
            scope["item"] = item
            hit = match(scope)
            if hit is not None and not isinstance(hit, bool):
                raise FeelError("a boxed filter's match must be a boolean")
            if hit is True:
                out.append(item)
        return out
    return filt


def _iteration(loader: DefinitionsLoader, el: Any, owner: str, name: str) -> Fn:
    kind = _local(el)
    var = el.get("iteratorVariable") or "item"
    loader.names.add(var)
    source = _inner(loader, el, owner, name, "in")
    body = _inner(loader, el, owner, name, "return" if kind == "for" else "satisfies")

    def iterate(ctx: dict) -> Any:
        items = source(ctx)
        if items is None:
            raise FeelError(f"'{var}' must iterate over a list")
        if not isinstance(items, list):
            items = [items]
        results = [body({**ctx, var: item}) for item in items]
        if kind == "for":
            return results
        if any(r is not None and not isinstance(r, bool) for r in results):
            raise FeelError(f"a boxed {kind}'s condition must be a boolean")
        if kind == "some":
            return any(r is True for r in results)
        return all(r is True for r in results)
    return iterate


_COMPILERS: dict[str, Callable[[DefinitionsLoader, Any, str, str], Fn]] = {
    "context": _context, "invocation": _invocation, "relation": _relation, "list": _list,
    "functionDefinition": _function, "conditional": _conditional, "filter": _filter,
    "for": _iteration, "some": _iteration, "every": _iteration,
}
