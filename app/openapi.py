"""The OpenAPI 3.1 document of /api/v1 (a test checks it names exactly the routes that exist)."""
from __future__ import annotations

from typing import Any

from .openapi_operations import operations_paths


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {  # what any operation may answer, besides its own statuses
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorised"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": {"$ref": "#/components/responses/NotFound"},
    "405": {"$ref": "#/components/responses/MethodNotAllowed"},
    "413": {"$ref": "#/components/responses/TooLarge"},
    "422": {"$ref": "#/components/responses/ValidationFailed"},
    "503": {"$ref": "#/components/responses/Busy"},
}


def _op(summary: str, ok: dict[str, Any], *, body: dict[str, Any] | None = None, params: list | None = None,
        extra: dict[str, Any] | None = None, tag: str = "runtime", ok_code: str = "200") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {ok_code: ok, **ERRORS, **(extra or {})}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _path_param(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _query(name: str, kind: str = "string", description: str = "", *, enum: list[str] | None = None,
           fmt: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    if enum:
        schema["enum"] = enum
    if fmt:
        schema["format"] = fmt
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


TASK_STATES = ["open", "completed", "cancelled", "all"]
INSTANCE_STATUSES = ["running", "completed", "incident", "terminated"]
INCIDENT_STATES = ["open", "resolved", "all"]
OUTBOX_STATES = ["pending", "sending", "sent", "incident", "all"]
COMMISSIONING_STATES = ["raised", "acknowledged", "placed", "declined", "cancelled"]
SERVICE_TYPES = ["care_home", "nursing_home", "homecare"]


CONFLICT = {"409": {"$ref": "#/components/responses/Conflict"}}
INVALID = {"422": {"$ref": "#/components/responses/ValidationFailed"}}
# A further notice (provider_failure_notified) whose payload has closureDate (YYYY-MM-DD; else a 422):
# whether it moved the incident's closure date. A date it already had, or an incident already closed
# (or past its person cases), answers 200 with changed false and the reason; nothing is moved or recorded,
# though the notice itself is still delivered and logged. No incident waiting: a new one starts with it.
CLOSURE_DATE_ANSWER = {
    "type": "object", "description": "Only for a further notice naming a closure date: what it changed",
    "properties": {"changed": {"type": "boolean"}, "from": {"type": ["string", "null"]}, "to": {"type": "string"},
                   "reason": {"type": "string", "description": "why nothing changed (changed false)"},
                   "incidentId": {"type": "string"}, "caseReference": {"type": "string"},
                   "personCasesMoved": {"type": "integer", "description": "open person cases given the new date"},
                   "timersMoved": {"type": "array", "items": {"type": "object", "properties": {
                       "timerId": {"type": "string"}, "elementId": {"type": "string"},
                       "name": {"type": ["string", "null"]}, "from": {"type": "string"}, "to": {"type": "string"}}}}},
    "required": ["changed", "to"]}


def _model_paths() -> dict[str, Any]:
    from .openapi_model import model_paths

    return model_paths()


def openapi_document() -> dict[str, Any]:
    task_id = [_path_param("task_id")]
    return {
        "openapi": "3.1.0",
        "info": {"title": "careflow API", "version": "1",
                 "description": "Start, work and finish adult social care processes (BPMN) and evaluate the "
                                "council's decision tables (DMN). Authenticate with a bearer token."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/openapi.json": {"get": {**_op("This document", _json({"type": "object"}), tag="meta"),
                                      "security": []}},
            "/me": {"get": _op("The signed-in user", _json(_ref("User")), tag="meta")},
            "/processes": {"get": _op("Deployed processes, and the files that could not be loaded",
                                      _json({"type": "object", "properties": {
                                          "processes": {"type": "array", "items": _ref("Process")},
                                          "loadErrors": {"type": "array", "items": _ref("Error")}}}))},
            "/processes/{process_id}": {"get": _op("One deployed process", _json(_ref("Process")),
                                                   params=[_path_param("process_id")])},
            "/processes/{process_id}/instances": {"post": _op(
                "Start an instance on the newest deployed version", _json(_ref("Instance"), "Started"),
                body=_ref("StartInstance"), params=[_path_param("process_id")], extra=INVALID, ok_code="201")},
            "/instances": {"get": _op("Instances, newest first", _json({"type": "object", "properties": {
                "instances": {"type": "array", "items": _ref("Instance")}}}),
                params=[_query("status", enum=INSTANCE_STATUSES), _query("processId"), _query("caseReference"),
                        _query("parentCaseReference"), _query("limit", "integer"), _query("offset", "integer")])},
            "/instances/{instance_id}": {"get": _op("An instance: status, data, open tasks, waiting timers, "
                                                    "history, decisions, messages", _json(_ref("Instance")),
                                                    params=[_path_param("instance_id")])},
            "/tasks": {"get": _op("Tasks visible, most urgent first", _json({"type": "object", "properties": {
                "tasks": {"type": "array", "items": _ref("Task")}, "total": {"type": "integer"},
                "limit": {"type": "integer"}, "offset": {"type": "integer"}}}),
                params=[_query("mine", "boolean", "assigned to me"), _query("myGroups", "boolean",
                        "offered to my groups"), _query("processId"), _query("state", description=
                        "open (default), completed, cancelled or all", enum=TASK_STATES), _query("caseReference"),
                        _query("subject", description="part of the person's or provider's name"),
                        _query("instanceId"), _query("dueBefore", description="ISO 8601 date-time", fmt="date-time"),
                        _query("limit", "integer"), _query("offset", "integer")], extra=INVALID)},
            "/tasks/{task_id}": {"get": _op("A task with its form's JSON Schema and current data",
                                            _json(_ref("Task")), params=task_id)},
            "/tasks/{task_id}/claim": {"post": _op("Claim a task offered to one of my groups", _json(_ref("Task")),
                                                   params=task_id, extra=CONFLICT)},
            "/tasks/{task_id}/unclaim": {"post": _op("Release a claimed task", _json(_ref("Task")),
                                                     params=task_id, extra=CONFLICT)},
            "/tasks/{task_id}/reassign": {"post": _op("Assign a task to someone else (managers)", _json(_ref("Task")),
                                                      params=task_id, body={"type": "object", "required": ["username"],
                                                      "properties": {"username": {"type": "string"}}},
                                                      extra={**CONFLICT, **INVALID})},
            "/tasks/{task_id}/draft": {"put": _op("Save the form as a draft", _json(_ref("Task")), params=task_id,
                                                  body=_ref("TaskData"), extra=CONFLICT)},
            "/tasks/{task_id}/complete": {"post": _op(
                "Complete a task with the form's data; the data is validated against the form's schema",
                _json(_ref("Instance")), params=task_id + [{"name": "If-Match", "in": "header", "required": False,
                                                            "schema": {"type": "string"},
                                                            "description": "the instance version read"}],
                body=_ref("TaskData"), extra={**CONFLICT, **INVALID})},
            "/messages": {"post": _op("Deliver a message to waiting instances, or start the processes it starts",
                                      _json({"type": "object", "properties": {
                                          "correlated": {"type": "array", "items": {"type": "string"}},
                                          "started": {"type": "array", "items": {"type": "string"}},
                                          "closureDate": CLOSURE_DATE_ANSWER}}),
                                      body=_ref("Message"), extra=INVALID)},
            "/decisions/{decision_id}/evaluate": {"post": _op(
                "Evaluate a decision table with inputs; returns the value and the matched rules",
                _json(_ref("DecisionResult")), params=[_path_param("decision_id")],
                body={"type": "object", "properties": {"inputs": {"type": "object"}}}, extra=INVALID,
                tag="decisions")},
            "/definitions/validate": {"post": _op(
                "Validate BPMN and DMN files without storing them (decisions not sent come from what is deployed)",
                _json({"type": "object"}), body=_ref("Definitions"), extra=INVALID, tag="modeller")},
            "/definitions/deploy": {"post": _op(
                "Store and deploy new versions (process owners); processes depending on a changed decision, form "
                "or configuration get a new version too; content an earlier version has rolls back to it",
                _json({"type": "object"}, "Deployed"), body=_ref("Definitions"),
                extra=INVALID, tag="modeller", ok_code="201")},
            "/processes/{process_id}/versions/{version}/files": {"get": _op(
                "Everything one version pins (diagrams, decision tables, forms, configuration), in the shape "
                "the deploy request takes", _json({"type": "object"}),
                params=[_path_param("process_id"), _path_param("version", "integer")], tag="modeller")},
            "/processes/{process_id}/deployments": {"get": _op(
                "The deployment log of a process: each version made current (deployed or rolled back to)",
                _json({"type": "object"}), params=[_path_param("process_id")], tag="modeller")},
            "/processes/{process_id}/versions/{version}/diagram": {"get": {
                **_op("The BPMN XML of one version", {"description": "BPMN XML",
                                                       "content": {"application/xml": {"schema": {"type": "string"}}}},
                      params=[_path_param("process_id"), _path_param("version", "integer")], tag="modeller")}},
            "/incidents": {"get": _op("Incidents (admin, manager, process owner)", _json({"type": "object",
                                      "properties": {"incidents": {"type": "array", "items": _ref("Incident")}}}),
                                      params=[_query("state", description="open (default), resolved or all",
                                                     enum=INCIDENT_STATES)],
                                      tag="operations")},
            "/stalled": {"get": _op(
                "Cases running with nothing open, waiting or due (admin, manager, quality lead, process owner)",
                _json({"type": "object", "properties": {"cases": {"type": "array", "items": {"type": "object"}}}}),
                params=[_query("limit", "integer")], tag="operations")},
            "/incidents/{incident_id}/retry": {"post": _op(
                "Run the failed step again, optionally with corrected data (admin)", _json(_ref("Instance")),
                params=[_path_param("incident_id", "integer")], body=_ref("TaskData"), extra=CONFLICT,
                tag="operations")},
            "/incidents/{incident_id}/resolve": {"post": _op(
                "Mark an incident resolved without running anything (admin)", _json(_ref("Incident")),
                params=[_path_param("incident_id", "integer")], extra=CONFLICT, tag="operations")},
            **_outbox_paths(),
            **operations_paths(),
            **_provider_paths(),
            **_provider_failure_paths(),
            **_operator_paths(),
            **_model_paths(),  # the modeller (app/openapi_model.py)
            **_care_planning_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                name: _json(_ref("Error"), text) for name, text in (
                    ("Unauthorised", "No valid bearer token"), ("Forbidden", "Not allowed for this user"),
                    ("NotFound", "Unknown id"), ("Conflict", "Already done, or changed by someone else meanwhile"),
                    ("ValidationFailed", "The data broke the form's rules: one message per field"),
                    ("BadRequest", "The body is not JSON careflow can take (malformed, NaN, nested too deep)"),
                    ("MethodNotAllowed", "Not a method of this path; the Allow header lists those that are"),
                    ("TooLarge", "The body or file is larger than careflow accepts"),
                    ("Busy", "The database is busy; nothing changed. Try again after Retry-After seconds"))
            },
            "schemas": {**_schemas(), **_outbox_schemas(), **_provider_schemas()},
        },
    }


