"""The ``csp_review_dates`` service-task handler: DMN-08 schedules turned into review dates (CSP-22).

DMN-08 says what to review and within how long (``P6W``, ``P3M``, ``P12M``); this handler, free of
the engine and the database like every handler, turns those durations into dates from an anchor,
keeps the reviews still to come, and names the next one so the diagram's timer can wait for it.
A review with no earliest date is offered ``lead`` before it is due; a case always has at least
an annual review (Care Act s.27). The app registers it with the handler registry under
:data:`HANDLER_NAME` (procedures do not import the handlers package).
"""
from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from workflows import HandlerContext, HandlerError
from workflows.timeutil import add_working_days

HANDLER_NAME = "csp_review_dates"
PLANNED = ("LIGHT_TOUCH", "INTERIM", "DP_REVIEW", "ANNUAL", "POST_MOVE_CHECK")  # the last after a move (B.12)
_ISO = re.compile(r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?$")
_WORKING = re.compile(r"^P(?P<days>\d+)WD$")


def add_period(start: datetime, text: str) -> datetime:
    """``start`` plus an ISO 8601 date period (years, months, weeks, days) or ``P<n>WD`` working days."""
    text = (text or "").strip().upper()
    working = _WORKING.match(text)
    if working:
        return add_working_days(start, int(working.group("days")))
    match = _ISO.match(text)
    if not match or text == "P":
        raise HandlerError(f"'{text}' is not a review period such as P6W, P3M or P12M")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    months = start.month - 1 + parts.get("months", 0) + 12 * parts.get("years", 0)
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    moved = start.replace(year=year, month=month, day=day)
    return moved + timedelta(weeks=parts.get("weeks", 0), days=parts.get("days", 0))


def _anchor(value: Any, now: datetime) -> datetime:
    if not value:
        return now
    try:
        text = str(value)
        moment = datetime.fromisoformat(text if len(text) > 10 else text + "T09:00:00+00:00")
    except ValueError:
        raise HandlerError(f"'{value}' is not a date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def plan_reviews(schedules: Any, anchor: datetime, done: str | None, pending: Any,
                 lead: str = "P28D", service_start: datetime | None = None) -> dict[str, Any]:
    """The reviews to come after adding ``schedules`` (DMN-08 rows) and removing the one ``done``.

    A schedule anchored on ``SERVICE_START`` (the council's choice for the light-touch review, C9)
    counts from ``service_start`` when it is known; every other anchor is the event's own date."""
    still = [dict(p) for p in (pending or []) if isinstance(p, dict)]
    if done:
        for index, item in enumerate(still):
            if item.get("reviewType") == done:
                del still[index]
                break
    for row in schedules or []:
        kind, due = row.get("reviewType"), row.get("due")
        if kind not in PLANNED or not due:
            continue
        start = service_start if row.get("anchor") == "SERVICE_START" and service_start else anchor
        due_at = add_period(start, due)
        earliest = add_period(start, row["earliest"]) if row.get("earliest") else max(
            start, due_at - (add_period(start, lead) - start))
        still = [p for p in still if p.get("reviewType") != kind]  # a new schedule replaces the old one
        still.append({"reviewType": kind, "at": earliest.isoformat(), "dueAt": due_at.isoformat()})
    if not still:
        due_at = add_period(anchor, "P12M")
        still.append({"reviewType": "ANNUAL", "at": (due_at - timedelta(days=28)).isoformat(),
                      "dueAt": due_at.isoformat()})
    still.sort(key=lambda p: p["at"])
    first = still[0]
    return {"pending": still, "nextReviewType": first["reviewType"], "nextReviewAt": first["at"],
            "nextReviewDueAt": first["dueAt"]}


def review_dates(inputs: dict[str, Any], context: HandlerContext) -> dict[str, Any]:
    """Inputs: ``schedules`` (DMN-08 output), ``anchor`` (ISO date of the event), ``done`` (the review
    type just completed, or null), ``pending`` (the reviews still to come) and ``serviceStart`` (when the
    services started, for schedules anchored on it)."""
    schedules = inputs.get("schedules") or []
    if not isinstance(schedules, list):
        raise HandlerError("csp_review_dates needs 'schedules' as a list")
    started = inputs.get("serviceStart")
    return plan_reviews(schedules, _anchor(inputs.get("anchor"), context.now), inputs.get("done"),
                        inputs.get("pending"), str(inputs.get("lead") or "P28D"),
                        _anchor(started, context.now) if started else None)
