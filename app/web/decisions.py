"""The decision history for quality leads and admins: every decision across all cases, filtered by
table, result, rule and date, with counts per rule and the cases decided under a rule since changed."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from workflows.decision_history import DecisionFilter, DecisionHistory

from .. import services
from .operations import local_day, require_operator

bp = Blueprint("decisions", __name__)


def decision_filter(limit: int = 200) -> DecisionFilter:
    return DecisionFilter(
        decision_id=(request.args.get("table") or "").strip() or None,
        output=(request.args.get("output") or "").strip()[:200] or None,
        rule=(request.args.get("rule") or "").strip()[:200] or None,
        since=local_day(request.args.get("from"), "from"), until=local_day(request.args.get("to"), "to", end=True),
        changed_only=request.args.get("changed") in ("1", "true", "yes"), limit=limit)


@bp.get("/decisions")
@login_required
def history():  # type: ignore[no-untyped-def]
    require_operator()
    f = decision_filter()
    svc = services()
    with svc.db.reading() as session:
        reader = DecisionHistory(session, svc.library)
        rows, per_rule, total = reader.rows(f)
        tables = reader.tables()
    return render_template("decisions/history.html", rows=rows, per_rule=per_rule, total=total, tables=tables,
                           args=request.args, nav_section="operations", tab="decisions")
