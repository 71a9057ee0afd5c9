"""FEEL built-in functions (the subset decision tables and literal expressions use).

Each takes FEEL values positionally. A wrong argument type yields null, as FEEL specifies;
the caller turns Python TypeError/ValueError into null too.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from .values import (
    DECIMAL_CONTEXT,
    YearsMonths,
    compare,
    equal,
    parse_date,
    parse_date_time,
    parse_duration,
    parse_time,
    to_json,
    type_name,
)


def _num(*values: Any) -> bool:
    return all(isinstance(v, Decimal) for v in values)


def _items(args: tuple) -> list:
    # min(1, 2) and min([1, 2]) are both allowed
    if len(args) == 1 and isinstance(args[0], list):
        return args[0]
    return list(args)


def f_not(value: Any) -> Any:
    return (not value) if isinstance(value, bool) else None


def f_date(*args: Any) -> Any:
    if len(args) == 3:
        if not _num(*args):
            return None
        return dt.date(int(args[0]), int(args[1]), int(args[2]))
    value = args[0]
    if isinstance(value, str):
        return parse_date(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def f_time(*args: Any) -> Any:
    if len(args) >= 3:
        if not _num(*args[:3]):
            return None
        sec = args[2]
        whole = int(sec)
        micro = int((sec - whole) * 1000000)
        tz = None
        if len(args) == 4 and isinstance(args[3], dt.timedelta):
            tz = dt.timezone(args[3])
        return dt.time(int(args[0]), int(args[1]), whole, micro, tzinfo=tz)
    value = args[0]
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, dt.datetime):
        return value.timetz()
    if isinstance(value, dt.date):
        return dt.time()
    return value if isinstance(value, dt.time) else None


def f_date_and_time(*args: Any) -> Any:
    if len(args) == 2:
        day, time = args
        if isinstance(day, dt.date) and isinstance(time, dt.time):
            return dt.datetime.combine(day if not isinstance(day, dt.datetime) else day.date(), time)
        return None
    value = args[0]
    if isinstance(value, str):
        return parse_date_time(value)
    return value if isinstance(value, dt.datetime) else None


def f_duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else None


def f_ym_duration(start: Any, end: Any) -> Any:
    if not (isinstance(start, dt.date) and isinstance(end, dt.date)):
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and (end.day, _tod(end)) < (start.day, _tod(start)):
        months -= 1
    elif months < 0 and (end.day, _tod(end)) > (start.day, _tod(start)):
        months += 1
    return YearsMonths(months)


def _tod(value: dt.date) -> dt.time:
    return value.time() if isinstance(value, dt.datetime) else dt.time()


def f_number(text: Any, grouping: Any = None, decimal_sep: Any = None) -> Any:
    if not isinstance(text, str):
        return None
    if isinstance(grouping, str):
        text = text.replace(grouping, "")
    if isinstance(decimal_sep, str):
        text = text.replace(decimal_sep, ".")
    return Decimal(text)


def f_string(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(to_json(value))


def f_substring(text: Any, start: Any, length: Any = None) -> Any:
    if not isinstance(text, str) or not _num(start):
        return None
    s = int(start)
    begin = s - 1 if s > 0 else len(text) + s
    if length is None:
        return text[begin:]
    return text[begin:begin + int(length)]


def f_contains(text: Any, part: Any) -> Any:
    return part in text if isinstance(text, str) and isinstance(part, str) else None


def f_starts(text: Any, part: Any) -> Any:
    return text.startswith(part) if isinstance(text, str) and isinstance(part, str) else None


def f_ends(text: Any, part: Any) -> Any:
    return text.endswith(part) if isinstance(text, str) and isinstance(part, str) else None


def f_count(*args: Any) -> Any:
    items = _items(args)
    return Decimal(len(items)) if items is not None else None


def f_sum(*args: Any) -> Any:
    items = _items(args)
    if not items or not _num(*items):
        return None
    total = Decimal(0)
    for v in items:
        total = DECIMAL_CONTEXT.add(total, v)
    return total


def f_mean(*args: Any) -> Any:
    items = _items(args)
    total = f_sum(*args)
    return None if total is None else DECIMAL_CONTEXT.divide(total, Decimal(len(items)))


def _extreme(args: tuple, sign: int) -> Any:
    items = _items(args)
    if not items:
        return None
    best = items[0]
    for v in items[1:]:
        c = compare(v, best)
        if c is None:
            return None
        if c * sign > 0:
            best = v
    if len(items) == 1 and type_name(best) in ("boolean", "list", "context"):
        return None
    return best


def f_round(value: Any, scale: Any, mode: str) -> Any:
    if not _num(value, scale):
        return None
    return value.quantize(Decimal(1).scaleb(-int(scale)), rounding=mode)


def f_decimal(value: Any, scale: Any) -> Any:
    return f_round(value, scale, ROUND_HALF_EVEN)


def f_floor(value: Any, scale: Any = Decimal(0)) -> Any:
    return f_round(value, scale, ROUND_FLOOR)


def f_ceiling(value: Any, scale: Any = Decimal(0)) -> Any:
    return f_round(value, scale, ROUND_CEILING)


def f_abs(value: Any) -> Any:
    if isinstance(value, (Decimal, dt.timedelta)):
        return abs(value)
    if isinstance(value, YearsMonths):
        return YearsMonths(abs(value.months))
    return None


def f_modulo(a: Any, b: Any) -> Any:
    if not _num(a, b) or b == 0:
        return None
    return a - b * (a / b).to_integral_value(rounding=ROUND_FLOOR)


def f_sqrt(value: Any) -> Any:
    return DECIMAL_CONTEXT.sqrt(value) if _num(value) and value >= 0 else None


def f_list_contains(items: Any, value: Any) -> Any:
    if not isinstance(items, list):
        return None
    return any(equal(x, value) is True for x in items)


def f_flatten(items: Any) -> Any:
    if not isinstance(items, list):
        return None
    out: list = []
    for x in items:
        out.extend(f_flatten(x) if isinstance(x, list) else [x])
    return out


def f_distinct(items: Any) -> Any:
    if not isinstance(items, list):
        return None
    out: list = []
    for x in items:
        if not any(equal(x, y) is True for y in out):
            out.append(x)
    return out


def f_index_of(items: Any, value: Any) -> Any:
    if not isinstance(items, list):
        return None
    return [Decimal(i + 1) for i, x in enumerate(items) if equal(x, value) is True]


def f_sublist(items: Any, start: Any, length: Any = None) -> Any:
    if not isinstance(items, list) or not _num(start):
        return None
    s = int(start)
    begin = s - 1 if s > 0 else len(items) + s
    return items[begin:] if length is None else items[begin:begin + int(length)]


def f_all(*args: Any) -> Any:
    items = _items(args)
    if any(x is False for x in items):
        return False
    return True if all(x is True for x in items) else None


def f_any(*args: Any) -> Any:
    items = _items(args)
    if any(x is True for x in items):
        return True
    return False if all(x is False for x in items) else None


def f_string_join(items: Any, sep: Any = "") -> Any:
    if not isinstance(items, list) or not all(isinstance(x, str) or x is None for x in items):
        return None
    return (sep or "").join(x for x in items if x is not None)


def f_get_value(ctx: Any, key: Any) -> Any:
    return ctx.get(key) if isinstance(ctx, dict) else None


def f_day_of_week(value: Any) -> Any:
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    return names[value.weekday()] if isinstance(value, dt.date) else None


BUILTINS: dict[str, Callable[..., Any]] = {
    "not": f_not,
    "date": f_date,
    "time": f_time,
    "date and time": f_date_and_time,
    "duration": f_duration,
    "years and months duration": f_ym_duration,
    "number": f_number,
    "string": f_string,
    "substring": f_substring,
    "substring before": lambda s, p: s.partition(p)[0] if p in s else "",
    "substring after": lambda s, p: s.partition(p)[2] if p in s else "",
    "string length": lambda s: Decimal(len(s)) if isinstance(s, str) else None,
    "upper case": lambda s: s.upper() if isinstance(s, str) else None,
    "lower case": lambda s: s.lower() if isinstance(s, str) else None,
    "contains": f_contains,
    "starts with": f_starts,
    "ends with": f_ends,
    "string join": f_string_join,
    "count": f_count,
    "sum": f_sum,
    "mean": f_mean,
    "min": lambda *a: _extreme(a, -1),
    "max": lambda *a: _extreme(a, 1),
    "abs": f_abs,
    "floor": f_floor,
    "ceiling": f_ceiling,
    "decimal": f_decimal,
    "round half even": f_decimal,
    "modulo": f_modulo,
    "sqrt": f_sqrt,
    "exp": lambda x: DECIMAL_CONTEXT.exp(x) if _num(x) else None,
    "log": lambda x: DECIMAL_CONTEXT.ln(x) if _num(x) and x > 0 else None,
    "odd": lambda x: int(x) % 2 == 1 if _num(x) and x == x.to_integral_value() else None,
    "even": lambda x: int(x) % 2 == 0 if _num(x) and x == x.to_integral_value() else None,
    "list contains": f_list_contains,
    "append": lambda lst, *xs: lst + list(xs) if isinstance(lst, list) else None,
    "concatenate": lambda *ls: [x for lst in ls for x in lst] if all(isinstance(x, list) for x in ls)
    else None,
    "flatten": f_flatten,
    "distinct values": f_distinct,
    "reverse": lambda lst: lst[::-1] if isinstance(lst, list) else None,
    "index of": f_index_of,
    "sublist": f_sublist,
    "all": f_all,
    "and": f_all,
    "any": f_any,
    "or": f_any,
    "product": lambda *a: math.prod(_items(a), start=Decimal(1)) if _num(*_items(a)) and _items(a)
    else None,
    "get value": f_get_value,
    "get entries": lambda c: [{"key": k, "value": v} for k, v in c.items()] if isinstance(c, dict)
    else None,
    "day of week": f_day_of_week,
    "is defined": lambda v: v is not None,  # the compiler special-cases unknown names
}
