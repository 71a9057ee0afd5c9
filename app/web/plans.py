"""The plan pages: edit the plan in the inbox (details, line items with totals, drafts, submit), see
it read-only from the case, and download its copy as HTML or PDF."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from workflows import MANAGER_ROLES
from workflows.errors import CareflowError, Conflict, Forbidden, ValidationFailed
from workflows.procedures.care_planning import documents, plans, use_cases
from workflows.procedures.care_planning import runtime_api as rt
from workflows.procedures.care_planning.models import CarePlan, PlanDocument
from workflows.procedures.care_planning.money import show

from .. import services
from .access import case_for_me
from .session_user import me

bp = Blueprint("plans", __name__)
DETAIL_FIELDS = [("writtenBy", "Who wrote the plan"), ("howNeedsMet", "How the eligible needs are met"),
                 ("strengths", "Strengths, network and community resources used first"),
                 ("informationAdvice", "Information and advice given"), ("otherServices", "Other services received"),
                 ("contributions", "What carers and others will contribute"),
                 ("reviewArrangements", "Review: who is best placed, and when"),
                 ("changeNotification", "How significant changes will be notified"),
                 ("controlMechanism", "Who manages the plan, or how control is delegated"),
                 ("progression", "Scope for progression"), ("statutoryObligations",
                                                           "Safeguarding, deprivation of liberty, property"),
                 ("dpSpendingBreakdown", "Direct payment: spending and on-costs"),
                 ("carerWishes", "Carer's wishes (carer's plans)"),
                 ("storageLocation", "Where the plan is stored, if elsewhere")]
SECTION_FORMS = {  # section -> (heading, [(field, label, kind)])
    "needs": ("Add a need", [("description", "The need, as the assessment found it", "text"),
                             ("eligible", "Is it an eligible need?", "bool"), ("howMet", "How it is met", "text")]),
    "outcomes": ("Add an outcome", [("outcome", "What the person wants to achieve", "text"),
                                    ("measure", "How it will be measured", "text"),
                                    ("timescale", "By when, and how often progress is reviewed", "text")]),
    "risks": ("Add a risk and its contingency", [("risk", "The risk", "text"),
                                                 ("management", "How it is managed", "text"),
                                                 ("contingency", "What happens if it occurs", "text"),
                                                 ("contactName", "Emergency contact's name", "text"),
                                                 ("contactPhone", "Their phone number", "text"),
                                                 ("contactEmail", "Their email address", "text")]),
    "options": ("Add an option considered", [("description", "The option", "text"),
                                             ("weeklyCost", "Estimated weekly cost, in pounds", "text"),
                                             ("chosen", "Was it chosen?", "bool"),
                                             ("rationale", "Why it was chosen or rejected", "text")]),
}
OPTIONS = [("COUNCIL_MANAGED", "Council-managed"), ("DIRECT_PAYMENT", "Direct payment"),
           ("DP_MANAGED_ACCOUNT", "Direct payment into a managed account"), ("ISF", "Individual service fund")]


def _plan_id(instance_id: str) -> int:
    case_for_me(instance_id, history=False)
    runtime = services().runtime
    with rt.transaction(runtime) as session:
        from workflows.models import Instance

        row = session.get(Instance, instance_id)
        if row is None or row.process_id != use_cases.PROCESS_ID:
            raise CareflowError("This case has no care and support plan")
        _, wf = rt.load(runtime, session, instance_id)
        return plans.open_plan(session, row, rt.case_data(wf)).id


def _may_edit(case: dict[str, Any]) -> bool:
    user = me()
    return user.role in MANAGER_ROLES or (case.get("summary") or {}).get("allocatedWorker") == user.username


def _page(instance_id: str, template: str, status: int = 200, errors: list[dict[str, str]] | None = None,
          values: dict[str, Any] | None = None) -> Any:
    case = case_for_me(instance_id, history=False)
    plan_id = _plan_id(instance_id)
    with services().db.reading() as session:
        plan = plans.get_plan(session, plan_id)
        out = plans.plan_dict(plan)
        totals = plans.totals(plan)
        docs = [documents.document_dict(d) for d in documents.list_documents(session, plan.case_reference)]
        versions = [(p.version, p.status) for p in session.query(CarePlan).filter(
            CarePlan.case_reference == plan.case_reference).order_by(CarePlan.version)]
    draft_open = any(t["name"] == "csp_draft" for t in case["openTasks"])
    came_back = _why_it_came_back(instance_id) if draft_open else {}
    return render_template(template, case=case, plan=out, came_back=came_back,
                           totals={k: show(v) if k.endswith("Pence") else v for k, v in totals.items()},
                           documents=docs, versions=versions, fields=DETAIL_FIELDS, options=OPTIONS,
                           editable=out["status"] in plans.EDITABLE and _may_edit(case), draft_open=draft_open,
                           may_upload=_may_edit(case), section_forms=SECTION_FORMS,
                           errors=errors or [], values=values or {}), status


def _why_it_came_back(instance_id: str) -> dict[str, Any]:
    """Why the plan is back with its worker: the approver's reasons (CSP-18) or the failed rules (CSP-14)."""
    data = services().runtime.instance_data(instance_id)
    rejected = data.get("approvalDecision") == "REJECTED"
    return {"rejected": rejected, "reasons": data.get("rejectionReasons") if rejected else None,
            "failed": (data.get("validationBlocking") or []) if data.get("planValid") is False else []}


