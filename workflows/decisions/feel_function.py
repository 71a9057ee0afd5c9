"""User functions (FEEL `function(...)`, boxed function definitions, knowledge models) and the
table of names a FEEL parser knows beyond the model's own."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .builtins import BUILTINS
from .errors import FeelError, check_time, note
from .feel_lexer import NameTable
from .feel_types import ANY, FeelType, coerce
from .temporal import PROPERTY_NAMES

Ctx = dict[str, Any]


class FeelFunction:
    """A user function: a FEEL `function(...)`, a boxed function definition or a knowledge model."""

    def __init__(self, params: list[str], body: Callable[[Ctx], Any], ctx: Ctx, name: str = "function",
                 param_types: list[FeelType | None] | None = None, result_type: FeelType | None = None):
        self.params = params
        self.body = body
        self.ctx = ctx
        self.name = name
        self.param_types = [t or ANY for t in param_types] if param_types else [ANY] * len(params)
        self.result_type = result_type

    def __call__(self, *args: Any) -> Any:
        return self.invoke(list(args))

    def invoke(self, args: list[Any], named: dict[str, Any] | None = None) -> Any:
        check_time()  # a function that calls itself needs no loop to run for ever
        scope = dict(self.ctx)
        if named:
            unknown = set(named) - set(self.params)
            if unknown:
                raise FeelError(f"{self.name}() has no parameter {sorted(unknown)[0]!r}")
            values = [named.get(p) for p in self.params]
        else:
            if len(args) != len(self.params):
                raise FeelError(f"{self.name}() takes {len(self.params)} arguments, got {len(args)}")
            values = args
        for param, kind, value in zip(self.params, self.param_types, values):
            converted, ok = coerce(value, kind)
            if not ok:
                note(f"{self.name}(): {param} is not a {kind.name}")
                return None
            scope[param] = converted
        result = self.body(scope)
        if self.result_type is not None:
            result, ok = coerce(result, self.result_type)
            if not ok:
                note(f"{self.name}() did not return a {self.result_type.name}")
        return result


def names_table(names: Iterable[str], types: dict[str, FeelType] | None = None) -> NameTable:
    return NameTable([*names, *BUILTINS, *PROPERTY_NAMES], types)
