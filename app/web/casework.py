"""Case notes, task comments, documents and the allocated worker: the worker's own records on a case.

Every view checks need to know through :mod:`app.web.access` first (missing 404, not yours 403);
the use cases are in :mod:`workflows.casework`.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from workflows import casework, queries
from workflows.errors import NotFound, ValidationFailed

from .. import services
from .access import case_for_me, task_for_me
from .session_user import me

bp = Blueprint("casework", __name__)


def parse_date(prefix: str, form: Any, *, required: bool, label: str) -> tuple[date | None, str | None]:
    """A GOV.UK date input (``prefix-day``, ``-month``, ``-year``) as a date, or why it is not one."""
    parts = [(form.get(f"{prefix}-{p}") or "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None, (f"Enter the {label}" if required else None)
    if not all(p.isdigit() for p in parts):
        return None, f"The {label} must be a real date, like 27 3 2026"
    day, month, year = (int(p) for p in parts)
    if year < 1900 or year > 2200:
        return None, f"The {label} must have a 4-digit year, like 2026"
    try:
        return date(year, month, day), None
    except ValueError:
        return None, f"The {label} must be a real date, like 27 3 2026"


def case_records(case: dict[str, Any]) -> dict[str, Any]:
    """What the case page shows of the worker's records: notes, documents and the allocated worker."""
    with services().db.reading() as session:
        return {"notes": casework.notes_of(session, case["caseReference"]),
                "documents": casework.documents_of(session, case["caseReference"]),
                "allocated": casework.allocated_worker(session, case["caseReference"]),
                "note_categories": casework.NOTE_CATEGORIES,
                "allocatable": queries.group_members(session, None) if me().role in ("manager", "admin") else []}


def held_by_someone_else(case_reference: str) -> str | None:
    """Who holds the case, when that is not the signed-in person: their claims take a step only."""
    with services().db.reading() as session:
        holder = casework.allocated_worker(session, case_reference)
    return holder if holder and holder != me().username else None


def claim_words(case_reference: str) -> str:
    """What a claim adds when someone else holds the case (nothing otherwise)."""
    from . import person_name

    holder = held_by_someone_else(case_reference)
    return f" {person_name(holder)} holds the case, so it stays with them: you have this task only." if holder else ""


def _case_page(instance_id: str, errors: list[dict[str, str]], values: dict[str, Any]) -> Any:
    from .cases import render_case

    return render_case(instance_id, errors=errors, values=values, status=422)


@bp.post("/cases/<instance_id>/notes")
@login_required
def add_note(instance_id: str):  # type: ignore[no-untyped-def]
    case_for_me(instance_id, history=False)
    contact, problem = parse_date("contact_date", request.form, required=False, label="date of contact")
    category = request.form.get("category", "")
    text = request.form.get("text", "")
    errors = [{"field": "contact_date-day", "message": problem}] if problem else []
    if not errors:
        try:
            casework.add_note(services().db, instance_id, me(), category=category, text=text, contact_date=contact)
        except ValidationFailed as exc:
            errors = [{**e, "field": "contact_date-day" if e["field"] == "contact_date" else e["field"]}
                      for e in exc.errors]
    if errors:
        return _case_page(instance_id, errors, dict(request.form))
    flash("Your note is added to the case", "success")
    return redirect(url_for("cases.case", instance_id=instance_id) + "#notes")


@bp.post("/cases/<instance_id>/documents")
@login_required
def add_document(instance_id: str):  # type: ignore[no-untyped-def]
    case_for_me(instance_id, history=False)
    upload = request.files.get("file")
    content = upload.read(casework.MAX_DOCUMENT_BYTES + 1) if upload else b""
    try:
        casework.add_document(services().db, instance_id, me(), title=request.form.get("title", ""),
                              filename=(upload.filename or "") if upload else "", content=content)
    except ValidationFailed as exc:
        return _case_page(instance_id, exc.errors, dict(request.form))
    flash("The document is added to the case", "success")
    return redirect(url_for("cases.case", instance_id=instance_id) + "#documents")


@bp.get("/cases/<instance_id>/documents/<int:document_id>")
@login_required
def download(instance_id: str, document_id: int):  # type: ignore[no-untyped-def]
    case = case_for_me(instance_id, history=False)
    with services().db.reading() as session:
        doc = casework.document(session, document_id)
        if doc.case_reference != case["caseReference"]:
            raise NotFound(f"No document {document_id} on this case")
        body, media_type, name = doc.content, doc.media_type, doc.filename
    return Response(body, mimetype=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store", "Content-Security-Policy": "sandbox"})


@bp.post("/cases/<instance_id>/allocation")
@login_required
def allocation(instance_id: str):  # type: ignore[no-untyped-def]
    case = case_for_me(instance_id, history=False)
    db, user, ref = services().db, me(), case["caseReference"]
    if request.form.get("action") == "release":
        casework.release(db, ref, user)
        flash("The case is released: its next steps go to the team", "success")
    else:
        username = (request.form.get("username") or user.username).strip()
        casework.allocate(db, ref, username, user)
        flash(f"The case is allocated to {'you' if username == user.username else username}", "success")
    return redirect(url_for("cases.case", instance_id=instance_id))


@bp.post("/tasks/<task_id>/comments")
@login_required
def comment(task_id: str):  # type: ignore[no-untyped-def]
    task = task_for_me(task_id)
    try:
        casework.add_note(services().db, task["instanceId"], me(), category=casework.TASK_COMMENT,
                          text=request.form.get("comment", ""), contact_date=None, task_id=task_id)
    except ValidationFailed as exc:
        flash(exc.errors[0]["message"], "error")
        return redirect(url_for("tasks.task", task_id=task_id) + "#comments")
    flash("Your comment is added to the task and the case's chronology", "success")
    return redirect(url_for("tasks.task", task_id=task_id) + "#comments")


def comments_for(task_id: str) -> list[dict[str, Any]]:
    with services().db.reading() as session:
        return casework.comments_on(session, task_id)


@bp.get("/cases/<instance_id>/chronology")
@login_required
def chronology(instance_id: str):  # type: ignore[no-untyped-def]
    from .chronology import KINDS, build

    case = case_for_me(instance_id)
    chosen = [k for k in request.args.getlist("show") if k in KINDS] or list(KINDS)
    records = case_records(case)
    entries = [e for e in build(case, records) if e["kind"] in chosen]
    return render_template("chronology/chronology.html", case=case, entries=entries, kinds=KINDS,
                           chosen=chosen, filtered=len(chosen) < len(KINDS))
