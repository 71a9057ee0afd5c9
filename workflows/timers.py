"""Firing durable timer rows and escalating overdue tasks (DESIGN.md decision 3).

A timer row is claimed, fired and marked fired in one transaction: on PostgreSQL the claim is
``SELECT ... FOR UPDATE SKIP LOCKED`` over the timer and its instance (so two workers never take
the same row and never wait on each other's instance); on SQLite every write transaction begins
IMMEDIATE, so the claim is a single-writer lock. A worker killed mid-step rolls back: the row is
still waiting and fires, once, when a worker next polls.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased, undefer

from .engine import KnownRows, find_task
from .models import AuditEvent, Group, Incident, Instance, OutboxMessage, TaskEscalation, TaskRow, TimerRow, utcnow
from .spiff_bridge import StepContext
from .timeutil import add_duration

if TYPE_CHECKING:
    from .runtime import Runtime


class TimerFailed(Exception):
    """Firing a timer raised something that is not a diagram error (those become incidents)."""

    def __init__(self, timer_id: str, error: BaseException) -> None:
        super().__init__(f"timer {timer_id}: {error}")
        self.timer_id = timer_id
        self.error = error


def timer_not_held(timer: Any = TimerRow) -> Any:
    """A timer of a suspended (or cancelled) case waits: it fires once the case is resumed, if due."""
    held = aliased(Instance)  # its own name: the claim query may join Instance itself
    return ~exists().where(held.id == timer.instance_id, held.status.in_(("suspended", "terminated")))


def _claim_query(runtime: Runtime, clock: datetime, timer_id: str | None, limit: int = 1, *,
                 with_next_due: bool = False) -> Any:
    """Due timers with their instances, most overdue first, the state loaded in the same statement.

    On PostgreSQL both rows are locked (``FOR UPDATE ... SKIP LOCKED``): a worker skips a timer whose
    instance another worker or a request is stepping, instead of queueing behind it (and deadlocking
    when that step cancels this timer). Holding the instance row from the claim on is what lets the
    step load it from this result without a further ``SELECT ... FOR UPDATE`` and a second query for
    the deferred state: each of those is a round trip per timer, and round trips, not the database's
    work, are what a timer costs on PostgreSQL.
    """
    query = (select(TimerRow, Instance).join(Instance, Instance.id == TimerRow.instance_id)
             .where(TimerRow.state == "waiting", TimerRow.due_at <= clock,
                    Instance.status.not_in(("suspended", "terminated")))  # as timer_not_held(), joined
             .options(undefer(Instance.state)))
    if with_next_due:  # when the first timer not yet due falls due: spares the scheduler a look of its own
        later = aliased(TimerRow)
        query = query.add_columns(select(func.min(later.due_at)).where(
            later.state == "waiting", later.due_at > clock, timer_not_held(later)).scalar_subquery())
    if timer_id is not None:
        query = query.where(TimerRow.id == timer_id)
    query = query.order_by(TimerRow.due_at).limit(limit)
    if runtime.db.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=[TimerRow, Instance])
    return query


def any_due(runtime: Runtime, now: datetime | None = None) -> bool:
    """A lock-free look: is any timer due? (saves taking the write lock to find nothing)."""
    with runtime.db.reading() as session:
        return session.scalar(select(exists().where(TimerRow.state == "waiting", TimerRow.due_at <= (now or utcnow()),
                                                    timer_not_held()))) or False


def next_due(runtime: Runtime) -> datetime | None:
    """When the next waiting timer falls due (lock-free)."""
    with runtime.db.reading() as session:
        return session.scalar(select(func.min(TimerRow.due_at)).where(TimerRow.state == "waiting", timer_not_held()))


def fire(runtime: Runtime, timer_id: str | None = None, now: datetime | None = None) -> str | None:
    """Claim one due timer (``timer_id``, or the most overdue one) and fire it in one transaction.

    Returns the fired timer's id, or None when nothing was due or another worker holds it.
    ``now`` moves the runtime's clock (tests); lag is then recorded as zero.
    """
    clock = now or utcnow()
    claimed: str | None = None
    try:
        with runtime.transaction() as session:
            found = session.execute(_claim_query(runtime, clock, timer_id)).first()
            if found is None:
                return None
            timer = found[0]  # ``found`` holds the instance too (the session's references are weak)
            claimed = timer.id
            return timer.id if _fire_in(runtime, session, timer, clock, forced=now is not None) else None
    except Exception as exc:
        if claimed is None or _transient(exc):
            raise
        raise TimerFailed(claimed, exc) from exc


class _BatchSpoiled(Exception):
    """A timer's step raised in a batch fired without savepoints: the batch rolls back and is fired again."""


class Batch(NamedTuple):
    fired: list[str]
    failed: list[TimerFailed]
    next_due: datetime | None  # when the first timer not due at the claim falls due (None: none, or none claimed)


