"""Operators' repairs on a case: suspend, resume, cancel, move to another step, resolve and retry
incidents (one at a time or as a batch). Each is one transaction, asks for a reason (retries carry
the data instead), and writes one audit row of its own kind: that row is the entry in the case's
chronology and in the audit log, and says who did it.

Moving a case and pruned history
--------------------------------
The runtime prunes finished tasks from a case's workflow as it runs (:mod:`workflows.pruning`),
so an earlier step usually has no task left to reset to, and a step never reached has none yet.
Moving therefore does not rewind the tree (``reset_from_task_id`` works only while the task is
still there, and would bring back the data of that time). It gives the case a fresh token of the
same process version standing at the target step, carrying the case's data as it is now plus the
data the operator adds; every open task, timer and message wait of the old position is withdrawn
(recorded as cancelled). What happened before stays in the audit, task and decision rows. Open
incidents are resolved by the move. A target inside a parallel branch waits at its join for
branches that no longer run: move to a step after the join instead (the list offers top-level
steps only).
"""
from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import casefile
from .data import normalise
from .engine import find_task
from .errors import CareflowError, Conflict, NotFound, ValidationFailed
from .forms import Form
from .models import AuditEvent, Incident, Instance, MessageSubscription, TaskRow, TimerRow, utcnow
from .queries import get_instance_row
from .spiff_bridge import StepContext

if TYPE_CHECKING:
    from .runtime import Runtime

log = logging.getLogger("careflow.operations")

# Audit actions that operators and process owners take, as the audit log names them.
OPERATOR_ACTIONS = {
    "incident_retried": "Problem retried",
    "incident_resolved": "Problem resolved",
    "instance_suspended": "Case suspended",
    "instance_resumed": "Case resumed",
    "instance_cancelled": "Case cancelled",
    "instance_moved": "Case moved to another step",
    "message_retried": "Message sent again",
    "task_reassigned": "Task reassigned",
}
STATUS_WORDS = {"terminated": "cancelled", "incident": "stopped at a problem"}
MAX_REASON = 2000
MAX_BATCH = 200


def require_reason(reason: Any) -> str:
    """The operator's reason, trimmed; a 422 when there is none."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationFailed("Give a reason", [{"field": "reason", "message": "Enter the reason for this change"}])
    if len(text) > MAX_REASON:
        raise ValidationFailed("The reason is too long", [{"field": "reason", "message":
                                                           f"The reason must be {MAX_REASON} characters or fewer"}])
    return text


@dataclass
class BatchOutcome:
    """What happened to one incident of a batch retry."""

    incident_id: int
    instance_id: str | None
    case_reference: str | None
    ok: bool
    status: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"incidentId": self.incident_id, "instanceId": self.instance_id, "caseReference": self.case_reference,
                "ok": self.ok, "status": self.status, "message": self.message}


def move_targets(spec: Any) -> list[dict[str, str]]:
    """The steps of a process a case may be moved to: its top-level activities and intermediate
    catch events (not start, end or boundary events, and not gateways)."""
    out = []
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if bpmn_id is None or isinstance(task_spec, StartEvent | BoundaryEvent):
            continue
        name = type(task_spec).__name__
        if "Gateway" in name or "EndEvent" in name:
            continue
        if isinstance(task_spec, CatchingEvent) or "Task" in name or "SubWorkflow" in name or "CallActivity" in name \
                or "SubProcess" in name or "Subprocess" in name:
            out.append({"elementId": bpmn_id, "name": task_spec.bpmn_name or bpmn_id, "kind": name})
    return sorted(out, key=lambda t: (t["name"].lower(), t["elementId"]))


def workflow_at(wf: BpmnWorkflow, element_id: str, data: dict[str, Any]) -> BpmnWorkflow:
    """A fresh workflow of ``wf``'s process version whose one token stands at ``element_id``."""
    spec = wf.spec.task_specs[element_id]
    # An activity with boundary events is entered through its split, so the events are armed too.
    entry = wf.spec.task_specs.get(f"{element_id}.BoundaryEventSplit", spec)
    fresh = BpmnWorkflow(wf.spec, wf.subprocess_specs, script_engine=wf.script_engine)
    fresh.careflow_spec_ref = getattr(wf, "careflow_spec_ref", None)  # the state names its version
    fresh.data = copy.deepcopy(wf.data)  # data objects shared by every branch
    root = fresh.task_tree
    root._drop_children(force=True)
    root.set_data(**copy.deepcopy(data))
    root._set_state(TaskState.COMPLETED)
    child = root._add_child(entry, TaskState.FUTURE)
    child.data = copy.deepcopy(data)
    entry._predict(child, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)
    entry._update(child)
    return fresh