def care_plan_link(instance_id: str, process_id: str) -> dict[str, Any] | None:
    """For the case page: where this case's plan is, and the case's stored documents."""
    if process_id != use_cases.PROCESS_ID:
        return None
    with services().db.reading() as session:
        from workflows.models import Instance

        row = session.get(Instance, instance_id)
        docs = documents.list_documents(session, row.case_reference) if row is not None else []
        listed = [{"href": url_for("plans.document", instance_id=instance_id, doc_id=d.id), "name": d.filename,
                   "kind": d.kind, "sha256": d.sha256} for d in docs]
    return {"href": url_for("plans.view", instance_id=instance_id), "documents": listed}


@bp.get("/cases/<instance_id>/plan")
@login_required
def view(instance_id: str):  # type: ignore[no-untyped-def]
    return _page(instance_id, "plans/view.html")


@bp.get("/cases/<instance_id>/plan/edit")
@login_required
def edit(instance_id: str):  # type: ignore[no-untyped-def]
    return _page(instance_id, "plans/edit.html")


def _editing(instance_id: str) -> tuple[int, Any]:
    case = case_for_me(instance_id, history=False)
    if not _may_edit(case):
        raise Forbidden("Only the allocated worker or a manager can change this plan")
    return _plan_id(instance_id), services().db


def _line_form(*, change: bool = False) -> dict[str, Any]:
    """A line item from its form; a change carries only what its form shows (the cost), so the flags
    it does not show (carer's respite, brokered) keep their values."""
    form = request.form
    data: dict[str, Any] = {k: form.get(k, "").strip() for k in ("description", "budgetOption", "weeklyCost",
                                                                 "provider", "frequency") if not change or k in form}
    if form.get("dpOnCostsWeekly", "").strip():
        data["dpOnCostsWeekly"] = form["dpOnCostsWeekly"].strip()
    for flag in ("carerRespite", "brokered"):
        if not change or flag in form:
            data[flag] = form.get(flag) == "yes"
    return data


def _changed_meanwhile(instance_id: str, exc: Conflict, values: dict[str, Any] | None = None) -> Any:
    """The plan as it is now, with what this person entered kept in the form and the reason it was not saved."""
    return _page(instance_id, "plans/edit.html", 409, [{"text": str(exc), "href": "#"}], values)


def _field_errors(exc: ValidationFailed) -> list[dict[str, str]]:
    return [{"text": e.get("message", str(exc)), "href": f"#{e.get('field', '')}"} for e in (exc.errors or [])] \
        or [{"text": str(exc), "href": "#"}]


@bp.post("/cases/<instance_id>/plan/details")
@login_required
def save_details(instance_id: str):  # type: ignore[no-untyped-def]
    plan_id, db = _editing(instance_id)
    data: dict[str, Any] = {name: request.form.get(name, "") for name, _label in DETAIL_FIELDS}
    for name in ("indicativeWeekly", "personContributionWeekly"):
        if name in request.form:
            data[name] = request.form[name].strip() or None
    try:
        with db.transaction() as session:
            plan = plans.get_plan(session, plan_id)
            plans.check_unchanged(plan, request.form.get("planUpdatedAt"))
            plans.update_plan(plan, data)
    except ValidationFailed as exc:
        return _page(instance_id, "plans/edit.html", 422, _field_errors(exc), data)
    except Conflict as exc:
        return _changed_meanwhile(instance_id, exc, data)
    flash("The plan is saved as a draft.", "success")
    return redirect(url_for("plans.edit", instance_id=instance_id))


@bp.post("/cases/<instance_id>/plan/sections/<section>")
@login_required
def add_to_section(instance_id: str, section: str):  # type: ignore[no-untyped-def]
    """Add a need, an outcome, a risk or an option; or remove one (``remove`` = its position)."""
    if section not in SECTION_FORMS:
        raise CareflowError("No such part of the plan")
    plan_id, db = _editing(instance_id)
    try:
        with db.transaction() as session:
            plan = plans.get_plan(session, plan_id)
            plans.check_unchanged(plan, request.form.get("planUpdatedAt"))  # "remove" names a position
            current = plans.plan_dict(plan)[section]
            items = [{k: v for k, v in row.items() if k != "id"} for row in current]
            if request.form.get("remove", "").isdigit():
                index = int(request.form["remove"])
                if index >= len(items):
                    raise CareflowError("That entry is no longer in the plan")
                del items[index]
                message = "Removed from the plan."
            else:
                item: dict[str, Any] = {}
                for name, _label, kind in SECTION_FORMS[section][1]:
                    raw = request.form.get(name, "").strip()
                    item[name] = (None if raw == "" else raw == "yes") if kind == "bool" else (raw or None)
                items.append(item)
                message = "Added to the plan."
            plans.update_plan(plan, {section: items})
    except ValidationFailed as exc:
        return _page(instance_id, "plans/edit.html", 422, _field_errors(exc))
    except Conflict as exc:
        return _changed_meanwhile(instance_id, exc)
    flash(message, "success")
    return redirect(url_for("plans.edit", instance_id=instance_id, _anchor=section))


