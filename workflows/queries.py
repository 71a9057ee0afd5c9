"""Read models for the API and the inbox: rows only, never a deserialized workflow (except data)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, union_all
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import (
    NO_URGENCY,
    URGENCY_ORDER,
    AuditEvent,
    DecisionLog,
    DefinitionFile,
    Group,
    Incident,
    Instance,
    OutboxMessage,
    ProcessVersion,
    StartTimer,
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
    for each in latest.values():
        each["startTimers"] = []
    for timer in session.scalars(select(StartTimer).where(StartTimer.state.in_(("waiting", "failed")))
                                 .order_by(StartTimer.due_at)):
        if timer.process_id in latest:  # when a timer start event next starts a case, and how many times more
            latest[timer.process_id]["startTimers"].append({
                "elementId": timer.element_id, "kind": timer.kind, "state": timer.state,
                "nextDueAt": iso(timer.due_at), "remaining": None if timer.remaining < 0 else timer.remaining,
                "firedCount": timer.fired_count, "lastError": timer.last_error})
    return list(latest.values())


def task_dict(t: TaskRow) -> dict[str, Any]:
    return {"id": t.id, "instanceId": t.instance_id, "processId": t.process_id, "caseReference": t.case_reference,
            "subject": t.subject, "name": t.name, "title": t.title, "lane": t.lane,
            "candidateGroup": t.candidate_group, "assignee": t.assignee, "state": t.state, "formKey": t.form_key,
            "dueAt": iso(t.due_at), "createdAt": iso(t.created_at), "completedAt": iso(t.completed_at),
            "completedBy": t.completed_by,
            "urgency": URGENCY_ORDER[t.urgency_rank] if 0 <= (t.urgency_rank or 0) < NO_URGENCY else None}


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
    involving: Any = None  # need to know: only tasks of cases the user's work involves (a WHERE term)
    limit: int = 50
    offset: int = 0


def _common_terms(f: TaskFilter) -> list[Any]:
    terms: list[Any] = []
    if f.state:
        terms.append(TaskRow.state == f.state)
    if f.unassigned:
        terms.append(TaskRow.assignee.is_(None))
    if f.involving is not None:
        terms.append(f.involving)
    if f.process_id:
        terms.append(TaskRow.process_id == f.process_id)
    if f.case_reference:
        terms.append(TaskRow.case_reference == f.case_reference)
    if f.instance_id:
        terms.append(TaskRow.instance_id == f.instance_id)
    if f.subject:
        terms.append(TaskRow.subject.ilike(f"%{f.subject}%"))
    if f.due_before:
        # Through coalesce on purpose: a bare range on due_at tempts SQLite into the (state, due_at)
        # index and a table read per row; this way the inbox index answers it (no due date: excluded).
        never = bindparam("not_due", f.due_before + timedelta(days=1), type_=TaskRow.due_at.type)
        terms.append(func.coalesce(TaskRow.due_at, never) <= f.due_before)
    return terms


def task_branches(user: Any, f: TaskFilter) -> list[list[Any]]:
    """The filter as disjoint sets of WHERE terms whose union is the answer.

    "Mine and my groups' claimable" is an OR that no single index answers; as two branches
    (assigned to me | unassigned in my groups) each is a range of the covering ``ix_task_inbox``
    index, so counting never reads the table itself.
    """
    common = _common_terms(f)
    groups = list(user.group_names)
    if f.mine and f.my_groups:
        return [[*common, TaskRow.assignee == user.username],
                [*common, TaskRow.assignee.is_(None), TaskRow.candidate_group.in_(groups)]]
    if f.mine:
        return [[*common, TaskRow.assignee == user.username]]
    if f.my_groups:
        return [[*common, offered_to(groups)]]
    return [common]


def _page_parts(user: Any, f: TaskFilter) -> list[tuple[list[Any], bool]]:
    """Disjoint parts for paging, each with whether ``ix_task_inbox`` returns it in the inbox's order
    (urgency, then due date).

    A group's unassigned tasks are one index range per group, already in that order; one person's
    tasks are few and are sorted.
    """
    common = _common_terms(f)
    groups = list(user.group_names)
    mine = ([*common, TaskRow.assignee == user.username], False)
    if f.mine and f.my_groups:
        return [mine] + [([*common, TaskRow.assignee.is_(None), TaskRow.candidate_group == g], True)
                         for g in groups]
    if f.mine:
        return [mine]
    if f.my_groups:
        # Unassigned only: a range per group. Otherwise assignees sit between group and urgency.
        # An unassigned task is always offered to its group, so that range needs no look at the table.
        offered = [] if f.unassigned else [TaskRow.offered_to_group.is_(True)]
        return [([*common, TaskRow.candidate_group == g, *offered], f.unassigned) for g in groups]
    return [(common, False)]


def list_tasks(session: Session, user: Any, f: TaskFilter,
               known_total: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Tasks visible to ``user`` under the filter in the inbox's order (``INBOX_ORDER``), with the
    total count (``known_total`` when the caller has just counted the same thing)."""
    total = known_total if known_total is not None else sum(
        session.scalar(select(func.count()).select_from(TaskRow).where(*terms)) or 0
        for terms in task_branches(user, f))
    if total <= f.offset or f.limit <= 0:
        return [], total
    # The page's ids first, from the index alone: each part gives its own first offset+limit in the
    # same order, so the first offset+limit of their union are among them; those few are merged and
    # the page's rows read by id.
    enough = f.offset + f.limit
    order = (TaskRow.urgency_rank, TaskRow.due_at, TaskRow.created_at, TaskRow.id)
    columns = (TaskRow.id, TaskRow.urgency_rank, TaskRow.due_at, TaskRow.created_at)
    parts = []
    for terms, in_inbox_order in _page_parts(user, f):
        if in_inbox_order:  # dated, then undated: each one ordered range of the index, no sorting
            pieces = [select(*columns).where(*terms, TaskRow.due_at.is_not(None)).order_by(*order).limit(enough),
                      select(*columns).where(*terms, TaskRow.due_at.is_(None)).order_by(*order).limit(enough)]
        else:
            pieces = [select(*columns).where(*terms).order_by(*_inbox_order(TaskRow)).limit(enough)]
        parts += [select(piece.subquery()) for piece in pieces]
    keys = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    ids = session.scalars(select(keys.c.id).order_by(*_inbox_order(keys.c)).limit(f.limit).offset(f.offset)).all()
    rows = {r.id: r for r in session.scalars(select(TaskRow).where(TaskRow.id.in_(ids)))}
    return [task_dict(rows[i]) for i in ids if i in rows], total


