"""A case's chronology: everything that happened on it in one dated list, as a caseworker reads it.

Steps done, decisions with the rule that matched, messages sent and received, timers, notes,
task comments and documents, newest first. Built from the case read model and the worker's records;
nothing here reads a workflow.
"""
from __future__ import annotations

from typing import Any

from . import humanise, london_date, london_time
from .words import message_label

KINDS = {"step": "Steps", "decision": "Decisions", "message": "Messages", "timer": "Timers",
         "note": "Notes and comments", "document": "Documents"}
STEP_ACTIONS = {
    "instance_started": "Case started",
    "instance_completed": "Case closed",
    "task_completed": "Step done",
    "task_claimed": "Step claimed",
    "task_released": "Step released to the team",
    "task_reassigned": "Step reassigned",
    "task_escalated": "Step escalated to a manager",
    "task_cancelled": "Step cancelled",
    "service_called": "Automatic step",
    "incident_raised": "Problem recorded",
    "incident_retried": "Problem retried",
    "incident_resolved": "Problem resolved",
}
MESSAGE_STATES = {"pending": "Waiting to be sent", "sending": "Being sent", "sent": "Sent",
                  "incident": "Could not be sent"}


def _cause(data: dict[str, Any]) -> str:
    return f"Because: {data['cause']}" if data.get("cause") else ""


def _rule_text(decision: dict[str, Any]) -> str:
    rules = decision.get("matchedRules") or []
    if not rules:
        return "No rule matched"
    return "; ".join(f"Rule {r.get('index')}" + (f": {r['annotation']}" if r.get("annotation") else "")
                     for r in rules)


def _outputs_text(outputs: Any) -> str:
    from . import display_value

    if isinstance(outputs, dict):
        return ", ".join(f"{humanise(k)}: {display_value(v)}" for k, v in outputs.items())
    return display_value(outputs)


def _upload_title(action: str, data: dict[str, Any]) -> str:
    """A long list of people whose person cases open in the background (provider failure, PF-10)."""
    if action == "people_upload_accepted":
        return f"List of {data.get('people', 0):,} people accepted: their cases are being opened"
    if action == "people_upload_finished":
        already = f"; {data['alreadyOpen']:,} already had one" if data.get("alreadyOpen") else ""
        return f"List of people done: {data.get('created', 0):,} person cases opened{already}"
    return (f"Opening person cases stopped after {data.get('created', 0):,}: "
            f"{data.get('notOpened', 0):,} people not opened")


def build(case: dict[str, Any], records: dict[str, Any]) -> list[dict[str, Any]]:
    """Entries ``{at, kind, title, detail, actor, link?}``, newest first."""
    entries: list[dict[str, Any]] = []
    for e in case.get("history", []):
        action = e["action"]
        name = e.get("elementName") or ""
        data = e.get("data") or {}
        if action in STEP_ACTIONS:
            detail = f"To {data['to']}" if action == "task_reassigned" and data.get("to") else ""
            title = STEP_ACTIONS[action] + (f": {name}" if name else "")
            entries.append({"at": e["at"], "kind": "step", "title": title, "detail": detail, "actor": e.get("actor")})
        elif action == "message_received":
            entries.append({"at": e["at"], "kind": "message",
                            "title": "Message received: " + message_label(data.get("message") or name),
                            "detail": "", "actor": e.get("actor")})
        elif action == "case_date_changed":  # a date the case holds moved (e.g. a closure date)
            was = london_date(data.get("from")) if data.get("from") else "not set"
            entries.append({"at": e["at"], "kind": "timer",
                            "title": f"{data.get('date') or name or 'Date'} changed: {was} → "
                                     f"{london_date(data.get('to'))}",
                            "detail": _cause(data), "actor": data.get("by") or e.get("actor")})
        elif action == "case_value_changed":  # a decision taken again changed a value (e.g. the urgency)
            reason = f" ({data['reason']})" if data.get("reason") else ""
            entries.append({"at": e["at"], "kind": "decision",
                            "title": f"{data.get('value') or name or 'Value'} changed: {data.get('from') or 'not set'}"
                                     f" → {data.get('to') or 'not set'}{reason}",
                            "detail": _cause(data), "actor": e.get("actor")})
        elif action == "timer_rescheduled":
            entries.append({"at": e["at"], "kind": "timer",
                            "title": f"Date moved: {name or 'a timer'}: {london_time(data.get('from'))} → "
                                     f"{london_time(data.get('to'))}",
                            "detail": _cause(data), "actor": e.get("actor")})
        elif action in ("people_upload_accepted", "people_upload_finished", "people_upload_stopped"):
            entries.append({"at": e["at"], "kind": "step", "title": _upload_title(action, data),
                            "detail": data.get("reason") or "", "actor": e.get("actor")})
        elif action == "timer_fired":
            entries.append({"at": e["at"], "kind": "timer", "title": "Date reached: " + (name or "a timer"),
                            "detail": "", "actor": None})
        elif action in ("message_failed", "message_retried"):
            entries.append({"at": e["at"], "kind": "message",
                            "title": ("Message could not be sent: " if action == "message_failed"
                                      else "Message sent again: ") + message_label(data.get("template")),
                            "detail": data.get("error") or "",
                            # older retry rows said actor "outbox" and named the person in data.by
                            "actor": (data.get("by") or e.get("actor")) if action == "message_retried" else None})
    for d in case.get("decisions", []):
        entries.append({"at": d["at"], "kind": "decision",
                        "title": "Decision: " + humanise(d.get("decisionName") or d["decisionId"]),
                        "detail": f"{_rule_text(d)}. Result: {_outputs_text(d.get('outputs'))}", "actor": None})
    for m in case.get("messages", []):
        entries.append({"at": m["createdAt"], "kind": "message",
                        "title": f"Message to {m.get('recipient') or m['channel']}: {message_label(m['template'])}",
                        "detail": MESSAGE_STATES.get(m["state"], m["state"]) + (
                            f" (attempt {m['attempts']})" if m["state"] == "incident" else ""),
                        "actor": None, "state": m["state"]})
    for t in case.get("waitingTimers", []):
        entries.append({"at": t["dueAt"], "kind": "timer", "title": "Waiting until: " + (t.get("name") or "a date"),
                        "detail": "Not reached yet", "actor": None, "future": True})
    for n in records.get("notes", []):
        title = f"Comment on ‘{n['taskTitle']}’" if n.get("taskId") else n["categoryText"]
        entries.append({"at": n["createdAt"], "kind": "note", "title": title, "detail": n["text"],
                        "actor": n["author"], "contactDate": n.get("contactDate")})
    for d in records.get("documents", []):
        entries.append({"at": d["createdAt"], "kind": "document", "title": f"Document added: {d['title']}",
                        "detail": f"{d['kind']}, {max(1, -(-d['size'] // 1024)):,} KB", "actor": d["author"],
                        "document": d})
    entries.sort(key=lambda e: e["at"] or "", reverse=True)
    return entries
