"""The provider-failure dashboard: an incident's affected people by status, urgency, action and end
reason, days left to closure, people still without arrangements, and progress over time.

Built against any case whose linked cases carry its case reference as ``parent_case_reference``;
per-person facts come from each person case's ``summary`` (whatever keys the process writes).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import select

from workflows.models import Instance, TaskRow, utcnow
from workflows.procedures.provider_failure import read_models
from workflows.procedures.provider_failure.uploads import unfinished_uploads

from .. import services
from . import LONDON, humanise
from .access import require_oversight

bp = Blueprint("dashboard", __name__)

# The breakdowns every incident shows, each read from the first summary key present. Only these:
# never a breakdown by anything that names or numbers a person.
BREAKDOWNS = [
    ("Status", ("personCaseStatus", "status", "personStatus", "caseStatus")),
    ("Urgency", ("urgency",)),
    ("Action", ("primaryAction", "action")),
    ("Funding", ("fundingCategory",)),
    ("Placing authority", ("placingAuthorityName",)),
    ("End reason", ("endReason", "closureReason", "outcome")),
]
NOT_ASSESSED = "Not yet assessed"
PEOPLE_SHOWN = 200
# Any of these true in a person's summary means their new arrangements are in place.
ARRANGED_KEYS = ("arrangementsConfirmed", "arrangementConfirmed", "newArrangementConfirmed",
                 "arrangementsInPlace", "hasArrangements", "madeOwnArrangements", "arrangementSatisfied")
CLOSED_STATUSES = ("completed", "terminated", "CLOSED", "ENDED")
ENDED_KEYS = ("endReason", "closureReason", "personDutyEndedAt")


@bp.get("/incidents")
@login_required
def incidents():  # type: ignore[no-untyped-def]
    require_oversight()
    from .outbox_pages import messages

    with services().db.reading() as session:
        rows = read_models.incident_cases(session)
        # The incident's own status ("Active closure"), where the process records one.
        summaries = dict(session.execute(select(Instance.id, Instance.summary).where(
            Instance.id.in_([r["id"] for r in rows]))).all()) if rows else {}
    for r in rows:
        summary = summaries.get(r["id"])
        r["incidentStatus"] = summary.get("incidentStatus") if isinstance(summary, dict) else None
    return render_template("dashboard/incidents.html", incidents=rows, failed=messages("incident", 50))


@bp.get("/incidents/<case_reference>")
@login_required
def dashboard(case_reference: str):  # type: ignore[no-untyped-def]
    require_oversight()
    with services().db.reading() as session:
        incident = read_models.incident_of(session, case_reference)
        incident_row = {"id": incident.id, "caseReference": incident.case_reference, "title": incident.title,
                        "status": incident.status, "processId": incident.process_id,
                        "summary": incident.summary if isinstance(incident.summary, dict) else {}}
        people = people_of(read_models.person_cases(session, case_reference))
        started = incident.created_at
        first = session.scalars(select(Instance.created_at).where(Instance.case_reference == case_reference)
                                .order_by(Instance.created_at).limit(1)).first()
        started = first or started
        steps = current_steps(session, [p["id"] for p in people])
        opening = unfinished_uploads(session, case_reference)
    data = services().runtime.instance_data(incident_row["id"])
    now = utcnow()
    today = now.astimezone(LONDON).date()
    closure = closure_date(incident_row["summary"], data)
    listed = person_rows(people, steps, now)
    return render_template(
        "dashboard/dashboard.html", incident=incident_row, people=people, total=len(people),
        breakdowns=breakdowns(people), without=without_arrangements(people),
        not_assessed=sum(1 for p in people if not p["summary"].get("urgency") and not is_closed(p)),
        listed=listed[:PEOPLE_SHOWN], listed_total=len(listed), overdue=sum(1 for p in listed if p["overdue"]),
        closure=closure, days_left=(closure - today).days if closure else None,
        chart=progress_chart(people, today, start=_local_day(started)), opening=opening)


def current_steps(session: Any, instance_ids: list[str]) -> dict[str, list[TaskRow]]:
    """Each person case's open steps (rows only), soonest due first."""
    out: dict[str, list[TaskRow]] = {}
    for chunk in range(0, len(instance_ids), 900):
        for row in session.scalars(select(TaskRow).where(TaskRow.instance_id.in_(instance_ids[chunk:chunk + 900]),
                                                         TaskRow.state == "open")
                                   .order_by(TaskRow.due_at.is_(None), TaskRow.due_at)):
            out.setdefault(row.instance_id, []).append(row)
    return out


URGENCY_ORDER = {"CRITICAL": 0, "URGENT": 1, "FIRST": 2, "ROUTINE": 3, "NONE": 4}


