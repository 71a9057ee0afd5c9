"""FEEL built-in functions: conversion, boolean, numeric and context functions (DMN 1.5 §10.3.4).

The string, list and temporal functions live in builtins_text, builtins_lists and builtins_time;
importing this module registers them all into BUILTINS.
"""
from __future__ import annotations

import datetime as dt
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from typing import Any

from . import builtins_lists, builtins_text, builtins_time  # noqa: F401  (they register themselves)
from .builtin_registry import NO_MATCH, REGISTRY, Builtin, builtin
from .errors import FeelError
from .values import DECIMAL_CONTEXT, Range, YearsMonths, to_json


def _num(*values: Any) -> bool:
    return all(v.__class__ is Decimal for v in values)


@builtin("not", "negand")
def f_not(value: Any) -> Any:
    return (not value) if isinstance(value, bool) else None


@builtin("number", "from", "grouping separator?", "decimal separator?")
def f_number(text: Any, grouping: Any = None, decimal_sep: Any = None) -> Any:
    if not isinstance(text, str) or grouping not in (None, " ", ",", ".") or decimal_sep not in (None, ".", ","):
        return None
    if grouping is not None and grouping == decimal_sep:
        return None
    if grouping:
        text = text.replace(grouping, "")
    if decimal_sep:
        text = text.replace(decimal_sep, ".")
    if not text or not all(c.isdigit() or c in ".-+eE" for c in text):
        return None
    return Decimal(text)


def feel_string(value: Any) -> str:
    """string(x): FEEL's text form of any value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Decimal):
        return format(value.normalize(DECIMAL_CONTEXT), "f")
    if isinstance(value, list):
        return "[" + ", ".join(_quoted(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_quoted(v)}" for k, v in value.items()) + "}"
    if isinstance(value, dt.datetime):
        return builtins_time.datetime_text(value)
    if isinstance(value, dt.time):
        return builtins_time.time_text(value)
    if isinstance(value, dt.date):
        return builtins_time.date_text(value)
    if isinstance(value, Range):
        return f"{'[' if value.low_closed else '('}{_quoted(value.low)}..{_quoted(value.high)}" \
               f"{']' if value.high_closed else ')'}"
    return str(to_json(value))


def _quoted(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else feel_string(value)


@builtin("string", "from")
def f_string(value: Any) -> Any:
    return None if value is None else feel_string(value)


def _rounded(value: Any, scale: Any, mode: str) -> Any:
    if not _num(value, scale) or not -6111 <= scale <= 6176:
        return None
    if value.is_nan() or value.is_infinite():
        return None
    scale = Decimal(int(scale))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent <= scale:  # already within the scale
        return value
    return value.quantize(Decimal(1).scaleb(-int(scale)), rounding=mode, context=DECIMAL_CONTEXT)


@builtin("decimal", "n", "scale")
def f_decimal(value: Any, scale: Any) -> Any:
    return _rounded(value, scale, ROUND_HALF_EVEN)


@builtin("floor", "n", "scale?")
def f_floor(value: Any, scale: Any = Decimal(0)) -> Any:
    return _rounded(value, scale, ROUND_FLOOR)


@builtin("ceiling", "n", "scale?")
def f_ceiling(value: Any, scale: Any = Decimal(0)) -> Any:
    return _rounded(value, scale, ROUND_CEILING)


for _name, _mode in (("round up", ROUND_UP), ("round down", ROUND_DOWN), ("round half up", ROUND_HALF_UP),
                     ("round half down", ROUND_HALF_DOWN), ("round half even", ROUND_HALF_EVEN)):
    builtin(_name, "n", "scale")(lambda value, scale, m=_mode: _rounded(value, scale, m))


@builtin("abs", "n")
def f_abs(value: Any) -> Any:
    if isinstance(value, (Decimal, dt.timedelta)):
        return abs(value)
    if isinstance(value, YearsMonths):
        return YearsMonths(abs(value.months))
    return None


@builtin("modulo", "dividend", "divisor")
def f_modulo(a: Any, b: Any) -> Any:
    if not _num(a, b) or b == 0:
        return None
    return DECIMAL_CONTEXT.subtract(a, DECIMAL_CONTEXT.multiply(
        b, DECIMAL_CONTEXT.divide(a, b).to_integral_value(rounding=ROUND_FLOOR)))


@builtin("sqrt", "number")
def f_sqrt(value: Any) -> Any:
    return DECIMAL_CONTEXT.sqrt(value) if _num(value) and value >= 0 else None


@builtin("log", "number")
def f_log(value: Any) -> Any:
    return DECIMAL_CONTEXT.ln(value) if _num(value) and value > 0 else None


@builtin("exp", "number")
def f_exp(value: Any) -> Any:
    return DECIMAL_CONTEXT.exp(value) if _num(value) else None


@builtin("odd", "number")
def f_odd(value: Any) -> Any:
    return int(value) % 2 == 1 if _num(value) and value == value.to_integral_value() else None


@builtin("even", "number")
def f_even(value: Any) -> Any:
    return int(value) % 2 == 0 if _num(value) and value == value.to_integral_value() else None


@builtin("get value", "m", "key")
def f_get_value(ctx: Any, key: Any) -> Any:
    """The entry of a context, or null when it has none (that is an answer, not an error)."""
    if not isinstance(ctx, dict):
        raise FeelError("get value() needs a context")
    if isinstance(key, list) and key and all(isinstance(k, str) for k in key):
        for k in key:
            ctx = ctx.get(k) if isinstance(ctx, dict) else None
        return ctx
    if not isinstance(key, str):
        raise FeelError("get value() needs a string key")
    return ctx.get(key)


@builtin("get entries", "m")
def f_get_entries(ctx: Any) -> Any:
    return [{"key": k, "value": v} for k, v in ctx.items()] if isinstance(ctx, dict) else None


@builtin("context", "entries")
def f_context(entries: Any) -> Any:
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        return None
    out: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) or "value" not in entry:
            return None
        if entry["key"] in out:
            return None
        out[entry["key"]] = entry["value"]
    return out


@builtin("context put", "context", "key", "value")
def f_context_put(ctx: Any, key: Any, value: Any) -> Any:
    if not isinstance(ctx, dict):
        return None
    if isinstance(key, list):
        if not key or not all(isinstance(k, str) for k in key):
            return None
        if len(key) == 1:
            return f_context_put(ctx, key[0], value)
        inner = ctx.get(key[0])
        if not isinstance(inner, dict):
            return None
        nested = f_context_put(inner, key[1:], value)
        return None if nested is None else f_context_put(ctx, key[0], nested)
    if not isinstance(key, str):
        return None
    out = dict(ctx)
    out[key] = value
    return out


builtin("context put", "context", "keys", "value")(f_context_put)
REGISTRY["context put"].signatures[0] = (  # `key:` names one key; a path of keys is `keys:`
    ["context", "key", "value"], 3, False,
    lambda c, k, v: NO_MATCH if isinstance(k, list) else f_context_put(c, k, v))


@builtin("context merge", "contexts")
def f_context_merge(contexts: Any) -> Any:
    if isinstance(contexts, dict):
        contexts = [contexts]
    if not isinstance(contexts, list) or not all(isinstance(c, dict) for c in contexts):
        return None
    out: dict[str, Any] = {}
    for c in contexts:
        out.update(c)
    return out


@builtin("is defined", "value")
def f_is_defined(value: Any) -> Any:
    return value is not None  # the compiler answers for names not in scope at all


BUILTINS: dict[str, Builtin] = REGISTRY
