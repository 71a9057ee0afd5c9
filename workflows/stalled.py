"""Cases that are running with nothing open, waiting or due: nobody and nothing can move them on.

A healthy running case always has at least one of: an open task, a waiting timer, a message
subscription, or an open incident. One with none is stalled (a diagram that can deadlock, a repair
that left nothing behind). The check reads rows only; the scheduler runs it and turns each stalled
case into an incident an operator sees (DESIGN.md decision 8), and operators can list them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from .models import AuditEvent, Incident, Instance, TaskRow, utcnow

STALLED_MESSAGE = ("This case is running but has nothing open, waiting or due, so nothing can move it on. "
                   "Move it to a step of its diagram or cancel it, with a reason.")


def stalled_query(limit: int = 500) -> Any:
    open_task = exists().where(and_(TaskRow.instance_id == Instance.id, TaskRow.state == "open"))
    open_incident = exists().where(and_(Incident.instance_id == Instance.id, Incident.state == "open"))
    return (select(Instance).where(
        Instance.status == "running", Instance.waiting_timer_count == 0, Instance.subscription_count == 0,
        ~open_task, ~open_incident).order_by(Instance.updated_at).limit(limit))


def stalled_cases(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """Every stalled case (oldest change first), for operators."""
    return [{"id": row.id, "caseReference": row.case_reference, "processId": row.process_id, "title": row.title,
             "status": row.status, "updatedAt": row.updated_at.isoformat() if row.updated_at else None}
            for row in session.scalars(stalled_query(limit))]


def raise_incidents_for_stalled(session: Session, now: datetime | None = None, limit: int = 500) -> list[str]:
    """Give each stalled case an incident (once: a case with an open incident is not stalled)."""
    now = now or utcnow()
    flagged = []
    for row in session.scalars(stalled_query(limit)).all():
        session.add(Incident(instance_id=row.id, error_type="Stalled", message=STALLED_MESSAGE, created_at=now))
        session.add(AuditEvent(instance_id=row.id, at=now, actor="scheduler", action="incident_raised",
                               data={"message": STALLED_MESSAGE}))
        row.status = "incident"
        flagged.append(row.id)
    return flagged
