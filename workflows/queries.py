"""Read models for the API and the inbox: rows only, never a deserialized workflow (except data)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import (
    AuditEvent,
    DecisionLog,
    DefinitionFile,
    Group,
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
    unassigned: bool = False
    limit: int = 50
    offset: int = 0


def task_conditions(user: Any, f: TaskFilter) -> list[Any]:
    """The WHERE terms of :func:`list_tasks`, for reuse by counts."""
    terms: list[Any] = []
    if f.state:
        terms.append(TaskRow.state == f.state)
    groups = list(user.group_names)
    if f.mine and f.my_groups:
        terms.append(or_(TaskRow.assignee == user.username,
                         (TaskRow.assignee.is_(None)) & TaskRow.candidate_group.in_(groups)))
    elif f.mine:
        terms.append(TaskRow.assignee == user.username)
    elif f.my_groups:
        terms.append(TaskRow.candidate_group.in_(groups))
    if f.unassigned:
        terms.append(TaskRow.assignee.is_(None))
    if f.process_id:
        terms.append(TaskRow.process_id == f.process_id)
    if f.case_reference:
        terms.append(TaskRow.case_reference == f.case_reference)
    if f.instance_id:
        terms.append(TaskRow.instance_id == f.instance_id)
    if f.subject:
        terms.append(TaskRow.subject.ilike(f"%{f.subject}%"))
    if f.due_before:
        terms.append(TaskRow.due_at <= f.due_before)
    return terms


def list_tasks(session: Session, user: Any, f: TaskFilter) -> tuple[list[dict[str, Any]], int]:
    """Tasks visible to ``user`` under the filter, due first, then oldest; with the total count."""
    terms = task_conditions(user, f)
    # Counted straight off the table (no subquery), so the database can answer from its indexes.
    total = session.scalar(select(func.count()).select_from(TaskRow).where(*terms)) or 0
    rows = session.scalars(select(TaskRow).where(*terms)
                           .order_by(TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at)
                           .limit(f.limit).offset(f.offset)).all() if total > f.offset else []
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


_VERSION_NUMBERS: dict[int, int] = {}  # process version id -> its number (versions never change)


def _version_number(session: Session, version_id: int) -> int | None:
    if version_id not in _VERSION_NUMBERS:
        version = session.get(ProcessVersion, version_id)
        if version is None:
            return None
        _VERSION_NUMBERS[version_id] = version.version
    return _VERSION_NUMBERS[version_id]


def instance_dict(session: Session, row: Instance, *, history: bool = True) -> dict[str, Any]:
    """An instance as the API shows it; without ``history`` only what is open now (cheaper)."""
    task_query = select(TaskRow).where(TaskRow.instance_id == row.id).order_by(TaskRow.created_at)
    if not history:
        task_query = task_query.where(TaskRow.state == "open")
    tasks = session.scalars(task_query).all()
    timers = session.scalars(select(TimerRow).where(TimerRow.instance_id == row.id,
                                                    TimerRow.state == "waiting")).all() if row.waiting_timer_count else []
    incidents = session.scalars(select(Incident).where(Incident.instance_id == row.id)
                                .order_by(Incident.created_at)).all() if history or row.status == "incident" else []
    out: dict[str, Any] = {
        "id": row.id, "processId": row.process_id, "processVersion": _version_number(session, row.process_version_id),
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


# ---- the web inbox, case page and provider-failure dashboard ---------------------------------
def task_counts(session: Session, user: Any, now: datetime) -> dict[str, int]:
    """Open tasks assigned to ``user``, unassigned ones offered to their groups, and how many of
    either are overdue: one pass over the same rows the inbox lists."""
    terms = task_conditions(user, TaskFilter(mine=True, my_groups=True))
    mine = func.sum(case((TaskRow.assignee == user.username, 1), else_=0))
    claimable = func.sum(case((TaskRow.assignee.is_(None), 1), else_=0))
    overdue = func.sum(case((TaskRow.due_at < now, 1), else_=0))
    row = session.execute(select(mine, claimable, overdue).where(*terms)).one()
    return {"mine": int(row[0] or 0), "claimable": int(row[1] or 0), "overdue": int(row[2] or 0)}


def bpmn_of_instance(session: Session, instance_id: str) -> str:
    """The BPMN XML of the process version ``instance_id`` runs on (for the diagram viewer)."""
    row = get_instance_row(session, instance_id)
    version = session.get(ProcessVersion, row.process_version_id)
    stored = session.get(DefinitionFile, version.bpmn_hash) if version else None
    if stored is None:
        raise NotFound(f"No diagram stored for instance {instance_id}")
    return stored.content


def case_involves(session: Session, instance_id: str, username: str, groups: Any) -> bool:
    """Whether the case had or has work for ``username`` or one of ``groups``, or they started it."""
    row = get_instance_row(session, instance_id)
    if row.started_by == username:
        return True
    hit = session.scalar(select(TaskRow.id).where(
        TaskRow.instance_id == instance_id,
        or_(TaskRow.assignee == username, TaskRow.completed_by == username,
            TaskRow.candidate_group.in_(list(groups)))).limit(1))
    return hit is not None


def group_members(session: Session, group: str | None) -> list[dict[str, str]]:
    """Active users who may be given a task of ``group`` (everyone active when it has no group)."""
    query = select(User).where(User.active.is_(True)).order_by(User.display_name)
    if group:
        query = query.where(User.groups.any(Group.name == group))
    return [{"username": u.username, "displayName": u.display_name} for u in session.scalars(query)]


def incident_of(session: Session, case_reference: str) -> Instance:
    """The newest instance carrying ``case_reference`` (a case may continue in a fresh instance)."""
    row = session.scalars(select(Instance).where(Instance.case_reference == case_reference)
                          .order_by(Instance.created_at.desc()).limit(1)).first()
    if row is None:
        raise NotFound(f"No case {case_reference}")
    return row


def incident_cases(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """Cases with linked person cases, or of a provider-failure process, newest first."""
    parents = select(Instance.parent_case_reference).where(
        Instance.parent_case_reference.is_not(None)).distinct()
    rows = session.execute(
        select(Instance.id, Instance.case_reference, Instance.title, Instance.process_id, Instance.status,
               Instance.created_at)
        .where(or_(Instance.case_reference.in_(parents),
                   Instance.process_id.in_(("provider_failure", "managing_provider_failure"))))
        .order_by(Instance.created_at.desc()).limit(limit)).all()
    counts = dict(session.execute(
        select(Instance.parent_case_reference, func.count()).where(
            Instance.parent_case_reference.in_([r.case_reference for r in rows]))
        .group_by(Instance.parent_case_reference)).all()) if rows else {}
    seen: set[str] = set()
    out = []
    for r in rows:
        if r.case_reference in seen:
            continue
        seen.add(r.case_reference)
        out.append({"id": r.id, "caseReference": r.case_reference, "title": r.title, "processId": r.process_id,
                    "status": r.status, "createdAt": iso(r.created_at), "people": counts.get(r.case_reference, 0)})
    return out


def person_cases(session: Session, parent_case_reference: str) -> list[dict[str, Any]]:
    """The cases linked to an incident, without their workflow state (there may be thousands)."""
    rows = session.execute(
        select(Instance.id, Instance.case_reference, Instance.title, Instance.process_id, Instance.status,
               Instance.summary, Instance.created_at, Instance.completed_at)
        .where(Instance.parent_case_reference == parent_case_reference)
        .order_by(Instance.created_at)).all()
    return [{"id": r.id, "caseReference": r.case_reference, "title": r.title, "processId": r.process_id,
             "status": r.status, "summary": r.summary if isinstance(r.summary, dict) else {},
             "createdAt": r.created_at, "completedAt": r.completed_at} for r in rows]
