"""One place that decides who may see what: missing -> 404, not yours -> 403 (views never repeat it)."""
from __future__ import annotations

from typing import Any

from workflows import queries
from workflows.errors import Forbidden
from workflows.runtime import may_work

from .. import services
from .session_user import OVERSIGHT_ROLES, me


def task_for_me(task_id: str) -> dict[str, Any]:
    """The task (with its draft and form key) if the signed-in person may see it.

    People see tasks they may work, tasks they finished, and - managers and quality leads -
    every task, so they can reassign and oversee.
    """
    user = me()
    with services().db.reading() as session:
        row = queries.get_task_row(session, task_id)
        allowed = (may_work(user, row) or row.completed_by == user.username or user.role in OVERSIGHT_ROLES)
        if not allowed:
            raise Forbidden("This task is for another team. Ask your team manager if you need to work on it.")
        out = queries.task_dict(row)
        out["draft"] = row.draft
        out["mayWork"] = row.state == "open" and may_work(user, row)
        return out


def case_for_me(instance_id: str, *, history: bool = True) -> dict[str, Any]:
    """The case (instance read model) if it involves the signed-in person or they oversee cases."""
    user = me()
    with services().db.reading() as session:
        row = queries.get_instance_row(session, instance_id)
        if user.role not in OVERSIGHT_ROLES and not queries.case_involves(
                session, instance_id, user.username, user.group_names):
            raise Forbidden("This case is not one your teams work on. Ask your team manager if you need to see it.")
        out = queries.instance_dict(session, row, history=history)
        out["summary"] = row.summary if isinstance(row.summary, dict) else {}
        return out


def require_oversight() -> None:
    if me().role not in OVERSIGHT_ROLES:
        raise Forbidden("Only quality leads and managers can see provider-failure dashboards.")