def person_rows(people: list[dict[str, Any]], steps: dict[str, list[TaskRow]], now: datetime) -> list[dict[str, Any]]:
    """Open person cases with their current step, worker, urgency, due time and overdue flag:
    overdue first, then the most urgent, then the soonest due."""
    rows = []
    for p in people:
        if is_closed(p):
            continue
        open_steps = steps.get(p["id"], [])
        step = open_steps[0] if open_steps else None
        due = step.due_at if step else None
        urgency = p["summary"].get("urgency")
        rows.append({"id": p["id"], "name": p["title"] or p["caseReference"], "caseReference": p["caseReference"],
                     "step": step.title if step else None, "worker": step.assignee if step else None,
                     "team": step.candidate_group if step else None, "urgency": urgency,
                     "dueAt": due, "overdue": bool(due and due < now), "moreSteps": max(0, len(open_steps) - 1)})
    far = datetime.max.replace(tzinfo=now.tzinfo)
    # as the inbox orders: most urgent first, then the earliest due (so the overdue) within an urgency
    rows.sort(key=lambda r: (URGENCY_ORDER.get(str(r["urgency"] or ""), 5), r["dueAt"] or far, r["caseReference"]))
    return rows


def _first(summary: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if summary.get(key) not in (None, ""):
            return summary[key]
    return None


def closure_date(summary: dict[str, Any], data: dict[str, Any]) -> date | None:
    for source in (summary, data):
        raw = source.get("closureDate") or source.get("expectedCessationDate")
        if isinstance(raw, str) and raw:
            try:
                return date.fromisoformat(raw[:10])
            except ValueError:
                continue
    return None


def breakdowns(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Counts per value for the standard breakdowns (people whose urgency is not yet assessed are
    counted apart)."""
    used: set[str] = set()
    out = []
    for title, keys in BREAKDOWNS:
        counts: Counter[str] = Counter()
        for p in people:
            value = _first(p["summary"], keys)
            if value is None and title == "Status":
                value = p["status"]
            if value is None and title == "End reason" and not is_closed(p):
                value = "Case still open"
            if value is None and title == "Urgency":
                continue  # counted apart, as "not yet assessed"
            counts[humanise(value) if value is not None else "Not recorded"] += 1
        used.update(keys)
        out.append({"title": title, "counts": counts.most_common()})
    return out


def people_of(linked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The person cases among an incident's linked cases (a dispute case may be linked too)."""
    person = [c for c in linked if c["processId"].endswith("_person")]
    return person or linked


def is_closed(person: dict[str, Any]) -> bool:
    summary = person["summary"]
    return (person["status"] in CLOSED_STATUSES or summary.get("personCaseStatus") in CLOSED_STATUSES
            or summary.get("status") in CLOSED_STATUSES or bool(_first(summary, ENDED_KEYS)))


def without_arrangements(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in people if not is_closed(p) and not any(p["summary"].get(k) for k in ARRANGED_KEYS)]


@dataclass
class Chart:
    width: int
    height: int
    left: int
    bottom: int
    lines: list[dict[str, Any]]
    x_labels: list[tuple[float, str, str]]   # x, text, text-anchor
    y_labels: list[tuple[float, str]]
    rows: list[tuple[str, int, int]]   # the same figures as a table, for screen readers


def progress_chart(people: list[dict[str, Any]], today: date, width: int = 720, height: int = 300, *,
                   start: date | None = None) -> Chart | None:
    """Cumulative people identified and cases closed per day from the incident's ``start``, as SVG
    coordinates (without a start: from the day before the first person was found)."""
    if not people:
        return None
    opened = [_local_day(p["createdAt"]) for p in people]
    closed = [_local_day(p["completedAt"]) for p in people if p["completedAt"] is not None]
    # From zero the day before the incident started (or the first person was found, if earlier).
    start = min([start, *opened] if start else opened) - timedelta(days=1)
    end = max([today, *opened, *closed])
    days = (end - start).days + 1
    if days > 120:  # keep the chart readable: a point per week over a long incident
        step = 7
    else:
        step = 1
    points = [start + timedelta(days=i) for i in range(0, days, step)]
    if points[-1] != end:
        points.append(end)
    opened_by = Counter(opened)
    closed_by = Counter(closed)
    series_opened, series_closed, rows = [], [], []
    total_o = total_c = 0
    cursor = start
    for day in points:
        while cursor <= day:
            total_o += opened_by.get(cursor, 0)
            total_c += closed_by.get(cursor, 0)
            cursor += timedelta(days=1)
        series_opened.append(total_o)
        series_closed.append(total_c)
        rows.append((f"{day.day} {day:%B %Y}", total_o, total_c))
    left, right, top, bottom = 56, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max(1, max(series_opened))
    span = max(1, len(points) - 1)

    def xy(i: int, v: int) -> str:
        return f"{left + plot_w * i / span:.1f},{top + plot_h * (1 - v / top_value):.1f}"

    lines = [
        {"label": "People identified", "colour": "#1d70b8", "dash": "",
         "points": " ".join(xy(i, v) for i, v in enumerate(series_opened))},
        {"label": "Cases closed", "colour": "#00703c", "dash": "6 4",
         "points": " ".join(xy(i, v) for i, v in enumerate(series_closed))},
    ]
    ticks = sorted({0, len(points) - 1, (len(points) - 1) // 2})
    anchors = {0: "start", len(points) - 1: "end"}
    x_labels = [(left + plot_w * i / span, f"{points[i].day} {points[i]:%b}", anchors.get(i, "middle"))
                for i in ticks]
    marks = {0, top_value} | ({round(top_value / 2)} if top_value >= 4 else set())
    y_labels = [(top + plot_h * (1 - v / top_value), str(v)) for v in sorted(marks)]
    return Chart(width, height, left, height - bottom, lines, x_labels, y_labels, rows)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()
