"""The landing page (the inbox takes its place later)."""
from __future__ import annotations

from flask import Blueprint, render_template

from workflows.queries import list_processes

from . import services

bp = Blueprint("pages", __name__)


@bp.get("/")
def landing():  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        processes = list_processes(session)
    return render_template("landing.html", processes=processes)
