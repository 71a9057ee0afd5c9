"""Stepping a workflow inside one transaction and keeping its projections true.

A step: load the instance (from a small cache when the version matches), act on it, run
engine steps, serialize, and write the state with its version check together with the task,
timer, subscription, audit, decision, outbox and incident rows. A SpiffWorkflow failure inside
the step becomes an incident row; the state is kept so the instance can be retried.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import (
    AuditEvent,
    DecisionLog,
    Incident,
    Instance,
    MessageSubscription,
    OutboxMessage,
    TaskRow,
    TimerRow,
    urgency_rank,
    utcnow,
)
from .pruning import prune_history
from .service_tasks import HandlerContext, HandlerError, HandlerLookup
from .spiff_bridge import StepContext, current_step, service_result
from .spiff_events import event_subprocess_message_starts, settle_event_subprocesses
from .timeutil import parse_due


def all_workflows(wf: BpmnWorkflow) -> list[Any]:
    return [wf, *wf.subprocesses.values()]


def find_task(wf: BpmnWorkflow, task_id: str) -> Any:
    """The task with this id, or None: not a well-formed id, or gone (finished history is pruned)."""
    import uuid

    try:
        return wf.get_task_from_id(uuid.UUID(str(task_id)))
    except (ValueError, TaskNotFoundException):
        return None


def pruned_state(wf: BpmnWorkflow, task_id: str) -> int | None:
    """The state a task had when this step pruned it (the projection still needs to know)."""
    import uuid

    try:
        return (getattr(wf, "careflow_pruned", None) or {}).get(uuid.UUID(str(task_id)))
    except ValueError:
        return None


def tasks_in(wf: BpmnWorkflow, state: int, **kwargs: Any) -> list[Any]:
    found = []
    for each in all_workflows(wf):
        found.extend(each.get_tasks(state=state, max_depth=100000, **kwargs))
    return found


def call_service(handlers: HandlerLookup, task: Any, operation_name: str,
                 operation_params: dict[str, Any]) -> str:
    """SpiffWorkflow's service-task hook: find the handler by name, give it inputs and a context."""
    ctx = current_step.get()
    handler = handlers(operation_name)
    inputs = {name: param.get("value") for name, param in (operation_params or {}).items()}
    hctx = HandlerContext(instance_id=ctx.instance_id if ctx else "", case_reference=ctx.case_reference if ctx
                          else "", task_id=str(task.id), element_id=task.task_spec.bpmn_id,
                          now=ctx.now if ctx else utcnow(), session=ctx.session if ctx else None)
    try:
        outputs = handler(inputs, hctx)
    except HandlerError as exc:
        exc.task = task  # type: ignore[attr-defined]  # the incident names its step, so a retry can run it
        raise
    if ctx is not None:
        for message in hctx.queued:
            ctx.outbox.append({**message, "task_id": str(task.id)})
        ctx.audit.append({"action": "service_called", "task_id": str(task.id),
                          "element_id": task.task_spec.bpmn_id, "element_name": task.task_spec.bpmn_name,
                          "data": {"handler": operation_name, "queued": len(hctx.queued)}})
    return service_result(outputs)


