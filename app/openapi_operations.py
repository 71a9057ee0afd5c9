"""The operators' part of the OpenAPI document (app/api_operations.py)."""
from __future__ import annotations

from typing import Any

from workflows.operations import OPERATOR_ACTIONS

from .openapi_parts import CONFLICT, SEND_AGAIN, op, path_param, query, reply

ROLES = " (admins and quality leads)"


def _action(summary: str, *, params: list[dict[str, Any]] | None = None,
            body: dict[str, Any] | None = None, changes: bool = False) -> dict[str, Any]:
    """An operators' call: an object back; a conflict is possible only where it changes a case."""
    return op(summary + ROLES, reply({"type": "object"}), body=body, params=params,
              extra=CONFLICT if changes else None, tag="operations")


REASON = {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "maxLength": 2000}}}
LIMIT = query("limit", "integer", "at most this many")
SINCE = query("from", description="ISO 8601 date-time", fmt="date-time")
UNTIL = query("to", description="ISO 8601 date-time", fmt="date-time")


def operations_paths() -> dict[str, Any]:
    incident = [path_param("incident_id", "integer")]
    instance = [path_param("instance_id")]
    return {
        "/operations/incidents": {"get": _action("Open incidents with the error in plain words, and failed messages",
                                                 params=[LIMIT])},
        "/operations/incidents/{incident_id}": {"get": _action(
            "One incident, with the failed step's form key and data to edit", params=incident)},
        "/operations/incidents/{incident_id}/retry": {"post": _action(
            "Run the failed step again, with edited data checked against the step's form", params=incident,
            body={"type": "object", "properties": {"data": {"type": "object"}}}, changes=True)},
        "/operations/incidents/{incident_id}/resolve": {"post": _action(
            "Resolve an incident without running anything, with a reason", params=incident, body=REASON,
            changes=True)},
        "/operations/incidents/retry": {"post": _action(
            "Retry many incidents, each in its own transaction; a result per case",
            body={"type": "object", "required": ["incidentIds"], "properties": {
                "incidentIds": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 200}}})},
        "/operations/messages/{message_id}/retry": {"post": _action(
            SEND_AGAIN, params=[path_param("message_id", "integer")],
            changes=True)},
        "/operations/stalled": {"get": _action("Cases running with nothing open, waiting or due", params=[LIMIT])},
        "/instances/{instance_id}/suspend": {"post": _action(
            "Suspend a case: its tasks cannot be completed and its timers wait", params=instance, body=REASON,
            changes=True)},
        "/instances/{instance_id}/resume": {"post": _action(
            "Resume a suspended case; timers that fell due meanwhile fire once", params=instance, body=REASON,
            changes=True)},
        "/instances/{instance_id}/cancel": {"post": _action(
            "Cancel a case: open tasks, timers and waits are withdrawn", params=instance, body=REASON,
            changes=True)},
        "/instances/{instance_id}/move-targets": {"get": _action("The steps a case may be moved to", params=instance)},
        "/instances/{instance_id}/move": {"post": _action(
            "Move a case to another step of its diagram, with data to carry", params=instance,
            body={"type": "object", "required": ["elementId", "reason"], "properties": {
                "elementId": {"type": "string"}, "data": {"type": "object"}, "reason": {"type": "string"}}},
            changes=True)},
        "/operations/audit": {"get": _action("Operator and process-owner actions, newest first", params=[
            query("person", description="user name"), query("caseReference", description="case reference"),
            query("kind", description="kind of action", enum=[*OPERATOR_ACTIONS, "definitions_deployed"]),
            SINCE, UNTIL, LIMIT])},
        "/decision-log": {"get": _action("Decisions across all cases, with counts per rule and rules changed since",
                                         params=[query("table", description="decision id"),
                                                 query("output", description="text the result contains"),
                                                 query("rule", description="rule number or id"), SINCE, UNTIL,
                                                 query("changed", "boolean", "only rules changed since (true)"),
                                                 LIMIT])},
        "/operations/heatmap/{process_id}": {"get": _action(
            "Per step: cases waiting now, median and 90th-percentile time spent over a period",
            params=[path_param("process_id"),
                    query("days", description="7, 30 (default), 90 or 365", enum=["7", "30", "90", "365"]),
                    query("from", description="YYYY-MM-DD", fmt="date"),
                    query("to", description="YYYY-MM-DD", fmt="date")])},
    }
