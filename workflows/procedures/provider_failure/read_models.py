"""Read models of provider failure: its incidents and their person cases, from rows only.

There may be thousands of person cases per incident, so nothing here reads a workflow's state.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflows.errors import NotFound
from workflows.models import Instance
from workflows.queries import iso

from .person_cases import INCIDENT


def incident_of(session: Session, case_reference: str) -> Instance:
    """The newest instance carrying ``case_reference`` (a case may continue in a fresh instance)."""
    row = session.scalars(select(Instance).where(Instance.case_reference == case_reference)
                          .order_by(Instance.created_at.desc()).limit(1)).first()
    if row is None:
        raise NotFound(f"No case {case_reference}")
    return row


def incident_cases(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """Cases with linked person cases, or of a provider-failure process, newest first."""
    parents = select(Instance.parent_case_reference).where(
        Instance.parent_case_reference.is_not(None)).distinct()
    rows = session.execute(
        select(Instance.id, Instance.case_reference, Instance.title, Instance.process_id, Instance.status,
               Instance.created_at)
        .where(or_(Instance.case_reference.in_(parents), Instance.process_id == INCIDENT))
        .order_by(Instance.created_at.desc()).limit(limit)).all()
    counts = dict(session.execute(
        select(Instance.parent_case_reference, func.count()).where(
            Instance.parent_case_reference.in_([r.case_reference for r in rows]))
        .group_by(Instance.parent_case_reference)).all()) if rows else {}
    seen: set[str] = set()
    out = []
    for r in rows:
        if r.case_reference in seen:
            continue
        seen.add(r.case_reference)
        out.append({"id": r.id, "caseReference": r.case_reference, "title": r.title, "processId": r.process_id,
                    "status": r.status, "createdAt": iso(r.created_at), "people": counts.get(r.case_reference, 0)})
    return out


def person_cases(session: Session, parent_case_reference: str) -> list[dict[str, Any]]:
    """The cases linked to an incident, without their workflow state (there may be thousands)."""
    rows = session.execute(
        select(Instance.id, Instance.case_reference, Instance.title, Instance.process_id, Instance.status,
               Instance.summary, Instance.created_at, Instance.completed_at)
        .where(Instance.parent_case_reference == parent_case_reference)
        .order_by(Instance.created_at)).all()
    return [{"id": r.id, "caseReference": r.case_reference, "title": r.title, "processId": r.process_id,
             "status": r.status, "summary": r.summary if isinstance(r.summary, dict) else {},
             "createdAt": r.created_at, "completedAt": r.completed_at} for r in rows]
