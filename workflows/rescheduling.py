"""Moving a waiting timer of an instance to a new due time, recorded (DESIGN.md decision 3).

A date a case waits for can move after the timer started waiting (a notice period agreed again, a
deadline brought forward). The timer keeps its task, so its durable row is the same row with a new
``due_at`` (never a second row), and the old time no longer fires. Data the case holds about the date
moves in the same step, on every open and waiting task and those before them, so no branch brings the
old value back. Each moved
timer is an audit row ``timer_rescheduled`` (old and new time, and the cause): the case's chronology.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.util.task import TaskState

from .casefile import case_data
from .engine import tasks_in, timer_of
from .errors import Conflict
from .spiff_bridge import DecisionTaskEngine, StepContext

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .runtime import Runtime

RESCHEDULED = "timer_rescheduled"
VALUE_CHANGED = "case_value_changed"  # a decision taken again changed a value the case holds: old -> new
DATE_CHANGED = "case_date_changed"  # a date the case holds moved: one chronology entry, old -> new
# A new due time, or how to work it out from the waiting task's data (e.g. a configured lead time).
Due = datetime | Callable[[dict[str, Any]], datetime]


def date_changed(label: str, was: str | None, now: str, *, cause: str, by: str | None) -> dict[str, Any]:
    """The audit row saying a date the case holds moved (``label``: which date, in the domain's words)."""
    return {"action": DATE_CHANGED, "element_name": label,
            "data": {"date": label, "from": was, "to": now, "cause": cause, "by": by}}


@dataclass
class MovedTimer:
    """One waiting timer moved: its element, and its due time before and after."""

    timer_id: str
    element_id: str
    name: str | None
    was: datetime
    due: datetime

    def as_dict(self) -> dict[str, str | None]:
        return {"timerId": self.timer_id, "elementId": self.element_id, "name": self.name,
                "from": self.was.isoformat(), "to": self.due.isoformat()}


@dataclass
class Rescheduled:
    """What moving a case's dates did: the timers moved, and what the procedures' hooks reported after
    the step (``Procedure.on_step``), e.g. further cases they brought to the new date."""

    timers: list[MovedTimer]
    reports: dict[str, Any] = field(default_factory=dict)


def _as_utc(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _due_of(task: Any) -> datetime | None:
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):  # a cycle: its next occurrence
        value = value.get("next")
    return _as_utc(value) if value else None


def _holding(open_tasks: list[Any]) -> list[Any]:
    """The tasks whose data the case goes on from: the open and waiting ones, and the tasks before them
    (a catch event takes its parent's data again when it fires, so a parent keeping the old value
    would bring it back)."""
    found: dict[Any, Any] = {}
    for task in open_tasks:
        while task is not None and task.id not in found:
            found[task.id] = task
            task = task.parent
    return list(found.values())


def _decision_spec(wf: Any, element_id: str) -> Any:
    """The business rule task ``element_id`` of the case's diagram (or its subprocesses), if any."""
    for spec in [wf.spec, *getattr(wf, "subprocess_specs", {}).values()]:
        found = spec.task_specs.get(element_id)
        if found is not None and isinstance(getattr(found, "dmnEngine", None), DecisionTaskEngine):
            return found
    return None


def _decide_again(wf: Any, ctx: StepContext, changes: dict[str, Any], decide_again: Mapping[str, Mapping[str, str]],
                  when_changed: Mapping[str, tuple[str, ...]], *, cause: str, reason: str) -> dict[str, Any]:
    """Take again, in order, each decision the case has taken (its shown outputs are in the case's data),
    over the data with ``changes`` and the outputs of those taken again before it; one named in
    ``when_changed`` only if one of the values it names now differs. Each is logged like any decision,
    and each shown output it changes is a chronology entry. Returns the outputs, for the case's data."""
    before = case_data(wf)
    outputs: dict[str, Any] = {}
    labels = {name: label for shown in decide_again.values() for name, label in shown.items()}
    for element_id, shown in decide_again.items():
        spec = _decision_spec(wf, element_id)
        case = {**before, **changes, **outputs}
        if spec is None or any(case.get(name) is None for name in shown):
            continue  # not decided yet: the case decides it when it gets there, with the new data
        why = reason
        if element_id in when_changed:
            moved = [name for name in when_changed[element_id] if case.get(name) != before.get(name)]
            if not moved:
                continue  # nothing it reads differs: its decision stands
            why = f"{', '.join(labels.get(name, name) for name in moved).lower()} changed; {reason}"
        value = spec.dmnEngine.decide(case, wf, task_id=None, element_id=element_id,
                                      element_name=spec.bpmn_name, cause=cause)
        for name, label in shown.items():
            if name in value and value[name] != case.get(name):
                ctx.audit.append({"action": VALUE_CHANGED, "element_id": element_id, "element_name": label,
                                  "data": {"value": label, "name": name, "from": case.get(name), "to": value[name],
                                           "reason": why, "cause": cause,
                                           "decision": spec.dmnEngine.decision_id}})
        outputs.update(value)
    return outputs


def reschedule_timers(runtime: Runtime, session: Session, instance_id: str, due: Mapping[str, Due], *,
                      actor: str | None, cause: str, data: Mapping[str, Any] | None = None,
                      audit: list[dict[str, Any]] | None = None,
                      decide_again: Mapping[str, Mapping[str, str]] | None = None,
                      when_changed: Mapping[str, tuple[str, ...]] | None = None,
                      reason: str = "date moved") -> Rescheduled | None:
    """Move the waiting timers of ``instance_id`` named by element id in ``due`` to their new times,
    and set ``data`` on the case's open and waiting tasks, in one step of the caller's transaction.
    A new time may be given as a function of the waiting task's data.

    ``decide_again`` names business rule tasks (element id -> {output: label}) whose decisions read
    the moved data: when the case has taken one, it is taken again in the same step, logged like any
    decision, its outputs set with the data, and a changed output an entry ``label changed: old -> new
    (reason)`` in the chronology. A decision named in ``when_changed`` (element id -> value names) is
    taken again only when one of those values changed, by ``data`` or by a decision taken again before it
    (e.g. an action decided from an urgency, when the urgency changed).

    Timers not waiting (not reached yet, or already fired) are left alone: a timer reached later
    reads its date from the data. ``audit`` adds the caller's own audit rows to the step. Returns the
    timers moved and what the procedures' hooks reported after the step, or None when nothing differs
    (then nothing is stepped and nothing recorded). A case an operator suspended or cancelled cannot be
    stepped: that is a 409.
    """
    row, wf = runtime.load(session, instance_id, lock=True)
    moves: list[tuple[Any, MovedTimer]] = []
    for task in tasks_in(wf, TaskState.WAITING):
        element = task.task_spec.bpmn_id
        if element not in due or timer_of(getattr(task.task_spec, "event_definition", None)) is None:
            continue
        wanted = due[element]
        was, new = _due_of(task), _as_utc(wanted(dict(task.data)) if callable(wanted) else wanted)
        if was is not None and was != new:
            moves.append((task, MovedTimer(str(task.id), element, task.task_spec.bpmn_name, was, new)))
    changes = dict(data or {})
    holding = _holding(tasks_in(wf, TaskState.READY | TaskState.WAITING)) if changes else []
    data_differs = any(t.data.get(k) != v for t in holding for k, v in changes.items())
    if not moves and not data_differs:
        return None
    ctx = StepContext(row.id, row.case_reference, actor)
    for _, moved in moves:
        ctx.audit.append({"action": RESCHEDULED, "task_id": moved.timer_id, "element_id": moved.element_id,
                          "element_name": moved.name, "data": {**moved.as_dict(), "cause": cause}})
    ctx.audit.extend(audit or [])

    def act() -> None:
        for task, moved in moves:
            value = task.internal_data.get("event_value")
            if isinstance(value, dict):
                value["next"] = moved.due.isoformat()  # the cycle goes on from its new occurrence
            else:
                task.internal_data["event_value"] = moved.due.isoformat()
        decided = _decide_again(wf, ctx, changes, decide_again, when_changed or {}, cause=cause, reason=reason) \
            if decide_again and data_differs else {}
        for task in holding:
            task.set_data(**changes, **decided)

    if row.status in ("suspended", "terminated"):
        raise Conflict("This case is held by an operator: its dates cannot move until it is resumed",
                       status=row.status)
    runtime.step(session, row, wf, ctx, act)
    return Rescheduled([moved for _, moved in moves], ctx.reports)