class WorkflowCache:
    """Deserialized workflows by instance id, valid only while the stored version is unchanged."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, instance_id: str, version: int) -> BpmnWorkflow | None:
        with self._lock:
            found = self._items.pop(instance_id, None)
        # Taken out while in use: two threads never step the same object at once.
        if found and found[0] == version:
            return found[1]
        return None

    def put(self, instance_id: str, version: int, wf: BpmnWorkflow) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[instance_id] = (version, wf)
            self._items.move_to_end(instance_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def drop(self, instance_id: str) -> None:
        with self._lock:
            self._items.pop(instance_id, None)


class StepFailed(Exception):
    """Raised inside a step when SpiffWorkflow reported an error on a task (becomes an incident)."""

    def __init__(self, error: BaseException, task: Any | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.task = task


MAX_TASKS_PER_STEP = 50_000  # a diagram looping without ever waiting becomes an incident, not a hung worker
PRUNE_EVERY = 100  # engine tasks run between two prunings of finished history


class EndlessLoop(Exception):
    """The engine ran more tasks in one step than any real case needs: the diagram loops without waiting."""

    def __init__(self, task: Any, count: int) -> None:
        super().__init__(f"The process ran {count} steps without waiting for anything; it seems to loop forever "
                         f"(last at '{task.task_spec.bpmn_name or task.task_spec.bpmn_id}')")
        self.task = task


def run_engine(wf: BpmnWorkflow, *, max_tasks: int = MAX_TASKS_PER_STEP) -> StepFailed | None:
    """Run engine steps until only user tasks and future waits are left; a failing script, expression,
    decision or handler is returned, not raised. Finished history is pruned as the engine goes
    (DESIGN.md decision 8), and a timer already due when the engine stops is fired at once."""
    ran = 0

    def after_each(task: Any) -> None:
        nonlocal ran
        ran += 1
        if ran % PRUNE_EVERY == 0:
            prune_history(wf)
        if ran > max_tasks:
            raise EndlessLoop(task, ran)

    try:
        for _ in range(1000):  # each pass fires the timers that fell due during the last
            wf.do_engine_steps(did_complete_task=after_each)
            settled = settle_event_subprocesses(wf)  # the process ended: event sub-processes never started end
            if not settled and not any(not t.task_spec.manual for t in tasks_in(wf, TaskState.READY)):
                break
    except Exception as exc:  # noqa: BLE001  every diagram-caused failure becomes an incident
        failed = tasks_in(wf, TaskState.ERROR)
        task = getattr(exc, "task", None) or (failed[0] if failed else None)
        if task is None and not isinstance(exc, HandlerError):
            raise
        return StepFailed(exc, task)
    finally:
        prune_history(wf)
    return None


def reached_end(wf: BpmnWorkflow) -> bool:
    """The case ended: its process's end was reached and nothing is left open in it.

    Never ``wf.is_completed()`` alone: its task iterator stops at depth 1000 and then says True."""
    if not wf.completed:
        return False
    return not any(t.state & (TaskState.DEFINITE_MASK | TaskState.ERROR) for t in wf.tasks.values())


def incident_from(failure: StepFailed) -> dict[str, Any]:
    exc = failure.error
    task = failure.task
    message = str(exc)
    inner = getattr(exc, "exception", None)
    if isinstance(inner, HandlerError):
        message = f"Handler failed: {inner}"
    line = getattr(exc, "line_number", None)
    return {
        "task_id": str(task.id) if task is not None else None,
        "element_id": task.task_spec.bpmn_id if task is not None else None,
        "element_name": task.task_spec.bpmn_name if task is not None else None,
        "error_type": getattr(exc, "error_type", None) or type(inner or exc).__name__,
        "message": message[:4000],
        "line_number": line if isinstance(line, int) and line > 0 else None,
        "error_line": getattr(exc, "error_line", None) or None,
    }


def timer_kind(definition: Any) -> str:
    if isinstance(definition, CycleTimerEventDefinition):
        return "cycle"
    if isinstance(definition, TimeDateEventDefinition):
        return "date"
    return "duration"


def timer_of(definition: Any) -> Any:
    """The timer a waiting task waits for: its own, or one of an event-based gateway's events."""
    if isinstance(definition, TimerEventDefinition):
        return definition
    for child in getattr(definition, "event_definitions", None) or []:
        if isinstance(child, TimerEventDefinition):
            return child
    return None


def messages_of(definition: Any) -> list[Any]:
    """The messages a waiting task waits for (an event-based gateway may wait for several); a signal
    is waited for as the message ``signal:<name>`` (``workflows/throws.py``)."""
    from .throws import waited_signals

    if isinstance(definition, MessageEventDefinition):
        return [definition]
    children = getattr(definition, "event_definitions", None) or []
    return [c for c in children if isinstance(c, MessageEventDefinition)] + waited_signals(definition)