def fire_batch(runtime: Runtime, limit: int = 25, now: datetime | None = None) -> Batch:
    """Claim up to ``limit`` due timers and fire them in one transaction.

    When many timers fall due together the commit (and on PostgreSQL its flush to disk) is paid
    once per batch instead of once per timer, and so are the queries: one claims the timers with
    their instances, one finds which of those instances have open tasks or other waiting timers
    (the steps' projections need not look), and the steps' writes go in one flush at the end. A
    timer whose step fails is rolled back alone and returned for the caller to turn into an
    incident; the others commit. Savepoints (two round trips per timer) are only paid for when one
    fails: the batch is first fired without them, and fired again, one savepoint each, in the rare
    case that one raises.
    """
    clock = now or utcnow()
    try:
        return _fire_claimed(runtime, clock, limit, forced=now is not None, isolate=False)
    except _BatchSpoiled:
        return _fire_claimed(runtime, clock, limit, forced=now is not None, isolate=True)


def _fire_claimed(runtime: Runtime, clock: datetime, limit: int, *, forced: bool, isolate: bool) -> Batch:
    fired: list[str] = []
    failed: list[TimerFailed] = []
    with runtime.transaction() as session:
        if not isolate:
            runtime.defer_flushes(session)
        # The rows hold their instances: the session keeps only weak references to unchanged objects.
        claimed = session.execute(_claim_query(runtime, clock, None, limit, with_next_due=True)).all()
        next_due = claimed[0][2] if claimed else None
        known = _known_rows(session, [timer for timer, _instance, _next in claimed])
        for timer, _instance, _next in claimed:
            steps = runtime.steps_taken(session)
            try:
                if isolate:
                    with session.begin_nested():
                        done = _fire_in(runtime, session, timer, clock, forced=forced, known=known)
                else:
                    done = _fire_in(runtime, session, timer, clock, forced=forced, known=known)
                if done:
                    fired.append(timer.id)
            except Exception as exc:  # noqa: BLE001  one bad timer must not hold back the batch
                if _transient(exc):
                    raise
                runtime.cache.drop(timer.instance_id)
                runtime.forget_steps(session, steps)  # rolled back: their workflows must not be cached
                if not isolate:
                    raise _BatchSpoiled() from exc
                failed.append(TimerFailed(timer.id, exc))
        if isolate:
            next_due = None  # the steps may have set timers the claim could not see: the scheduler looks
        else:
            next_due = _earliest(next_due, session)
            try:
                runtime.flush(session)
            except Exception as exc:
                if _transient(exc):
                    raise
                raise _BatchSpoiled() from exc  # fired again one by one, to find the timer at fault
    return Batch(fired, failed, _aware(next_due))


def _earliest(next_due: datetime | None, session: Session) -> datetime | None:
    """``next_due``, or sooner when a step in the batch set a timer (still unwritten) falling due before it."""
    set_now = [_aware(o.due_at) for o in (*session.new, *session.dirty)
               if isinstance(o, TimerRow) and o.state == "waiting" and o.due_at is not None]
    return min([moment for moment in (_aware(next_due), *set_now) if moment is not None], default=None)


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def _known_rows(session: Session, timers: list[TimerRow]) -> dict[str, KnownRows]:
    """Which claimed instances have no open task and no waiting timer but the claimed ones: their
    steps' projections need not query for them. One query for the batch; the instances are held
    (locked on PostgreSQL, the write lock on SQLite), so nothing else changes these rows meanwhile."""
    if not timers:
        return {}
    instance_ids = list({t.instance_id for t in timers})
    claimed_ids = [t.id for t in timers]
    busy = set(session.scalars(
        select(TaskRow.instance_id).where(TaskRow.instance_id.in_(instance_ids), TaskRow.state == "open")
        .union(select(TimerRow.instance_id).where(TimerRow.instance_id.in_(instance_ids),
                                                  TimerRow.state == "waiting", TimerRow.id.not_in(claimed_ids)))))
    return {instance_id: KnownRows(open_tasks=[], waiting_timers=[t for t in timers if t.instance_id == instance_id])
            for instance_id in instance_ids if instance_id not in busy}


def _fire_in(runtime: Runtime, session: Session, timer: TimerRow, clock: datetime, *, forced: bool,
             known: dict[str, KnownRows] | None = None) -> bool:
    # The claim query loaded (and on PostgreSQL locked) the instance row: no second lock needed.
    row, wf = runtime.load(session, timer.instance_id)
    task = find_task(wf, timer.id)
    if task is None or task.state != TaskState.WAITING:
        timer.state = "cancelled"  # the workflow moved on without it (e.g. an interrupting event)
        return False
    fired_at = utcnow()
    timer.state, timer.fired_at = "fired", fired_at
    timer.lag_seconds = 0.0 if forced else max(0.0, (fired_at - timer.due_at).total_seconds())
    ctx = StepContext(row.id, row.case_reference, "timer")
    ctx.known = known.get(row.id) if known else None  # dropped by the step if the batch stepped it before
    ctx.audit.append({"action": "timer_fired", "task_id": timer.id, "element_id": timer.element_id,
                      "element_name": timer.name, "data": {"due": timer.due_at.isoformat(),
                                                           "lag_seconds": timer.lag_seconds}})

    def act() -> None:
        _force(task, timer.due_at, wf)

    runtime.step(session, row, wf, ctx, act)
    return True