def _schemas() -> dict[str, Any]:
    text, when = {"type": ["string", "null"]}, {"type": ["string", "null"], "format": "date-time"}
    return {
        "Error": {"type": "object", "required": ["error", "message"], "properties": {
            "error": {"type": "string"}, "message": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "message": {"type": "string"}}}}}},
        "User": {"type": "object", "properties": {"username": {"type": "string"}, "displayName": {"type": "string"},
                                                  "role": {"type": "string"},
                                                  "groups": {"type": "array", "items": {"type": "string"}}}},
        "Process": {"type": "object", "properties": {
            "processId": {"type": "string"}, "name": {"type": "string"}, "version": {"type": "integer"},
            "contentHash": {"type": "string"}, "deployed": {"type": "boolean"},
            "messageStarts": {"type": "array", "items": {"type": "string"}},
            "decisions": {"type": "array", "items": {"type": "string"}},
            "versions": {"type": "array", "items": {"type": "integer"}},
            "startTimers": {"type": "array", "items": {"type": "object", "properties": {
                "elementId": {"type": "string"}, "kind": {"type": "string", "enum": ["date", "duration", "cycle"]},
                "state": {"type": "string", "enum": ["waiting", "failed"]},
                "nextDueAt": {"type": "string", "format": "date-time"},
                "remaining": {"type": ["integer", "null"]}, "firedCount": {"type": "integer"},
                "lastError": {"type": ["string", "null"]}}}}}},
        "Definitions": {"type": "object", "properties": {
            "bpmn": {"type": "object", "additionalProperties": {"type": "string"},
                     "description": "file name (ending .bpmn) to XML text"},
            "dmn": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "file name (ending .dmn) to XML text"},
            "forms": {"type": "object", "additionalProperties": {"type": "string"},
                      "description": "form file name (ending .schema.json or .ui.json) to JSON text"},
            "config": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "configuration file name (a process's .config.json, council_config.json) "
                                      "to JSON text"}}},
        "StartInstance": {"type": "object", "properties": {
            "data": {"type": "object"}, "caseReference": {"type": "string"}, "title": {"type": "string"},
            "businessKey": {"type": "string", "description": "starting twice with the same key starts once"}}},
        "TaskData": {"type": "object", "properties": {"data": {"type": "object"},
                                                      "expectedVersion": {"type": "integer"}}},
        "Message": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "correlationKeys": {"type": "object"}, "payload": {"type": "object"}}},
        "Task": {"type": "object", "properties": {
            "id": {"type": "string"}, "instanceId": {"type": "string"}, "processId": {"type": "string"},
            "caseReference": {"type": "string"}, "subject": text, "name": {"type": "string"},
            "title": {"type": "string"}, "lane": text, "candidateGroup": text, "assignee": text,
            "state": {"type": "string", "enum": ["open", "completed", "cancelled"]}, "formKey": text,
            "dueAt": when, "createdAt": when, "completedAt": when, "completedBy": text,
            "urgency": {"type": ["string", "null"], "enum": ["CRITICAL", "URGENT", "FIRST", "ROUTINE", "NONE", None],
                        "description": "the case's urgency; the list puts the most urgent first"},
            "form": {"type": ["object", "null"], "properties": {"key": {"type": "string"},
                                                                 "schema": {"type": "object"},
                                                                 "ui": {"type": "object"}}},
            "data": {"type": "object"}, "draft": {"type": ["object", "null"]},
            "formValues": {"type": "object", "description": "What the form starts from: the draft, else the "
                           "task's own fields (what the case came with, this step's earlier answers)"},
            "instanceVersion": {"type": ["integer", "null"]}}},
        "Incident": {"type": "object", "properties": {
            "id": {"type": "integer"}, "instanceId": {"type": "string"}, "taskId": text, "elementId": text,
            "elementName": text, "errorType": text, "message": {"type": "string"},
            "lineNumber": {"type": ["integer", "null"]}, "errorLine": text,
            "state": {"type": "string", "enum": ["open", "resolved"]}, "createdAt": when, "resolvedAt": when,
            "resolvedBy": text}},
        "DecisionResult": {"type": "object", "properties": {
            "decisionId": {"type": "string"}, "file": {"type": "string"}, "value": {},
            "hitPolicy": text, "inputs": {"type": "object"},
            "matchedRules": {"type": "array", "items": {"type": "object", "properties": {
                "index": {"type": "integer"}, "ruleId": text, "annotation": text, "outputs": {"type": "object"}}}}}},
        "Instance": {"type": "object", "properties": {
            "id": {"type": "string"}, "processId": {"type": "string"}, "processVersion": {"type": "integer"},
            "caseReference": {"type": "string"}, "parentCaseReference": text, "businessKey": text, "title": text,
            "status": {"type": "string", "enum": ["running", "completed", "incident", "terminated"]},
            "version": {"type": "integer"}, "startedBy": text, "createdAt": when, "updatedAt": when,
            "completedAt": when, "data": {"type": "object"},
            "summary": {"type": "object", "description": "The case's summary fields (its process says which)"},
            "openTasks": {"type": "array", "items": _ref("Task")},
            "waitingTimers": {"type": "array", "items": {"type": "object"}},
            "incidents": {"type": "array", "items": _ref("Incident")},
            "history": {"type": "array", "items": {"type": "object"}},
            "decisions": {"type": "array", "items": {"type": "object"}},
            "messages": {"type": "array", "items": {"type": "object"}}}},
    }


