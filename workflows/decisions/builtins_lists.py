"""FEEL list built-ins (DMN 1.5 §10.3.4.4), with the statistics functions and `sort`."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

from .builtin_registry import builtin
from .errors import FeelError
from .values import DECIMAL_CONTEXT, compare, equal, type_name

_NUM = Decimal


def _items(args: tuple) -> list | None:
    # min(1, 2) and min([1, 2]) are both allowed
    if len(args) == 1:
        return args[0] if isinstance(args[0], list) else [args[0]]
    return list(args)


def _numbers(args: tuple) -> list[Decimal] | None:
    items = _items(args)
    if items is None or not all(v.__class__ is Decimal for v in items):
        return None
    return items


@builtin("list contains", "list", "element")
def f_list_contains(items: Any, value: Any) -> Any:
    return any(equal(x, value) is True for x in items) if isinstance(items, list) else None


@builtin("count", "list...")
def f_count(*args: Any) -> Any:
    items = _items(args)
    return Decimal(len(items)) if items is not None else None


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
    if type_name(best) in ("boolean", "list", "context", "null"):
        return None
    return best


builtin("min", "list...")(lambda *a: _extreme(a, -1))
builtin("max", "list...")(lambda *a: _extreme(a, 1))


def _fold(args: tuple, start: int, step: Callable[[Decimal, Decimal], Decimal]) -> Decimal | None:
    """The numbers given combined from ``start`` one by one; null for no numbers or anything else."""
    items = _numbers(args)
    if not items:
        return None
    total = Decimal(start)
    for v in items:
        total = step(total, v)
    return total


@builtin("sum", "list...")
def f_sum(*args: Any) -> Any:
    return _fold(args, 0, DECIMAL_CONTEXT.add)


@builtin("mean", "list...")
def f_mean(*args: Any) -> Any:
    items = _numbers(args)
    if not items:
        return None
    return DECIMAL_CONTEXT.divide(f_sum(items), Decimal(len(items)))


@builtin("product", "list...")
def f_product(*args: Any) -> Any:
    return _fold(args, 1, DECIMAL_CONTEXT.multiply)


@builtin("median", "list...")
def f_median(*args: Any) -> Any:
    items = _numbers(args)
    if not items:
        return None
    ordered = sorted(items)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return DECIMAL_CONTEXT.divide(DECIMAL_CONTEXT.add(ordered[mid - 1], ordered[mid]), Decimal(2))


@builtin("stddev", "list...")
def f_stddev(*args: Any) -> Any:
    items = _numbers(args)
    if not items or len(items) < 2:
        return None
    mean = f_mean(items)
    squares = sum((DECIMAL_CONTEXT.power(DECIMAL_CONTEXT.subtract(v, mean), 2) for v in items), Decimal(0))
    return DECIMAL_CONTEXT.sqrt(DECIMAL_CONTEXT.divide(squares, Decimal(len(items) - 1)))


@builtin("mode", "list...")
def f_mode(*args: Any) -> Any:
    items = _numbers(args)
    if items is None:
        return None
    counts: dict[Decimal, int] = {}
    for v in items:
        counts[v] = counts.get(v, 0) + 1
    if not counts:
        return []
    top = max(counts.values())
    return sorted(v for v, n in counts.items() if n == top)


def _bools(args: tuple) -> list | None:
    items = _items(args)
    if items is None or not all(x is None or isinstance(x, bool) for x in items):
        return None
    return items


@builtin("all", "list...")
def f_all(*args: Any) -> Any:
    items = _bools(args)
    if items is None:
        return None
    if any(x is False for x in items):
        return False
    return True if all(x is True for x in items) else None


@builtin("any", "list...")
def f_any(*args: Any) -> Any:
    items = _bools(args)
    if items is None:
        return None
    if any(x is True for x in items):
        return True
    return False if all(x is False for x in items) else None


def _position(items: list, position: Any) -> int | None:
    if not isinstance(position, Decimal) or position == 0 or abs(position) > len(items):
        return None
    return int(position) - 1 if position > 0 else len(items) + int(position)


@builtin("sublist", "list", "start position", "length?")
def f_sublist(items: Any, start: Any, length: Any = None) -> Any:
    if not isinstance(items, list):
        return None
    begin = _position(items, start)
    if begin is None or (length is not None and (not isinstance(length, Decimal) or length < 0)):
        return None
    if length is not None and begin + int(length) > len(items):
        return None
    return items[begin:] if length is None else items[begin:begin + int(length)]


@builtin("append", "list", "item...")
def f_append(items: Any, *more: Any) -> Any:
    return items + list(more) if isinstance(items, list) else None


@builtin("concatenate", "list...")
def f_concatenate(*lists: Any) -> Any:
    if not all(isinstance(x, list) for x in lists):
        return None
    return [x for lst in lists for x in lst]


@builtin("insert before", "list", "position", "newItem")
def f_insert_before(items: Any, position: Any, item: Any) -> Any:
    if not isinstance(items, list):
        return None
    at = _position(items, position)
    return None if at is None else items[:at] + [item] + items[at:]


@builtin("remove", "list", "position")
def f_remove(items: Any, position: Any) -> Any:
    if not isinstance(items, list):
        return None
    at = _position(items, position)
    return None if at is None else items[:at] + items[at + 1:]


@builtin("reverse", "list")
def f_reverse(items: Any) -> Any:
    return items[::-1] if isinstance(items, list) else None


@builtin("index of", "list", "match")
def f_index_of(items: Any, value: Any) -> Any:
    if not isinstance(items, list):
        return None
    return [Decimal(i + 1) for i, x in enumerate(items) if equal(x, value) is True]


def _distinct(items: list) -> list:
    out: list = []
    for x in items:
        if not any(equal(x, y) is True for y in out):
            out.append(x)
    return out


@builtin("union", "list...")
def f_union(*lists: Any) -> Any:
    if not all(isinstance(x, list) for x in lists):
        return None
    return _distinct([x for lst in lists for x in lst])


@builtin("distinct values", "list")
def f_distinct(items: Any) -> Any:
    return _distinct(items) if isinstance(items, list) else None


@builtin("flatten", "list")
def f_flatten(items: Any) -> Any:
    if not isinstance(items, list):
        return None
    out: list = []
    for x in items:
        out.extend(f_flatten(x) if isinstance(x, list) else [x])
    return out


def _call(fn: Any, args: list[Any]) -> Any:
    invoke = getattr(fn, "invoke", None)
    return invoke(args) if invoke is not None else fn(*args)


@builtin("sort", "list", "precedes?")
def f_sort(items: Any, precedes: Any = None) -> Any:
    if not isinstance(items, list):
        return None
    if precedes is None:
        if any(compare(items[0], x) is None for x in items):
            return None
        return sorted(items, key=_SortKey)
    if not callable(precedes):
        return None
    def order(x: Any, y: Any) -> int:  # a comparison built from the caller's `precedes`
        if _call(precedes, [x, y]) is True:
            return -1
        return 1 if _call(precedes, [y, x]) is True else 0
    return sorted(items, key=cmp_to_key(order))


class _SortKey:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _SortKey) -> bool:
        c = compare(self.value, other.value)
        if c is None:
            raise FeelError("sort: values cannot be compared")
        return c < 0


@builtin("list replace", "list", "position", "newItem")
def f_list_replace(items: Any, position: Any, item: Any) -> Any:
    if items is None:
        return None
    if not isinstance(items, list):
        items = [items]
    if callable(position):
        out = []
        for x in items:
            hit = _call(position, [x, item])
            if not isinstance(hit, bool):
                raise FeelError("the match function must return true or false")
            out.append(item if hit else x)
        return out
    at = _position(items, position)
    return None if at is None else items[:at] + [item] + items[at + 1:]


builtin("list replace", "list", "match", "newItem")(f_list_replace)

Predicate = Callable[[Any, Any], Any]