def _force(task: Any, due: datetime, wf: Any) -> None:
    """Make SpiffWorkflow fire the timer now, whatever its own clock says (ours may be moved by tests).

    A cycle keeps its schedule: the next occurrence is the one that fell due plus the interval, not
    "now plus the interval" (nor, as forcing by a date in the past would give, every cycle at once).
    """
    definition = task.task_spec.event_definition
    value = task.internal_data.get("event_value")
    if isinstance(definition, CycleTimerEventDefinition) and isinstance(value, dict):
        value["next"] = (utcnow() - timedelta(seconds=1)).isoformat()
        wf.refresh_timers()
        after = task.internal_data.get("event_value")
        if isinstance(after, dict) and after.get("cycles", 0) != 0:
            every = after.get("every")  # careflow's cycles count months and working days as a calendar does
            after["next"] = (add_duration(due, every) if every else
                             due + timedelta(seconds=float(after["duration"]))).isoformat()
        return
    task.internal_data["event_fired"] = True
    wf.refresh_timers()


def _transient(exc: BaseException) -> bool:
    """Errors worth trying again later: the database was busy or gone, or someone changed the case."""
    from sqlalchemy.exc import DBAPIError

    from .errors import Conflict

    return isinstance(exc, (DBAPIError, Conflict))


def mark_failed(runtime: Runtime, timer_id: str, error: BaseException) -> None:
    """A timer that cannot fire becomes an incident on its instance instead of blocking the queue.

    Retrying the incident steps the instance again, which puts the timer back to waiting.
    """
    with runtime.db.transaction() as session:
        timer = session.get(TimerRow, timer_id, with_for_update=True)
        if timer is None or timer.state != "waiting":
            return
        timer.state = "failed"
        now = utcnow()
        incident = Incident(instance_id=timer.instance_id, task_id=timer.id, element_id=timer.element_id,
                            element_name=timer.name, error_type=type(error).__name__,
                            message=f"The timer could not fire: {error}"[:4000], created_at=now)
        session.add(incident)
        session.add(AuditEvent(instance_id=timer.instance_id, at=now, actor="timer", action="incident_raised",
                               task_id=timer.id, element_id=timer.element_id, element_name=timer.name,
                               data={"message": incident.message}))
        instance = session.get(Instance, timer.instance_id)
        if instance is not None:
            instance.status = "incident"


# ---- task due dates ---------------------------------------------------------------------------
def escalate_overdue_tasks(runtime: Runtime, now: datetime | None = None, *, channel: str = "email",
                           default_manager_group: str = "team_managers", limit: int = 200) -> int:
    """Escalate each open task past its due date, once: an audit event and a message to the
    manager group of the task's group (``Group.manager_group``, else ``default_manager_group``)."""
    clock = now or utcnow()
    due = (select(TaskRow.id).where(TaskRow.state == "open", TaskRow.due_at <= clock,
                                    ~exists().where(TaskEscalation.task_id == TaskRow.id))
           .order_by(TaskRow.due_at).limit(limit))
    with runtime.db.reading() as session:
        task_ids = list(session.scalars(due))
    done = 0
    for task_id in task_ids:
        with runtime.db.transaction() as session:
            done += _escalate(session, task_id, clock, channel, default_manager_group)
    return done


def _escalate(session: Session, task_id: str, clock: datetime, channel: str, default_group: str) -> int:
    task = session.get(TaskRow, task_id, with_for_update=True)
    if task is None or task.state != "open" or session.get(TaskEscalation, task_id) is not None:
        return 0
    group = session.scalars(select(Group).where(Group.name == task.candidate_group)).first() \
        if task.candidate_group else None
    manager_group = (group.manager_group if group is not None else None) or default_group
    key = f"escalation:{task_id}"
    session.add(TaskEscalation(task_id=task_id, instance_id=task.instance_id, manager_group=manager_group,
                               escalated_at=clock))
    session.add(OutboxMessage(
        instance_id=task.instance_id, task_id=task_id, idempotency_key=key, channel=channel,
        recipient=f"group:{manager_group}", template="task_overdue", created_at=clock, next_attempt_at=clock,
        payload={"taskTitle": task.title, "caseReference": task.case_reference, "subject": task.subject or "",
                 "dueAt": task.due_at.isoformat() if task.due_at else "", "group": task.candidate_group or "",
                 "assignee": task.assignee or "nobody", "managerGroup": manager_group}))
    session.add(AuditEvent(instance_id=task.instance_id, at=clock, actor="timer", action="task_escalated",
                           task_id=task_id, element_id=task.name, element_name=task.title,
                           data={"managerGroup": manager_group, "dueAt": task.due_at.isoformat()
                                 if task.due_at else None}))
    return 1
