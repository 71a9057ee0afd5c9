"""`function(...) external {java: ...}`: a short list of side-effect-free Java methods, by signature.

Nothing is looked up by reflection: a signature not in the table is an error when invoked.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .errors import FeelError, note


def _number(fn: Callable[..., float]) -> Callable[..., Any]:
    return lambda *args: Decimal(repr(fn(*(float(a) for a in args))))


def _integral(text: Any) -> Any:
    return Decimal(int(text))


_JAVA: dict[tuple[str, str], Callable[..., Any]] = {
    ("java.lang.Math", "cos(double)"): _number(math.cos),
    ("java.lang.Math", "sin(double)"): _number(math.sin),
    ("java.lang.Math", "max(double,double)"): max,
    ("java.lang.Math", "max(float,float)"): max,
    ("java.lang.Math", "max(int,int)"): max,
    ("java.lang.Math", "max(long,long)"): max,
    ("java.lang.Math", "min(double,double)"): min,
    ("java.lang.Math", "abs(double)"): abs,
    ("java.lang.Integer", "valueOf(java.lang.String)"): _integral,
    ("java.lang.Double", "valueOf(java.lang.String)"): lambda t: Decimal(repr(float(t))),
    ("java.lang.Float", "valueOf(java.lang.String)"): lambda t: Decimal(repr(float(t))),
    ("java.lang.Byte", "valueOf(byte)"): lambda n: n,
    ("java.lang.Short", "valueOf(short)"): lambda n: n,
    ("java.lang.String", "valueOf(char)"): lambda c: c if len(c) == 1 else None,
    ("java.lang.String", "format(java.lang.String,[Ljava.lang.Object;)"):
        lambda fmt, *args: fmt.replace("%s", "{}").format(*args),
}


class ExternalFunction:
    def __init__(self, params: list[str], fn: Callable[..., Any] | None, label: str) -> None:
        self.params = params
        self.fn = fn
        self.label = label

    def __call__(self, *args: Any) -> Any:
        return self.invoke(list(args))

    def invoke(self, args: list[Any], named: dict[str, Any] | None = None) -> Any:
        if named:
            args = [named.get(p) for p in self.params]
        if self.fn is None:
            note(f"external function {self.label} is not available")
            return None
        try:
            result = self.fn(*args)
            if result is None:
                note(f"external function {self.label} gave no value")
            return result
        except (TypeError, ValueError, ArithmeticError):
            note(f"external function {self.label} cannot take these arguments")
            return None


def external_function(params: list[str], spec: Any) -> ExternalFunction:
    java = spec.get("java") if isinstance(spec, dict) and "class" not in spec else spec
    if not isinstance(java, dict):
        raise FeelError("only external Java functions are known")
    key = (str(java.get("class")), str(java.get("method signature", "")).replace(" ", ""))
    return ExternalFunction(params, _JAVA.get(key), f"{key[0]}.{key[1]}")
