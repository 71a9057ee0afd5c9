"""What a task's form starts from: that task's own fields, never another step's answers or a default.

GOV.UK forms never pre-select an answer nobody gave (a radio left unchosen is an unknown fact, not
"No"). So a form starts from, in this order:

* the values the case *came with* for the form's fields (the start's own data: a notice, an imported
  row of the provider's list), so an imported fact fills its own question;
* the answers last submitted for this same step (a question asked again in a loop shows what was said);

and nothing else: not values a script computed, not what someone typed into another step's form (a
note in one step must not appear in the next), not a configured default. Unknown (null) stays empty.
The rows read are audit rows, so no workflow state is loaded.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEvent, TaskRow


def task_form_values(session: Session, task: TaskRow, fields: Iterable[str]) -> dict[str, Any]:
    """Initial values of ``task``'s form for ``fields`` (its form's top-level properties)."""
    wanted = set(fields)
    values: dict[str, Any] = {}
    started = session.scalars(select(AuditEvent.data).where(
        AuditEvent.instance_id == task.instance_id, AuditEvent.action == "instance_started")
        .order_by(AuditEvent.id).limit(1)).first()
    if isinstance(started, dict) and isinstance(started.get("data"), dict):
        values.update({k: v for k, v in started["data"].items() if k in wanted})
    answered = session.scalars(select(AuditEvent.data).where(
        AuditEvent.instance_id == task.instance_id, AuditEvent.action == "task_completed",
        AuditEvent.element_id == task.name).order_by(AuditEvent.id.desc()).limit(1)).first()
    if isinstance(answered, dict):
        values.update({k: v for k, v in answered.items() if k in wanted})
    return {k: v for k, v in values.items() if v is not None}
