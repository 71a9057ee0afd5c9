"""`range(from)`: a range written as text (`"[1..10)"`) whose ends must be literals; the unary-test
forms (`">= 10"`) are not range literals, so they are an error (as the DMN TCK expects)."""
from __future__ import annotations

from typing import Any

from .errors import FeelError
from .feel_lexer import NameTable
from .feel_parser import parse_expression
from .values import Range, compare

_TEMPORAL_CALLS = ("date", "time", "date and time", "duration", "years and months duration")
_NAMES = NameTable(_TEMPORAL_CALLS)


def _literal(node: tuple) -> bool:
    kind = node[0]
    if kind in ("lit", "temporal"):
        return True
    if kind == "call" and node[1][0] == "name" and node[1][1] in _TEMPORAL_CALLS and not node[3]:
        return all(a[0] == "lit" for a in node[2])
    return False


def _value(node: tuple) -> Any:
    from .feel import compile_ast  # the compiler imports the built-ins, which import this module

    if not _literal(node):
        raise FeelError("range ends must be literal values")
    return compile_ast(node)({})


def parse_range(text: str) -> Range | None:
    text = text.strip()
    node = parse_expression(text, _NAMES)
    if node[0] != "range":
        raise FeelError(f"'{text}' is not a range")
    _, low_closed, low_node, high_node, high_closed = node
    low = None if low_node == ("lit", None) else _value(low_node)
    high = None if high_node == ("lit", None) else _value(high_node)
    if low is None and high is None:
        return None
    if low is not None and high is not None and compare(low, high) is None:
        raise FeelError("range ends are of different types")
    if low is not None and high is not None and compare(low, high) == 1:
        raise FeelError("a range's start is after its end")
    return Range(low, high, low_closed if low is not None else False, high_closed if high is not None else False)
