"""What sandboxed code can see at run time: whitelisted builtins, careflow's date helpers,
and the guard functions the compiler routes risky operations through."""

from __future__ import annotations

import builtins
import re
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .errors import ExpressionError

try:
    from zoneinfo import ZoneInfo

    LOCAL_ZONE: Any = ZoneInfo("Europe/London")
except Exception:  # pragma: no cover - tzdata missing
    LOCAL_ZONE = timezone.utc

MAX_STRING_LENGTH = 10_000_000      # characters (or bytes) in one string built by a script
MAX_COLLECTION_LENGTH = 1_000_000   # items in one list/tuple built by repetition or range()
MAX_INT_BITS = 100_000              # about 30,000 decimal digits
MAX_FORMAT_WIDTH = 1_000            # widths/precisions in '%' and f-string format specs
# Total characters/items that guarded operations may build during one evaluation, so that
# a loop (or a long script) cannot pile up many results that are each below the limits.
MAX_BUILT_PER_EVALUATION = 50_000_000  # characters and items: roughly the 50 MB an expression may use
_CHARGE_FROM = 64                   # results smaller than this are not counted

_budget = threading.local()


def start_budget() -> int | None:
    """Begin counting for one evaluation; returns the enclosing evaluation's remainder."""
    previous = getattr(_budget, "remaining", None)
    _budget.remaining = MAX_BUILT_PER_EVALUATION
    return previous


def end_budget(previous: int | None) -> None:
    _budget.remaining = previous


def _charge(size: int, what: str) -> None:
    remaining = getattr(_budget, "remaining", None)
    if remaining is None:
        return
    remaining -= size
    if remaining < 0:
        raise ExpressionError(
            f"the expression built too much data in total (over {MAX_BUILT_PER_EVALUATION:,} "
            f"characters or items; last: {what})")
    _budget.remaining = remaining


def _built(value: Any, what: str) -> Any:
    """Count a value an expression built (a copy, a slice, a method's result) against its budget."""
    if isinstance(value, _SIZED):
        size = len(value)
        if size >= _CHARGE_FROM:
            _charge(size, what)
    return value  # a lazy iterator (map, zip ...) is counted when something makes a list of it

_SEQUENCES = (str, bytes, list, tuple)
_STRINGS = (str, bytes)
_SIZED = (str, bytes, list, tuple, dict, set, frozenset)


def _too_big(what: str) -> ExpressionError:
    return ExpressionError(f"the result would be too large ({what})")


def _limit_for(value: Any) -> int:
    return MAX_STRING_LENGTH if isinstance(value, _STRINGS) else MAX_COLLECTION_LENGTH


def _weight(seq: Any) -> int:
    """Length of ``seq`` plus the lengths of the strings/containers directly inside it, so
    that ``['x' * 10**7] * 10**6`` is measured by what it would print as, not by 10**6."""
    if isinstance(seq, _STRINGS):
        return len(seq)
    total = len(seq)
    for item in seq:
        if isinstance(item, (str, bytes, list, tuple, dict, set, frozenset)):
            total += len(item)
    return total


# -- binary operators ------------------------------------------------------------------
def guarded_add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        if len(a) + len(b) > _limit_for(a):
            raise _too_big("concatenation")
        # a and b are script values of any mix of these kinds; a mismatch raises TypeError as unguarded
        return _built(a + b, "concatenation")  # type: ignore[operator]
    return a + b


