"""What the runtime calls after each step of a care-planning case: the guards that keep the plan's
rules whatever way a task is completed, and the plan record kept in step with the case.

* CSP-11 is completed by submitting the plan (it carries the plan's facts to CSP-14).
* CSP-16b: the manager who confirms is not the worker who declared (two different people).
* CSP-18: the person who drafted the plan cannot approve it; self-authorisation needs a delegation.
* CSP-20: services are activated only when every approved line item is PROVISIONED.

A guard that fails raises, and the whole step (its state, tasks and messages) is rolled back.
"""
from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.errors import Conflict, Forbidden
from workflows.models import Instance, OutboxMessage, TaskRow
from workflows.outbox import Attachment
from workflows.procedure import Procedure

from .documents import attach_plan_copy, stored_attachment
from .models import CarePlan, WorkerDelegation
from .money import show
from .plans import EDITABLE, new_version, open_plan
from .rules import approve_lines, not_activated

PROCESS_ID = "care_support_planning"
PLAN_COPY_MESSAGE = "mc8_plan_copy"
APPROVAL_TASKS = ("csp_approve_manager", "csp_approve_senior", "csp_approve_panel", "csp_self_authorise")
submitting: contextvars.ContextVar[bool] = contextvars.ContextVar("care_plan_submitting", default=False)


def completed_in_step(session: Session, row: Instance) -> list[TaskRow]:
    return list(session.scalars(select(TaskRow).where(
        TaskRow.instance_id == row.id, TaskRow.state == "completed", TaskRow.completed_at == row.updated_at)))


def _last_completed_by(session: Session, instance_id: str, name: str) -> str | None:
    return session.scalar(select(TaskRow.completed_by).where(
        TaskRow.instance_id == instance_id, TaskRow.name == name, TaskRow.state == "completed")
        .order_by(TaskRow.completed_at.desc()).limit(1))


def after_step(session: Session, row: Instance, data: dict[str, Any]) -> None:
    """Check the guards for the tasks completed in this step, then bring the plan record up to date."""
    if row.process_id != PROCESS_ID:
        return
    plan = open_plan(session, row, data)
    for task in completed_in_step(session, row):
        who = task.completed_by
        if task.name == "csp_draft" and not submitting.get():
            raise Conflict("Submit the plan from its plan page: submitting carries the plan's content to "
                           "validation (CSP-14)")
        if task.name == "csp_declare_manager":
            declared = _last_completed_by(session, row.id, "csp_declare_worker")
            if who and who == declared:
                raise Forbidden("You declared that all reasonable steps were taken; a different person, the "
                                "team manager, must confirm it (CSP-16b)")
        if task.name in APPROVAL_TASKS:
            _check_approver(session, task, plan, data)
            approve_lines(plan, str(data.get("approvalDecision")))
            if data.get("approvalDecision") == "APPROVED":
                plan.approved_by = who
        if task.name == "csp_activate":
            waiting = not_activated(plan)
            if waiting:
                names = "; ".join(f"'{li.description}'" for li in waiting)
                raise Conflict(f"{len(waiting)} approved line item(s) are not activated yet: {names}. Activate "
                               f"each one first (a direct payment needs its signed FIN107 stored)")
    _sync_status(session, plan, data)


def _check_approver(session: Session, task: TaskRow, plan: Any, data: dict[str, Any]) -> None:
    who = task.completed_by
    if task.name != "csp_self_authorise":
        if who and who == plan.drafted_by:
            raise Forbidden("You drafted this plan, so you cannot approve it: another authoriser must "
                            "(separation of duties)")
    else:
        delegation = session.get(WorkerDelegation, who) if who else None
        costed = round(float(data.get("costedWeekly") or 0) * 100)
        if delegation is None or not delegation.self_delegation or delegation.weekly_limit_pence < costed:
            limit = show(delegation.weekly_limit_pence) if delegation else "none"
            raise Forbidden(f"Your delegation does not cover this plan (limit {limit} a week, plan "
                            f"{show(costed)}): ask your team manager to approve it")
    if data.get("approvalDecision") == "APPROVED" and data.get("rationaleRequired") is True \
            and not (data.get("rationale") or "").strip():
        raise Conflict("This approval route needs a rationale: say why the budget meets the eligible needs")


def _sync_status(session: Session, plan: Any, data: dict[str, Any]) -> None:
    status = data.get("planStatus")
    if status in ("SIGNED_OFF", "SIGNED_OFF_WITH_DISPUTE") and plan.status in EDITABLE:
        from datetime import datetime

        plan.status = status
        signed = data.get("signedOffAt")
        plan.signed_off_at = datetime.fromisoformat(signed) if signed else None
        for older in session.scalars(select(CarePlan).where(CarePlan.case_reference == plan.case_reference,
                                                            CarePlan.version < plan.version)):
            if older.status.startswith("SIGNED_OFF"):
                older.status = "SUPERSEDED"
        from .documents import store_plan_copy

        store_plan_copy(session, plan, "system")  # CSP-21: the copy the person and others receive
    elif status == "REVISING" and plan.status not in EDITABLE:
        new_version(session, plan, data)  # the signed-off version stays in force, and readable, until this one is
    elif status == "VALIDATED" and plan.status in ("DRAFT", "SUBMITTED"):
        plan.status = "VALIDATED"
    elif status == "DRAFT" and plan.status == "SUBMITTED":
        plan.status = "DRAFT"


class CarePlanning(Procedure):
    """The procedure as the runtime's registry sees it (``runtime.register``)."""

    name = "care_planning"
    process_ids = frozenset({PROCESS_ID})

    def on_step(self, runtime: Any, session: Session, row: Instance, data: dict[str, Any]) -> None:
        after_step(session, row, data)
        attach_plan_copies(session, row)
        if data.get("carerEligible") is True and data.get("planFor") != "CARER":
            start_carer_case(runtime, session, row, data)

    def attachment(self, session: Session, reference: Mapping[str, Any]) -> Attachment | None:
        return stored_attachment(session, reference)


def attach_plan_copies(session: Session, row: Instance) -> None:
    """CSP-21: each M-C8 queued in this step carries the stored copy of the plan it sends."""
    queued = session.scalars(select(OutboxMessage).where(OutboxMessage.instance_id == row.id,
                                                         OutboxMessage.created_at == row.updated_at,
                                                         OutboxMessage.template == PLAN_COPY_MESSAGE)).all()
    for message in queued:
        message.payload = attach_plan_copy(session, dict(message.payload or {}), row.case_reference)


def start_carer_case(runtime: Any, session: Session, row: Instance, data: dict[str, Any]) -> Instance | None:
    """CSP-10: an eligible carer gets their own support plan, a case linked to the cared-for person's
    (the carer's respite in the person's own plan is V20). Started once per cared-for case."""
    key = f"{row.case_reference}:carer"
    if session.scalar(select(Instance.id).where(Instance.business_key == key).limit(1)) is not None:
        return None
    carer = {"personName": data.get("carerName") or "Carer", "planFor": "CARER", "carerEligible": True,
             "allocatedWorker": data.get("allocatedWorker"), "caredForCaseReference": row.case_reference,
             "caredForName": data.get("personName")}
    return runtime.start_in(session, PROCESS_ID, carer, actor="system", parent_case_reference=row.case_reference,
                            business_key=key, title=f"Carer's support plan: {carer['personName']}")

