"""The caseworker's web pages: sign-in, inbox, task forms, cases and the provider-failure dashboard.

Server-rendered with GOV.UK Frontend (``govuk-frontend-jinja`` macros). Views stay thin: they call
the runtime's use cases and the read models in :mod:`workflows.queries`.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from .session_user import load_user
from .words import duration_words, humanise, message_label, recipient_label

__all__ = ["LONDON", "display_value", "humanise", "london_date", "london_time"]

LONDON = ZoneInfo("Europe/London")
csrf = CSRFProtect()
login_manager = LoginManager()


def init_app(app: Flask) -> None:
    """Sessions, CSRF, the GOV.UK templates and the web blueprints."""
    secure = not (app.debug or app.testing)
    for key, value in (("SESSION_COOKIE_HTTPONLY", True), ("SESSION_COOKIE_SAMESITE", "Lax"),
                       ("SESSION_COOKIE_SECURE", secure), ("REMEMBER_COOKIE_HTTPONLY", True),
                       ("REMEMBER_COOKIE_SAMESITE", "Lax"), ("REMEMBER_COOKIE_SECURE", secure),
                       ("SESSION_COOKIE_NAME", "careflow_session"),
                       # A resident list for a large home closure is a few MB of CSV.
                       ("MAX_CONTENT_LENGTH", 16 * 1024 * 1024),
                       ("WTF_CSRF_TIME_LIMIT", 8 * 3600)):
        # Ours unless the deployment or a test set its own (anything but Flask's default).
        if key not in app.config or app.config[key] == app.default_config.get(key):
            app.config[key] = value

    app.jinja_loader = ChoiceLoader([
        app.jinja_loader,  # type: ignore[list-item]
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["london_time"] = london_time
    app.jinja_env.filters["london_date"] = london_date
    app.jinja_env.filters["due_text"] = due_text
    app.jinja_env.filters["humanise"] = humanise
    app.jinja_env.filters["display"] = display_value
    app.jinja_env.filters["message_label"] = message_label
    app.jinja_env.filters["recipient_label"] = recipient_label
    app.jinja_env.filters["person_name"] = person_name
    app.jinja_env.globals["error_list"] = error_list

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see that page"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)

    from . import (
        auth,
        cases,
        casework,
        dashboard,
        decisions,
        heatmap,
        inbox,
        incident_start,
        modeller,
        operations,
        outbox_pages,
        plans,
        tasks,
        tokens,
    )

    app.jinja_env.globals["care_plan_link"] = plans.care_plan_link
    for blueprint in (auth.bp, inbox.bp, tasks.bp, cases.bp, dashboard.bp, operations.bp, decisions.bp, heatmap.bp,
                      casework.bp, outbox_pages.bp, tokens.bp, incident_start.bp, modeller.bp, modeller.api,
                      plans.bp):
        app.register_blueprint(blueprint)
    auth.init_oidc(app)


def exempt_from_csrf(blueprint: Any) -> None:
    """The API authenticates every call with a bearer token, so it has no CSRF token to send."""
    csrf.exempt(blueprint)


def person_name(username: str | None) -> str:
    """A user name as the person's name (``casey.worker`` -> ``Casey Worker``); once per request."""
    from flask import g

    if not username:
        return ""
    names = getattr(g, "careflow_person_names", None)
    if names is None:
        from sqlalchemy import select

        from workflows.models import User

        from .. import services

        with services().db.reading() as session:
            names = dict(session.execute(select(User.username, User.display_name)).all())
        g.careflow_person_names = names
    return str(names.get(username) or username)


def error_list(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    """``[{field, message}]`` as the GOV.UK error summary's links."""
    return [{"text": e["message"], "href": f"#{e['field']}"} for e in errors]


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def london_time(value: datetime | str | None) -> str:
    """``3 March 2026, 2:05pm`` in Europe/London: how GOV.UK writes a time."""
    moment = _aware(value)
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    hour, half = local.hour % 12 or 12, "am" if local.hour < 12 else "pm"
    return f"{local.day} {local:%B} {local.year}, {hour}:{local:%M}{half}"


def london_date(value: datetime | str | None) -> str:
    moment = _aware(value)
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%B %Y}"


def due_text(value: datetime | str | None) -> str:
    """A due date; with its time when it falls within two days (urgent work is due at an hour)."""
    moment = _aware(value)
    if moment is None:
        return ""
    if moment - datetime.now(UTC) < timedelta(days=2):
        return london_time(moment)
    return london_date(moment)


def display_value(value: Any) -> str:
    """A stored value as a caseworker reads it: Yes/No, UK dates, words for codes."""
    import json
    import re

    if value is None or value == "":
        return "Not given"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (list, tuple)):
        if len(value) <= 10 and all(not isinstance(v, (list, tuple, dict)) for v in value):
            return ", ".join(display_value(v) for v in value) or "None"
        if len(value) <= 10 and all(isinstance(v, dict) and len(v) <= 8 for v in value):
            # A short log (e.g. changes of a decision, with their reasons): each entry readable.
            return "; ".join(", ".join(f"{humanise(k)}: {display_value(v)}" for k, v in entry.items())
                             for entry in value)
        return f"{len(value)} {'entry' if len(value) == 1 else 'entries'}"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return london_date(value + "T12:00:00+00:00")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}.*", value) and _aware(value):
            return london_time(value)
        spoken = duration_words(value)
        if spoken:
            return spoken
        if re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+|[A-Z]{4,}", value):
            return humanise(value)
    return str(value)
