"""Normalising data before it enters a workflow (ENGINE_NOTES.md pitfall 3).

SpiffWorkflow's serializer treats a ``typename`` key as a type tag, raises on ``Decimal`` and
turns sets, tuples and int keys into other things on the way back. Everything that enters task
data from outside goes through :func:`normalise` first, so what is stored is what comes back.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from .errors import ValidationFailed

RESERVED_KEYS = frozenset({"typename"})
MAX_DEPTH = 32


def _duration_text(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}P{days}D" if days else f"{sign}P"
    if hours or minutes or secs or not days:
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (
            f"{secs}S" if secs or not (hours or minutes) else "")
    return text


def to_json_safe(value: Any, _depth: int = 0) -> Any:
    """A JSON-native copy of ``value``: dates and times as ISO text, Decimals as int or float."""
    if _depth > MAX_DEPTH:
        raise ValueError("data nested too deeply")
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _duration_text(value)
    if isinstance(value, Mapping):
        return {str(k): to_json_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [to_json_safe(v, _depth + 1) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (list, tuple)):
        return [to_json_safe(v, _depth + 1) for v in value]
    # Objects such as FEEL ranges or functions have no place in stored data.
    return str(value)


def normalise(data: Any, *, source: str = "data") -> dict[str, Any]:
    """Check and normalise submitted data; refuse what would corrupt the stored workflow.

    Raises :class:`ValidationFailed` naming each bad field (a reserved ``typename`` key, a key
    that is not text, data nested too deeply).
    """
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ValidationFailed(f"{source} must be a JSON object",
                               [{"field": "", "message": f"{source} must be a JSON object"}])
    errors: list[dict[str, str]] = []
    _check_keys(data, "", errors, 0)
    if errors:
        raise ValidationFailed("The data cannot be accepted", errors)
    return to_json_safe(data)


def _check_keys(value: Any, path: str, errors: list[dict[str, str]], depth: int) -> None:
    if depth > MAX_DEPTH:
        errors.append({"field": path, "message": "Data is nested too deeply"})
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                errors.append({"field": where, "message": "Field names must be text"})
            elif isinstance(key, str) and (key in RESERVED_KEYS or key.startswith("__")):
                errors.append({"field": where, "message": f"'{key}' is a reserved name and cannot be used"})
            _check_keys(item, where, errors, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            _check_keys(item, f"{path}[{index}]", errors, depth + 1)
