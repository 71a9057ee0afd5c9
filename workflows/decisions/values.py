"""FEEL value model: conversion from/to Python, ISO parsing, comparison and equality.

FEEL numbers are decimals, so every number inside the interpreter is a `Decimal`; Python
floats are converted through their shortest repr to avoid binary noise (0.1 -> 0.1).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import FeelError

# FEEL specifies IEEE 754 decimal128: 34 significant digits.
DECIMAL_CONTEXT = Context(prec=34)


@dataclass(frozen=True, order=True)
class YearsMonths:
    """A FEEL years-and-months duration (timedelta cannot hold calendar months)."""

    months: int

    def iso(self) -> str:
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        body = (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
        return f"{sign}P{body}"

    def __str__(self) -> str:
        return self.iso()


@dataclass(frozen=True)
class Range:
    """A FEEL range `[a..b]`; a None end means unbounded (used for `< x` style tests)."""

    low: Any
    high: Any
    low_closed: bool = True
    high_closed: bool = True
    unary: str = ""  # the operator of a range written as a unary test, `(< 10)`: its open end is unbounded

    def contains(self, value: Any) -> bool | None:
        if value is None or (not self.unary and (self.low is None or self.high is None)):
            return None
        if self.low is not None:
            c = compare(value, self.low)
            if c is None:
                return None
            if c < 0 or (c == 0 and not self.low_closed):
                return False
        if self.high is not None:
            c = compare(value, self.high)
            if c is None:
                return None
            if c > 0 or (c == 0 and not self.high_closed):
                return False
        return True


_DURATION_RE = re.compile(
    r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> dt.timedelta | YearsMonths:
    m = _DURATION_RE.match(text.strip().replace(".S", "S"))
    if not m or text.strip() in ("P", "-P") or text.strip().endswith("T"):
        raise FeelError(f"invalid duration '{text}'")
    neg, years, months, weeks, days, hours, minutes, seconds = m.groups()
    sign = -1 if neg else 1
    if (years or months) and not (weeks or days or hours or minutes or seconds):
        return YearsMonths(sign * (int(years or 0) * 12 + int(months or 0)))
    if years or months:
        raise FeelError(f"duration '{text}' mixes years/months with days/time")
    delta = dt.timedelta(
        weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
        minutes=int(minutes or 0), seconds=float(seconds or 0),
    )
    return -delta if sign < 0 else delta


_DATE_RE = re.compile(r"^(-?(?:[1-9]\d{4,8}|\d{4}))-(\d\d)-(\d\d)$")
_TIME_RE = re.compile(r"^(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d(?::\d\d)?|@[A-Za-z][\w/+\-]*)?$")


def _zone(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return dt.timezone.utc
    if text.startswith("@"):
        try:
            return ZoneInfo(text[1:])
        except (ZoneInfoNotFoundError, ValueError):
            raise FeelError(f"unknown time zone '{text[1:]}'") from None
    sign = -1 if text[0] == "-" else 1
    parts = [int(x) for x in text[1:].split(":")]
    offset = dt.timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2] if len(parts) > 2 else 0)
    if offset > dt.timedelta(hours=14):
        raise FeelError(f"time offset '{text}' is out of range")
    return dt.timezone(sign * offset)


_FAR: dict[tuple[type, int, int], type] = {}


def far_class(base: type, shift: int, nanos: int = 0) -> type:
    """A date, time or date-and-time class for what Python's cannot hold: years outside 1..9999
    (the value is held `shift` years later, a multiple of 400, so calendar and weekdays are the
    same) and the nanoseconds below a microsecond (kept for the text form; they do not take part
    in comparisons). Arithmetic on a value keeps its class, hence both."""
    if not shift and not nanos:
        return base
    key = (base, shift, nanos)
    if key not in _FAR:
        _FAR[key] = type(f"Far{base.__name__}", (base,), {"SHIFT": shift, "NANOS": nanos, "__slots__": ()})
    return _FAR[key]


def held(value: dt.datetime, shift: int, nanos: int) -> dt.datetime:
    """The same date and time, in the class that keeps its shift and nanoseconds."""
    cls = far_class(dt.datetime, shift, nanos)
    if cls is dt.datetime:
        return value
    return cls(*value.timetuple()[:6], value.microsecond, value.tzinfo)


def real_year(value: dt.date) -> int:
    return value.year - getattr(value, "SHIFT", 0)


def make_date(year: int, month: int, day: int) -> dt.date:
    if 1 <= year <= 9999:
        return dt.date(year, month, day)
    if abs(year) > 999_999_999:
        raise ValueError("year out of range")
    held = year % 400 + 2000
    return far_class(dt.date, held - year)(held, month, day)


def parse_date(text: str) -> dt.date:
    m = _DATE_RE.match(text.strip())
    if not m:
        raise FeelError(f"invalid date '{text}'")
    try:
        return make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise FeelError(f"invalid date '{text}'") from None


def _time_parts(text: str) -> tuple[dt.time, bool]:
    """(time, rolled over): 24:00:00 is midnight at the end of the day."""
    m = _TIME_RE.match(text)
    if not m:
        raise FeelError(f"invalid time '{text}'")
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3))
    micro = int((m.group(4) or ".0")[1:7].ljust(6, "0"))
    nanos = int((m.group(4) or ".0")[7:10].ljust(3, "0"))
    tz = _zone(m.group(5))
    if hour == 24 and minute == 0 and second == 0 and micro == 0:
        return dt.time(0, 0, 0, 0, tzinfo=tz), True
    try:
        return far_class(dt.time, 0, nanos)(hour, minute, second, micro, tzinfo=tz), False
    except ValueError:
        raise FeelError(f"invalid time '{text}'") from None


def parse_time(text: str) -> dt.time:
    return _time_parts(text.strip())[0]


def parse_date_time(text: str) -> dt.datetime:
    text = text.strip()
    if "T" not in text:
        return dt.datetime.combine(parse_date(text), dt.time())
    day_text, _, time_text = text.partition("T")
    day = parse_date(day_text)
    time, rolled = _time_parts(time_text)
    value = held(dt.datetime.combine(day, time), getattr(day, "SHIFT", 0), getattr(time, "NANOS", 0))
    return value + dt.timedelta(days=1) if rolled else value


def to_number(value: Any) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def from_python(value: Any) -> Any:
    """Turn a caller's Python value into a FEEL value (numbers -> Decimal, tuples -> lists)."""
    if value is None or isinstance(value, (bool, str, Decimal)):
        return value
    if isinstance(value, (int, float)):
        return to_number(value)
    if isinstance(value, (dt.date, dt.time, dt.timedelta, YearsMonths, Range)):
        return value
    if isinstance(value, dict):
        return {str(k): from_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [from_python(v) for v in value]
    if callable(value):
        return value
    raise FeelError(f"unsupported input type {type(value).__name__}")


def to_python(value: Any) -> Any:
    """Turn a FEEL result into plain Python: integral numbers -> int, others -> float."""
    cls = value.__class__
    if cls is Decimal:
        if not value.is_finite():
            return None
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if cls is list:
        return [to_python(v) for v in value]
    if cls is dict:
        return {k: (v if v.__class__ in _PLAIN else to_python(v)) for k, v in value.items()}
    return value


_PLAIN = frozenset({bool, str, type(None)})  # values to_python returns as they are


def iso_timedelta(delta: dt.timedelta) -> str:
    total = delta.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = f"{sign}P" + (f"{int(days)}D" if days else "")
    time = (f"{int(hours)}H" if hours else "") + (f"{int(minutes)}M" if minutes else "")
    if seconds:
        time += (f"{int(seconds)}" if seconds == int(seconds) else f"{seconds:g}") + "S"
    if time:
        out += "T" + time
    return out if out not in ("P", "-P") else "PT0S"


def to_json(value: Any) -> Any:
    """JSON-safe form for audit logs: ISO strings for temporals, int/float for numbers."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, Decimal):
        return to_python(value)
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date subclass
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return iso_timedelta(value)
    if isinstance(value, YearsMonths):
        return value.iso()
    if isinstance(value, Range):
        return f"{'[' if value.low_closed else '('}{to_json(value.low)}..{to_json(value.high)}" \
               f"{']' if value.high_closed else ')'}"
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return str(value)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (Decimal, int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, dt.timedelta):
        return "days and time duration"
    if isinstance(value, YearsMonths):
        return "years and months duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, Range):
        return "range"
    return "function" if callable(value) else type(value).__name__


def _kind(value: Any) -> str:
    # date and date-time are distinct FEEL types; bool must not pass as number.
    return type_name(value)


def compare(a: Any, b: Any) -> int | None:
    """Three-way ordering of two FEEL values; None when they are not comparable."""
    if a is None or b is None:
        return None
    ka, kb = _kind(a), _kind(b)
    if ka != kb or ka in ("boolean", "list", "context", "range", "function"):
        return None
    try:
        return -1 if a < b else (1 if a > b else 0)
    except TypeError:  # naive vs aware datetimes
        return None


def equal(a: Any, b: Any) -> bool | None:
    """FEEL `=`: null equals only null; different types give null (DMN 1.3)."""
    if a is None or b is None:
        return a is None and b is None
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        return None
    if ka == "list":
        if len(a) != len(b):
            return False
        for x, y in zip(a, b):
            if equal(x, y) is not True:
                return False
        return True
    if ka == "context":
        if a.keys() != b.keys():
            return False
        return all(equal(a[k], b[k]) is True for k in a)
    if ka in ("time", "date and time"):  # equality resolves to the second (as the DMN TCK reads it)
        a, b = a.replace(microsecond=0), b.replace(microsecond=0)
    try:
        return bool(a == b)
    except TypeError:
        return None


def is_number(value: Any) -> bool:
    return isinstance(value, Decimal)


def number_or_none(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None


def ordering(op: str, a: Any, b: Any, strict: bool) -> Any:
    """FEEL comparison operators; strict raises on incompatible non-null operands."""
    if op == "=":
        return equal(a, b)
    if op == "!=":
        r = equal(a, b)
        return None if r is None else not r
    c = compare(a, b)
    if c is None:
        if strict and a is not None and b is not None:
            raise FeelError(f"cannot compare {type_name(a)} {show(a)} with {type_name(b)} {show(b)}")
        return None
    return c < 0 if op == "<" else c <= 0 if op == "<=" else c > 0 if op == ">" else c >= 0


def show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) < 40 else text[:37] + "..."
