"""Read models for the API and the inbox: rows only, never a deserialized workflow (except data)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import (
    AuditEvent,
    DecisionLog,
    Incident,
    Instance,
    OutboxMessage,
    ProcessVersion,
    TaskRow,
    TimerRow,
    User,
)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def process_dict(v: ProcessVersion) -> dict[str, Any]:
    return {"processId": v.process_id, "name": v.name, "version": v.version, "contentHash": v.content_hash,
            "deployed": v.deployed, "messageStarts": v.message_starts or [], "createdAt": iso(v.created_at),
            "decisions": sorted((v.dmn_hashes or {}).keys())}


def list_processes(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id,
                                                           ProcessVersion.version.desc())).all()
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.process_id not in latest and row.deployed:
            latest[row.process_id] = {**process_dict(row), "versions": []}
    for row in rows:
        if row.process_id in latest:
            latest[row.process_id]["versions"].append(row.version)
    return list(latest.values())


def task_dict(t: TaskRow) -> dict[str, Any]:
    return {"id": t.id, "instanceId": t.instance_id, "processId": t.process_id, "caseReference": t.case_reference,
            "subject": t.subject, "name": t.name, "title": t.title, "lane": t.lane,
            "candidateGroup": t.candidate_group, "assignee": t.assignee, "state": t.state, "formKey": t.form_key,
            "dueAt": iso(t.due_at), "createdAt": iso(t.created_at), "completedAt": iso(t.completed_at),
            "completedBy": t.completed_by}


@dataclass
class TaskFilter:
    mine: bool = False
    my_groups: bool = False
    process_id: str | None = None
    state: str | None = "open"
    case_reference: str | None = None
    subject: str | None = None
    due_before: datetime | None = None
    instance_id: str | None = None
    limit: int = 50
    offset: int = 0


def list_tasks(session: Session, user: Any, f: TaskFilter) -> tuple[list[dict[str, Any]], int]:
    """Tasks visible to ``user`` under the filter, due first, then oldest; with the total count."""
    query = select(TaskRow)
    if f.state:
        query = query.where(TaskRow.state == f.state)
    groups = user.group_names
    if f.mine and f.my_groups:
        query = query.where(or_(TaskRow.assignee == user.username,
                                (TaskRow.assignee.is_(None)) & TaskRow.candidate_group.in_(groups)))
    elif f.mine:
        query = query.where(TaskRow.assignee == user.username)
    elif f.my_groups:
        query = query.where(TaskRow.candidate_group.in_(groups))
    if f.process_id:
        query = query.where(TaskRow.process_id == f.process_id)
    if f.case_reference:
        query = query.where(TaskRow.case_reference == f.case_reference)
    if f.instance_id:
        query = query.where(TaskRow.instance_id == f.instance_id)
    if f.subject:
        query = query.where(TaskRow.subject.ilike(f"%{f.subject}%"))
    if f.due_before:
        query = query.where(TaskRow.due_at <= f.due_before)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at)
                           .limit(f.limit).offset(f.offset)).all()
    return [task_dict(r) for r in rows], total


def get_task_row(session: Session, task_id: str) -> TaskRow:
    row = session.get(TaskRow, task_id)
    if row is None:
        raise NotFound(f"No task {task_id}")
    return row


def get_instance_row(session: Session, instance_id: str) -> Instance:
    row = session.get(Instance, instance_id)
    if row is None:
        raise NotFound(f"No instance {instance_id}")
    return row


def instance_dict(session: Session, row: Instance, *, history: bool = True) -> dict[str, Any]:
    version = session.get(ProcessVersion, row.process_version_id)
    tasks = session.scalars(select(TaskRow).where(TaskRow.instance_id == row.id)
                            .order_by(TaskRow.created_at)).all()
    timers = session.scalars(select(TimerRow).where(TimerRow.instance_id == row.id,
                                                    TimerRow.state == "waiting")).all()
    incidents = session.scalars(select(Incident).where(Incident.instance_id == row.id)
                                .order_by(Incident.created_at)).all()
    out: dict[str, Any] = {
        "id": row.id, "processId": row.process_id, "processVersion": version.version if version else None,
        "caseReference": row.case_reference, "parentCaseReference": row.parent_case_reference,
        "businessKey": row.business_key, "title": row.title, "status": row.status, "version": row.version,
        "startedBy": row.started_by, "createdAt": iso(row.created_at), "updatedAt": iso(row.updated_at),
        "completedAt": iso(row.completed_at),
        "openTasks": [task_dict(t) for t in tasks if t.state == "open"],
        "waitingTimers": [{"id": t.id, "elementId": t.element_id, "name": t.name, "kind": t.kind,
                           "dueAt": iso(t.due_at)} for t in timers],
        "incidents": [incident_dict(i) for i in incidents],
    }
    if history:
        out["history"] = history_of(session, row.id)
        out["decisions"] = decisions_of(session, row.id)
        out["messages"] = [outbox_dict(m) for m in session.scalars(select(OutboxMessage).where(
            OutboxMessage.instance_id == row.id).order_by(OutboxMessage.id))]
    return out


def incident_dict(i: Incident) -> dict[str, Any]:
    return {"id": i.id, "instanceId": i.instance_id, "taskId": i.task_id, "elementId": i.element_id,
            "elementName": i.element_name, "errorType": i.error_type, "message": i.message,
            "lineNumber": i.line_number, "errorLine": i.error_line, "state": i.state,
            "createdAt": iso(i.created_at), "resolvedAt": iso(i.resolved_at), "resolvedBy": i.resolved_by}


def outbox_dict(m: OutboxMessage) -> dict[str, Any]:
    return {"id": m.id, "channel": m.channel, "recipient": m.recipient, "template": m.template,
            "payload": m.payload, "state": m.state, "attempts": m.attempts, "idempotencyKey": m.idempotency_key,
            "createdAt": iso(m.created_at), "sentAt": iso(m.sent_at), "lastError": m.last_error}


def history_of(session: Session, instance_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                           .order_by(AuditEvent.at, AuditEvent.id)).all()
    return [{"at": iso(e.at), "actor": e.actor, "action": e.action, "taskId": e.task_id, "elementId": e.element_id,
             "elementName": e.element_name, "data": e.data} for e in rows]


def decisions_of(session: Session, instance_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(DecisionLog).where(DecisionLog.instance_id == instance_id)
                           .order_by(DecisionLog.at, DecisionLog.id)).all()
    return [decision_dict(d) for d in rows]


def decision_dict(d: DecisionLog) -> dict[str, Any]:
    return {"id": d.id, "decisionId": d.decision_id, "decisionName": d.decision_name, "hitPolicy": d.hit_policy,
            "taskId": d.task_id, "at": iso(d.at), "inputs": d.inputs, "matchedRules": d.matched_rules,
            "outputs": d.outputs}


def list_incidents(session: Session, state: str | None = "open", limit: int = 100) -> list[dict[str, Any]]:
    query = select(Incident).order_by(Incident.created_at.desc()).limit(limit)
    if state:
        query = query.where(Incident.state == state)
    return [incident_dict(i) for i in session.scalars(query)]
