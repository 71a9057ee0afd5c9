"""The operators' REST API (admins and quality leads; 403 for others): the same actions as the
operations pages, each asking for a reason, each writing one audit row."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, jsonify, request

from workflows import ops_queries, queries
from workflows.decision_history import DecisionFilter, DecisionHistory
from workflows.errors import ValidationFailed
from workflows.operations import OPERATOR_ACTIONS, Operations

from . import services
from .api import authenticated, body, int_arg, object_field, send_message_again, user

bp = Blueprint("api_operations", __name__, url_prefix="/api/v1")


def _ops() -> Operations:
    return Operations(services().runtime)


def _when(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(f"'{name}' must be an ISO 8601 date or date-time", [{
            "field": name, "message": "Must be a date such as 2026-12-31"}]) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _case(instance_id: str) -> dict[str, Any]:
    with services().db.reading() as session:
        return queries.instance_dict(session, queries.get_instance_row(session, instance_id), history=False)


# ---- incidents ----------------------------------------------------------------------------------
@bp.get("/operations/incidents")
@authenticated("operations.read")
def incidents():  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        return jsonify({"incidents": ops_queries.open_incidents(session, int_arg("limit", 500, 1, 5000)),
                        "failedMessages": ops_queries.failed_messages(session)})


@bp.get("/operations/incidents/<int:incident_id>")
@authenticated("operations.read")
def incident(incident_id: int):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        found = ops_queries.get_incident(session, incident_id)
    if found["state"] == "open":
        found["form"] = _ops().incident_form(incident_id)
    return jsonify(found)


@bp.post("/operations/incidents/<int:incident_id>/retry")
@authenticated("operations.repair")
def retry(incident_id: int):  # type: ignore[no-untyped-def]
    row = _ops().retry(incident_id, user().username, object_field(body(), "data"))
    return jsonify(_case(row.id))


@bp.post("/operations/incidents/<int:incident_id>/resolve")
@authenticated("operations.repair")
def resolve(incident_id: int):  # type: ignore[no-untyped-def]
    return jsonify(queries.incident_dict(_ops().resolve(incident_id, user().username, body().get("reason"))))


@bp.post("/operations/incidents/retry")
@authenticated("operations.repair")
def retry_many():  # type: ignore[no-untyped-def]
    ids = body().get("incidentIds")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ValidationFailed("Say which incidents to retry", [{
            "field": "incidentIds", "message": "Give a list of incident ids (whole numbers)"}])
    return jsonify({"results": [o.to_dict() for o in _ops().retry_many(ids, user().username)]})


@bp.post("/operations/messages/<int:message_id>/retry")
@authenticated("operations.repair")
def retry_message(message_id: int):  # type: ignore[no-untyped-def]
    return send_message_again(message_id)


@bp.get("/operations/stalled")
@authenticated("operations.read")
def stalled():  # type: ignore[no-untyped-def]
    return jsonify({"cases": services().runtime.stalled_cases(int_arg("limit", 500, 1, 5000))})


# ---- repairs on a case ----------------------------------------------------------------------------
@bp.post("/instances/<instance_id>/suspend")
@authenticated("operations.repair")
def suspend(instance_id: str):  # type: ignore[no-untyped-def]
    _ops().suspend(instance_id, user().username, body().get("reason"))
    return jsonify(_case(instance_id))


@bp.post("/instances/<instance_id>/resume")
@authenticated("operations.repair")
def resume(instance_id: str):  # type: ignore[no-untyped-def]
    _ops().resume(instance_id, user().username, body().get("reason"))
    return jsonify(_case(instance_id))


@bp.post("/instances/<instance_id>/cancel")
@authenticated("operations.repair")
def cancel(instance_id: str):  # type: ignore[no-untyped-def]
    _ops().cancel(instance_id, user().username, body().get("reason"))
    return jsonify(_case(instance_id))


@bp.get("/instances/<instance_id>/move-targets")
@authenticated("operations.read")
def move_targets(instance_id: str):  # type: ignore[no-untyped-def]
    return jsonify({"targets": _ops().targets(instance_id)})


@bp.post("/instances/<instance_id>/move")
@authenticated("operations.repair")
def move(instance_id: str):  # type: ignore[no-untyped-def]
    data = body()
    target = data.get("elementId")
    if not isinstance(target, str) or not target:
        raise ValidationFailed("Say which step to move to", [{"field": "elementId",
                                                             "message": "Give the id of a step of the diagram"}])
    _ops().move(instance_id, target, object_field(data, "data"), user().username, data.get("reason"))
    return jsonify(_case(instance_id))


# ---- audit, decisions, heat map --------------------------------------------------------------------
@bp.get("/operations/audit")
@authenticated("operations.read")
def audit():  # type: ignore[no-untyped-def]
    kind = request.args.get("kind") or None
    if kind and kind not in OPERATOR_ACTIONS and kind != "definitions_deployed":
        raise ValidationFailed("Unknown kind of action", [{"field": "kind", "message":
                                                           f"Use one of {', '.join(OPERATOR_ACTIONS)}"}])
    f = ops_queries.AuditFilter(actor=request.args.get("person") or None,
                                case_reference=request.args.get("caseReference") or None, kind=kind,
                                since=_when("from"), until=_when("to"), limit=int_arg("limit", 200, 1, 5000))
    with services().db.reading() as session:
        return jsonify({"actions": ops_queries.audit_log(session, f)})


@bp.get("/decision-log")
@authenticated("operations.read")
def decision_log():  # type: ignore[no-untyped-def]
    f = DecisionFilter(decision_id=request.args.get("table") or None, output=request.args.get("output") or None,
                       rule=request.args.get("rule") or None, since=_when("from"), until=_when("to"),
                       changed_only=request.args.get("changed", "").lower() in ("1", "true", "yes"),
                       limit=int_arg("limit", 200, 1, 5000))
    svc = services()
    with svc.db.reading() as session:
        rows, per_rule, total = DecisionHistory(session, svc.library).rows(f)
    return jsonify({"decisions": rows, "perRule": per_rule, "total": total})


@bp.get("/operations/heatmap/<process_id>")
@authenticated("operations.read")
def heatmap(process_id: str):  # type: ignore[no-untyped-def]
    from .web.heatmap import period

    start, end, _words = period()
    svc = services()
    with svc.db.reading() as session:
        version = svc.library.latest(session, process_id)
        steps = ops_queries.heat(session, process_id, start, end)
    return jsonify({"processId": process_id, "version": version.version, "from": start.isoformat(),
                    "to": end.isoformat(), "steps": sorted(steps.values(), key=lambda s: s["elementId"])})
