"""Read models for operators: open incidents in plain words, the audit log, and per-step waiting.

Rows only, never a deserialized workflow. The decision history is in :mod:`workflows.decision_history`.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from . import models
from .models import AuditEvent, Incident, Instance, OutboxMessage, TaskRow, TimerRow
from .operations import OPERATOR_ACTIONS
from .queries import iso
from .stalled import STALLED_MESSAGE

MAX_ROWS = 5000  # the most rows one page or export reads

# What went wrong, in words an operator who does not read Python understands.
_PLAIN = [
    (re.compile(r"division by zero|ZeroDivision", re.I),
     "A calculation divided by zero: a number this step needs is 0."),
    (re.compile(r"name '([^']+)' is not defined|NameError", re.I),
     "This step needs a value the case does not have{name}."),
    (re.compile(r"Handler failed|HandlerError", re.I),
     "A connected service refused the request or did not answer."),
    (re.compile(r"timer could not fire", re.I), "The timer could not fire."),
    (re.compile(r"Decision|DMN|FEEL", re.I), "A decision table could not decide with the case's data."),
    (re.compile(r"without waiting for anything|EndlessLoop", re.I),
     "The process went round a loop without stopping, so careflow stopped it."),
    (re.compile(r"KeyError|TypeError|ValueError|not subscriptable|unsupported operand", re.I),
     "A value this step uses is missing or of the wrong kind (for example text where a number is needed)."),
]


def plain_words(error_type: str | None, message: str | None) -> str:
    """The incident's error as a sentence for operators (the technical text is shown folded)."""
    if error_type == "Stalled":
        return STALLED_MESSAGE
    text = f"{error_type or ''} {message or ''}"
    for pattern, words in _PLAIN:
        found = pattern.search(text)
        if found:
            name = found.group(1) if found.groups() and found.group(1) else None
            return words.replace("{name}", f" ('{name}')" if name else "")
    return "This step failed. The technical detail says why."


