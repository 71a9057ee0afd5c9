"""Operators' pages (admins and quality leads): incidents to fix and retry, stalled cases, repairs on
a case (suspend, resume, cancel, move) and the audit log of every such action."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from workflows import ops_queries, queries
from workflows.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflows.operations import OPERATOR_ACTIONS, Operations

from .. import services
from ..permissions import allowed
from . import LONDON
from .outbox_pages import send_again
from .session_user import me

bp = Blueprint("operations", __name__, url_prefix="/operations")
MAX_JSON = 100_000  # characters of edited step data


def require_operator(operation: str = "operations.read") -> None:
    """The signed-in person's role is in the operation's row of the role table (app/permissions.py)."""
    if not allowed(operation, me().role):
        raise Forbidden("Only admins and quality leads can repair cases and see the operations pages.")


def operations() -> Operations:
    return Operations(services().runtime)


def local_day(raw: str | None, field: str, *, end: bool = False) -> datetime | None:
    """A ``YYYY-MM-DD`` filter as the start (or, with ``end``, the end) of that day in London, in UTC."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(f"'{raw}' is not a date", [{
            "field": field, "message": "Enter a date as year-month-day, for example 2026-03-31"}]) from None
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=LONDON)


def json_object(raw: str, field: str) -> dict[str, Any]:
    """Edited step data from a text box: a JSON object, or a 422 saying what is wrong."""
    if len(raw) > MAX_JSON:
        raise ValidationFailed("The data is too long", [{"field": field, "message": "The data is too long"}])
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationFailed("The data is not valid JSON", [{
            "field": field, "message": f"The data is not valid JSON (line {exc.lineno}, column {exc.colno}): "
                                      f"{exc.msg}"}]) from None
    if not isinstance(value, dict):
        raise ValidationFailed("The data must be an object", [{
            "field": field, "message": "The data must be a JSON object, in curly brackets"}])
    return value


# ---- incidents ----------------------------------------------------------------------------------
@bp.get("")
@login_required
def index():  # type: ignore[no-untyped-def]
    require_operator()
    return redirect(url_for("operations.incidents"))


@bp.get("/incidents")
@login_required
def incidents():  # type: ignore[no-untyped-def]
    require_operator()
    return _incidents_page()


def _incidents_page(results: list[dict[str, Any]] | None = None, errors: list[dict[str, str]] | None = None,
                    status: int = 200) -> Any:
    with services().db.reading() as session:
        rows = ops_queries.open_incidents(session)
        messages = ops_queries.failed_messages(session)
    return render_template("operations/incidents.html", incidents=rows, messages=messages, results=results,
                           errors=errors or [], nav_section="operations", tab="incidents"), status


@bp.post("/incidents/retry")
@login_required
def retry_many():  # type: ignore[no-untyped-def]
    require_operator("operations.repair")
    try:
        ids = [int(v) for v in request.form.getlist("incident")]
    except ValueError:
        raise ValidationFailed("Choose incidents from the list", [{"field": "incidents",
                                                                  "message": "Choose incidents from the list"}]) \
            from None
    if not ids:
        return _incidents_page(errors=[{"field": "incidents", "message": "Select at least one incident to retry"}],
                               status=422)
    outcomes = operations().retry_many(ids, me().username)
    return _incidents_page([o.to_dict() for o in outcomes])


@bp.route("/incidents/<int:incident_id>", methods=["GET", "POST"])
@login_required
def incident(incident_id: int):  # type: ignore[no-untyped-def]
    require_operator()
    ops = operations()
    with services().db.reading() as session:
        found = ops_queries.get_incident(session, incident_id)
    form = ops.incident_form(incident_id) if found["state"] == "open" else {"formKey": None, "data": {}}
    errors: list[dict[str, str]] = []
    text = json.dumps(form["data"], indent=2, ensure_ascii=False, default=str)
    if request.method == "POST":
        require_operator("operations.repair")
        text = request.form.get("data", "")
        try:
            row = ops.retry(incident_id, me().username, json_object(text, "data"))
        except ValidationFailed as exc:
            errors = [{"field": "data", "message": e["message"] if e.get("field") == "data" else
                       f"{e.get('field')}: {e['message']}"} for e in exc.errors] or [
                {"field": "data", "message": exc.message}]
        except Conflict as exc:
            flash(exc.message, "error")
            return redirect(url_for("operations.incidents"))
        else:
            flash(f"The step ran again. Case {row.case_reference} is now {_status_words(row.status)}.", "success")
            return redirect(url_for("operations.incidents"))
    return render_template("operations/incident.html", incident=found, form=form, data_text=text, errors=errors,
                           reason_errors=[], nav_section="operations", tab="incidents"), 422 if errors else 200


