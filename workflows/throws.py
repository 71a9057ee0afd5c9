"""Messages and signals between instances, delivered through careflow's correlation.

SpiffWorkflow keeps a message no task of the same instance catches in the sender's state, and
lets a signal reach only the sender's own tasks. careflow delivers both while the thrower runs, in
the step's transaction (so the sender and every receiver commit together, or none does):

* a **message** (send task, intermediate or end message event) reaches every instance subscribed
  to its name whose correlation keys match the sender's values (the message's payload, then the
  sender's data); when none waits, it starts each process that a message of that name starts.
  When nothing receives it the throwing task fails: an incident on the sender, naming the element;
  retrying the incident sends it again. A thrower with the property ``unmatched`` = ``ignore``
  lets it go unheard.
* a **signal** reaches every other instance waiting for it (it is subscribed as the message
  ``signal:<name>``), and starts each process with a signal start event of that name. A signal
  nobody hears is fine, unless the thrower says ``unmatched`` = ``incident``.

What a message carries: its ``spiffworkflow:messagePayload`` (a dict joins the receiver's data), and
the correlation values the receiver matched on. Other systems send signals through
``POST /api/v1/messages`` with the name ``signal:<name>``.

Known limit: a case that is itself sending (a reply thrown back within the same step) is not a
receiver until its step ends, so an immediate reply to it counts as unheard; and a message may pass
through at most ``MAX_HOPS`` cases within one step.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from sqlalchemy import select

from .data import to_json_safe
from .models import MessageSubscription
from .spiff_bridge import current_step, signal_name

MAX_HOPS = 20  # instances a message may pass through inside one step (a ping-pong would never end)
RUNTIME_KEY = "careflow_runtime"  # the runtime stepping in a session (``Runtime.step`` sets it)
_SENDING = "careflow_sending"


class UndeliveredMessage(Exception):
    """Nothing received a message the diagram says must be received."""


@dataclass(frozen=True)
class WaitedSignal:
    """A signal a task waits for, under its subscription name (without correlation keys: a signal is
    broadcast to every case waiting for it)."""

    name: str
    broadcast: bool = True


def waited_signals(definition: Any) -> list[WaitedSignal]:
    found = [definition, *(getattr(definition, "event_definitions", None) or [])]
    return [WaitedSignal(signal_name(d.name)) for d in found if isinstance(d, SignalEventDefinition)]


def capture_throws(specs: Iterable[Any]) -> None:
    """Route the messages and signals these specs throw through careflow (specs are rebuilt from the
    library, never deserialized, so the change is on every instance of the version)."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if not isinstance(task_spec, ThrowingEvent) or getattr(definition, "careflow_throw", False):
                continue
            if isinstance(definition, (MessageEventDefinition, SignalEventDefinition)):
                definition.throw = functools.partial(_throw, definition, definition.throw)
                definition.careflow_throw = True
            elif isinstance(definition, (ErrorEventDefinition, EscalationEventDefinition)):
                definition.throw = functools.partial(_throw_keeping_data, definition.throw)
                definition.careflow_throw = True


def _throw_keeping_data(original: Any, my_task: Any) -> None:
    """An error or escalation thrown in a sub-process: the path that catches it starts with the data the
    sub-process had gathered (as in Camunda, where an embedded sub-process writes to the process's
    variables), not with the data the sub-process started with."""
    from SpiffWorkflow.util.task import TaskState

    top = my_task.workflow.top_workflow
    before = {t.id for each in [top, *top.subprocesses.values()] for t in each.get_tasks(state=TaskState.READY)}
    original(my_task)
    for each in [top, *top.subprocesses.values()]:
        for task in each.get_tasks(state=TaskState.READY):
            if task.id not in before and task.workflow is not my_task.workflow and \
                    getattr(task.task_spec, "event_definition", None) is not None:
                task.set_data(**my_task.data)


