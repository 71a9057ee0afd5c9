"""The operators' part of the OpenAPI document (app/api_operations.py)."""
from __future__ import annotations

from typing import Any

from workflows.operations import OPERATOR_ACTIONS

ROLES = " (admins and quality leads)"


def _ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _op(summary: str, *, params: list[dict[str, Any]] | None = None, body: dict[str, Any] | None = None,
        changes: bool = False) -> dict[str, Any]:
    names = {"400": "BadRequest", "401": "Unauthorised", "403": "Forbidden", "404": "NotFound",
             "405": "MethodNotAllowed", "409": "Conflict", "413": "TooLarge", "422": "ValidationFailed",
             "503": "Busy"}
    codes = [c for c in names if c != "409" or changes]
    op: dict[str, Any] = {"summary": summary + ROLES, "tags": ["operations"], "responses": {
        "200": _ok({"type": "object"}), **{code: {"$ref": f"#/components/responses/{names[code]}"} for code in codes}}}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _path(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _q(name: str, description: str, kind: str = "string", *, enum: list[str] | None = None,
       fmt: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    if enum:
        schema["enum"] = enum
    if fmt:
        schema["format"] = fmt
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


REASON = {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "maxLength": 2000}}}


def operations_paths() -> dict[str, Any]:
    incident = [_path("incident_id", "integer")]
    instance = [_path("instance_id")]
    return {
        "/operations/incidents": {"get": _op("Open incidents with the error in plain words, and failed messages",
                                             params=[_q("limit", "at most this many", "integer")])},
        "/operations/incidents/{incident_id}": {"get": _op(
            "One incident, with the failed step's form key and data to edit", params=incident)},
        "/operations/incidents/{incident_id}/retry": {"post": _op(
            "Run the failed step again, with edited data checked against the step's form", params=incident,
            body={"type": "object", "properties": {"data": {"type": "object"}}}, changes=True)},
        "/operations/incidents/{incident_id}/resolve": {"post": _op(
            "Resolve an incident without running anything, with a reason", params=incident, body=REASON,
            changes=True)},
        "/operations/incidents/retry": {"post": _op(
            "Retry many incidents, each in its own transaction; a result per case",
            body={"type": "object", "required": ["incidentIds"], "properties": {
                "incidentIds": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 200}}})},
        "/operations/messages/{message_id}/retry": {"post": _op(
            "Send a message that could not be delivered again now", params=[_path("message_id", "integer")],
            changes=True)},
        "/operations/stalled": {"get": _op("Cases running with nothing open, waiting or due",
                                           params=[_q("limit", "at most this many", "integer")])},
        "/instances/{instance_id}/suspend": {"post": _op(
            "Suspend a case: its tasks cannot be completed and its timers wait", params=instance, body=REASON,
            changes=True)},
        "/instances/{instance_id}/resume": {"post": _op(
            "Resume a suspended case; timers that fell due meanwhile fire once", params=instance, body=REASON,
            changes=True)},
        "/instances/{instance_id}/cancel": {"post": _op(
            "Cancel a case: open tasks, timers and waits are withdrawn", params=instance, body=REASON,
            changes=True)},
        "/instances/{instance_id}/move-targets": {"get": _op("The steps a case may be moved to", params=instance)},
        "/instances/{instance_id}/move": {"post": _op(
            "Move a case to another step of its diagram, with data to carry", params=instance,
            body={"type": "object", "required": ["elementId", "reason"], "properties": {
                "elementId": {"type": "string"}, "data": {"type": "object"}, "reason": {"type": "string"}}},
            changes=True)},
        "/operations/audit": {"get": _op("Operator and process-owner actions, newest first", params=[
            _q("person", "user name"), _q("caseReference", "case reference"),
            _q("kind", "kind of action", enum=[*OPERATOR_ACTIONS, "definitions_deployed"]),
            _q("from", "ISO 8601 date-time", fmt="date-time"), _q("to", "ISO 8601 date-time", fmt="date-time"),
            _q("limit", "at most this many", "integer")])},
        "/decision-log": {"get": _op("Decisions across all cases, with counts per rule and rules changed since",
                                     params=[_q("table", "decision id"), _q("output", "text the result contains"),
                                             _q("rule", "rule number or id"),
                                             _q("from", "ISO 8601 date-time", fmt="date-time"),
                                             _q("to", "ISO 8601 date-time", fmt="date-time"),
                                             _q("changed", "only rules changed since (true)", "boolean"),
                                             _q("limit", "at most this many", "integer")])},
        "/operations/heatmap/{process_id}": {"get": _op(
            "Per step: cases waiting now, median and 90th-percentile time spent over a period",
            params=[_path("process_id"), _q("days", "7, 30 (default), 90 or 365", enum=["7", "30", "90", "365"]),
                    _q("from", "YYYY-MM-DD", fmt="date"), _q("to", "YYYY-MM-DD", fmt="date")])},
    }
