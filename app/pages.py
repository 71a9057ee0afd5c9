"""Pages outside the caseworker's work: about the service (with the API's OpenAPI link)."""
from __future__ import annotations

from flask import Blueprint, render_template

from workflows.queries import list_processes

from . import services

bp = Blueprint("pages", __name__)


@bp.get("/about")
def about():  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        processes = list_processes(session)
    return render_template("about.html", processes=processes)
