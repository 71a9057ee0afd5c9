"""Due dates and durations as careflow reads them from diagrams and data."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

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
            value: Any = raw if _DURATION.match(raw) else _evaluate(raw, task.data)
            return now + (value if isinstance(value, timedelta) else parse_duration(str(value)))
        if props.get("dueDate"):
            raw = props["dueDate"].strip()
            try:
                return as_utc_datetime(raw)
            except ValueError:
                return as_utc_datetime(_evaluate(raw, task.data))
    except Exception:  # noqa: BLE001  a bad due-date setting must not block the task
        return None
    return None


def _evaluate(expression: str, data: dict[str, Any]) -> Any:
    from .expressions import evaluate_expression

    return evaluate_expression(expression, dict(data))