def _inbox_order(c: Any) -> tuple[Any, ...]:
    """INBOX_ORDER: the most urgent case first; within an urgency the earliest due (so the overdue
    come first, and tasks without a due date last, on SQLite and PostgreSQL alike); then the oldest,
    then the id. A total order that does not depend on the time of asking, so pages by offset
    neither skip nor repeat a task while the tasks stay as they are."""
    return (c.urgency_rank, c.due_at.is_(None), c.due_at, c.created_at, c.id)


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


def _version_number(session: Session, version_id: int) -> int | None:
    # Not remembered across sessions: a row id names a different version in another database.
    version = session.get(ProcessVersion, version_id)
    return None if version is None else version.version


def instance_dict(session: Session, row: Instance, *, history: bool = True) -> dict[str, Any]:
    """An instance as the API shows it; without ``history`` only what is open now (cheaper)."""
    task_query = select(TaskRow).where(TaskRow.instance_id == row.id).order_by(TaskRow.created_at)
    if not history:
        task_query = task_query.where(TaskRow.state == "open")
    tasks = session.scalars(task_query).all()
    timers = (session.scalars(select(TimerRow).where(TimerRow.instance_id == row.id, TimerRow.state == "waiting"))
              .all() if row.waiting_timer_count else [])
    incidents = session.scalars(select(Incident).where(Incident.instance_id == row.id)
                                .order_by(Incident.created_at)).all() if history or row.status == "incident" else []
    out: dict[str, Any] = {
        "id": row.id, "processId": row.process_id, "processVersion": _version_number(session, row.process_version_id),
        "caseReference": row.case_reference, "parentCaseReference": row.parent_case_reference,
        "businessKey": row.business_key, "title": row.title, "status": row.status, "version": row.version,
        "startedBy": row.started_by, "createdAt": iso(row.created_at), "updatedAt": iso(row.updated_at),
        "completedAt": iso(row.completed_at), "summary": row.summary or {},
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
            "outputs": d.outputs, "table": {"hash": d.table_hash, "file": d.table_file, "rules": d.rule_ids,
                                            "processVersionId": d.process_version_id}}


