"""The care-planning use cases the API and the pages call; each is one database transaction."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import MANAGER_ROLES, may_work
from workflows.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflows.identity import Principal
from workflows.models import AuditEvent, Instance, OutboxMessage, TaskRow, utcnow
from workflows.spiff_bridge import StepContext

from . import runtime_api as rt
from .models import CarePlan, PlanOverride, WorkerDelegation
from .money import to_pence
from .plans import get_plan, require_editable
from .procedure import PROCESS_ID, submitting
from .rules import activate, copy_recipients, delegation_facts, end_line, plan_facts

WARN_RULES = ("V12", "V15", "V16", "V17", "V19", "V21", "V24")


def _task_of(session: Session, instance_id: str | None, name: str) -> TaskRow:
    task = session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id, TaskRow.name == name,
                                                 TaskRow.state == "open").with_for_update()).first()
    if task is None:
        raise Conflict("The case is not at this step: there is no open task to do it", step=name)
    return task


def _complete_in(runtime: Any, session: Session, task_row: TaskRow, user: Principal, clean: dict[str, Any],
                 extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Instance:
    """Complete one task inside the caller's transaction (the runtime runs the procedure's guards)."""
    if not may_work(user, task_row):
        raise Forbidden(f"This task is assigned to {task_row.assignee}" if task_row.assignee
                        else f"This task is for group {task_row.candidate_group}, and you are not in it")
    row, wf = rt.load(runtime, session, task_row.instance_id, lock=True)
    task = wf.get_task_from_id(uuid.UUID(task_row.id))
    if task is None or task.state != TaskState.READY:
        raise Conflict("This task can no longer be completed")
    values = dict(clean)
    if extra is not None:
        values.update(extra(dict(task.data)))
    task_row.completed_by = user.username
    task_row.draft = None
    ctx = StepContext(row.id, row.case_reference, user.username)
    ctx.audit.append({"action": "task_completed", "task_id": task_row.id, "element_id": task_row.name,
                      "element_name": task_row.title, "data": values})

    def act() -> None:
        task.set_data(**values)
        task.run()

    rt.step(runtime, session, row, wf, ctx, act)  # the runtime runs the procedure's guards (on_step)
    return row


def complete_task(runtime: Any, task_id: str, data: dict[str, Any], user: Principal) -> Instance:
    """Complete a task of a care-planning case with the procedure's guards (separation of duties,
    activation) checked in the same transaction."""
    with rt.transaction(runtime) as session:
        task_row = session.get(TaskRow, task_id, with_for_update=True)
        if task_row is None:
            raise NotFound(f"No task {task_id}")
        if task_row.state != "open":
            raise Conflict(f"This task is already {task_row.state}")
        if task_row.process_id != PROCESS_ID:
            raise NotFound(f"Task {task_id} is not a care-planning task")
        clean = runtime.forms.validate(task_row.form_key, data)
        return _complete_in(runtime, session, task_row, user, clean)


def submit_plan(runtime: Any, plan_id: int, user: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """CSP-11 done: the plan (with any WARN override notes) goes to costing and validation."""
    with rt.transaction(runtime) as session:
        plan = get_plan(session, plan_id)
        require_editable(plan)
        overrides = data.get("overrides") or {}
        if not isinstance(overrides, dict):
            raise ValidationFailed("overrides must map a rule id to a note", [{"field": "overrides",
                                                                               "message": "Give a note per rule"}])
        for rule_id, note in overrides.items():
            if rule_id not in WARN_RULES:
                raise ValidationFailed(f"Only WARN rules can be overridden, not {rule_id}",
                                       [{"field": f"overrides.{rule_id}", "message": "ERROR rules must be met"}])
            if not isinstance(note, str) or not note.strip() or len(note) > 2000:
                raise ValidationFailed(f"Give a note (up to 2000 characters) for overriding {rule_id}",
                                       [{"field": f"overrides.{rule_id}", "message": "Enter the override note"}])
            found = next((o for o in plan.overrides if o.rule_id == rule_id), None)
            if found is None:
                plan.overrides.append(PlanOverride(rule_id=rule_id, note=note.strip(), by=user.username))
            else:
                found.note, found.by, found.at = note.strip(), user.username, utcnow()
        form = {k: v for k, v in data.items() if k != "overrides"}
        clean = runtime.forms.validate("csp_draft_plan", form)
        task_row = _task_of(session, plan.instance_id, "csp_draft")

        def facts(case: dict[str, Any]) -> dict[str, Any]:
            out = plan_facts(plan, case)
            out.update(delegation_facts(session, case.get("allocatedWorker")))
            out["planCopyRecipients"] = copy_recipients(plan, case)
            out["warnOverrides"] = {o.rule_id: o.note for o in plan.overrides}
            return out

        for line in plan.line_items:  # C.6: a rejected line, revised and sent again, waits for approval
            if line.approval == "REJECTED":
                line.approval = "PENDING"
        plan.status = "SUBMITTED"
        plan.drafted_by = user.username
        plan.submitted_at = utcnow()
        token = submitting.set(True)
        try:
            row = _complete_in(runtime, session, task_row, user, clean, facts)
        finally:
            submitting.reset(token)
        _, wf = rt.load(runtime, session, row.id)
        case = rt.case_data(wf)
        return {"planId": plan.id, "status": plan.status, "valid": case.get("planValid"),
                "failures": case.get("validationFailures") or [], "blocking": case.get("validationBlocking") or []}


def activate_line(runtime: Any, plan_id: int, line_id: int, user: Principal) -> dict[str, Any]:
    """CSP-20 for one line item: the C.6 guard, then PROVISIONED and ContrOCC told (M-C7)."""
    from .plans import find_line, line_dict

    with rt.transaction(runtime) as session:
        plan = get_plan(session, plan_id)
        line = find_line(plan, line_id)
        row, wf = rt.load(runtime, session, plan.instance_id or "")
        case = rt.case_data(wf)
        if user.username != case.get("allocatedWorker") and user.role not in MANAGER_ROLES and \
                "care_navigation" not in user.group_names:
            raise Forbidden("Only the allocated worker, Care Navigation or a manager can activate services")
        now = utcnow()
        activate(session, plan, line, case, user.username, now)
        session.add(OutboxMessage(instance_id=row.id, idempotency_key=f"contrOCC:{plan.case_reference}:{line.id}",
                                  channel="record", recipient="controcc", template="mc7_controcc_notified",
                                  payload={"caseReference": plan.case_reference, "cpliId": line.id,
                                           "personName": plan.person_name, "description": line.description,
                                           "weeklyCost": line.weekly_cost_pence / 100,
                                           "budgetOption": line.budget_option,
                                           "clientContribution": (plan.person_contribution_weekly_pence or 0) / 100},
                                  created_at=now, next_attempt_at=now))
        session.add(AuditEvent(instance_id=row.id, at=now, actor=user.username, action="line_item_activated",
                               data={"lineItemId": line.id, "description": line.description}))
        return line_dict(line)


def end_line_item(runtime: Any, plan_id: int, line_id: int, user: Principal) -> dict[str, Any]:
    from .plans import find_line, line_dict

    with rt.transaction(runtime) as session:
        plan = get_plan(session, plan_id)
        line = find_line(plan, line_id)
        end_line(line, utcnow())
        session.add(AuditEvent(instance_id=plan.instance_id, actor=user.username, action="line_item_ended",
                               data={"lineItemId": line.id}))
        return line_dict(line)


def set_delegation(session: Session, manager: Principal, username: str, data: dict[str, Any]) -> WorkerDelegation:
    """A manager sets a worker's self-delegation and weekly limit (DMN-07's inputs)."""
    if manager.role not in MANAGER_ROLES:
        raise Forbidden("Only a manager can change a worker's delegation")
    if not isinstance(data.get("selfDelegation"), bool):
        raise ValidationFailed("Say whether the worker may self-authorise",
                               [{"field": "selfDelegation", "message": "Select yes or no"}])
    limit = to_pence(data.get("weeklyLimit"), "weeklyLimit")
    found = session.get(WorkerDelegation, username)
    if found is None:
        found = WorkerDelegation(username=username)
        session.add(found)
    found.self_delegation = data["selfDelegation"]
    found.weekly_limit_pence = limit or 0
    found.updated_by = manager.username
    found.updated_at = utcnow()
    return found


def plan_of_instance(session: Session, instance_id: str) -> CarePlan:
    row = session.get(Instance, instance_id)
    if row is None or row.process_id != PROCESS_ID:
        raise NotFound(f"No care-planning case {instance_id}")
    plan = session.scalars(select(CarePlan).where(CarePlan.case_reference == row.case_reference)
                           .order_by(CarePlan.version.desc()).limit(1)).first()
    if plan is None:
        raise NotFound("This case has no plan yet")
    return plan


def case_side_facts(case: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """The facts the diagram completes before CSP-14 (script ``csp_plan_facts``), for a preview."""
    lacks = case.get("lacksCapacityToPlan") is True
    advocate = case.get("advocateRequired") is True
    return {
        "s117": case.get("s117") is True,
        "s117Compliant": case.get("s117") is not True or (case.get("healthAgreementRecorded") is True
                                                          and facts.get("personContributionWeekly") == 0),
        "capacityOrAdvocacyApplies": lacks or advocate,
        "capacityAdvocacyRecorded": (not lacks or (case.get("capacityAssessmentRecorded") is True
                                                   and case.get("bestInterestsRecorded") is True))
        and (not advocate or facts.get("advocateInvolved") is True),
        "chargingDiscussionRecorded": case.get("chargingDiscussed") is True and case.get("dutyExplained") is True
        and bool(case.get("factsheets")),
        "budgetOptionRecorded": facts.get("budgetOptionRecorded") is True and case.get("budgetOption") is not None,
    }


def preview_validation(runtime: Any, plan_id: int, user: Principal) -> dict[str, Any]:
    """Run V01-V28 on the plan as it stands (logged on the case like every decision), without submitting."""
    from workflows.data import to_json_safe
    from workflows.models import DecisionLog
    from workflows.spiff_bridge import decision_inputs

    with rt.transaction(runtime) as session:
        plan = get_plan(session, plan_id)
        _, wf = rt.load(runtime, session, plan.instance_id or "")
        case = rt.case_data(wf)
        facts = plan_facts(plan, case)
        facts.update(case_side_facts(case, facts))
        file = runtime.library.decision_file_for(session, "PlanValidationRules")
        result = runtime.library.decision_model(file.content_hash).evaluate("PlanValidationRules",
                                                                            decision_inputs(facts))
        record = to_json_safe(result.to_dict())
        session.add(DecisionLog(instance_id=plan.instance_id, decision_id="PlanValidationRules",
                                decision_name=record.get("decisionName"), hit_policy=record.get("hitPolicy"),
                                inputs=record.get("inputs") or {}, matched_rules=record.get("matchedRules") or [],
                                outputs=record.get("value")))
        failures = record.get("value") or []
        overridden = {o.rule_id for o in plan.overrides}
        blocking = [f for f in failures if f["severity"] == "ERROR"
                    or (f["severity"] == "WARN" and f["ruleId"] not in overridden)]
        return {"planId": plan.id, "valid": not blocking, "failures": failures, "blocking": blocking}