@dataclass
class KnownRows:
    """An instance's open task rows and waiting timer rows, read by the caller while it held the
    instance and before anything stepped it in this transaction; None: not known, the projection
    queries them. Each query is a round trip, and round trips are what a timer costs on PostgreSQL."""

    open_tasks: list[TaskRow] | None = None
    waiting_timers: list[TimerRow] | None = None


class Projector:
    """Writes the rows that are queried instead of the workflow (DESIGN.md decision 1)."""

    def __init__(self, session: Session, row: Instance, properties: dict[str, dict[str, str]], *,
                 new_instance: bool = False, known: KnownRows | None = None) -> None:
        self.session = session
        self.row = row
        self.properties = properties
        self.new_instance = new_instance  # nothing projected yet: no rows to look up
        self.known = known or KnownRows()

    def project(self, wf: BpmnWorkflow, ctx: StepContext) -> None:
        # What happened during the step first (in the order it happened), then what it left open.
        for event in ctx.audit:
            self.audit(ctx, event["action"], task_id=event.get("task_id"), element_id=event.get("element_id"),
                       element_name=event.get("element_name"), data=event.get("data"))
        for record in ctx.decisions:
            self.session.add(DecisionLog(instance_id=self.row.id, task_id=record.get("task_id"),
                                         decision_id=record.get("decision", ""),
                                         decision_name=record.get("decisionName"),
                                         hit_policy=record.get("hitPolicy"), at=ctx.now,
                                         inputs=record.get("inputs") or {},
                                         matched_rules=record.get("matchedRules") or [],
                                         outputs=record.get("value"), table_hash=record.get("dmn_hash"),
                                         table_file=record.get("table_file"),
                                         process_version_id=self.row.process_version_id,
                                         rule_ids=rule_ids(record.get("matchedRules") or [])))
        for message in ctx.outbox:
            self.session.add(OutboxMessage(instance_id=self.row.id, task_id=message.get("task_id"),
                                           idempotency_key=message["idempotency_key"], channel=message["channel"],
                                           recipient=message.get("recipient"), template=message["template"],
                                           payload=message.get("payload") or {}, created_at=ctx.now,
                                           next_attempt_at=ctx.now))
        ready, waiting = [], []
        for task in tasks_in(wf, TaskState.READY | TaskState.WAITING):
            if task.state == TaskState.WAITING:
                waiting.append(task)
            elif task.task_spec.manual:
                ready.append(task)
        self._tasks(wf, ready, ctx)
        self._timers(waiting)
        self._subscriptions(waiting, wf)

    def audit(self, ctx: StepContext, action: str, **fields: Any) -> None:
        self.session.add(audit_event(self.row.id, ctx, action, **fields))

    def _tasks(self, wf: BpmnWorkflow, ready_tasks: list[Any], ctx: StepContext) -> None:
        ready = {str(t.id): t for t in ready_tasks}
        if self.new_instance:
            open_rows: dict[str, TaskRow] = {}
        elif self.known.open_tasks is not None:
            open_rows = {r.id: r for r in self.known.open_tasks}
        else:
            open_rows = {r.id: r for r in self.session.scalars(select(TaskRow).where(
                TaskRow.instance_id == self.row.id, TaskRow.state == "open"))}
        for task_id, row in open_rows.items():
            if task_id not in ready:
                task = find_task(wf, task_id)
                state = task.state if task is not None else pruned_state(wf, task_id)
                done = state == TaskState.COMPLETED
                row.state = "completed" if done else "cancelled"
                row.completed_at = ctx.now
                if done:
                    row.completed_by = row.completed_by or ctx.actor
                else:
                    self.audit(ctx, "task_cancelled", task_id=task_id, element_id=row.name,
                               element_name=row.title)
        for task_id, task in ready.items():
            if task_id in open_rows:
                continue
            spec = task.task_spec
            props = self.properties.get(spec.bpmn_id, {})
            lane = getattr(spec, "lane", None)
            group = (property_value(props.get("candidateGroup"), task.data)
                     or (group_for_lane(lane) if lane else None))
            assignee = property_value(props.get("assignee"), task.data)
            title = props.get("title") or spec.bpmn_name or spec.bpmn_id
            self.session.add(TaskRow(
                id=task_id, instance_id=self.row.id, process_id=self.row.process_id,
                case_reference=self.row.case_reference, subject=self.row.title, name=spec.bpmn_id, title=title,
                lane=lane, candidate_group=group, assignee=assignee, offered_to_group=assignee is None,
                state="open", form_key=props.get("formKey"),
                due_at=parse_due(props, task, ctx.now), urgency_rank=urgency_rank(self.row.summary),
                created_at=ctx.now))
            self.audit(ctx, "task_opened", task_id=task_id, element_id=spec.bpmn_id, element_name=title,
                       data={"group": group} if group else None)

    def _timers(self, waiting_tasks: list[Any]) -> None:
        waiting = {}
        for task in waiting_tasks:
            definition = timer_of(getattr(task.task_spec, "event_definition", None))
            if definition is not None:
                waiting[str(task.id)] = (task, definition)
        if not waiting and not self.row.waiting_timer_count:
            self.row.waiting_timer_count = 0
            return  # nothing was waiting and nothing waits now: no query needed
        if self.new_instance:
            rows: dict[str, TimerRow] = {}
        elif self.known.waiting_timers is not None:
            rows = {r.id: r for r in self.known.waiting_timers}
        else:
            rows = {r.id: r for r in self.session.scalars(select(TimerRow).where(
                TimerRow.instance_id == self.row.id, TimerRow.state == "waiting"))}
        for timer_id, row in rows.items():
            if timer_id not in waiting and row.state == "waiting":  # a timer fired in this step is "fired"
                row.state = "cancelled"
        count = 0
        for timer_id, (task, definition) in waiting.items():
            value = task.internal_data.get("event_value")
            if isinstance(value, dict):  # a cycle: the next occurrence
                value = value.get("next")
            if not value:
                continue
            due = datetime.fromisoformat(str(value))
            if due.tzinfo is None:
                due = due.replace(tzinfo=timezone.utc)
            count += 1
            found = rows.get(timer_id) or (None if self.new_instance else self.session.get(TimerRow, timer_id))
            if found is None:
                self.session.add(TimerRow(id=timer_id, instance_id=self.row.id, element_id=task.task_spec.bpmn_id,
                                          name=task.task_spec.bpmn_name, kind=timer_kind(definition), due_at=due,
                                          state="waiting"))
            else:
                found.due_at, found.state = due, "waiting"
        self.row.waiting_timer_count = count

    def _message_properties(self, spec: Any, message_name: str) -> dict[str, str]:
        """Correlation settings of the element waiting for ``message_name``. Behind an event-based
        gateway (SpiffWorkflow moves the events onto the gateway) they are read from the gateway, or
        from the catch events after it when those agree."""
        own = self.properties.get(spec.bpmn_id, {})
        if "correlationKeys" in own:
            return own
        following = {keys for o in getattr(spec, "outputs", [])
                     if (keys := self.properties.get(o.bpmn_id, {}).get("correlationKeys")) is not None}
        if len(following) == 1:
            return {"correlationKeys": following.pop()}
        return own

    def _subscriptions(self, waiting_tasks: list[Any], wf: BpmnWorkflow | None = None) -> None:
        wanted = []
        for task in waiting_tasks:
            for definition in messages_of(getattr(task.task_spec, "event_definition", None)):
                props = self._message_properties(task.task_spec, definition.name)
                key = "" if getattr(definition, "broadcast", False) else \
                    correlation_key_for(props.get("correlationKeys", ""), task.data)  # a signal is for everyone
                wanted.append((str(task.id), definition.name, key))
        # Event sub-processes started by a message wait for it as long as their workflow runs; their keys
        # are read from the case's data.
        starts = event_subprocess_message_starts(wf) if wf is not None else []
        if starts:
            from .casefile import case_data  # the case file builds on this module

            data = case_data(wf)
            for each, start, definition in starts:
                props = self.properties.get(start.bpmn_id, {})
                key = correlation_key_for(props.get("correlationKeys", ""), data)
                wanted.append((str(each.task_tree.id), definition.name, key))
        if not wanted and not self.row.subscription_count:
            self.row.subscription_count = 0
            return
        if not self.new_instance:
            # "fetch" syncs only the rows deleted; the default would scan everything the session holds.
            self.session.query(MessageSubscription).filter_by(instance_id=self.row.id).delete(
                synchronize_session="fetch")
        for task_id, name, key in wanted:
            self.session.add(MessageSubscription(instance_id=self.row.id, task_id=task_id, message_name=name,
                                                 correlation_key=key))
        self.row.subscription_count = len(wanted)


