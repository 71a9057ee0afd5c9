"""FEEL arithmetic across numbers, strings, dates, times and durations, and `.property` access.

Anything FEEL does not define (e.g. string + number) yields null rather than raising.
"""
from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any
from zoneinfo import ZoneInfo

from .errors import note
from .values import DECIMAL_CONTEXT, Range, YearsMonths


def add_months(value: dt.date, months: int) -> dt.date:
    total = value.year * 12 + (value.month - 1) + months
    year, month = divmod(total, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def _number_op(op: str, a: Decimal, b: Decimal) -> Any:
    try:
        if op == "+":
            return DECIMAL_CONTEXT.add(a, b)
        if op == "-":
            return DECIMAL_CONTEXT.subtract(a, b)
        if op == "*":
            return DECIMAL_CONTEXT.multiply(a, b)
        if op == "/":
            return None if b == 0 else DECIMAL_CONTEXT.divide(a, b)
        if op == "**":
            return DECIMAL_CONTEXT.power(a, b)
    except (InvalidOperation, DivisionByZero, Overflow):
        return None
    return None


def _as_datetime(value: dt.date) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())


def _seconds(delta: dt.timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / Decimal(1000000)


def arithmetic(op: str, a: Any, b: Any) -> Any:
    """Binary + - * / ** on FEEL values; null for null operands or undefined combinations."""
    if a is None or b is None:
        return None
    ta, tb = a.__class__, b.__class__
    if ta is Decimal and tb is Decimal:
        return _number_op(op, a, b)
    try:
        if op == "+":
            return _add(a, b)
        if op == "-":
            return _subtract(a, b)
        if op == "*":
            return _multiply(a, b)
        if op == "/":
            return _divide(a, b)
    except (OverflowError, ValueError, TypeError):
        return None
    return None


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(b, (dt.date, dt.time)) and not isinstance(a, (dt.date, dt.time)):
        a, b = b, a  # duration + date == date + duration
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
        return a + b
    if isinstance(a, YearsMonths) and isinstance(b, YearsMonths):
        return YearsMonths(a.months + b.months)
    if isinstance(a, dt.datetime):
        if isinstance(b, dt.timedelta):
            return a + b
        if isinstance(b, YearsMonths):
            return add_months(a, b.months)
    elif isinstance(a, dt.date):
        if isinstance(b, dt.timedelta):
            return (_as_datetime(a) + b).date()
        if isinstance(b, YearsMonths):
            return add_months(a, b.months)
    elif isinstance(a, dt.time) and isinstance(b, dt.timedelta):
        moved = dt.datetime.combine(dt.date(2000, 1, 1), a) + b
        return moved.timetz()
    return None


def _subtract(a: Any, b: Any) -> Any:
    if isinstance(a, dt.date) and isinstance(b, dt.date) and \
            isinstance(a, dt.datetime) != isinstance(b, dt.datetime):
        # a date against a date and time counts as midnight UTC, so only a zoned time compares
        if getattr(a if isinstance(a, dt.datetime) else b, "tzinfo", None) is None:
            return None
        a, b = (x if isinstance(x, dt.datetime) else dt.datetime.combine(x, dt.time(), dt.timezone.utc)
                for x in (a, b))
        return a - b
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        try:
            return _as_datetime(a) - _as_datetime(b)
        except TypeError:  # naive minus aware
            return None
    if isinstance(a, dt.time) and isinstance(b, dt.time):
        base = dt.date(2000, 1, 1)
        try:
            return dt.datetime.combine(base, a) - dt.datetime.combine(base, b)
        except TypeError:
            return None
    if isinstance(b, dt.timedelta):
        return _add(a, -b) if isinstance(a, (dt.date, dt.time, dt.timedelta)) else None
    if isinstance(b, YearsMonths):
        return _add(a, YearsMonths(-b.months)) if isinstance(a, (dt.date, YearsMonths)) else None
    return None


def _multiply(a: Any, b: Any) -> Any:
    if isinstance(a, Decimal):
        a, b = b, a
    if not isinstance(b, Decimal):
        return None
    if isinstance(a, dt.timedelta):
        return dt.timedelta(seconds=float(_seconds(a) * b))
    if isinstance(a, YearsMonths):
        return YearsMonths(int(a.months * b))
    return None


def _divide(a: Any, b: Any) -> Any:
    if isinstance(a, dt.timedelta):
        if isinstance(b, Decimal):
            return None if b == 0 else dt.timedelta(seconds=float(_seconds(a) / b))
        if isinstance(b, dt.timedelta):
            return None if not b else DECIMAL_CONTEXT.divide(_seconds(a), _seconds(b))
    if isinstance(a, YearsMonths):
        if isinstance(b, Decimal):
            return None if b == 0 else YearsMonths(int(a.months / b))
        if isinstance(b, YearsMonths):
            return None if not b.months else DECIMAL_CONTEXT.divide(Decimal(a.months), Decimal(b.months))
    return None


_DATE_PROPS = ("year", "month", "day")
_TIME_PROPS = ("hour", "minute", "second")
PROPERTY_NAMES = ("time offset", "start included", "end included")


def _offset(value: dt.time | dt.datetime, key: str) -> Any:
    tz = value.tzinfo
    if key == "timezone":
        return tz.key if isinstance(tz, ZoneInfo) else None
    if tz is None:
        return None
    if isinstance(value, dt.time):
        return None if isinstance(tz, ZoneInfo) else tz.utcoffset(None)
    return value.utcoffset()


def path_of(value: Any, key: str) -> Any:
    """`value.key`: context entry, or a property of a date/time/duration/range."""
    if isinstance(value, dict):
        if key not in value:
            note(f"the context has no entry '{key}'")
        return value.get(key)
    if value is None:
        note(f"null has no property '{key}'")
        return None
    if isinstance(value, Range):
        props = {"start": value.low, "end": value.high, "start included": value.low_closed,
                 "end included": value.high_closed}
        if key in props:
            return props[key]
    if isinstance(value, dt.date) and key in _DATE_PROPS:
        return Decimal(getattr(value, key))
    if isinstance(value, (dt.datetime, dt.time)) and key in _TIME_PROPS:
        return Decimal(getattr(value, key))
    if isinstance(value, (dt.datetime, dt.time)) and key in ("time offset", "timezone"):
        return _offset(value, key)
    if isinstance(value, dt.date) and key == "weekday":
        return Decimal(value.isoweekday())
    if isinstance(value, dt.timedelta):
        secs = int(_seconds(abs(value)))
        sign = -1 if value < dt.timedelta(0) else 1
        parts = {"days": secs // 86400, "hours": secs % 86400 // 3600,
                 "minutes": secs % 3600 // 60, "seconds": secs % 60}
        if key in parts:
            return Decimal(sign * parts[key])
    if isinstance(value, YearsMonths) and key in ("years", "months"):
        sign = -1 if value.months < 0 else 1
        years, months = divmod(abs(value.months), 12)
        return Decimal(sign * (years if key == "years" else months))
    note(f"a {type(value).__name__} has no property '{key}'")
    return None
