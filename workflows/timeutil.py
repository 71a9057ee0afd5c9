"""Due dates and durations as careflow reads them from diagrams and data."""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
_WORKING_DAYS = re.compile(r"^P(?P<days>\d+)WD$", re.IGNORECASE)  # careflow's own: P5WD = five working days

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of weeks, days and time (no months or years) as a timedelta."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or text.strip() in ("P", "PT", "-P"):
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as P3D or PT4H")
    parts = {k: float(v) for k, v in match.groupdict().items() if v and k != "sign"}
    value = timedelta(weeks=parts.get("weeks", 0), days=parts.get("days", 0), hours=parts.get("hours", 0),
                      minutes=parts.get("minutes", 0), seconds=parts.get("seconds", 0))
    return -value if match.group("sign") else value


def as_utc_datetime(value: Any) -> datetime:
    """A date, datetime or ISO text as an aware UTC datetime (a bare date means the end of that day)."""
    if isinstance(value, str):
        text = value.strip()
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59), tzinfo=timezone.utc)
    raise ValueError(f"{value!r} is not a date")


def parse_due(props: dict[str, str], task: Any, now: datetime) -> datetime | None:
    """A user task's due date from its ``dueIn`` (duration) or ``dueDate`` property.

    Either may be a literal or an expression over the task's data, run in the sandbox.
    A property that cannot be read leaves the task without a due date rather than failing.
    """
    try:
        if props.get("dueIn"):
            raw = props["dueIn"].strip()
            value: Any = raw if _DURATION.match(raw) or _WORKING_DAYS.match(raw) else _evaluate(raw, task.data)
            return due_after(now, value)
        if props.get("dueDate"):
            raw = props["dueDate"].strip()
            try:
                return as_utc_datetime(raw)
            except ValueError:
                return as_utc_datetime(_evaluate(raw, task.data))
    except Exception:  # noqa: BLE001  a bad due-date setting must not block the task
        return None
    return None


def due_after(now: datetime, value: Any) -> datetime:
    """``now`` plus a ``dueIn`` value: a timedelta, an ISO duration, ``P<n>WD`` working days, or a
    date/datetime (an expression such as ``add_working_days(received, 10)`` gives the date itself)."""
    if isinstance(value, timedelta):
        return now + value
    if isinstance(value, (date, datetime)):
        return as_utc_datetime(value)
    text = str(value).strip()
    working = _WORKING_DAYS.match(text)
    if working:
        return add_working_days(now, int(working.group("days")))
    try:
        return now + parse_duration(text)
    except ValueError:
        return as_utc_datetime(text)


def _evaluate(expression: str, data: dict[str, Any]) -> Any:
    from .expressions import evaluate_expression

    return evaluate_expression(expression, dict(data), functions=TIME_FUNCTIONS)


# ---- working days (England and Wales) ---------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    import holidays

    # England's bank holidays are also Wales's (Scotland and Northern Ireland differ).
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(value: Any) -> bool:
    """Monday to Friday and not an England-and-Wales bank holiday."""
    day = _as_date(value)
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(value: Any, days: int) -> Any:
    """``value`` moved by ``days`` working days (negative goes back), keeping its kind: a date gives a
    date, a datetime a datetime (same time of day), ISO text ISO text."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValueError("add_working_days needs a whole number of days")
    if abs(days) > 3660:
        raise ValueError("add_working_days: at most 3660 working days")
    day = _as_date(value)
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return _like(value, day)


def working_days_between(start: Any, end: Any) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when end is earlier)."""
    a, b = _as_date(start), _as_date(end)
    sign = 1 if b >= a else -1
    a, b = min(a, b), max(a, b)
    if (b - a).days > 36600:
        raise ValueError("working_days_between: the dates are too far apart")
    return sign * sum(1 for n in range(1, (b - a).days + 1) if is_working_day(a + timedelta(days=n)))


def timer_at(value: Any, clock: str = "09:00") -> str:
    """A timer date for ``timeDate``: the day of ``value`` at a Europe/London wall-clock time, as
    ISO text in UTC (SpiffWorkflow reads timer dates as ISO text)."""
    hours, _, minutes = str(clock).partition(":")
    local = datetime.combine(_as_date(value), time(int(hours), int(minutes or 0)), tzinfo=LONDON)
    return local.astimezone(timezone.utc).isoformat()


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.astimezone(LONDON).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        return date.fromisoformat(text) if len(text) == 10 else _as_date(datetime.fromisoformat(text))
    raise ValueError(f"{value!r} is not a date")


def _like(original: Any, day: date) -> Any:
    if isinstance(original, datetime):
        if original.tzinfo:
            local = original.astimezone(LONDON)
            return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=LONDON).astimezone(
                original.tzinfo)
        return datetime.combine(day, original.time())
    if isinstance(original, str):
        text = original.strip()
        return day.isoformat() if len(text) == 10 else _like(datetime.fromisoformat(text), day).isoformat()
    return day


# Offered to every expression in a diagram (wired in ``runtime.build_script_engine``).
TIME_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "add_working_days": add_working_days,
    "working_days_between": working_days_between,
    "is_working_day": is_working_day,
    "timer_at": timer_at,
}
