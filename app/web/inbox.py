"""The inbox: my tasks and my teams' claimable tasks, most urgent first and, within an urgency, overdue
and soonest due first, filtered, paged, and filters a worker saves under a name. Managers also see every task of
the teams they manage and reassign from the list."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from workflows import casework, queries
from workflows.errors import ValidationFailed
from workflows.identity import MANAGER_ROLES, Principal
from workflows.models import Group, User, utcnow

from .. import services
from . import LONDON
from .casework import claim_words
from .session_user import me

bp = Blueprint("inbox", __name__)
PAGE_SIZE = 25
VIEWS = {
    "all": ("All your work", {"mine": True, "my_groups": True}),
    "mine": ("Assigned to you", {"mine": True}),
    "team": ("Unassigned in your teams", {"my_groups": True, "unassigned": True}),
    "teams": ("All tasks in your teams", {"my_groups": True}),
}
DUE_CHOICES = [("", "Any time"), ("overdue", "Overdue"), ("today", "Due by the end of today"),
               ("week", "Due within 7 days"), ("month", "Due within 30 days")]
FILTER_KEYS = ("view", "process", "case", "person", "due")
# A case's urgency (its decision's result), most urgent first; what has none sorts after.
URGENCY = {"CRITICAL": (0, "Critical", "govuk-tag--red"), "URGENT": (1, "Urgent", "govuk-tag--orange"),
           "FIRST": (2, "First", "govuk-tag--yellow"), "ROUTINE": (3, "Routine", "govuk-tag--blue"),
           "NONE": (4, "None", "govuk-tag--grey")}


def _due_before(choice: str, now: datetime) -> datetime | None:
    end_of_today = now.astimezone(LONDON).replace(hour=23, minute=59, second=59, microsecond=0)
    return {"overdue": now, "today": end_of_today, "week": end_of_today + timedelta(days=7),
            "month": end_of_today + timedelta(days=30)}.get(choice)


def _page() -> int:
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


def managed_view_of(user: Principal) -> Principal:
    """``user`` seeing the groups they manage as well as their own (a manager's teams)."""
    with services().db.reading() as session:
        managed = session.scalars(select(Group.name).where(Group.manager_group.in_(list(user.group_names)))).all()
    return replace(user, group_names=tuple(sorted({*user.group_names, *managed})))


def urgency_of(tasks: list[dict[str, Any]], now: datetime) -> None:
    """Each task's urgency as shown (its case's, carried on the task), and how near its due time is."""
    for t in tasks:
        rank, label, tag = URGENCY.get(str(t.get("urgency") or ""), (5, "", ""))
        due = datetime.fromisoformat(t["dueAt"]) if t.get("dueAt") else None
        t["overdue"] = bool(due and due < now)
        t["dueSoon"] = bool(due and not t["overdue"] and due - now <= timedelta(hours=24))
        t["urgency"] = {"rank": rank, "label": label, "tag": tag}


def _query_args(filters: dict[str, str], view: str) -> dict[str, str]:
    return {k: v for k, v in {**filters, "view": view}.items() if v and not (k == "view" and v == "all")}


@bp.get("/")
@login_required
def inbox():  # type: ignore[no-untyped-def]
    user = me()
    is_manager = user.role in MANAGER_ROLES
    views = {k: v for k, v in VIEWS.items() if k != "teams" or is_manager}
    view = request.args.get("view", "all")
    view = view if view in views else "all"
    filters = {k: request.args.get(k, "").strip()[:200] for k in ("process", "case", "person", "due")}
    now = utcnow()
    page = _page()
    seen_as = managed_view_of(user) if view == "teams" else user
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
        tasks, total = queries.list_tasks(session, seen_as, f, known_total=known)
        processes = queries.list_processes(session)
        saved = casework.saved_filters(session, user.username)
        people = _team_people(session, seen_as.group_names) if view == "teams" else []
        holders = casework.allocated_workers(session, (t["caseReference"] for t in tasks))
    for t in tasks:
        t["caseHeldBy"] = holders.get(t["caseReference"])
    urgency_of(tasks, now)  # the order is the query's, across all pages
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("inbox/inbox.html", tasks=tasks, total=total, counts=counts, view=view,
                           views=views, filters=filters, due_choices=DUE_CHOICES, processes=processes,
                           page=page, pages=pages, now=now, page_url=_page_url, saved=saved,
                           query_args=_query_args(filters, view), people=people,
                           process_names={p["processId"]: p["name"] for p in processes})


def _team_people(session: Any, groups: tuple[str, ...]) -> dict[str, list[dict[str, str]]]:
    """Active members of each group, for reassigning from the list."""
    out: dict[str, list[dict[str, str]]] = {}
    for user in session.scalars(select(User).where(User.active.is_(True), User.groups.any(Group.name.in_(groups)))
                                .order_by(User.display_name)):
        for g in user.group_names:
            out.setdefault(g, []).append({"username": user.username, "displayName": user.display_name})
    return out


def _page_url(page: int) -> str:
    args: dict[str, Any] = {k: v for k, v in request.args.items() if v and k != "page"}
    return url_for("inbox.inbox", page=page, **args)


@bp.post("/saved-filters")
@login_required
def save_filter():  # type: ignore[no-untyped-def]
    query = {k: request.form.get(k, "").strip()[:200] for k in FILTER_KEYS}
    query = {k: v for k, v in query.items() if v}
    try:
        saved = casework.save_filter(services().db, me().username, request.form.get("filter_name", ""), query)
    except ValidationFailed as exc:
        flash(exc.errors[0]["message"], "error")
        return redirect(url_for("inbox.inbox") + ("?" + urlencode(query) if query else ""))
    flash(f"Your filter ‘{saved.name}’ is saved", "success")
    return redirect(url_for("inbox.inbox") + ("?" + urlencode(query) if query else ""))


@bp.post("/saved-filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int):  # type: ignore[no-untyped-def]
    casework.delete_filter(services().db, me().username, filter_id)
    flash("The saved filter is deleted", "success")
    return redirect(url_for("inbox.inbox"))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str):  # type: ignore[no-untyped-def]
    row = services().runtime.claim(task_id, me())  # the case is allocated to a first claimer in the same transaction
    flash(f"You have claimed ‘{row.title}’ for {row.subject or row.case_reference}.{claim_words(row.case_reference)}",
          "success")
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
        return redirect(_back(url_for("tasks.task", task_id=task_id)))
    row = services().runtime.reassign(task_id, username, me())  # the case follows the step to its new worker
    flash(f"‘{row.title}’ is now assigned to {row.assignee}, who now holds the case", "success")
    return redirect(_back(url_for("tasks.task", task_id=task_id)))


def _back(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default