@bp.post("/cases/<instance_id>/plan/lines")
@login_required
def add_line(instance_id: str):  # type: ignore[no-untyped-def]
    plan_id, db = _editing(instance_id)
    data = _line_form()
    try:
        with db.transaction() as session:
            plan = plans.get_plan(session, plan_id)
            plans.check_unchanged(plan, request.form.get("planUpdatedAt"))
            plans.add_line(plan, data)
    except ValidationFailed as exc:
        return _page(instance_id, "plans/edit.html", 422, _field_errors(exc), {"line": data})
    except Conflict as exc:
        return _changed_meanwhile(instance_id, exc, {"line": data})
    flash(f"Line item ‘{data['description']}’ added.", "success")
    return redirect(url_for("plans.edit", instance_id=instance_id, _anchor="line-items"))


@bp.post("/cases/<instance_id>/plan/lines/<int:line_id>")
@login_required
def change_line(instance_id: str, line_id: int):  # type: ignore[no-untyped-def]
    plan_id, db = _editing(instance_id)
    try:
        with db.transaction() as session:
            plan = plans.get_plan(session, plan_id)
            plans.check_unchanged(plan, request.form.get("planUpdatedAt"))
            if request.form.get("action") == "remove":
                plans.remove_line(plan, line_id)
                message = "Line item removed."
            else:
                plans.change_line(plan, line_id, _line_form(change=True))
                message = "Line item changed."
    except ValidationFailed as exc:
        return _page(instance_id, "plans/edit.html", 422, _field_errors(exc))
    except Conflict as exc:
        return _changed_meanwhile(instance_id, exc)
    flash(message, "success")
    return redirect(url_for("plans.edit", instance_id=instance_id, _anchor="line-items"))


@bp.post("/cases/<instance_id>/plan/submit")
@login_required
def submit(instance_id: str):  # type: ignore[no-untyped-def]
    plan_id, _db = _editing(instance_id)
    result = use_cases.submit_plan(services().runtime, plan_id, me(), {"planFormat": "CAREFLOW"})
    if result["valid"]:
        flash("The plan passed validation and goes on to agreement.", "success")
        return redirect(url_for("cases.case", instance_id=instance_id))
    problems = [{"text": f"{f['ruleId']}: {f['message']}", "href": "#details"} for f in result["blocking"]]
    return _page(instance_id, "plans/edit.html", 422, problems)


@bp.post("/cases/<instance_id>/plan/documents")
@login_required
def upload(instance_id: str):  # type: ignore[no-untyped-def]
    """A FIN107 or signed agreement (PDF, PNG or JPEG, at most 5 MB)."""
    plan_id, db = _editing(instance_id)
    file = request.files.get("file")
    try:
        if file is None or not file.filename:
            raise ValidationFailed("Choose a file to upload", [{"field": "file", "message": "Choose a file"}])
        with db.transaction() as session:
            doc = documents.store_upload(session, plans.get_plan(session, plan_id), request.form.get("kind", ""),
                                         file.filename, file.read(documents.MAX_UPLOAD_BYTES + 1),
                                         request.form.get("signed") == "yes", me().username)
            name = doc.filename
    except ValidationFailed as exc:
        return _page(instance_id, "plans/view.html", 422, _field_errors(exc))
    except documents.TooLarge as exc:
        return _page(instance_id, "plans/view.html", 413, [{"text": str(exc), "href": "#file"}])
    flash(f"{name} is stored on the case.", "success")
    return redirect(url_for("plans.view", instance_id=instance_id, _anchor="documents"))


@bp.get("/cases/<instance_id>/plan/copy.<kind>")
@login_required
def copy(instance_id: str, kind: str):  # type: ignore[no-untyped-def]
    if kind not in ("pdf", "html"):
        raise CareflowError("A plan copy is a PDF or an HTML page")
    plan_id = _plan_id(instance_id)
    with services().db.transaction() as session:
        made = documents.store_plan_copy(session, plans.get_plan(session, plan_id), me().username)
        doc: PlanDocument = made[1] if kind == "pdf" else made[0]
        return Response(doc.content, mimetype=doc.media_type.split(";")[0],
                        headers={"Content-Disposition": f'attachment; filename="{doc.filename}"',
                                 "X-Content-SHA256": doc.sha256})


@bp.get("/cases/<instance_id>/plan/documents/<int:doc_id>")
@login_required
def document(instance_id: str, doc_id: int):  # type: ignore[no-untyped-def]
    plan_id = _plan_id(instance_id)
    with services().db.reading() as session:
        plan = plans.get_plan(session, plan_id)
        doc = session.get(PlanDocument, doc_id)
        if doc is None or doc.case_reference != plan.case_reference:
            raise CareflowError("No such document on this case")
        return Response(doc.content, mimetype=doc.media_type.split(";")[0],
                        headers={"Content-Disposition": f'attachment; filename="{doc.filename}"'})
