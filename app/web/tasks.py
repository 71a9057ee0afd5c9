"""The task page: its form from the JSON Schema, saved as a draft or completed through the runtime."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from workflows import casework, queries
from workflows.errors import Conflict, ValidationFailed

from .. import services
from . import forms_render
from .access import task_for_me
from .casework import claim_words
from .session_user import me

bp = Blueprint("tasks", __name__)


def _form_of(task: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    form = services().library.form_for_task(task["id"])  # as the case's version pinned it
    return form.schema, form.ui


def _initial_values(task: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A saved draft, else the task's own fields: what the case came with and this step's earlier
    answers, never another step's answers nor a default (no radio is chosen for the user)."""
    if task.get("draft"):
        return dict(task["draft"])
    if task["state"] != "open":
        return {}
    return services().runtime.task_form_values(task["id"])


def _render(task: dict[str, Any], schema: dict[str, Any], ui: dict[str, Any], values: dict[str, Any],
            errors: list[dict[str, str]] | None = None, status: int = 200) -> Any:
    view = forms_render.build(schema, ui, values, errors)
    people: list[dict[str, str]] = []
    if me().role in ("manager", "admin") and task["state"] == "open":
        with services().db.reading() as session:
            people = queries.group_members(session, task.get("candidateGroup"))
    from .casework import comments_for

    with services().db.reading() as session:
        held_by = casework.allocated_worker(session, task["caseReference"])
    return render_template("tasks/task.html", task=task, form=view, schema=schema, people=people,
                           comments=comments_for(task["id"]), held_by=held_by), status


@bp.get("/tasks/<task_id>")
@login_required
def task(task_id: str):  # type: ignore[no-untyped-def]
    found = task_for_me(task_id)
    schema, ui = _form_of(found)
    return _render(found, schema, ui, _initial_values(found, schema))


@bp.post("/tasks/<task_id>")
@login_required
def submit(task_id: str):  # type: ignore[no-untyped-def]
    found = task_for_me(task_id)
    if found["state"] != "open":
        raise Conflict(f"This task is already {found['state']}")
    schema, ui = _form_of(found)
    action = forms_render.FormAction(request.form.get("action"))
    data, problems = forms_render.parse(schema, ui, request.form, request.files, action)
    runtime = services().runtime
    if action.verb in ("add", "remove"):
        return _render(found, schema, ui, data)
    if action.verb in ("save", "autosave"):
        runtime.save_draft(task_id, data, me())
        if action.verb == "autosave":  # the page's own background save: no banner, no reload
            return {"saved": True}, 200
        flash("Your answers are saved as a draft. Nothing is sent until you complete the task.", "success")
        return redirect(url_for("tasks.task", task_id=task_id))
    if action.verb == "claim":
        # Claiming from the form keeps what was typed: saved as the draft first, then claimed.
        runtime.save_draft(task_id, data, me())
        runtime.claim(task_id, me())
        flash("You have claimed this task. Your answers so far are kept as a draft."
              + claim_words(found["caseReference"]), "success")
        return redirect(url_for("tasks.task", task_id=task_id))
    errors = list(problems)
    try:
        services().library.form_for_task(task_id).validate(data)
    except ValidationFailed as exc:
        errors += [e for e in exc.errors if e["field"] not in {p["field"] for p in problems}]
    if errors:
        return _render(found, schema, ui, data, errors, status=422)
    if not found.get("assignee"):
        runtime.claim(task_id, me())  # claim on submit: the case is then held by whoever completed its step
    try:
        instance = runtime.complete_task(task_id, data, me())
    except ValidationFailed as exc:  # the schema changed between the check above and now
        return _render(found, schema, ui, data, exc.errors, status=422)
    flash(f"‘{found['title']}’ is complete for {found.get('subject') or found['caseReference']}", "success")
    with services().db.reading() as session:
        following, _ = queries.list_tasks(session, me(), queries.TaskFilter(
            instance_id=instance.id, mine=True, my_groups=True, limit=1))
    if following:
        # The banner offers the case's next step straight away (the inbox lists it too).
        flash(following[0]["id"] + "|" + following[0]["title"], "next")
    return redirect(url_for("inbox.inbox"))
