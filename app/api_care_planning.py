"""Care and support planning endpoints: the plan record, its line items, submission, activation,
delegations and documents. Need to know as in ``api``: the cases one's teams work on, or oversight."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from workflows import MANAGER_ROLES, queries
from workflows.errors import Forbidden, NotFound, ValidationFailed
from workflows.identity import OVERSIGHT_ROLES
from workflows.models import Instance
from workflows.procedures.care_planning import documents, plans, use_cases
from workflows.procedures.care_planning import runtime_api as rt
from workflows.procedures.care_planning.models import CarePlan, PlanDocument, WorkerDelegation
from workflows.procedures.care_planning.money import pounds

from . import services
from .api import authenticated, body, instance_out, object_field, user

bp = Blueprint("api_care_planning", __name__, url_prefix="/api/v1")


def _may_see(session: Any, instance_id: str | None) -> Instance:
    row = session.get(Instance, instance_id) if instance_id else None
    if row is None:
        raise NotFound("No such care-planning case")
    who = user()
    if who.role not in OVERSIGHT_ROLES and not queries.case_involves(session, row.id, who.username, who.group_names):
        raise Forbidden("This case is not one your teams work on")
    return row


def _may_edit(row: Instance) -> None:
    who = user()
    worker = (row.summary or {}).get("allocatedWorker")
    if who.role not in MANAGER_ROLES and who.username != worker:
        raise Forbidden("Only the allocated worker or a manager can change this plan")


def ensure_plan(instance_id: str) -> int:
    """The case's current plan id, making version 1 the first time (from the case's data)."""
    runtime = services().runtime
    with rt.transaction(runtime) as session:
        row = _may_see(session, instance_id)
        if row.process_id != use_cases.PROCESS_ID:
            raise NotFound("This case is not a care-planning case")
        _, wf = rt.load(runtime, session, row.id)
        return plans.open_plan(session, row, rt.case_data(wf)).id


def _plan_out(plan_id: int, *, edit: bool = False) -> Any:
    with services().db.transaction() as session:
        plan = plans.get_plan(session, plan_id)
        row = _may_see(session, plan.instance_id)
        if edit:
            _may_edit(row)
        return plan, row, session


@bp.post("/care-plans")
@authenticated("care_plan.start")
def start_plan():  # type: ignore[no-untyped-def]
    """CSP-01 by hand: a worker starts planning for a person; they are the allocated worker."""
    data = object_field(body(), "data")
    data["allocatedWorker"] = user().username
    row = services().runtime.start(use_cases.PROCESS_ID, data, actor=user().username)
    return jsonify(instance_out(row.id)), 201


@bp.get("/instances/<instance_id>/care-plan")
@authenticated("care_plan.read")
def plan_of_case(instance_id: str):  # type: ignore[no-untyped-def]
    plan_id = ensure_plan(instance_id)
    return get_plan(plan_id)


@bp.get("/care-plans/<int:plan_id>")
@authenticated("care_plan.read")
def get_plan(plan_id: int):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        plan = plans.get_plan(session, plan_id)
        _may_see(session, plan.instance_id)
        out = plans.plan_dict(plan)
        out["versions"] = [{"id": p.id, "version": p.version, "status": p.status} for p in session.query(
            CarePlan).filter(CarePlan.case_reference == plan.case_reference).order_by(CarePlan.version)]
        out["documents"] = [documents.document_dict(d) for d in documents.list_documents(session, plan.case_reference)]
        reply = jsonify(out)
        reply.headers["ETag"] = f'"{out["updatedAt"]}"'
        return reply


@bp.put("/care-plans/<int:plan_id>")
@authenticated("care_plan.edit")
def update_plan(plan_id: int):  # type: ignore[no-untyped-def]
    with services().db.transaction() as session:
        plan = plans.get_plan(session, plan_id)
        _may_edit(_may_see(session, plan.instance_id))
        plans.check_unchanged(plan, request.headers.get("If-Match"))
        plans.update_plan(plan, body())
        session.flush()
        return jsonify(plans.plan_dict(plan))


@bp.post("/care-plans/<int:plan_id>/line-items")
@authenticated("care_plan.edit")
def add_line(plan_id: int):  # type: ignore[no-untyped-def]
    with services().db.transaction() as session:
        plan = plans.get_plan(session, plan_id)
        _may_edit(_may_see(session, plan.instance_id))
        plans.check_unchanged(plan, request.headers.get("If-Match"))
        line = plans.add_line(plan, body())
        session.flush()
        return jsonify({"lineItem": plans.line_dict(line), "totals": _totals(plan)}), 201


@bp.put("/care-plans/<int:plan_id>/line-items/<int:line_id>")
@authenticated("care_plan.edit")
def change_line(plan_id: int, line_id: int):  # type: ignore[no-untyped-def]
    with services().db.transaction() as session:
        plan = plans.get_plan(session, plan_id)
        _may_edit(_may_see(session, plan.instance_id))
        plans.check_unchanged(plan, request.headers.get("If-Match"))
        line = plans.change_line(plan, line_id, body())
        session.flush()
        return jsonify({"lineItem": plans.line_dict(line), "totals": _totals(plan)})


@bp.delete("/care-plans/<int:plan_id>/line-items/<int:line_id>")
@authenticated("care_plan.edit")
def remove_line(plan_id: int, line_id: int):  # type: ignore[no-untyped-def]
    with services().db.transaction() as session:
        plan = plans.get_plan(session, plan_id)
        _may_edit(_may_see(session, plan.instance_id))
        plans.check_unchanged(plan, request.headers.get("If-Match"))
        plans.remove_line(plan, line_id)
        session.flush()
        return jsonify({"totals": _totals(plan)})


def _totals(plan: CarePlan) -> dict[str, Any]:
    t = plans.totals(plan)
    return {k.replace("Pence", ""): pounds(v) if k.endswith("Pence") else v for k, v in t.items()
            if k != "byBudgetOption"}


@bp.post("/care-plans/<int:plan_id>/validate")
@authenticated("care_plan.validate")
def validate_plan(plan_id: int):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        _may_see(session, plans.get_plan(session, plan_id).instance_id)
    return jsonify(use_cases.preview_validation(services().runtime, plan_id, user()))


@bp.post("/care-plans/<int:plan_id>/submit")
@authenticated("care_plan.edit")
def submit_plan(plan_id: int):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        _may_see(session, plans.get_plan(session, plan_id).instance_id)
    return jsonify(use_cases.submit_plan(services().runtime, plan_id, user(), body()))


@bp.post("/care-plans/<int:plan_id>/line-items/<int:line_id>/activate")
@authenticated("line_item.activate")
def activate_line(plan_id: int, line_id: int):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        _may_see(session, plans.get_plan(session, plan_id).instance_id)
    return jsonify(use_cases.activate_line(services().runtime, plan_id, line_id, user()))


@bp.post("/care-plans/<int:plan_id>/line-items/<int:line_id>/end")
@authenticated("care_plan.edit")
def end_line(plan_id: int, line_id: int):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        _may_edit(_may_see(session, plans.get_plan(session, plan_id).instance_id))
    return jsonify(use_cases.end_line_item(services().runtime, plan_id, line_id, user()))


@bp.post("/care-plans/tasks/<task_id>/complete")
@authenticated("task.complete")
def complete_task(task_id: str):  # type: ignore[no-untyped-def]
    row = use_cases.complete_task(services().runtime, task_id, object_field(body(), "data"), user())
    return jsonify(instance_out(row.id, with_data=False, history=False))


@bp.get("/delegations/<username>")
@authenticated("delegation.read")
def get_delegation(username: str):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        found = session.get(WorkerDelegation, username)
        return jsonify({"username": username, "selfDelegation": bool(found and found.self_delegation),
                        "weeklyLimit": pounds(found.weekly_limit_pence) if found else 0,
                        "updatedBy": found.updated_by if found else None})


@bp.put("/delegations/<username>")
@authenticated("delegation.write")
def set_delegation(username: str):  # type: ignore[no-untyped-def]
    with services().db.transaction() as session:
        found = use_cases.set_delegation(session, user(), username, body())
        return jsonify({"username": username, "selfDelegation": found.self_delegation,
                        "weeklyLimit": pounds(found.weekly_limit_pence), "updatedBy": found.updated_by})


@bp.post("/care-plans/<int:plan_id>/documents")
@authenticated("care_plan.edit")
def upload_document(plan_id: int):  # type: ignore[no-untyped-def]
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Attach the document as 'file'", [{"field": "file", "message": "Choose a file"}])
    with services().db.transaction() as session:
        plan = plans.get_plan(session, plan_id)
        _may_edit(_may_see(session, plan.instance_id))
        doc = documents.store_upload(session, plan, request.form.get("kind", ""), upload.filename or "",
                                     upload.read(documents.MAX_UPLOAD_BYTES + 1),
                                     request.form.get("signed", "").lower() in ("1", "true", "yes"), user().username)
        return jsonify(documents.document_dict(doc)), 201


@bp.post("/care-plans/<int:plan_id>/plan-copy")
@authenticated("care_plan.copy")
def make_plan_copy(plan_id: int):  # type: ignore[no-untyped-def]
    with services().db.transaction() as session:
        plan = plans.get_plan(session, plan_id)
        _may_see(session, plan.instance_id)
        made = documents.store_plan_copy(session, plan, user().username)
        return jsonify({"documents": [documents.document_dict(d) for d in made]}), 201


@bp.get("/care-plan-documents/<int:doc_id>")
@authenticated("care_plan.read")
def download_document(doc_id: int):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        doc = session.get(PlanDocument, doc_id)
        if doc is None:
            raise NotFound(f"No document {doc_id}")
        plan = session.get(CarePlan, doc.plan_id) if doc.plan_id else None
        _may_see(session, plan.instance_id if plan else None)
        return Response(doc.content, mimetype=doc.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{doc.filename}"',
                                 "X-Content-SHA256": doc.sha256})
