"""The registry of FEEL built-in functions: names, parameter names (for named arguments), arity.

A built-in is written as a plain Python function of FEEL values; `@builtin("name", "param",
"optional?", "rest...")` registers it. A wrong argument type yields null and a noted problem, as
FEEL specifies; Python's TypeError/ValueError inside a built-in are turned into that too.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import InvalidOperation
from typing import Any

from .errors import FeelError, note

REGISTRY: dict[str, Builtin] = {}
_NULL_IS_AN_ANSWER = frozenset({"get value", "is defined"})
NO_MATCH = object()  # returned by a signature whose argument types do not fit: try the next one


class Builtin:
    """A built-in function; several signatures may share a name (`date(from)`, `date(y, m, d)`)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.signatures: list[tuple[list[str], int, bool, Callable[..., Any]]] = []

    def add(self, params: list[str], fn: Callable[..., Any]) -> None:
        names = [p.rstrip("?").removesuffix("...") for p in params]
        required = sum(1 for p in params if not p.endswith(("?", "..."))) or int(len(params) == 1)
        variadic = bool(params) and params[-1].endswith("...")
        self.signatures.append((names, required, variadic, fn))

    @property
    def arity(self) -> tuple[int, int]:
        low = min(s[1] for s in self.signatures)
        high = max(10_000 if s[2] else len(s[0]) for s in self.signatures)
        return low, high

    def __call__(self, *args: Any) -> Any:
        for names, required, variadic, fn in self.signatures:
            if required <= len(args) and (variadic or len(args) <= len(names)):
                result = _guarded(self.name, fn, args)
                if result is not NO_MATCH:
                    return result
        return _bad(f"{self.name}() does not take these {len(args)} arguments")

    def invoke(self, args: list[Any], named: dict[str, Any] | None = None) -> Any:
        if not named:
            return self(*args)
        for names, required, _variadic, fn in self.signatures:
            if set(named) <= set(names):
                last = max(names.index(k) for k in named)
                values = [named.get(n) for n in names[: max(last + 1, required)]]
                result = _guarded(self.name, fn, values)
                if result is not NO_MATCH:
                    return result
        return _bad(f"{self.name}() has no parameters named {', '.join(sorted(named))}")

    def __repr__(self) -> str:
        return f"<built-in {self.name}>"


def _bad(message: str) -> None:
    note(message)
    return None


def _guarded(name: str, fn: Callable[..., Any], args: Any) -> Any:
    try:
        result = fn(*args)
    except FeelError as exc:
        return _bad(f"{name}(): {exc.message}")
    except (TypeError, ValueError, ArithmeticError, InvalidOperation, OverflowError, AttributeError,
            IndexError, KeyError, RecursionError):
        return _bad(f"{name}() cannot take these arguments")
    if result is None:
        # FEEL built-ins answer null exactly when their arguments are invalid (wrong type, out of
        # range); the few for which null is an ordinary answer are not reported
        if name not in _NULL_IS_AN_ANSWER:
            note(f"{name}() cannot take these arguments (null)")
    elif result is NO_MATCH and len(args) == 0:
        return None
    return result


def builtin(name: str, *params: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as (one signature of) the built-in `name`."""
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY.setdefault(name, Builtin(name)).add(list(params), fn)
        return fn
    return register