def open_incidents(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """Every open incident with its case, oldest first (failed steps, timers and stalled cases)."""
    rows = session.execute(select(Incident, Instance).join(Instance, Instance.id == Incident.instance_id)
                           .where(Incident.state == "open").order_by(Incident.created_at).limit(limit)).all()
    return [incident_view(incident, instance) for incident, instance in rows]


def incident_view(incident: Incident, instance: Instance) -> dict[str, Any]:
    kind = "stalled" if incident.error_type == "Stalled" else (
        "timer" if incident.message.startswith("The timer could not fire") else "step")
    return {"id": incident.id, "instanceId": instance.id, "caseReference": instance.case_reference,
            "caseTitle": instance.title, "processId": instance.process_id, "caseStatus": instance.status,
            "taskId": incident.task_id, "elementId": incident.element_id,
            "elementName": incident.element_name or incident.element_id, "kind": kind,
            "plain": plain_words(incident.error_type, incident.message), "errorType": incident.error_type,
            "message": incident.message, "lineNumber": incident.line_number, "errorLine": incident.error_line,
            "state": incident.state, "createdAt": iso(incident.created_at)}


def newest_open_incident(session: Session, instance_id: str) -> dict[str, Any] | None:
    """The case's most recent open incident (after a retry that failed again: the new one)."""
    found = session.scalars(select(Incident).where(Incident.instance_id == instance_id, Incident.state == "open")
                            .order_by(Incident.id.desc()).limit(1)).first()
    instance = session.get(Instance, instance_id) if found is not None else None
    return incident_view(found, instance) if found is not None and instance is not None else None


def get_incident(session: Session, incident_id: int) -> dict[str, Any]:
    from .errors import NotFound

    incident = session.get(Incident, incident_id)
    instance = session.get(Instance, incident.instance_id) if incident is not None else None
    if incident is None or instance is None:
        raise NotFound(f"No incident {incident_id}")
    return incident_view(incident, instance)


def failed_messages(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """Notifications and requests that could not be delivered (delivery incidents)."""
    rows = session.execute(select(OutboxMessage, Instance.case_reference)
                           .outerjoin(Instance, Instance.id == OutboxMessage.instance_id)
                           .where(OutboxMessage.state == "incident").order_by(OutboxMessage.id).limit(limit)).all()
    return [{"id": m.id, "instanceId": m.instance_id, "caseReference": ref, "channel": m.channel,
             "recipient": m.recipient, "template": m.template, "attempts": m.attempts, "error": m.last_error,
             "plain": f"The {m.channel} message could not be delivered after {m.attempts} attempts.",
             "createdAt": iso(m.created_at)} for m, ref in rows]


# ---- the audit log ------------------------------------------------------------------------------
@dataclass
class AuditFilter:
    actor: str | None = None
    case_reference: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


def audit_query(f: AuditFilter) -> Select:
    query = (select(AuditEvent, Instance.case_reference, Instance.title)
             .join(Instance, Instance.id == AuditEvent.instance_id)
             .where(AuditEvent.action.in_(list(OPERATOR_ACTIONS))))
    if f.actor:
        query = query.where(AuditEvent.actor == f.actor)
    if f.case_reference:
        query = query.where(Instance.case_reference == f.case_reference)
    if f.kind:
        query = query.where(AuditEvent.action == f.kind)
    if f.since:
        query = query.where(AuditEvent.at >= f.since)
    if f.until:
        query = query.where(AuditEvent.at < f.until)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(min(f.limit, MAX_ROWS))


def audit_log(session: Session, f: AuditFilter) -> list[dict[str, Any]]:
    """Operator and process-owner actions, newest first: who, what, which case, when and why."""
    out = [{"id": e.id, "at": iso(e.at), "actor": e.actor, "kind": e.action,
            "kindText": OPERATOR_ACTIONS.get(e.action, e.action), "instanceId": e.instance_id,
            "caseReference": ref, "caseTitle": title, "elementId": e.element_id, "elementName": e.element_name,
            "reason": (e.data or {}).get("reason") if isinstance(e.data, dict) else None, "data": e.data,
            "detail": _detail(e.action, e.data)}
           for e, ref, title in session.execute(audit_query(f))]
    out.extend(_deployments(session, f))
    out.sort(key=lambda r: r["at"] or "", reverse=True)
    return out[:f.limit]


def _detail(action: str, data: Any) -> str | None:
    """What an action changed, in a few words (the reason is shown apart)."""
    if not isinstance(data, dict):
        return None
    if action == "incident_retried" and isinstance(data.get("data"), dict) and data["data"]:
        return "Data changed: " + ", ".join(sorted(data["data"]))[:200]
    if action == "instance_moved":
        carried = sorted(data.get("data") or {}) if isinstance(data.get("data"), dict) else []
        return f"From {', '.join(data.get('fromSteps') or []) or 'nowhere'}" + (
            f"; data carried: {', '.join(carried)}" if carried else "")
    if action == "instance_cancelled":
        return f"{data.get('tasksCancelled', 0)} open tasks and {data.get('timersCancelled', 0)} timers withdrawn"
    return None


def _deployments(session: Session, f: AuditFilter) -> list[dict[str, Any]]:
    """Process owners' deployments, where this deployment records them (a ``deployment_event`` table)."""
    event = getattr(models, "DeploymentEvent", None)
    if event is None or f.case_reference or (f.kind and f.kind != "definitions_deployed"):
        return []
    query = select(event).order_by(event.at.desc()).limit(min(f.limit, MAX_ROWS))
    if f.actor:
        query = query.where(event.actor == f.actor)
    if f.since:
        query = query.where(event.at >= f.since)
    if f.until:
        query = query.where(event.at < f.until)
    return [{"id": None, "at": iso(d.at), "actor": d.actor, "kind": "definitions_deployed",
             "kindText": f"Process {d.action}: {d.process_id} version {d.version}", "instanceId": None,
             "caseReference": None, "caseTitle": None, "elementId": None, "elementName": None,
             "reason": (d.data or {}).get("reason") if isinstance(d.data, dict) else None, "data": d.data,
             "detail": None}
            for d in session.scalars(query)]


def actors(session: Session) -> list[str]:
    return sorted(a for a in session.scalars(select(AuditEvent.actor).where(
        AuditEvent.action.in_(list(OPERATOR_ACTIONS))).distinct()) if a)


# ---- where cases wait ---------------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float | None:
    """The ``share`` percentile (0..1) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def heat(session: Session, process_id: str, since: datetime, until: datetime) -> dict[str, dict[str, Any]]:
    """Per step of ``process_id``: cases waiting there now, and the median and 90th percentile of the
    time (seconds) tasks spent there when they finished within [since, until)."""
    steps: dict[str, dict[str, Any]] = {}

    def step(element_id: str, name: str | None) -> dict[str, Any]:
        return steps.setdefault(element_id, {"elementId": element_id, "name": name or element_id, "waiting": 0,
                                             "finished": 0, "median": None, "p90": None})

    for name, title, count in session.execute(
            select(TaskRow.name, func.max(TaskRow.title), func.count()).where(
                TaskRow.process_id == process_id, TaskRow.state == "open").group_by(TaskRow.name)):
        step(name, title)["waiting"] += count
    for element_id, timer_name, count in session.execute(
            select(TimerRow.element_id, func.max(TimerRow.name), func.count())
            .join(Instance, Instance.id == TimerRow.instance_id)
            .where(Instance.process_id == process_id, TimerRow.state == "waiting").group_by(TimerRow.element_id)):
        step(element_id, timer_name)["waiting"] += count
    spent: dict[str, list[float]] = {}
    rows = session.execute(select(TaskRow.name, TaskRow.title, TaskRow.created_at, TaskRow.completed_at).where(
        TaskRow.process_id == process_id, TaskRow.state == "completed", TaskRow.completed_at >= since,
        TaskRow.completed_at < until).limit(200_000))
    for name, title, created, completed in rows:
        step(name, title)
        if created is None or completed is None:
            continue
        spent.setdefault(name, []).append((completed - created).total_seconds())
    for name, values in spent.items():
        found = steps[name]
        found["finished"] = len(values)
        found["median"] = statistics.median(values)
        found["p90"] = percentile(values, 0.9)
    return steps


def _days_hours_minutes(seconds: float) -> tuple[int, int, int]:
    days, rest = divmod(int(seconds // 60), 1440)
    hours, minutes = divmod(rest, 60)
    return days, hours, minutes


def duration_short(seconds: float | None) -> str:
    """``2h 48m``, ``3d 4h``, ``45m``, ``<1m`` (for labels on a diagram)."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return "<1m"
    parts = [f"{v}{u}" for v, u in zip(_days_hours_minutes(seconds), ("d", "h", "m"), strict=True) if v]
    return " ".join(parts[:2])


def duration_words(seconds: float | None) -> str:
    """``2 days 3 hours``, ``45 minutes``, ``under a minute``."""
    if seconds is None:
        return "No finished tasks"
    if seconds < 60:
        return "Under a minute"
    parts = [f"{v} {unit}{'' if v == 1 else 's'}"
             for v, unit in zip(_days_hours_minutes(seconds), ("day", "hour", "minute"), strict=True) if v]
    return " ".join(parts[:2])