class Operations:
    """Operators' use cases over one runtime (each public method is one transaction)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.db = runtime.db

    # ---- suspending and resuming ----------------------------------------------------------
    def suspend(self, instance_id: str, actor: str, reason: Any) -> Instance:
        """Hold a running case: its tasks cannot be completed and its timers wait until it is resumed."""
        text = require_reason(reason)
        with self.db.transaction() as session:
            row = _locked(session, instance_id)
            if row.status not in ("running", "incident"):
                raise Conflict(f"Only a running case can be suspended; this one is {_word(row.status)}",
                               status=row.status)
            previous, row.status, row.updated_at = row.status, "suspended", utcnow()
            _audit(session, row, actor, "instance_suspended", {"reason": text, "previousStatus": previous})
            return row

    def resume(self, instance_id: str, actor: str, reason: Any) -> Instance:
        """Let a suspended case go on; a timer that fell due meanwhile fires now, once."""
        text = require_reason(reason)
        with self.db.transaction() as session:
            row = _locked(session, instance_id)
            if row.status != "suspended":
                raise Conflict(f"Only a suspended case can be resumed; this one is {_word(row.status)}",
                               status=row.status)
            row.status = "incident" if _open_incidents(session, row.id) else "running"
            row.updated_at = utcnow()
            due = list(session.scalars(select(TimerRow.id).where(
                TimerRow.instance_id == row.id, TimerRow.state == "waiting", TimerRow.due_at <= row.updated_at)))
            _audit(session, row, actor, "instance_resumed", {"reason": text, "timersDue": len(due)})
        self._fire(due)
        with self.db.reading() as session:
            return get_instance_row(session, instance_id)

    def _fire(self, timer_ids: list[str]) -> None:
        from .timers import TimerFailed, mark_failed

        for timer_id in timer_ids:
            try:
                self.runtime.fire_timer(timer_id)  # each its own transaction; a worker may take it first
            except TimerFailed as failure:
                mark_failed(self.runtime, failure.timer_id, failure.error)

    # ---- cancelling -----------------------------------------------------------------------
    def cancel(self, instance_id: str, actor: str, reason: Any) -> Instance:
        """End a case without reaching its end: open tasks, timers and waits are withdrawn."""
        text = require_reason(reason)
        with self.db.transaction() as session:
            row = _locked(session, instance_id)
            if row.status not in ("running", "incident", "suspended"):
                raise Conflict(f"This case is {_word(row.status)} and cannot be cancelled", status=row.status)
            now = utcnow()
            tasks = session.scalars(select(TaskRow).where(TaskRow.instance_id == row.id, TaskRow.state == "open")).all()
            for task in tasks:
                task.state, task.completed_at = "cancelled", now
            timers = session.scalars(select(TimerRow).where(TimerRow.instance_id == row.id,
                                                            TimerRow.state.in_(("waiting", "failed")))).all()
            for timer in timers:
                timer.state = "cancelled"
            session.query(MessageSubscription).filter_by(instance_id=row.id).delete(synchronize_session="fetch")
            resolved = _resolve_all(session, row.id, actor, now)
            row.status, row.completed_at, row.updated_at = "terminated", now, now
            row.waiting_timer_count = row.subscription_count = 0
            _audit(session, row, actor, "instance_cancelled", {
                "reason": text, "tasksCancelled": len(tasks), "timersCancelled": len(timers),
                "incidentsResolved": resolved})
            return row

    # ---- moving ---------------------------------------------------------------------------
    def targets(self, instance_id: str) -> list[dict[str, str]]:
        with self.db.reading() as session:
            _row, wf = self.runtime.load(session, instance_id)
            return move_targets(wf.spec)

    def move(self, instance_id: str, element_id: str, data: Any, actor: str, reason: Any) -> Instance:
        """Put the case at ``element_id`` of its diagram with its data plus ``data`` (see the module text)."""
        text = require_reason(reason)
        carried = normalise(data)
        with self.runtime.transaction() as session:
            row, wf = self.runtime.load(session, instance_id, lock=True)
            if row.status not in ("running", "incident"):
                hint = " Resume it first." if row.status == "suspended" else ""
                raise Conflict(f"Only a running case can be moved; this one is {_word(row.status)}.{hint}",
                               status=row.status)
            allowed = {t["elementId"]: t for t in move_targets(wf.spec)}
            if element_id not in allowed:
                raise ValidationFailed("Choose a step of this case's diagram", [{
                    "field": "elementId", "message": "Choose one of the steps listed"}])
            from_steps = sorted(set(session.scalars(select(TaskRow.name).where(
                TaskRow.instance_id == row.id, TaskRow.state == "open"))) | set(session.scalars(select(
                    TimerRow.element_id).where(TimerRow.instance_id == row.id, TimerRow.state == "waiting"))))
            moved = workflow_at(wf, element_id, {**casefile.case_data(wf), **carried})
            resolved = _resolve_all(session, row.id, actor, utcnow())
            for timer in session.scalars(select(TimerRow).where(TimerRow.instance_id == row.id,
                                                                TimerRow.state == "failed")):
                timer.state = "cancelled"  # a timer that could not fire belongs to the old position
            session.flush()
            ctx = StepContext(row.id, row.case_reference, actor)
            ctx.audit.append({"action": "instance_moved", "element_id": element_id,
                              "element_name": allowed[element_id]["name"],
                              "data": {"reason": text, "fromSteps": from_steps, "toStep": element_id, "data": carried,
                                       "incidentsResolved": resolved}})
            self.runtime.cache.drop(row.id)
            return self.runtime.step(session, row, moved, ctx)

    # ---- incidents --------------------------------------------------------------------------
    def incident_form(self, incident_id: int) -> dict[str, Any]:
        """The failed step's form key (if it has one) and its data now, for editing before a retry."""
        form, data = self._incident_form(incident_id)
        if form is not None:
            data = {k: data.get(k) for k in form.schema.get("properties", {})}
        return {"formKey": form.key if form is not None else None, "data": data}

    def _incident_form(self, incident_id: int) -> tuple[Form | None, dict[str, Any]]:
        """The failed step's form as its case's version pinned it (None without one), and its data."""
        with self.db.reading() as session:
            incident = session.get(Incident, incident_id)
            if incident is None:
                raise NotFound(f"No incident {incident_id}")
            row, wf = self.runtime.load(session, incident.instance_id)
            properties = self.runtime.library.element_properties(session, row.process_version_id)
            form_key = properties.get(incident.element_id or "", {}).get("formKey")
            task = find_task(wf, incident.task_id) if incident.task_id else None
            data = dict(task.data) if task is not None else casefile.case_data(wf)
            form = None
            if form_key:
                try:
                    form = self.runtime.library.form_for(session, row.process_version_id, form_key)
                except NotFound:
                    form = None  # neither pinned nor on disk: the data is edited as it is
        return form, data

    def retry(self, incident_id: int, actor: str, data: Any = None) -> Instance:
        """Retry the failed step; edited data is checked against the step's form first (422 if wrong)."""
        clean = normalise(data)
        if clean:
            form, _ = self._incident_form(incident_id)
            if form is not None:
                clean = form.validate(clean)
        return self.runtime.retry_incident(incident_id, actor, clean or None)

    def retry_many(self, incident_ids: list[int], actor: str) -> list[BatchOutcome]:
        """Retry each incident in its own transaction; one failing does not hold back the rest."""
        if len(incident_ids) > MAX_BATCH:
            raise ValidationFailed("Too many incidents at once", [{
                "field": "incidentIds", "message": f"Retry at most {MAX_BATCH} incidents at a time"}])
        outcomes = []
        for incident_id in dict.fromkeys(incident_ids):
            if not 0 < incident_id < 2**63:  # no row can have it (and the database could not compare it)
                outcomes.append(BatchOutcome(incident_id, None, None, False, None, f"No incident {incident_id}"))
                continue
            with self.db.reading() as session:
                incident = session.get(Incident, incident_id)
                instance = session.get(Instance, incident.instance_id) if incident is not None else None
            reference = instance.case_reference if instance is not None else None
            try:
                row = self.runtime.retry_incident(incident_id, actor)
            except CareflowError as exc:
                outcomes.append(BatchOutcome(incident_id, instance.id if instance else None, reference, False,
                                             instance.status if instance else None, exc.message))
                continue
            except Exception:  # noqa: BLE001  one case's surprise must not hide the others' results
                log.exception("batch retry of incident %s failed", incident_id)
                self.runtime.cache.drop(instance.id if instance else "")
                outcomes.append(BatchOutcome(incident_id, instance.id if instance else None, reference, False,
                                             instance.status if instance else None,
                                             "Could not be retried: an unexpected error was logged"))
                continue
            stuck = row.status == "running" and self._stalled(row.id)
            if row.status == "incident":
                message = "Failed again: a new problem was recorded"
            elif stuck:
                message = "Retried, but nothing is open or waiting now: move the case to a step or cancel it"
            else:
                message = f"Retried: the case is now {_word(row.status)}"
            outcomes.append(BatchOutcome(incident_id, row.id, reference, row.status != "incident" and not stuck,
                                         row.status, message))
        return outcomes

    def _stalled(self, instance_id: str) -> bool:
        from .stalled import stalled_query

        with self.db.reading() as session:
            return session.scalar(stalled_query(1).with_only_columns(Instance.id).where(
                Instance.id == instance_id)) is not None

    def resolve(self, incident_id: int, actor: str, reason: Any) -> Incident:
        """Mark an incident resolved without running anything, saying why."""
        text = require_reason(reason)
        with self.db.transaction() as session:
            incident = session.get(Incident, incident_id, with_for_update=True)
            if incident is None:
                raise NotFound(f"No incident {incident_id}")
            if incident.state != "open":
                raise Conflict(f"Incident {incident_id} is already {incident.state}")
            incident.state, incident.resolved_at, incident.resolved_by = "resolved", utcnow(), actor
            row = _locked(session, incident.instance_id)
            session.flush()
            if row.status == "incident" and not _open_incidents(session, row.id):
                row.status = "running"
            session.add(AuditEvent(instance_id=row.id, actor=actor, action="incident_resolved",
                                   task_id=incident.task_id, element_id=incident.element_id,
                                   element_name=incident.element_name,
                                   data={"incident": incident_id, "reason": text}))
            return incident


def _word(status: str) -> str:
    return STATUS_WORDS.get(status, status)


def _locked(session: Session, instance_id: str) -> Instance:
    row = session.get(Instance, instance_id, with_for_update=True)
    if row is None:
        raise NotFound(f"No instance {instance_id}")
    return row


def _open_incidents(session: Session, instance_id: str) -> int:
    return session.scalar(select(func.count(Incident.id)).where(
        Incident.instance_id == instance_id, Incident.state == "open")) or 0


def _resolve_all(session: Session, instance_id: str, actor: str, now: Any) -> int:
    incidents = session.scalars(select(Incident).where(Incident.instance_id == instance_id,
                                                       Incident.state == "open")).all()
    for incident in incidents:
        incident.state, incident.resolved_at, incident.resolved_by = "resolved", now, actor
    return len(incidents)


def _audit(session: Session, row: Instance, actor: str, action: str, data: dict[str, Any]) -> None:
    session.add(AuditEvent(instance_id=row.id, at=utcnow(), actor=actor, action=action, data=data))