def audit_event(instance_id: str, ctx: StepContext, action: str, *, task_id: str | None = None,
                element_id: str | None = None, element_name: str | None = None, data: Any = None) -> AuditEvent:
    """A step's audit row. Every column is given, even when empty: rows with the same columns are
    written in one INSERT when many steps flush together (a batch of timers)."""
    return AuditEvent(instance_id=instance_id, at=ctx.now, actor=ctx.actor, action=action, task_id=task_id,
                      element_id=element_id, element_name=element_name, data=data)


def property_value(text: str | None, data: dict[str, Any]) -> str | None:
    """A task property such as ``candidateGroup`` or ``assignee``: a literal, or an expression over the
    task's data when it starts with ``=`` (``=allocatedWorker``), so a case keeps its worker. An
    expression that gives nothing, or fails, leaves the property unset (the task goes to its lane)."""
    if not text or not text.strip():
        return None
    text = text.strip()
    if not text.startswith("="):
        return text
    from .expressions import evaluate_expression

    try:
        value = evaluate_expression(text[1:], dict(data))
    except Exception:  # noqa: BLE001  a bad expression must not block the task
        return None
    return str(value)[:80] if isinstance(value, str) and value.strip() else None



def rule_ids(matched: list[dict[str, Any]]) -> list[str]:
    """The matched rules as the decision log names them: their ids, or ``#index`` for rules without one."""
    return [str(r.get("ruleId") or f"#{r.get('index')}") for r in matched]


def correlation_key_for(names: str, data: dict[str, Any]) -> str:
    """The canonical key text an instance waits under: ``name=value`` pairs, sorted."""
    keys = sorted(n.strip() for n in names.split(",") if n.strip())
    return "&".join(f"{k}={data.get(k)}" for k in keys)


def correlation_key_from_request(keys: dict[str, Any]) -> str:
    return "&".join(f"{k}={keys[k]}" for k in sorted(keys))


def group_for_lane(lane: str) -> str:
    """A lane named 'Care Navigation' is worked by group 'care_navigation'."""
    slug = "".join(ch.lower() if ch.isalnum() else "_" for ch in lane.strip())
    while "__" in slug:
        slug = slug.replace("__", "_")
    return slug.strip("_")


def open_incident(session: Session, row: Instance, failure: StepFailed, ctx: StepContext) -> Incident:
    incident = Incident(instance_id=row.id, created_at=ctx.now, **incident_from(failure))
    session.add(incident)
    session.add(AuditEvent(instance_id=row.id, at=ctx.now, actor=ctx.actor, action="incident_raised",
                           task_id=incident.task_id, element_id=incident.element_id,
                           element_name=incident.element_name,
                           data={"message": incident.message, "line": incident.line_number}))
    return incident
