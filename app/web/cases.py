"""The case page: summary, open tasks, timeline, decisions, documents and the process diagram."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template
from flask_login import login_required

from workflows import queries
from workflows.operations import OPERATOR_ACTIONS

from .. import services
from .access import case_for_me

bp = Blueprint("cases", __name__)

# History actions as a caseworker would say them.
ACTIONS = {
    "instance_started": "Case started",
    "task_opened": "Task opened",
    "task_escalated": "Task escalated to a manager",
    "incident_raised": "Problem recorded",
    "message_sent": "Message sent",
    "message_failed": "Message could not be sent",
    "task_completed": "Task completed",
    "task_claimed": "Task claimed",
    "task_released": "Task released to the team",
    "task_reassigned": "Task reassigned",
    "task_cancelled": "Task cancelled",
    "decision_evaluated": "Decision made",
    "service_called": "Automatic step",
    "message_received": "Message received",
    "message_thrown": "Message sent to other cases",
    "signal_thrown": "Signal sent to other cases",
    "timer_fired": "Timer fired",
    "timer_rescheduled": "Timer moved to a new date",
    "case_date_changed": "Date changed",
    "case_value_changed": "Decided again",
    "incident_retried": "Problem retried",
    "incident_resolved": "Problem resolved",
    "instance_completed": "Case closed",
    "case_migrated": "Moved to another version of the process",
    "migration_reverted": "Moved back to its earlier process version",
    **OPERATOR_ACTIONS,  # operators' repairs (suspend, resume, cancel, move ...)
}
COMPLETED_ACTIONS = ("task_completed", "decision_evaluated", "service_called", "timer_fired", "message_received",
                     "message_thrown", "signal_thrown")


def diagram_markers(case: dict[str, Any]) -> dict[str, list[str]]:
    """BPMN element ids to mark: done (from the history), current (open tasks), waiting (timers)."""
    current = list(dict.fromkeys(t["name"] for t in case["openTasks"]))
    waiting = list(dict.fromkeys(t["elementId"] for t in case["waitingTimers"]))
    done = [e["elementId"] for e in case.get("history", []) if e.get("elementId") and (
        e["action"] in COMPLETED_ACTIONS or e["action"].endswith("_completed"))]
    completed = [e for e in dict.fromkeys(done) if e not in current and e not in waiting]
    return {"completed": completed, "current": current, "waiting": waiting}


def scalar_data(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """The case data worth a summary row: plain values, and lists shown by their length."""
    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        if key.startswith("_") or value in (None, "", [], {}):
            continue
        if not isinstance(value, dict):
            rows.append((key, value))
    return rows[:40]


@bp.get("/cases/<instance_id>")
@login_required
def case(instance_id: str):  # type: ignore[no-untyped-def]
    return render_case(instance_id)


def render_case(instance_id: str, *, errors: list[dict[str, str]] | None = None,
                values: dict[str, Any] | None = None, status: int = 200) -> Any:
    """The case page; ``errors`` and ``values`` come back from a note or document that was not added."""
    from .casework import case_records

    found = case_for_me(instance_id)
    data = services().runtime.instance_data(instance_id)
    return render_template("cases/case.html", case=found, data_rows=scalar_data(data), actions=ACTIONS,
                           markers=diagram_markers(found), records=case_records(found), errors=errors or [],
                           values=values or {}, process_name=process_name(found["processId"])), status


def process_name(process_id: str) -> str:
    """The process's own name (from its newest version), not its id."""
    with services().db.reading() as session:
        for p in queries.list_processes(session):
            if p["processId"] == process_id:
                return str(p["name"])
    return process_id


@bp.get("/cases/<instance_id>/diagram.bpmn")
@login_required
def diagram(instance_id: str):  # type: ignore[no-untyped-def]
    case_for_me(instance_id, history=False)
    with services().db.reading() as session:
        xml = queries.bpmn_of_instance(session, instance_id)
    return Response(xml, mimetype="application/xml", headers={"Cache-Control": "private, max-age=3600"})