def _outbox_paths() -> dict[str, Any]:
    return {
        "/outbox": {"get": _op("Outbox messages, newest first (admin, manager, process owner)", _json(
            {"type": "object", "properties": {"messages": {"type": "array", "items": _ref("OutboxMessage")}}}),
            params=[_query("state", description="pending, sending, sent, incident or all (default)",
                           enum=OUTBOX_STATES),
                    _query("limit", "integer"), _query("offset", "integer")], extra=INVALID, tag="operations")},
        "/outbox/{message_id}/retry": {"post": _op(
            "Send a failed or waiting message again now, with a fresh count of attempts (admin)",
            _json(_ref("OutboxMessage")), params=[_path_param("message_id", "integer")], extra=CONFLICT,
            tag="operations")},
    }


def _outbox_schemas() -> dict[str, Any]:
    text, when = {"type": ["string", "null"]}, {"type": ["string", "null"], "format": "date-time"}
    return {"OutboxMessage": {"type": "object", "properties": {
        "id": {"type": "integer"}, "channel": {"type": "string", "enum": ["email", "notify", "webhook", "record"]},
        "recipient": text, "template": {"type": "string"}, "payload": {"type": "object"},
        "state": {"type": "string", "enum": ["pending", "sending", "sent", "incident"]},
        "attempts": {"type": "integer"}, "idempotencyKey": {"type": "string"}, "createdAt": when,
        "sentAt": when, "lastError": text}}}