def list_incidents(session: Session, state: str | None = "open", limit: int = 100) -> list[dict[str, Any]]:
    query = select(Incident).order_by(Incident.created_at.desc()).limit(limit)
    if state:
        query = query.where(Incident.state == state)
    return [incident_dict(i) for i in session.scalars(query)]


# ---- the web inbox and case page ----------------------------------------------------------------
def task_counts(session: Session, user: Any, now: datetime) -> dict[str, int]:
    """Open tasks assigned to ``user``, unassigned ones offered to their groups, and how many of
    either are overdue: each counted from the inbox index alone."""
    mine, claimable = task_branches(user, TaskFilter(mine=True, my_groups=True))
    overdue = func.sum(case((TaskRow.due_at < now, 1), else_=0))
    out = {}
    for name, terms in (("mine", mine), ("claimable", claimable)):
        count, late = session.execute(select(func.count(), overdue).where(*terms)).one()
        out[name], out[f"{name}_overdue"] = int(count or 0), int(late or 0)
    out["overdue"] = out.pop("mine_overdue") + out.pop("claimable_overdue")
    return out


def bpmn_of_instance(session: Session, instance_id: str) -> str:
    """The BPMN XML of the process version ``instance_id`` runs on (for the diagram viewer)."""
    row = get_instance_row(session, instance_id)
    version = session.get(ProcessVersion, row.process_version_id)
    stored = session.get(DefinitionFile, version.bpmn_hash) if version else None
    if stored is None:
        raise NotFound(f"No diagram stored for instance {instance_id}")
    return stored.content


def involving(username: str, groups: Any) -> Any:
    """A condition on Instance: the case had or has work for ``username`` or ``groups``, or they started it."""
    worked = select(TaskRow.instance_id).where(or_(
        TaskRow.assignee == username, TaskRow.completed_by == username, offered_to(groups)))
    return or_(Instance.started_by == username, Instance.id.in_(worked))


def tasks_of_cases_involving(username: str, groups: Any) -> Any:
    """A condition on TaskRow: the task belongs to a case that involves ``username`` or ``groups``."""
    return TaskRow.instance_id.in_(select(Instance.id).where(involving(username, groups)))


def offered_to(groups: Any) -> Any:
    """A condition on TaskRow: offered to one of ``groups`` (not a task the diagram gave one person)."""
    return and_(TaskRow.candidate_group.in_(list(groups)), TaskRow.offered_to_group.is_(True))


def case_involves(session: Session, instance_id: str, username: str, groups: Any) -> bool:
    """Whether the case had or has work for ``username`` or one of ``groups``, or they started it."""
    row = get_instance_row(session, instance_id)
    if row.started_by == username:
        return True
    hit = session.scalar(select(TaskRow.id).where(
        TaskRow.instance_id == instance_id,
        or_(TaskRow.assignee == username, TaskRow.completed_by == username, offered_to(groups))).limit(1))
    return hit is not None


def group_members(session: Session, group: str | None) -> list[dict[str, str]]:
    """Active users who may be given a task of ``group`` (everyone active when it has no group)."""
    query = select(User).where(User.active.is_(True)).order_by(User.display_name)
    if group:
        query = query.where(User.groups.any(Group.name == group))
    return [{"username": u.username, "displayName": u.display_name} for u in session.scalars(query)]