def guarded_iadd(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        if len(a) + len(b) > _limit_for(a):
            raise _too_big("concatenation")
        a += b  # type: ignore[operator]  # any mix of kinds, as in guarded_add
        return _built(a, "concatenation")
    a += b
    return a


def _check_repeat(a: Any, b: Any) -> None:
    if isinstance(a, _SEQUENCES) and isinstance(b, int):
        seq, count = a, b
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        seq, count = b, a
    else:
        if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise _too_big("integer multiplication")
        return
    if count > 0 and (len(seq) * count > _limit_for(seq) or _weight(seq) * count > MAX_STRING_LENGTH):
        raise _too_big("repetition")


def guarded_mul(a: Any, b: Any) -> Any:
    _check_repeat(a, b)
    return _built(a * b, "repetition")


def guarded_imul(a: Any, b: Any) -> Any:
    _check_repeat(a, b)
    a *= b
    return _built(a, "repetition")


def guarded_pow(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        if a.bit_length() * b > MAX_INT_BITS:
            raise _too_big("power")
    return a ** b


def guarded_lshift(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        if a.bit_length() + b > MAX_INT_BITS:
            raise _too_big("shift")
    return a << b


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?([-#0 +]*)(\*|\d*)(?:\.(\*|\d*))?[hlL]?([a-zA-Z%])")


def guarded_mod(a: Any, b: Any) -> Any:
    if isinstance(a, _STRINGS):
        text = a.decode("latin-1") if isinstance(a, bytes) else a
        specs = _PERCENT_SPEC.findall(text)
        biggest_arg = 0
        for _flags, width, precision, _conv in specs:
            for number in (width, precision):
                if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                    raise ExpressionError("'%' format widths above 1000 are not allowed")
        args = b if isinstance(b, tuple) else (b.values() if isinstance(b, dict) else (b,))
        for arg in args:
            if isinstance(arg, (str, bytes, list, tuple, dict, set)):
                biggest_arg = max(biggest_arg, _weight(arg) if not isinstance(arg, dict) else len(arg))
        if len(text) + len(specs) * (biggest_arg + MAX_FORMAT_WIDTH) > MAX_STRING_LENGTH:
            raise _too_big("'%' formatting")
        return _built(a % b, "'%' formatting")
    return a % b


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "Add": guarded_iadd, "Mult": guarded_imul, "Pow": guarded_pow,
    "LShift": guarded_lshift, "Mod": guarded_mod,
}


def guarded_augitem(container: Any, key: Any, op: str, value: Any) -> None:
    container[key] = _OPERATORS[op](container[key], value)


# -- methods whose output can dwarf their input -------------------------------------------
def guarded_method(obj: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    method = getattr(obj, name)
    if isinstance(obj, _STRINGS):
        if name == "join" and args and not isinstance(args[0], (list, tuple)):
            args = (list(args[0]),) + args[1:]   # measure a one-shot iterable only once
        _check_string_method(obj, name, args, kwargs)
    elif name == "strftime" and isinstance(obj, (date, datetime)) and args and isinstance(args[0], str):
        if len(args[0]) > MAX_FORMAT_WIDTH:
            raise ExpressionError("strftime() formats longer than 1000 characters are not allowed")
    elif isinstance(obj, list) and name == "extend" and args:
        other = args[0]
        if not isinstance(other, (list, tuple, str, dict, set, frozenset, range)):
            other = list(other)
        if len(obj) + len(other) > MAX_COLLECTION_LENGTH:
            raise _too_big("list.extend")
        _charge(len(other), "list.extend")
        return method(other)
    return _built(method(*args, **kwargs), name)


def _check_string_method(s: Any, name: str, args: tuple, kwargs: dict) -> None:
    def arg(index: int, keyword: str, default: Any = None) -> Any:
        return args[index] if len(args) > index else kwargs.get(keyword, default)

    if name in ("ljust", "rjust", "center", "zfill"):
        width = arg(0, "width", 0)
        if isinstance(width, int) and width > MAX_STRING_LENGTH:
            raise _too_big(f"{name}")
    elif name == "expandtabs":
        size = arg(0, "tabsize", 8)
        tab = "\t" if isinstance(s, str) else b"\t"
        if isinstance(size, int) and len(s) + s.count(tab) * size > MAX_STRING_LENGTH:
            raise _too_big("expandtabs")
    elif name == "replace":
        old, new = arg(0, "old"), arg(1, "new")
        if isinstance(old, _STRINGS) and isinstance(new, _STRINGS):
            count = arg(2, "count", -1)
            hits = s.count(old) if old else len(s) + 1
            if isinstance(count, int) and count >= 0:
                hits = min(hits, count)
            if len(s) + hits * max(len(new) - len(old), 0) > MAX_STRING_LENGTH:
                raise _too_big("replace")
    elif name == "join":
        items = args[0] if args else ()
        total = len(s) * max(len(items) - 1, 0)
        for item in items:
            if isinstance(item, _STRINGS):
                total += len(item)
            if total > MAX_STRING_LENGTH:
                raise _too_big("join")
    elif name == "translate" and isinstance(s, str):
        table = arg(0, "table")
        if isinstance(table, dict):
            longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
            if len(s) * longest > MAX_STRING_LENGTH:
                raise _too_big("translate")


def guarded_format(value: Any, conversion: int, spec: str) -> str:
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("s"):
        value = str(value)
    elif conversion == ord("a"):
        value = ascii(value)
    if len(spec) > MAX_FORMAT_WIDTH:
        raise ExpressionError("format specifications longer than 1000 characters are not allowed")
    for number in re.findall(r"\d+", spec):
        if int(number) > MAX_FORMAT_WIDTH:
            raise ExpressionError("format widths above 1000 are not allowed")
    return _built(builtins.format(value, spec), "format")


def checked_str(value: str) -> str:
    if len(value) > MAX_STRING_LENGTH:
        raise _too_big("f-string")
    return _built(value, "f-string")


# -- whitelisted builtins ----------------------------------------------------------------
def safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_COLLECTION_LENGTH:
        raise ExpressionError(f"range() of more than {MAX_COLLECTION_LENGTH:,} items is not allowed")
    if len(result) >= _CHARGE_FROM:
        _charge(len(result), "range")
    return result


_SUM_STARTS = (int, float, complex, timedelta)


def safe_sum(iterable: Any, start: Any = 0) -> Any:
    if not isinstance(start, _SUM_STARTS):
        raise ExpressionError("sum() only adds numbers and durations")
    return builtins.sum(iterable, start)


def no_print(*args: Any, **kwargs: Any) -> None:
    """print() is accepted and ignored: scripts have no console."""


def now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def today() -> date:
    """Today's date in Europe/London (the council's calendar day)."""
    return datetime.now(LOCAL_ZONE).date()


def parse_date(text: str) -> date:
    """'2026-01-31' -> date(2026, 1, 31); a full timestamp gives its date."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        try:
            return datetime.fromisoformat(text).date()
        except (TypeError, ValueError):
            raise ExpressionError(f"not a date (expected YYYY-MM-DD): {text!r}") from None


def parse_datetime(text: str) -> datetime:
    """ISO 8601 timestamp -> aware datetime (a timestamp without an offset is taken as UTC)."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ExpressionError(f"not a date and time (expected ISO 8601): {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def parse_duration(text: str) -> Any:
    """ISO 8601 duration -> 'P14D', 'PT36H', 'P2W' give a timedelta; 'P3M', 'P1Y' and working days
    'P5WD' a calendar duration that dates add as a calendar does (``workflows.timeutil``, the one
    duration library of the runtime)."""
    from workflows.timeutil import parse_duration as parse

    try:
        return parse(text)
    except ValueError as exc:
        raise ExpressionError(str(exc)) from None


_IMPORTABLE_BY_THE_RUNTIME = frozenset({"time", "_strptime"})


def runtime_import(name: str, *args: Any, **kwargs: Any) -> Any:
    """Only for C code inside allowed methods: ``date.strftime`` and ``datetime.strptime`` import
    ``time``/``_strptime`` through the frame's builtins. Expressions cannot name this (a leading
    underscore is refused), and nothing else can be imported through it."""
    if name not in _IMPORTABLE_BY_THE_RUNTIME:
        raise ExpressionError("imports are not allowed")
    return __import__(name, *args, **kwargs)


SAFE_BUILTINS: dict[str, Any] = {
    "__import__": runtime_import,
    "True": True, "False": False, "None": None,
    "abs": abs, "all": all, "any": any, "bool": bool, "chr": chr, "dict": dict,
    "divmod": divmod, "enumerate": enumerate, "filter": filter, "float": float,
    "frozenset": frozenset, "int": int, "isinstance": isinstance, "len": len, "list": list,
    "map": map, "max": max, "min": min, "next": next, "ord": ord, "range": safe_range,
    "reversed": reversed, "round": round, "set": set, "sorted": sorted, "str": str,
    "sum": safe_sum, "tuple": tuple, "zip": zip, "print": no_print,
    "datetime": datetime, "date": date, "timedelta": timedelta, "timezone": timezone,
    "now": now, "today": today, "parse_date": parse_date, "parse_datetime": parse_datetime,
    "parse_duration": parse_duration,
}

# Names deliberately absent, for a clearer error than "name 'x' is not defined".
FORBIDDEN_BUILTINS = frozenset({
    "open", "eval", "exec", "compile", "getattr", "setattr", "delattr", "hasattr", "vars",
    "globals", "locals", "dir", "type", "object", "help", "input", "breakpoint",
    "memoryview", "bytearray", "super", "classmethod", "staticmethod", "property", "iter",
    "format", "exit", "quit", "id", "callable", "issubclass", "pow", "repr",
})

GUARDS: dict[str, Any] = {
    "_cf_add": guarded_add, "_cf_iadd": guarded_iadd, "_cf_mul": guarded_mul,
    "_cf_imul": guarded_imul, "_cf_pow": guarded_pow, "_cf_lshift": guarded_lshift,
    "_cf_mod": guarded_mod, "_cf_augitem": guarded_augitem, "_cf_method": guarded_method,
    "_cf_format": guarded_format, "_cf_checked_str": checked_str, "_cf_built": _built,
}


def make_tick(time_limit: float) -> Callable[[], bool]:
    """A tick() for one evaluation: True until ``time_limit`` seconds have passed."""
    deadline = time.monotonic() + time_limit
    clock = time.monotonic

    def _cf_tick() -> bool:
        if clock() > deadline:
            raise ExpressionError(f"time limit exceeded ({time_limit:g} s)")
        return True

    return _cf_tick


__all__ = ["SAFE_BUILTINS", "GUARDS", "FORBIDDEN_BUILTINS", "make_tick", "now", "today",
           "parse_date", "parse_datetime", "parse_duration", "start_budget", "end_budget"]