@bp.post("/incidents/<int:incident_id>/resolve")
@login_required
def resolve(incident_id: int):  # type: ignore[no-untyped-def]
    require_operator("operations.repair")
    ops = operations()
    try:
        ops.resolve(incident_id, me().username, request.form.get("reason"))
    except ValidationFailed as exc:
        with services().db.reading() as session:
            found = ops_queries.get_incident(session, incident_id)
        form = ops.incident_form(incident_id)
        return render_template("operations/incident.html", incident=found, form=form, errors=exc.errors,
                               reason_errors=exc.errors, data_text=json.dumps(form["data"], indent=2, default=str),
                               nav_section="operations", tab="incidents"), 422
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("operations.incidents"))
    flash(f"Incident {incident_id} is resolved.", "success")
    return redirect(url_for("operations.incidents"))


@bp.post("/messages/<int:message_id>/retry")
@login_required
def retry_message(message_id: int):  # type: ignore[no-untyped-def]
    require_operator("operations.repair")
    send_again(message_id)
    return redirect(url_for("operations.incidents"))


@bp.get("/stalled")
@login_required
def stalled():  # type: ignore[no-untyped-def]
    require_operator()
    return render_template("operations/stalled.html", cases=services().runtime.stalled_cases(),
                           nav_section="operations", tab="stalled")


# ---- repairs on one case ----------------------------------------------------------------------
def _status_words(status: str) -> str:
    return {"terminated": "cancelled", "incident": "stopped at a problem"}.get(status, status)


def _case_page(instance_id: str, errors: list[dict[str, str]] | None = None, form: str | None = None,
               values: dict[str, str] | None = None, status: int = 200) -> Any:
    svc = services()
    with svc.db.reading() as session:
        case = queries.instance_dict(session, queries.get_instance_row(session, instance_id))
    actions = [e for e in case["history"] if e["action"] in OPERATOR_ACTIONS]
    targets = operations().targets(instance_id) if case["status"] in ("running", "incident") else []
    return render_template("operations/case.html", case=case, actions=actions, action_names=OPERATOR_ACTIONS,
                           targets=targets, errors=errors or [], failed_form=form, values=values or {},
                           status_words=_status_words, nav_section="operations", tab="cases"), status


@bp.get("/cases/<instance_id>")
@login_required
def case(instance_id: str):  # type: ignore[no-untyped-def]
    require_operator()
    return _case_page(instance_id)


@bp.post("/cases/<instance_id>/<action>")
@login_required
def case_action(instance_id: str, action: str):  # type: ignore[no-untyped-def]
    require_operator("operations.repair")
    ops = operations()
    reason = request.form.get("reason", "")
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    done = {"suspend": "The case is suspended.", "resume": "The case is resumed.", "cancel": "The case is cancelled.",
            "move": "The case was moved."}
    if action not in done:
        raise NotFound("There is no such action on a case")
    try:
        if action == "suspend":
            ops.suspend(instance_id, me().username, reason)
        elif action == "resume":
            ops.resume(instance_id, me().username, reason)
        elif action == "cancel":
            ops.cancel(instance_id, me().username, reason)
        else:
            target = request.form.get("elementId", "")
            data = json_object(request.form.get("data", ""), "move-data")
            ops.move(instance_id, target, data, me().username, reason)
    except ValidationFailed as exc:
        errors = [{"field": f"{action}-{e['field']}" if e["field"] != "move-data" else "move-data",
                   "message": e["message"]} for e in exc.errors]
        return _case_page(instance_id, errors, action, values, 422)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("operations.case", instance_id=instance_id))
    flash(done[action], "success")
    return redirect(url_for("operations.case", instance_id=instance_id))


# ---- the audit log ---------------------------------------------------------------------------------
def _audit_filter() -> ops_queries.AuditFilter:
    kind = request.args.get("kind") or None
    if kind and kind not in OPERATOR_ACTIONS and kind != "definitions_deployed":
        raise ValidationFailed("Unknown kind of action", [{"field": "kind", "message": "Choose a kind from the list"}])
    return ops_queries.AuditFilter(
        actor=(request.args.get("person") or "").strip() or None,
        case_reference=(request.args.get("case") or "").strip() or None, kind=kind,
        since=local_day(request.args.get("from"), "from"), until=local_day(request.args.get("to"), "to", end=True),
        limit=ops_queries.MAX_ROWS if request.args.get("format") == "csv" else 200)


@bp.get("/audit")
@login_required
def audit():  # type: ignore[no-untyped-def]
    require_operator()
    f = _audit_filter()
    with services().db.reading() as session:
        rows = ops_queries.audit_log(session, f)
        people = ops_queries.actors(session)
    if request.args.get("format") == "csv":
        return _csv(rows)
    return render_template("operations/audit.html", rows=rows, people=people, kinds=OPERATOR_ACTIONS,
                           args=request.args, nav_section="operations", tab="audit")


def _csv(rows: list[dict[str, Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["when (UTC)", "who", "action", "case reference", "case", "step", "reason", "details"])
    for r in rows:
        details = {k: v for k, v in (r["data"] or {}).items() if k != "reason"} if isinstance(r["data"], dict) else {}
        writer.writerow([r["at"], r["actor"], r["kindText"], r["caseReference"] or "", r["caseTitle"] or "",
                         r["elementName"] or "", _safe_cell(r["reason"] or ""),
                         _safe_cell(json.dumps(details, ensure_ascii=False, default=str) if details else "")])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=careflow-audit.csv"})


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
