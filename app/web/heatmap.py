"""Where cases wait: a process diagram with, per step, how many cases wait there now and the median
and 90th-percentile time tasks spent there over a chosen period (bpmn-js overlays and a table)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from workflows import ops_queries, queries
from workflows.errors import NotFound, ValidationFailed
from workflows.models import DefinitionFile, utcnow

from .. import services
from .operations import local_day, require_operator

bp = Blueprint("heatmap", __name__, url_prefix="/operations/heatmap")
PERIODS = {"7": "the last 7 days", "30": "the last 30 days", "90": "the last 90 days", "365": "the last year"}


def period() -> tuple[datetime, datetime, str]:
    """The period asked for: ``days`` (7, 30, 90, 365; 30 by default) or ``from``/``to`` dates."""
    since, until = local_day(request.args.get("from"), "from"), local_day(request.args.get("to"), "to", end=True)
    if since or until:
        start, end = since or datetime(2000, 1, 1).astimezone(), until or utcnow()
        if start >= end:
            raise ValidationFailed("The period ends before it starts", [{
                "field": "to", "message": "The 'to' date must be the same as or after the 'from' date"}])
        return start, end, "the dates chosen"
    days = request.args.get("days") or "30"
    if days not in PERIODS:
        raise ValidationFailed("Choose a period from the list", [{"field": "days",
                                                                 "message": "Choose a period from the list"}])
    now = utcnow()
    return now - timedelta(days=int(days)), now, PERIODS[days]


def heat_level(waiting: int, most: int) -> int:
    """0-4: how hot a step is next to the busiest step."""
    if waiting <= 0 or most <= 0:
        return 0
    return max(1, min(4, round(4 * waiting / most)))


@bp.get("")
@login_required
def processes():  # type: ignore[no-untyped-def]
    require_operator()
    with services().db.reading() as session:
        found = queries.list_processes(session)
    return render_template("operations/heatmaps.html", processes=found, nav_section="operations", tab="heatmap")


@bp.get("/<process_id>")
@login_required
def heatmap(process_id: str):  # type: ignore[no-untyped-def]
    require_operator()
    start, end, words = period()
    svc = services()
    with svc.db.reading() as session:
        version = svc.library.latest(session, process_id)
        steps = ops_queries.heat(session, process_id, start, end)
    most = max((s["waiting"] for s in steps.values()), default=0)
    rows = sorted(steps.values(), key=lambda s: (-s["waiting"], -(s["median"] or 0), s["name"]))
    overlay: dict[str, Any] = {}
    for s in rows:
        s["level"] = heat_level(s["waiting"], most)
        s["medianText"] = ops_queries.duration_words(s["median"])
        s["p90Text"] = ops_queries.duration_words(s["p90"])
        overlay[s["elementId"]] = {"waiting": s["waiting"], "level": s["level"], "median": s["medianText"],
                                   "p90": s["p90Text"], "name": s["name"],
                                   "times": (f"median {ops_queries.duration_short(s['median'])}, "
                                             f"p90 {ops_queries.duration_short(s['p90'])}")
                                   if s["median"] is not None else ""}
    return render_template("operations/heatmap.html", version=version, rows=rows, overlay=overlay, words=words,
                           start=start, end=end, args=request.args, periods=PERIODS, nav_section="operations",
                           tab="heatmap")


@bp.get("/<process_id>/diagram.bpmn")
@login_required
def diagram(process_id: str):  # type: ignore[no-untyped-def]
    require_operator()
    svc = services()
    with svc.db.reading() as session:
        version = svc.library.latest(session, process_id)
        stored = session.get(DefinitionFile, version.bpmn_hash)
        if stored is None:
            raise NotFound(f"No diagram stored for {process_id}")
        return Response(stored.content, mimetype="application/xml")