def deliver_signal(wf: Any, name: str, payload: dict[str, Any]) -> None:
    """Deliver signal ``name`` to the tasks of ``wf`` waiting for it; its payload joins their data."""
    from SpiffWorkflow.bpmn.util import BpmnEvent
    from SpiffWorkflow.util.task import TaskState

    definition, catching = None, []
    for each in [wf, *wf.subprocesses.values()]:
        for task in each.get_tasks(state=TaskState.WAITING, max_depth=100000):
            waits_for = getattr(task.task_spec, "event_definition", None)
            for found in [waits_for, *(getattr(waits_for, "event_definitions", None) or [])]:
                if isinstance(found, SignalEventDefinition) and found.name == name:
                    definition = found
                    catching.append(task)
    wf.send_event(BpmnEvent(definition or SignalEventDefinition(name), payload=payload))
    for task in catching:
        if task.state != TaskState.WAITING and isinstance(payload, dict):
            task.set_data(**payload)


def _throw(definition: Any, original: Any, my_task: Any) -> None:
    top = my_task.workflow.top_workflow
    before = len(top.bpmn_events)
    original(my_task)
    ctx = current_step.get()
    runtime = ctx.session.info.get(RUNTIME_KEY) if ctx is not None and ctx.session is not None else None
    escaped = top.bpmn_events[before:]
    is_signal = isinstance(definition, SignalEventDefinition)
    if runtime is None or (not escaped and not is_signal):
        return  # caught inside this instance (or not a careflow step)
    del top.bpmn_events[before:]
    payload = escaped[0].payload if escaped else _signal_payload(definition, my_task)
    _deliver(runtime, ctx, my_task, definition.name, is_signal, to_json_safe(payload))


def _signal_payload(definition: Any, my_task: Any) -> Any:
    expression = getattr(definition, "expression", None)
    return my_task.workflow.script_engine.evaluate(my_task, expression) if expression else None


def _properties(task: Any) -> dict[str, str]:
    return (getattr(task.task_spec, "extensions", None) or {}).get("properties", {}) or {}


def _key_names(correlation_key: str) -> list[str]:
    return [pair.split("=", 1)[0] for pair in correlation_key.split("&") if pair]


def _deliver(runtime: Any, ctx: Any, task: Any, name: str, is_signal: bool, payload: Any) -> None:
    from .engine import correlation_key_for

    session = ctx.session
    sending: list[str] = session.info.setdefault(_SENDING, [])
    if len(sending) >= MAX_HOPS:
        raise UndeliveredMessage(f"'{name}' went from instance to instance more than {MAX_HOPS} times in one step")
    subscribed = signal_name(name) if is_signal else name
    values = {**task.data, **(payload if isinstance(payload, dict) else {})}
    receivers: dict[str, dict[str, Any]] = {}
    for sub in session.scalars(select(MessageSubscription).where(MessageSubscription.message_name == subscribed)):
        if sub.instance_id == ctx.instance_id or sub.instance_id in sending or sub.instance_id in receivers:
            continue
        names = _key_names(sub.correlation_key)
        if is_signal or correlation_key_for(",".join(names), values) == sub.correlation_key:
            receivers[sub.instance_id] = {n: values.get(n) for n in names}
    props = _properties(task)
    unmatched = props.get("unmatched") or ("ignore" if is_signal else "incident")
    starts = [] if receivers and not is_signal else runtime.library.processes_started_by(session, subscribed)
    if not receivers and not starts and unmatched != "ignore":
        what = "signal" if is_signal else "message"
        raise UndeliveredMessage(f"No case is waiting for {what} '{name}' with these values, and no process starts "
                                 f"with it (set the property unmatched=ignore if that may happen)")
    own = payload if isinstance(payload, dict) else ({} if payload is None else {"payload": payload})
    sender = {"from": ctx.case_reference, "element": task.task_spec.bpmn_id}
    sending.append(ctx.instance_id)
    started: list[str] = []
    try:
        for instance_id, keys in receivers.items():
            runtime.deliver_message(session, instance_id, subscribed, {**keys, **own}, actor=ctx.actor,
                                    keys={**keys, **sender})
        for version in starts:
            keys = {n.strip(): values.get(n.strip()) for n in props.get("correlationKeys", "").split(",") if n.strip()}
            row = runtime.start_in(session, version.process_id, {**keys, **own}, actor=ctx.actor,
                                   parent_case_reference=ctx.case_reference, start_message=subscribed)
            started.append(row.case_reference)
    finally:
        sending.pop()
    ctx.audit.append({"action": "signal_thrown" if is_signal else "message_thrown", "task_id": str(task.id),
                      "element_id": task.task_spec.bpmn_id, "element_name": task.task_spec.bpmn_name,
                      "data": {"name": name, "delivered": len(receivers), "started": started}})
