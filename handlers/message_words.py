"""Values as a message's reader should see them (GOV.UK style): dates as words, yes or no, lists
joined, and a coded value as the words ``templates/words.json`` gives its field.

A message goes to people outside the system (an ICB, a neighbouring council, a family), so a code
such as ``S48_TEMPORARY_DUTY`` or ``2025-03-31T17:00:00+00:00`` never reaches them as written.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

WORDS_FILE = Path(__file__).with_name("templates") / "words.json"
LONDON = ZoneInfo("Europe/London")
NOT_KNOWN = "not known"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_UNITS = ("year", "month", "week", "day", "hour", "minute", "second")


@lru_cache(maxsize=1)
def _words_file() -> dict[str, Any]:
    return dict(json.loads(WORDS_FILE.read_text(encoding="utf-8")))


def field_words() -> dict[str, dict[str, str]]:
    """Field name -> code -> words (a field's codes are written once, for every template)."""
    return {k: v for k, v in _words_file().items() if not k.startswith("_")}


def date_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def time_words(moment: datetime) -> str:
    """``17:00`` -> ``5pm``, ``09:30`` -> ``9:30am`` (GOV.UK style), in Europe/London."""
    local = moment.astimezone(LONDON) if moment.tzinfo else moment.replace(tzinfo=timezone.utc).astimezone(LONDON)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    if local.hour == 12 and local.minute == 0:
        return "midday"
    clock = f"{hour}:{local.minute:02d}" if local.minute else f"{hour}"
    return f"{date_words(local.date())} at {clock}{suffix}"


def duration_words(text: str) -> str | None:
    found = _DURATION.match(text)
    if not found or text in ("P", "PT"):
        return None
    parts = [f"{int(n)} {unit}{'' if int(n) == 1 else 's'}"
             for n, unit in zip(found.groups(), _UNITS, strict=True) if n and int(n)]
    return " and ".join(parts) if parts else None


def code_words(code: str) -> str:
    """``ARRANGE_CARE_HOME`` -> ``arrange care home``: a code no words file names still reads as words."""
    return code.replace("_", " ").lower()


def label_words(key: str) -> str:
    """``reviewType`` -> ``review type``, unless the words file's ``_labels`` name it."""
    labels: dict[str, str] = _words_file().get("_labels", {})
    if key in labels:
        return labels[key]
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", key).lower()


def plain(value: Any, field: str = "") -> str:
    """One value as text for a person to read."""
    if value is None or value == "":
        return NOT_KNOWN
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):  # an amount: £1,250.50, or 1,250 when whole
        return f"{int(value):,}" if value.is_integer() else f"{value:,.2f}"
    if isinstance(value, (list, tuple)):
        joiner = "; " if any(isinstance(v, dict) for v in value) else ", "
        return joiner.join(plain(v, field) for v in value) or "none"
    if isinstance(value, dict):  # e.g. one review of a schedule: "review: annual review, due within: ..."
        return ", ".join(f"{label_words(str(k))}: {plain(v, str(k))}" for k, v in value.items() if v is not None)
    text = str(value)
    known = field_words().get(field, {})
    if text in known:
        return known[text]
    if _DATE.match(text):
        try:
            return date_words(date.fromisoformat(text))
        except ValueError:
            return text
    if _DATETIME.match(text):
        try:
            return time_words(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            return text
    working = re.fullmatch(r"P(\d+)WD", text)  # the runtime's working-day durations
    if working:
        return f"{int(working.group(1))} working day{'' if int(working.group(1)) == 1 else 's'}"
    words = duration_words(text) if text.startswith("P") else None
    if words:
        return words
    return code_words(text) if _CODE.match(text) else text


def plain_values(data: dict[str, Any]) -> dict[str, str]:
    """Every value of a message's data as text (``plain``), keyed by its field."""
    return {str(k): plain(v, str(k)) for k, v in data.items()}
