"""What careflow has sent: the outbox page (admins and quality leads), and retry for admins.

Each message shows its delivery state; one that could not be sent shows why, on this page, on its
case and in the provider-failures list.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, select

from workflows.errors import Conflict, Forbidden
from workflows.models import Instance, OutboxMessage
from workflows.outbox import STATES, OutboxDispatcher, may_retry
from workflows.queries import outbox_dict

from .. import services
from ..permissions import allowed
from .session_user import me

bp = Blueprint("outbox_pages", __name__)
PAGE_SIZE = 50
STATE_LABELS = {"pending": "Waiting to be sent", "sending": "Being sent", "sent": "Sent",
                "incident": "Could not be sent"}
STATE_TAGS = {"pending": "govuk-tag--yellow", "sending": "govuk-tag--blue", "sent": "govuk-tag--green",
              "incident": "govuk-tag--red"}


def may_see_outbox(role: str) -> bool:
    """Who sees the page: the ``outbox.list`` row of the permission table, as in the API."""
    return allowed("outbox.list", role)


def _require(may: bool, what: str) -> None:
    if not may:
        raise Forbidden(what)


def messages(state: str | None, limit: int, offset: int = 0, instance_id: str | None = None) -> list[dict[str, Any]]:
    """Messages newest first, each with its case's reference and title."""
    with services().db.reading() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)
        if state:
            query = query.where(OutboxMessage.state == state)
        if instance_id:
            query = query.where(OutboxMessage.instance_id == instance_id)
        rows = [outbox_dict(m) | {"instanceId": m.instance_id} for m in session.scalars(query)]
        ids = {r["instanceId"] for r in rows if r["instanceId"]}
        cases = {i.id: i for i in session.scalars(select(Instance).where(Instance.id.in_(ids)))} if ids else {}
        for r in rows:
            case = cases.get(r["instanceId"])
            r["caseReference"] = case.case_reference if case else None
            r["caseTitle"] = case.title if case else None
        return rows


def failed_count() -> int:
    with services().db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.state == "incident")) or 0)


def send_again(message_id: int) -> None:
    """Both "Send again" buttons (here and on the operations pages) go through the one use case: an
    unknown message is a 404 page; one that cannot be sent again says why where the person was."""
    try:
        OutboxDispatcher(services().db, {}).retry(message_id, me().username)
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        flash(f"Message {message_id} will be sent again in a moment.", "success")


@bp.app_context_processor
def outbox_words() -> dict[str, Any]:
    return {"message_states": STATE_LABELS, "message_tags": STATE_TAGS, "may_see_outbox": may_see_outbox,
            "may_send_again": lambda m: may_retry(m["state"], m["attempts"])}


@bp.get("/outbox")
@login_required
def outbox():  # type: ignore[no-untyped-def]
    _require(may_see_outbox(me().role),
             "Only admins, process owners, quality leads and managers can see every message careflow sent.")
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    raw = request.args.get("page", "1")
    page = max(1, min(int(raw), 10_000)) if raw.isdigit() else 1
    rows = messages(state or None, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    with services().db.reading() as session:
        counts = dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
    return render_template("outbox/outbox.html", messages=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, page=page,
                           state=state, states=STATE_LABELS, counts=counts)


@bp.post("/outbox/<int:message_id>/retry")
@login_required
def retry(message_id: int):  # type: ignore[no-untyped-def]
    _require(allowed("outbox.retry", me().role), "Only an admin can send a message again.")
    send_again(message_id)
    target = request.form.get("next", "")
    safe = target.startswith("/") and not target.startswith("//")
    return redirect(target if safe else url_for("outbox_pages.outbox"))
