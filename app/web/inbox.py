"""The inbox: my tasks and my teams' claimable tasks, due and overdue first, filtered and paged."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from workflows import queries
from workflows.models import utcnow

from .. import services
from . import LONDON
from .session_user import me

bp = Blueprint("inbox", __name__)
PAGE_SIZE = 25
VIEWS = {
    "all": ("All your work", {"mine": True, "my_groups": True}),
    "mine": ("Assigned to you", {"mine": True}),
    "team": ("Unassigned in your teams", {"my_groups": True, "unassigned": True}),
}
DUE_CHOICES = [("", "Any time"), ("overdue", "Overdue"), ("today", "Due by the end of today"),
               ("week", "Due within 7 days"), ("month", "Due within 30 days")]


def _due_before(choice: str, now: datetime) -> datetime | None:
    end_of_today = now.astimezone(LONDON).replace(hour=23, minute=59, second=59, microsecond=0)
    return {"overdue": now, "today": end_of_today, "week": end_of_today + timedelta(days=7),
            "month": end_of_today + timedelta(days=30)}.get(choice)


def _page() -> int:
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


@bp.get("/")
@login_required
def inbox():  # type: ignore[no-untyped-def]
    user = me()
    view = request.args.get("view", "all")
    view = view if view in VIEWS else "all"
    filters = {k: request.args.get(k, "").strip()[:200] for k in ("process", "case", "person", "due")}
    now = utcnow()
    page = _page()
    f = queries.TaskFilter(**VIEWS[view][1], process_id=filters["process"] or None,
                           case_reference=filters["case"] or None, subject=filters["person"] or None,
                           due_before=_due_before(filters["due"], now),
                           limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    unfiltered = not any(filters.values())
    with services().db.reading() as session:
        counts = queries.task_counts(session, user, now)
        # Without filters the counts above already are the totals of each view.
        known = {"all": counts["mine"] + counts["claimable"], "mine": counts["mine"],
                 "team": None}.get(view) if unfiltered else None
        tasks, total = queries.list_tasks(session, user, f, known_total=known)
        processes = queries.list_processes(session)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("inbox/inbox.html", tasks=tasks, total=total, counts=counts, view=view,
                           views=VIEWS, filters=filters, due_choices=DUE_CHOICES, processes=processes,
                           page=page, pages=pages, now=now, page_url=_page_url)


def _page_url(page: int) -> str:
    args: dict[str, Any] = {k: v for k, v in request.args.items() if v and k != "page"}
    return url_for("inbox.inbox", page=page, **args)


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str):  # type: ignore[no-untyped-def]
    row = services().runtime.claim(task_id, me())
    flash(f"You have claimed ‘{row.title}’ for {row.subject or row.case_reference}", "success")
    return redirect(_back(url_for("tasks.task", task_id=task_id)))


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id: str):  # type: ignore[no-untyped-def]
    row = services().runtime.unclaim(task_id, me())
    flash(f"‘{row.title}’ is back in the team's tasks", "success")
    return redirect(_back(url_for("inbox.inbox")))


@bp.post("/tasks/<task_id>/reassign")
@login_required
def reassign(task_id: str):  # type: ignore[no-untyped-def]
    username = request.form.get("username", "").strip()
    if not username:
        flash("Select who to give the task to", "error")
        return redirect(url_for("tasks.task", task_id=task_id))
    row = services().runtime.reassign(task_id, username, me())
    flash(f"‘{row.title}’ is now assigned to {row.assignee}", "success")
    return redirect(url_for("tasks.task", task_id=task_id))


def _back(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default
