"""One place that turns errors into answers: JSON under /api, a plain page elsewhere; never a traceback."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template_string, request
from werkzeug.exceptions import HTTPException

from workflows.errors import CareflowError

log = logging.getLogger("careflow")

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }} - careflow</title></head>
<body><main><h1>{{ title }}</h1><p>{{ message }}</p><p><a href="/">Go to the start page</a></p></main></body></html>"""


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    @app.errorhandler(CareflowError)
    def careflow_error(exc: CareflowError):  # type: ignore[no-untyped-def]
        if _wants_json():
            return jsonify(exc.to_dict()), exc.status
        return render_template_string(PAGE, title="There is a problem", message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        if _wants_json():
            code = (exc.name or "error").lower().replace(" ", "_")
            return jsonify({"error": code, "message": exc.description}), exc.code
        return render_template_string(PAGE, title=exc.name, message=exc.description), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unexpected error on %s %s", request.method, request.path)
        message = "Something went wrong on our side. The error has been logged; nothing you sent was lost."
        if _wants_json():
            return jsonify({"error": "internal_error", "message": message}), 500
        return render_template_string(PAGE, title="Sorry, there is a problem with the service",
                                      message=message), 500
