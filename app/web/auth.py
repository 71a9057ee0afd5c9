"""Signing in and out: a password form (the API's users, werkzeug hashes) and optional OIDC.

OIDC is wired when these are set (``CAREFLOW_`` environment variables, read by ``create_app``):
``CAREFLOW_OIDC_DISCOVERY_URL`` (the IdP's ``.well-known/openid-configuration``),
``CAREFLOW_OIDC_CLIENT_ID``, ``CAREFLOW_OIDC_CLIENT_SECRET``, and optionally
``CAREFLOW_OIDC_SCOPE`` and ``CAREFLOW_OIDC_USERNAME_CLAIM`` (default ``preferred_username``).
The identity provider proves who someone is; careflow's user table still decides their role and
teams, so an IdP account without a careflow user is refused.

Session cookies are HttpOnly, SameSite=Lax and Secure outside debug and testing; browsers accept
Secure cookies from http://127.0.0.1 and localhost. Serving over plain HTTP to another host
needs ``CAREFLOW_SESSION_COOKIE_SECURE=false`` (better: put TLS in front).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from workflows.errors import NotFound
from workflows.identity import Principal, get_user

from .. import services
from .session_user import SessionUser

bp = Blueprint("auth", __name__)

# Checked when the user name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("careflow-no-such-user")


def authenticate(username: str, password: str) -> Principal | None:
    """The active user with this name and password, or None."""
    with services().db.reading() as session:
        try:
            user = get_user(session, username)
        except NotFound:
            check_password_hash(_DUMMY_HASH, password)
            return None
        if not user.password_hash:
            check_password_hash(_DUMMY_HASH, password)
            return None
        if not check_password_hash(user.password_hash, password) or not user.active:
            return None
        return Principal.of(user)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("inbox.inbox")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    errors: list[dict[str, str]] = []
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        if not username:
            errors.append({"field": "username", "message": "Enter your user name"})
        if not password:
            errors.append({"field": "password", "message": "Enter your password"})
        if not errors:
            principal = authenticate(username, password)
            if principal is None:
                errors.append({"field": "username", "message": "The user name or password is not right"})
            else:
                login_user(SessionUser(principal))
                return redirect(_safe_next(request.args.get("next")))
    status = 401 if errors and request.method == "POST" else 200
    return render_template("auth/sign_in.html", errors=errors, username=username,
                           oidc=bool(current_app.extensions.get("careflow_oidc"))), status


@bp.post("/sign-out")
@login_required
def sign_out():  # type: ignore[no-untyped-def]
    logout_user()
    flash("You have signed out", "success")
    return redirect(url_for("auth.sign_in"))


# ---- OIDC: only when CAREFLOW_OIDC_DISCOVERY_URL and a client are configured --------------------
def init_oidc(app: Flask) -> None:
    """Register the council's identity provider with Authlib when it is configured."""
    discovery = app.config.get("OIDC_DISCOVERY_URL")
    client_id = app.config.get("OIDC_CLIENT_ID")
    if not discovery or not client_id:
        return
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    oauth.register("council", server_metadata_url=discovery, client_id=client_id,
                   client_secret=app.config.get("OIDC_CLIENT_SECRET"),
                   client_kwargs={"scope": app.config.get("OIDC_SCOPE", "openid profile email")})
    app.extensions["careflow_oidc"] = oauth


@bp.get("/sign-in/oidc")
def oidc_start():  # type: ignore[no-untyped-def]
    oauth: Any = current_app.extensions.get("careflow_oidc")
    if oauth is None:
        abort(404)
    return oauth.council.authorize_redirect(url_for("auth.oidc_callback", _external=True))


@bp.get("/sign-in/oidc/callback")
def oidc_callback():  # type: ignore[no-untyped-def]
    oauth: Any = current_app.extensions.get("careflow_oidc")
    if oauth is None:
        abort(404)
    token = oauth.council.authorize_access_token()
    claims = token.get("userinfo") or {}
    # The IdP proves who someone is; careflow's own user table still says what they may do.
    username = claims.get(current_app.config.get("OIDC_USERNAME_CLAIM", "preferred_username"))
    with services().db.reading() as session:
        try:
            user = get_user(session, str(username or ""))
        except NotFound:
            abort(403, description="Your account is not set up in careflow. Ask your team manager to add you.")
        if not user.active:
            abort(403, description="Your careflow account is switched off. Ask your team manager.")
        principal = Principal.of(user)
    login_user(SessionUser(principal))
    return redirect(url_for("inbox.inbox"))
