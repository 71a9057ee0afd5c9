"""Durations and dates for the whole runtime: timers, due dates, expressions (one library).

A duration is ISO 8601 text, with careflow's working days as well:

* ``P3D``, ``PT4H``, ``P2W``, ``P1DT12H``: an exact length (a ``timedelta``);
* ``P3M``, ``P1Y``, ``P1Y2M10D``: calendar years and months, added as a calendar does (31 January
  plus one month is the last day of February), then the days and time;
* ``P5WD``: five working days (Monday to Friday, not an England-and-Wales bank holiday).

Expressions in diagrams get the same values from ``parse_duration`` and can add them to dates.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

LONDON = ZoneInfo("Europe/London")
_WORKING_DAYS = re.compile(r"^(?P<sign>-)?P(?P<days>\d+)WD$", re.IGNORECASE)  # careflow's own: P5WD

_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"^(?P<sign>-)?P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>{_NUMBER})W)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?$", re.IGNORECASE)
# Text that is meant as a duration or a cycle (so a typo in it is an error, not a variable name).
LOOKS_LIKE_DURATION = re.compile(r"^-?P\d|^-?PT\d|^R\d*/", re.IGNORECASE)


@dataclass(frozen=True)
class CalendarDuration:
    """A duration whose length depends on where it starts: calendar months and years, working days.

    ``date + duration`` and ``datetime + duration`` give the later date; ``- duration`` the earlier.
    """

    months: int = 0          # years are twelve months
    working_days: int = 0
    rest: timedelta = timedelta(0)  # the days and time after the months
    text: str = ""

    def after(self, start: Any) -> Any:
        """``start`` moved by this duration (a date stays a date, a datetime a datetime)."""
        moved = start + relativedelta(months=self.months) if self.months else start
        if self.working_days:
            moved = add_working_days(moved, self.working_days)
        return moved + self.rest if self.rest else moved

    def before(self, end: Any) -> Any:
        moved = end - relativedelta(months=self.months) if self.months else end
        if self.working_days:
            moved = add_working_days(moved, -self.working_days)
        return moved - self.rest if self.rest else moved

    def __radd__(self, other: Any) -> Any:
        if isinstance(other, (date, datetime)):
            return self.after(other)
        return NotImplemented

    def __rsub__(self, other: Any) -> Any:
        if isinstance(other, (date, datetime)):
            return self.before(other)
        return NotImplemented

    def __neg__(self) -> CalendarDuration:
        return CalendarDuration(-self.months, -self.working_days, -self.rest, self.text)

    def __str__(self) -> str:
        return self.text


Duration = timedelta | CalendarDuration


def parse_duration(text: Any) -> Duration:
    """An ISO 8601 duration (with years and months) or ``P<n>WD`` working days.

    Exact durations give a ``timedelta``; years, months and working days a :class:`CalendarDuration`.
    Raises ValueError, saying what is wrong, for anything else.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as P3D, PT4H, P3M or P5WD")
    clean = text.strip()
    working = _WORKING_DAYS.match(clean)
    if working:
        days = int(working.group("days"))
        return CalendarDuration(working_days=-days if working.group("sign") else days, text=clean.upper())
    match = _DURATION.match(clean)
    if not match or clean.upper().rstrip("T").lstrip("-") in ("P", "PT") or clean.upper().endswith("T"):
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as P3D, PT4H, P3M or P5WD")
    parts = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items() if v and k != "sign"}
    rest = timedelta(weeks=parts.get("weeks", 0), days=parts.get("days", 0), hours=parts.get("hours", 0),
                     minutes=parts.get("minutes", 0), seconds=parts.get("seconds", 0))
    months = int(parts.get("years", 0)) * 12 + int(parts.get("months", 0))
    value: Duration = CalendarDuration(months=months, rest=rest, text=clean.upper()) if months else rest
    return -value if match.group("sign") else value


def add_duration(start: Any, duration: Any) -> Any:
    """``start`` (a date or datetime) plus a duration: a timedelta, a CalendarDuration or ISO text."""
    value = parse_duration(duration) if isinstance(duration, str) else duration
    if isinstance(value, CalendarDuration):
        return value.after(start)
    if isinstance(value, timedelta):
        return start + value
    raise ValueError(f"{duration!r} is not a duration")


def check_duration_or_cycle(text: str) -> None:
    """Raise ValueError unless ``text`` is a duration or an ISO repeating interval (``R3/P1M``)."""
    clean = text.strip()
    if clean.upper().startswith("R"):
        count, _, rest = clean[1:].partition("/")
        if count and not count.isdigit():
            raise ValueError(f"'{text}' is not a repeating interval such as R3/P7D")
        parts = rest.split("/")
        if not rest or len(parts) > 2:
            raise ValueError(f"'{text}' is not a repeating interval such as R3/P7D")
        for part in parts:
            if part.upper().startswith("P"):
                parse_duration(part)
            else:
                as_utc_datetime(part)
        return
    parse_duration(clean)


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

    Either may be a literal or an expression over the task's data, run in the sandbox. Literals are
    checked when the diagram is loaded; an expression whose value cannot be read leaves the task
    without a due date rather than failing it.
    """
    try:
        if props.get("dueIn"):
            raw = props["dueIn"].strip()
            value: Any = raw if LOOKS_LIKE_DURATION.match(raw) else _evaluate(raw, task.data)
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
    """``now`` plus a ``dueIn`` value: a duration (timedelta, CalendarDuration, ISO text with years,
    months or ``P<n>WD`` working days) or a date/datetime (an expression such as
    ``add_working_days(received, 10)`` gives the date itself)."""
    if isinstance(value, (timedelta, CalendarDuration)):
        return add_duration(now, value)
    if isinstance(value, (date, datetime)):
        return as_utc_datetime(value)
    text = str(value).strip()
    try:
        return add_duration(now, parse_duration(text))
    except ValueError:
        return as_utc_datetime(text)


def timer_due(now: datetime, value: Any) -> datetime:
    """When a duration timer started at ``now`` fires (``value`` as for :func:`due_after`)."""
    return due_after(now, value)


def timer_date(value: Any) -> datetime:
    """When a date timer fires: a datetime as it is, a bare date at the start of that day in London."""
    if isinstance(value, str) and len(value.strip()) == 10:
        value = date.fromisoformat(value.strip())
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(0, 0), tzinfo=LONDON).astimezone(timezone.utc)
    return as_utc_datetime(value)


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
    "add_duration": add_duration,
    "add_working_days": add_working_days,
    "working_days_between": working_days_between,
    "is_working_day": is_working_day,
    "timer_at": timer_at,
}