def _provider_paths() -> dict[str, Any]:
    providers = {"type": "object", "properties": {"providers": {"type": "array", "items": _ref("Provider")}}}
    return {
        "/providers": {"get": _op("The provider register with vacancies", _json(providers),
                                  params=[_query("serviceType", description="care_home, nursing_home or homecare",
                                                 enum=SERVICE_TYPES),
                                          _query("area", description="local authority"),
                                          _query("limit", "integer"), _query("offset", "integer")],
                                  tag="commissioning")},
        "/providers/match": {"get": _op(
            "Alternative providers with room now, best first", _json({"type": "object", "properties": {
                "alternatives": {"type": "array", "items": _ref("Provider")}}}),
            params=[_query("serviceType", description="care_home, nursing_home or homecare", enum=SERVICE_TYPES),
                    _query("nursing", "boolean"), _query("area"),
                    _query("exclude", description="CQC location ids, comma separated"),
                    _query("hoursNeeded", "integer"), _query("limit", "integer")], extra=INVALID,
            tag="commissioning")},
        "/providers/import": {"post": {**_op(
            "Import a CQC care directory CSV (admin, quality lead)", _json({"type": "object", "properties": {
                "added": {"type": "integer"}, "updated": {"type": "integer"}, "skipped": {"type": "integer"}}}),
            extra=INVALID, tag="commissioning"),
            "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}},
        "/providers/{location_id}/vacancies": {"put": _op(
            "Set a provider's vacancies (and e-mail, framework, rating) (admin, quality lead)",
            _json({"type": "object"}), params=[_path_param("location_id")], body={"type": "object", "properties": {
                "residential": {"type": "integer"}, "nursing": {"type": "integer"},
                "homecare_hours": {"type": "integer"}, "email": {"type": "string"}, "framework": {"type": "boolean"},
                "rating": {"type": "string"}}}, extra=INVALID, tag="commissioning")},
        "/commissioning": {"get": _op("Commissioning requests, newest first", _json({"type": "object", "properties": {
            "requests": {"type": "array", "items": _ref("CommissioningRequest")}}}),
            params=[_query("state", description="raised, acknowledged, placed, declined or cancelled",
                           enum=COMMISSIONING_STATES),
                    _query("limit", "integer")], extra=INVALID, tag="commissioning")},
        "/commissioning/{request_id}/state": {"post": _op(
            "Record the provider's answer: raised -> acknowledged -> placed or declined",
            _json(_ref("CommissioningRequest")), params=[_path_param("request_id", "integer")],
            body={"type": "object", "required": ["state"], "properties": {
                "state": {"type": "string", "enum": COMMISSIONING_STATES},
                "note": {"type": "string", "maxLength": 2000}}},
            extra={**CONFLICT, **INVALID}, tag="commissioning")},
    }


def _provider_schemas() -> dict[str, Any]:
    text = {"type": ["string", "null"]}
    return {
        "Provider": {"type": "object", "properties": {
            "locationId": {"type": "string"}, "name": {"type": "string"}, "providerName": text,
            "serviceType": {"type": "string"}, "nursing": {"type": "boolean"}, "framework": {"type": "boolean"},
            "area": text, "region": text, "postcode": text, "phone": text, "email": text, "rating": text,
            "specialisms": {"type": "array", "items": {"type": "string"}},
            "vacancies": {"type": "object", "additionalProperties": {"type": "integer"}}}},
        "CommissioningRequest": {"type": "object", "properties": {
            "id": {"type": "integer"}, "reference": {"type": "string"}, "instanceId": text, "caseReference": text,
            "personReference": text, "personName": text, "providerId": {"type": ["integer", "null"]},
            "serviceType": {"type": "string"}, "nursing": {"type": "boolean"}, "area": text,
            "state": {"type": "string", "enum": COMMISSIONING_STATES},
            "history": {"type": "array", "items": {"type": "object"}},
            "createdAt": text, "updatedAt": text}},
    }


def _care_planning_paths() -> dict[str, Any]:
    from .openapi_care_planning import care_planning_paths

    return care_planning_paths()


def _provider_failure_paths() -> dict[str, Any]:
    """The affected people of a provider-failure incident (app/api_provider_failure.py)."""
    person = {"type": "object", "required": ["personRef", "personName", "role", "fundingCategory", "serviceType"],
              "properties": {"personRef": {"type": "string"}, "personName": {"type": "string"},
                             "role": {"type": "string", "enum": ["ADULT", "CARER"]},
                             "fundingCategory": {"type": "string"}, "serviceType": {"type": "string"}}}
    counts = {"type": "object", "properties": {k: {"type": "integer"} for k in ("total", "open", "closed")}}
    instance = [_path_param("instance_id")]
    return {
        "/instances/{instance_id}/affected-people": {"post": {
            **_op("Add the affected people of an incident (JSON list or CSV file); one person case each. "
                  "All or nothing unless partial=true; a retry opens nothing twice",
                  _json({"type": "object", "properties": {"created": {"type": "integer"},
                                                          "alreadyOpen": {"type": "integer"},
                                                          "rejected": {"type": "array"}, "counts": counts}}),
                  params=instance + [_query("partial", "boolean", "open the valid rows, return the bad ones")],
                  extra={**CONFLICT, **INVALID}, tag="provider failure", ok_code="201"),
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "people": {"type": "array", "items": person}}}},
                "text/csv": {"schema": {"type": "string"}},
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "file": {"type": "string", "format": "binary"}}}}}}}},
        "/instances/{instance_id}/person-cases": {"get": _op(
            "Open and closed person cases of an incident, by end reason, urgency, action and charge",
            _json(counts), params=instance, tag="provider failure")},
    }


def _operator_paths() -> dict[str, Any]:
    """The recipient directory (workflows/recipients.py)."""
    entry = {"type": "object", "properties": {"name": {"type": "string"}, "address": {"type": "string"},
                                              **{k: {"type": ["string", "null"]} for k in ("note", "updatedAt",
                                                                                            "updatedBy")}}}
    return {
        "/recipients": {"get": _op(
            "The recipient directory: where messages to each role or organisation go",
            _json({"type": "object", "properties": {"recipients": {"type": "array", "items": entry}}}),
            tag="operations")},
        "/recipients/{name}": {
            "put": _op("Add or change the address of a role or organisation (admin)", _json(entry),
                       params=[_path_param("name")], body={"type": "object", "required": ["address"], "properties": {
                           "address": {"type": "string"}, "note": {"type": "string"}}}, extra=INVALID,
                       tag="operations"),
            "delete": _op("Remove a directory entry (admin)", {"description": "Removed"},
                          params=[_path_param("name")], tag="operations", ok_code="204")},
    }
