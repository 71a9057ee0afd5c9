"""Checks on a task's answers that need the case, beyond what a form's JSON Schema can say (422s).

PF-08, the notice period: the closure date cannot be before the council received the notice, and a
closure date already past (the provider has ceased) is confirmed explicitly, not slipped in by mistake.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")  # dates people mean are London dates (DESIGN.md conventions)


def _london_date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(LONDON).date()


def notice_received_on(case: dict[str, Any]) -> date | None:
    """When the council became aware (``dutyStartedAt``), else the first notice's date."""
    found = _london_date(case.get("dutyStartedAt"))
    if found is None:
        events = case.get("triggerEvents") or []
        first = events[0] if events and isinstance(events[0], dict) else {}
        found = _london_date(first.get("date"))
    return found


def notice_period_problems(data: dict[str, Any], case: dict[str, Any], today: date) -> list[dict[str, str]]:
    try:
        closure = date.fromisoformat(str(data.get("closureDate"))[:10])
    except ValueError:
        return []  # the form's own date check reports it
    received = notice_received_on(case)
    if received is not None and closure < received:
        return [{"field": "closureDate",
                 "message": f"Closure date must be on or after {received.strftime('%-d %B %Y')}, the day the "
                            f"notice was received, not before the notice was received"}]
    if closure < today and data.get("closureDatePastConfirmed") is not True:
        return [{"field": "closureDatePastConfirmed",
                 "message": f"The closure date {closure.strftime('%-d %B %Y')} is already past: select yes to "
                            f"confirm the provider has ceased, or correct the date"}]
    return []


def submission_problems(form_key: str | None, data: dict[str, Any], case: dict[str, Any]) -> list[dict[str, str]]:
    """Problems with ``data`` submitted on form ``form_key`` of a provider-failure case."""
    if form_key == "pf_notice_period":
        return notice_period_problems(data, case, datetime.now(LONDON).date())
    return []
