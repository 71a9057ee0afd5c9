"""On-demand health checks for operators: cases that can no longer move by themselves.

A running case always has something that will move it: an open task, a waiting timer or a message
subscription (DESIGN.md decision 8). One with none of these is *stalled*: nobody will be asked to do
anything and nothing will wake it. The check reads projection rows only, never a workflow's state.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from .models import Instance, TaskRow
from .queries import iso


def stalled_cases(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """Running cases with no open task, no waiting timer and no message subscription, oldest change first."""
    open_task = exists().where(TaskRow.instance_id == Instance.id, TaskRow.state == "open")
    rows = session.execute(
        select(Instance.id, Instance.process_id, Instance.case_reference, Instance.title, Instance.status,
               Instance.updated_at)
        .where(Instance.status == "running", Instance.waiting_timer_count == 0, Instance.subscription_count == 0,
               ~open_task)
        .order_by(Instance.updated_at).limit(limit)).all()
    return [{"id": r.id, "processId": r.process_id, "caseReference": r.case_reference, "title": r.title,
             "status": r.status, "updatedAt": iso(r.updated_at),
             "reason": "running with no open task, no waiting timer and no message subscription"} for r in rows]
