"""Operators' use cases on incidents: run the failed step again, or mark it resolved.

A mixin of :class:`workflows.runtime.Runtime`, kept apart to keep each module readable.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from .data import normalise
from .engine import find_task
from .errors import Conflict, NotFound
from .models import AuditEvent, Incident, Instance, utcnow
from .spiff_bridge import StepContext

if TYPE_CHECKING:
    from .db import Database


# A task in one of these states has run, is running, or waits for its event: the case can move on.
_MOVED_ON = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.COMPLETED


class RetryDidNotRun(Exception):
    """The retried step was still not run after the engine steps: a new incident, not a silent stall."""

    def __init__(self, message: str, task: Any) -> None:
        super().__init__(message)
        self.task = task


class IncidentUseCases:
    db: Database

    if TYPE_CHECKING:
        def transaction(self) -> Any: ...
        def load(self, session: Any, instance_id: str, *, lock: bool = False) -> Any: ...
        def step(self, session: Any, row: Instance, wf: Any, ctx: StepContext, act: Any = None) -> Instance: ...

    def retry_incident(self, incident_id: int, actor: str, data: Any = None) -> Instance:
        """Run the failed task again (optionally with corrected data); a new failure opens a new incident."""
        clean = normalise(data)
        with self.transaction() as session:
            incident = session.get(Incident, incident_id, with_for_update=True)
            if incident is None:
                raise NotFound(f"No incident {incident_id}")
            if incident.state != "open":
                raise Conflict(f"Incident {incident_id} is already {incident.state}")
            row, wf = self.load(session, incident.instance_id, lock=True)
            incident.state, incident.resolved_at, incident.resolved_by = "resolved", utcnow(), actor
            ctx = StepContext(row.id, row.case_reference, actor)
            ctx.audit.append({"action": "incident_retried", "task_id": incident.task_id,
                              "data": {"incident": incident_id, "data": clean}})

            def act() -> None:
                task = find_task(wf, incident.task_id) if incident.task_id else None
                if task is None:
                    return
                if task.state == TaskState.ERROR:
                    # Failed while running: run it again with its own data (a multi-instance item keeps
                    # its item), corrected where the operator says so.
                    task._set_state(TaskState.READY)
                    if clean:
                        task.set_data(**clean)
                elif not task.state & _MOVED_ON:
                    # Failed before it could start (left FUTURE): build it again from its parent's data,
                    # corrected first where the task takes its data from, then on the task itself.
                    if clean and task.parent is not None:
                        task.parent.set_data(**clean)
                    try:
                        wf.reset_from_task_id(task.id)
                    finally:
                        task = find_task(wf, incident.task_id) or task
                        if clean:
                            task.set_data(**clean)
                elif clean:
                    task.set_data(**clean)
                wf.do_engine_steps()  # a failure here is raised with its task: a new incident
                if not task.state & _MOVED_ON and task.parent is not None and task.parent.state == TaskState.COMPLETED:
                    raise RetryDidNotRun(f"'{task.task_spec.bpmn_name or task.task_spec.bpmn_id}' could not run "
                                         "again; correct the case's data and retry", task)

            return self.step(session, row, wf, ctx, act)

    def resolve_incident(self, incident_id: int, actor: str) -> Incident:
        with self.db.transaction() as session:
            incident = session.get(Incident, incident_id, with_for_update=True)
            if incident is None:
                raise NotFound(f"No incident {incident_id}")
            if incident.state != "open":
                raise Conflict(f"Incident {incident_id} is already {incident.state}")
            incident.state, incident.resolved_at, incident.resolved_by = "resolved", utcnow(), actor
            row = session.get(Instance, incident.instance_id)
            if row is None:
                raise NotFound(f"No instance {incident.instance_id}")
            session.flush()
            still_open = session.scalar(select(func.count(Incident.id)).where(
                Incident.instance_id == row.id, Incident.state == "open"))
            if not still_open and row.status == "incident":
                row.status = "running"
            session.add(AuditEvent(instance_id=row.id, actor=actor, action="incident_resolved",
                                   task_id=incident.task_id, data={"incident": incident_id}))
            return incident

