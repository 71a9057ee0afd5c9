"""FEEL temporal built-ins, `is`, `range(from)` and the range relations (before, meets, ...)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .builtin_registry import NO_MATCH, builtin
from .errors import FeelError
from .values import (
    Range,
    YearsMonths,
    compare,
    far_class,
    held,
    make_date,
    parse_date,
    parse_date_time,
    parse_duration,
    parse_time,
    real_year,
)

_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


def _zone_text(tz: dt.tzinfo | None, when: dt.datetime | None) -> str:
    if tz is None:
        return ""
    if isinstance(tz, ZoneInfo):
        return "@" + tz.key
    offset = tz.utcoffset(when)
    if not offset:
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    total = int(abs(offset).total_seconds())
    text = f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"
    return text + (f":{total % 60:02d}" if total % 60 else "")


def date_text(value: dt.date) -> str:
    year = real_year(value)
    sign = "-" if year < 0 else ""
    return f"{sign}{abs(year):04d}-{value.month:02d}-{value.day:02d}"


def time_text(value: dt.time, nanos: int | None = None) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    fraction = f"{value.microsecond:06d}{getattr(value, 'NANOS', 0) if nanos is None else nanos:03d}".rstrip("0")
    return text + (f".{fraction}" if fraction else "") + _zone_text(value.tzinfo, None)


def datetime_text(value: dt.datetime) -> str:
    return date_text(value) + "T" + time_text(value.timetz().replace(tzinfo=None), getattr(value, "NANOS", 0)) + \
        _zone_text(value.tzinfo, value)


def _whole(*values: Any) -> bool:
    return all(v.__class__ is Decimal and v == v.to_integral_value() for v in values)


@builtin("date", "from")
def f_date(value: Any) -> Any:
    if isinstance(value, str):
        return parse_date(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


@builtin("date", "year", "month", "day")
def f_date3(year: Any, month: Any, day: Any) -> Any:
    return make_date(int(year), int(month), int(day)) if _whole(year, month, day) else None


@builtin("time", "from")
def f_time(value: Any) -> Any:
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, dt.datetime):
        return value.timetz()
    if isinstance(value, dt.date):
        return dt.time(tzinfo=dt.timezone.utc)
    return value if isinstance(value, dt.time) else None


@builtin("time", "hour", "minute", "second", "offset?")
def f_time4(hour: Any, minute: Any, second: Any, offset: Any = None) -> Any:
    if not _whole(hour, minute) or second.__class__ is not Decimal:
        return None
    tz = None
    if offset is not None:
        if not isinstance(offset, dt.timedelta) or abs(offset) > dt.timedelta(hours=14):
            return None
        tz = dt.timezone(offset)
    whole = int(second)
    nanos = int((second - whole) * 1_000_000_000)
    return far_class(dt.time, 0, nanos % 1000)(int(hour), int(minute), whole, nanos // 1000, tzinfo=tz)


@builtin("date and time", "from")
def f_date_and_time(value: Any) -> Any:
    if isinstance(value, str):
        return parse_date_time(value)
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time()) if isinstance(value, dt.date) else None


@builtin("date and time", "date", "time")
def f_date_and_time2(day: Any, time: Any) -> Any:
    if not isinstance(day, dt.date) or not isinstance(time, dt.time):
        return None
    shift = getattr(day, "SHIFT", 0)
    day = day.date() if isinstance(day, dt.datetime) else day
    return held(dt.datetime.combine(day, time), shift, getattr(time, "NANOS", 0))


@builtin("duration", "from")
def f_duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else None


def _tod(value: dt.date) -> tuple:
    return (value.day,)  # whole months between the dates; the time of day does not count


@builtin("years and months duration", "from", "to")
def f_ym_duration(start: Any, end: Any) -> Any:
    if not (isinstance(start, dt.date) and isinstance(end, dt.date)):
        return None
    months = (real_year(end) - real_year(start)) * 12 + end.month - start.month
    if months > 0 and _tod(end) < _tod(start):
        months -= 1
    elif months < 0 and _tod(end) > _tod(start):
        months += 1
    return YearsMonths(months)


@builtin("day of year", "date")
def f_day_of_year(value: Any) -> Any:
    return Decimal(value.timetuple().tm_yday) if isinstance(value, dt.date) else None


@builtin("day of week", "date")
def f_day_of_week(value: Any) -> Any:
    return _DAYS[value.weekday()] if isinstance(value, dt.date) else None


@builtin("month of year", "date")
def f_month_of_year(value: Any) -> Any:
    return _MONTHS[value.month - 1] if isinstance(value, dt.date) else None


@builtin("week of year", "date")
def f_week_of_year(value: Any) -> Any:
    return Decimal(value.isocalendar()[1]) if isinstance(value, dt.date) else None


@builtin("now")
def f_now() -> Any:
    return dt.datetime.now(dt.timezone.utc)


@builtin("today")
def f_today() -> Any:
    return dt.date.today()


@builtin("is", "value1", "value2")
def f_is(a: Any, b: Any) -> Any:
    if a.__class__ is not b.__class__:
        return False
    if isinstance(a, (dt.time, dt.datetime)):
        return a.replace(tzinfo=None) == b.replace(tzinfo=None) and _zone_text(a.tzinfo, None) == \
            _zone_text(b.tzinfo, None)
    return bool(a == b)


@builtin("range", "from")
def f_range(text: Any) -> Any:
    from .range_text import parse_range  # FEEL endpoints are parsed by the FEEL parser

    if not isinstance(text, str):
        return None
    return parse_range(text)


# -- range relations: a point p is treated as the range [p..p] ------------------------------------
_LOW, _HIGH = object(), object()


def _cmp(a: Any, b: Any) -> int:
    if a is _LOW or b is _HIGH:
        return 0 if a is b else -1
    if a is _HIGH or b is _LOW:
        return 0 if a is b else 1
    c = compare(a, b)
    if c is None:
        raise FeelError("range ends cannot be compared")
    return c


def _ends(value: Any) -> tuple[Any, bool, Any, bool]:
    if isinstance(value, Range):
        return (_LOW if value.low is None else value.low, value.low_closed,
                _HIGH if value.high is None else value.high, value.high_closed)
    if value is None:
        raise FeelError("null is neither a point nor a range")
    return value, True, value, True


def _before(a: Any, b: Any) -> bool:
    _, _, a_end, a_in = _ends(a)
    b_start, b_in, _, _ = _ends(b)
    c = _cmp(a_end, b_start)
    return c < 0 or (c == 0 and not (a_in and b_in))


def _includes(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1 = _ends(a)
    s2, si2, e2, ei2 = _ends(b)
    cs, ce = _cmp(s1, s2), _cmp(e1, e2)
    return (cs < 0 or (cs == 0 and (si1 or not si2))) and (ce > 0 or (ce == 0 and (ei1 or not ei2)))


def _starts(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1 = _ends(a)
    s2, si2, e2, ei2 = _ends(b)
    ce = _cmp(e1, e2)
    return _cmp(s1, s2) == 0 and si1 == si2 and (ce < 0 or (ce == 0 and (not ei1 or ei2)))


def _finishes(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1 = _ends(a)
    s2, si2, e2, ei2 = _ends(b)
    cs = _cmp(s1, s2)
    return _cmp(e1, e2) == 0 and ei1 == ei2 and (cs > 0 or (cs == 0 and (not si1 or si2)))


def _meets(a: Any, b: Any) -> bool:
    _, _, e1, ei1 = _ends(a)
    s2, si2, _, _ = _ends(b)
    return ei1 and si2 and _cmp(e1, s2) == 0


def _overlaps(a: Any, b: Any) -> bool:
    return not _before(a, b) and not _before(b, a)


def _overlaps_before(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1 = _ends(a)
    s2, si2, e2, ei2 = _ends(b)
    cs, ce = _cmp(s1, s2), _cmp(e1, e2)
    return (cs < 0 or (cs == 0 and si1 and not si2)) and _overlaps(a, b) and \
        (ce < 0 or (ce == 0 and (not ei1 or ei2)))


def _coincides(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1 = _ends(a)
    s2, si2, e2, ei2 = _ends(b)
    return _cmp(s1, s2) == 0 and si1 == si2 and _cmp(e1, e2) == 0 and ei1 == ei2


def _point_checked(kinds: str, fn: Any) -> Any:
    def check(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        for kind, value in zip(kinds, (a, b)):
            if (kind == "r") != isinstance(value, Range):
                return NO_MATCH
        return fn(a, b)
    return check


_RELATIONS = {
    "before": (_before, "pp pr rp rr"), "after": (lambda a, b: _before(b, a), "pp pr rp rr"),
    "meets": (_meets, "rr"), "met by": (lambda a, b: _meets(b, a), "rr"),
    "overlaps": (_overlaps, "rr"), "overlaps before": (_overlaps_before, "rr"),
    "overlaps after": (lambda a, b: _overlaps_before(b, a), "rr"),
    "finishes": (_finishes, "pr rr"), "finished by": (lambda a, b: _finishes(b, a), "rp rr"),
    "includes": (_includes, "rp rr"), "during": (lambda a, b: _includes(b, a), "pr rr"),
    "starts": (_starts, "pr rr"), "started by": (lambda a, b: _starts(b, a), "rp rr"),
    "coincides": (_coincides, "pp rr"),
}
_PARAMS = {"pp": ("point1", "point2"), "pr": ("point", "range"), "rp": ("range", "point"),
           "rr": ("range1", "range2")}
for _name, (_fn, _kinds) in _RELATIONS.items():
    for _kind in _kinds.split():
        builtin(_name, *_PARAMS[_kind])(_point_checked(_kind, _fn))
