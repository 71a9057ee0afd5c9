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
                if incident.task_id:
                    task = find_task(wf, incident.task_id)
                    if task is not None and task.state == TaskState.ERROR:
                        wf.reset_from_task_id(task.id)
                        task = find_task(wf, incident.task_id)
                    if task is not None and clean:
                        task.set_data(**clean)

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

