"""One place that turns errors into answers: JSON under /api, a page in the service's design elsewhere;
never a traceback."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, render_template_string, request
from werkzeug.exceptions import HTTPException

from workflows.errors import CareflowError

from .hardening import RETRY_AFTER_SECONDS, database_busy

log = logging.getLogger("careflow")

# Used only when the designed error page itself cannot be drawn.
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }} - careflow</title></head>
<body><main><h1>{{ title }}</h1><p>{{ message }}</p><p><a href="/">Go to the start page</a></p></main></body></html>"""

# What each status means to a caseworker: a heading and the first paragraph.
PAGES = {
    400: ("There is a problem", None),
    401: ("You need to sign in", "Sign in to careflow to see this page."),
    403: ("You do not have permission to see this page", None),
    404: ("Page not found", ("If you typed the web address, check it is correct. If you pasted it, check you "
                             "copied the entire address. The task or case may also have been removed.")),
    405: ("There is a problem", "That action is not available on this page."),
    409: ("Someone else changed this", None),
    413: ("The file is too big", "Files must be smaller than 16MB."),
    422: ("There is a problem", None),
    503: ("Sorry, the service is busy", None),
    500: ("Sorry, there is a problem with the service",
          "Try again later. The error has been logged; nothing you sent was lost."),
}

# werkzeug's descriptions written for people, where its own are for developers.
JSON_WORDS = {413: "What was sent is larger than 16 MB, the most careflow takes at once (a diagram or decision "
                   "table may be at most 5 MB); nothing was saved"}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error_page(status: int, message: str | None, title: str | None = None) -> tuple[str, int]:
    """The error page for ``status`` in the service's design (a plain page if that fails)."""
    heading, lead = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    paragraphs = [p for p in (lead, message if status < 500 else None) if p]
    try:
        return render_template("errors/error.html", title=title or heading, paragraphs=paragraphs,
                               status=status), status
    except Exception:
        log.exception("error page for %s could not be drawn", status)
        return render_template_string(PAGE, title=title or heading, message=" ".join(paragraphs)), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CareflowError)
    def careflow_error(exc: CareflowError):  # type: ignore[no-untyped-def]
        if _wants_json():
            return jsonify(exc.to_dict()), exc.status
        return render_error_page(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        if _wants_json():
            code = (exc.name or "error").lower().replace(" ", "_")
            response = jsonify({"error": code, "message": JSON_WORDS.get(exc.code or 0, exc.description)})
            response.status_code = exc.code or 500
            for name, value in exc.get_headers():  # e.g. Allow on a 405
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        from flask_wtf.csrf import CSRFError

        if isinstance(exc, CSRFError):
            return render_error_page(400, "The page was open for too long, or it was sent from somewhere "
                                          "else. Go back, reload the page and try again.",
                                     title="Your form could not be sent")
        status = exc.code or 500
        own = PAGES.get(status, (None, None))[1]
        # werkzeug's stock descriptions are written for developers: show ours when we have one.
        page = make_response(render_error_page(status, None if own else exc.description))
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                page.headers[name] = value
        return page

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        if database_busy(exc):
            log.warning("database busy on %s %s: %s", request.method, request.path, str(exc).splitlines()[0])
            message = "The service is busy; nothing was changed. Try again in a moment."
            if _wants_json():
                response = jsonify({"error": "busy", "message": message})
            else:
                response = make_response(render_error_page(503, message))
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        log.exception("unexpected error on %s %s", request.method, request.path)
        message = "Something went wrong on our side. The error has been logged; nothing you sent was lost."
        if _wants_json():
            return jsonify({"error": "internal_error", "message": message}), 500
        return render_error_page(500, None)
