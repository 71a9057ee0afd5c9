"""API tokens: each person creates, names, lists and revokes their own; admins revoke anyone's.

A token's secret is shown once, when it is made; careflow keeps only its hash.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from workflows.identity import issue_token, list_tokens, revoke_token
from workflows.models import utcnow

from .. import services
from .session_user import me

bp = Blueprint("tokens", __name__)
EXPIRY_CHOICES = {"7": "7 days", "30": "30 days", "90": "90 days", "365": "1 year"}


def _page(errors: list[dict[str, str]] | None = None, values: dict[str, str] | None = None,
          new_token: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    user = me()
    with services().db.reading() as session:
        mine = list_tokens(session, user.username)
        everyone = [t for t in list_tokens(session) if t["username"] != user.username] if user.role == "admin" else []
    return render_template("tokens/tokens.html", tokens=mine, others=everyone, choices=EXPIRY_CHOICES,
                           errors=errors or [], values=values or {}, new_token=new_token), status


@bp.get("/tokens")
@login_required
def tokens():  # type: ignore[no-untyped-def]
    return _page()


@bp.post("/tokens")
@login_required
def create():  # type: ignore[no-untyped-def]
    name = " ".join(request.form.get("label", "").split())
    expiry = request.form.get("expiry", "")
    errors = []
    if not name:
        errors.append({"field": "label", "message": "Enter a name for the token, like the system that will use it"})
    elif len(name) > 100:
        errors.append({"field": "label", "message": "The name must be 100 characters or fewer"})
    if expiry not in EXPIRY_CHOICES:
        errors.append({"field": "expiry", "message": "Select when the token stops working"})
    if errors:
        return _page(errors, {"label": name, "expiry": expiry}, status=422)
    token = issue_token(services().db, me().username, label=name,
                        expires_at=utcnow() + timedelta(days=int(expiry)))
    return _page(new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):  # type: ignore[no-untyped-def]
    from ..api import forget_cached_principals

    row = revoke_token(services().db, token_id, me())
    forget_cached_principals()
    flash(f"The token ‘{row.label or token_id}’ is revoked: it no longer works", "success")
    return redirect(url_for("tokens.tokens"))
