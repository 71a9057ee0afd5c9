"""The OpenAPI 3.1 document of /api/v1 (a test checks it names exactly the routes that exist)."""
from __future__ import annotations

from typing import Any

from .openapi_care_planning import care_planning_paths
from .openapi_model import model_paths
from .openapi_operations import operations_paths
from .openapi_parts import CONFLICT, INVALID, SEND_AGAIN, op, path_param, query, ref, reply

TASK_STATES = ["open", "completed", "cancelled", "all"]
INSTANCE_STATUSES = ["running", "completed", "incident", "terminated"]
INCIDENT_STATES = ["open", "resolved", "all"]
OUTBOX_STATES = ["pending", "sending", "sent", "incident", "all"]
COMMISSIONING_STATES = ["raised", "acknowledged", "placed", "declined", "cancelled"]
SERVICE_TYPES = ["care_home", "nursing_home", "homecare"]


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


def openapi_document() -> dict[str, Any]:
    task_id = [path_param("task_id")]
    return {
        "openapi": "3.1.0",
        "info": {"title": "careflow API", "version": "1",
                 "description": "Start, work and finish adult social care processes (BPMN) and evaluate the "
                                "council's decision tables (DMN). Authenticate with a bearer token."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/openapi.json": {"get": {**op("This document", reply({"type": "object"}), tag="meta"),
                                      "security": []}},
            "/me": {"get": op("The signed-in user", reply(ref("User")), tag="meta")},
            "/processes": {"get": op("Deployed processes, and the files that could not be loaded",
                                     reply({"type": "object", "properties": {
                                         "processes": {"type": "array", "items": ref("Process")},
                                         "loadErrors": {"type": "array", "items": ref("Error")}}}))},
            "/processes/{process_id}": {"get": op("One deployed process", reply(ref("Process")),
                                                  params=[path_param("process_id")])},
            "/processes/{process_id}/instances": {"post": op(
                "Start an instance on the newest deployed version", reply(ref("Instance"), "Started"),
                body=ref("StartInstance"), params=[path_param("process_id")], extra=INVALID, ok_code="201")},
            "/instances": {"get": op("Instances, newest first", reply({"type": "object", "properties": {
                "instances": {"type": "array", "items": ref("Instance")}}}),
                params=[query("status", enum=INSTANCE_STATUSES), query("processId"), query("caseReference"),
                        query("parentCaseReference"), query("limit", "integer"), query("offset", "integer")])},
            "/instances/{instance_id}": {"get": op("An instance: status, data, open tasks, waiting timers, "
                                                   "history, decisions, messages", reply(ref("Instance")),
                                                   params=[path_param("instance_id")])},
            "/tasks": {"get": op("Tasks visible, most urgent first", reply({"type": "object", "properties": {
                "tasks": {"type": "array", "items": ref("Task")}, "total": {"type": "integer"},
                "limit": {"type": "integer"}, "offset": {"type": "integer"}}}),
                params=[query("mine", "boolean", "assigned to me"), query("myGroups", "boolean",
                        "offered to my groups"), query("processId"), query("state", description=
                        "open (default), completed, cancelled or all", enum=TASK_STATES), query("caseReference"),
                        query("subject", description="part of the person's or provider's name"),
                        query("instanceId"), query("dueBefore", description="ISO 8601 date-time", fmt="date-time"),
                        query("limit", "integer"), query("offset", "integer")], extra=INVALID)},
            "/tasks/{task_id}": {"get": op("A task with its form's JSON Schema and current data",
                                           reply(ref("Task")), params=task_id)},
            "/tasks/{task_id}/claim": {"post": op("Claim a task offered to one of my groups", reply(ref("Task")),
                                                  params=task_id, extra=CONFLICT)},
            "/tasks/{task_id}/unclaim": {"post": op("Release a claimed task", reply(ref("Task")),
                                                    params=task_id, extra=CONFLICT)},
            "/tasks/{task_id}/reassign": {"post": op("Assign a task to someone else (managers)", reply(ref("Task")),
                                                     params=task_id, body={"type": "object", "required": ["username"],
                                                     "properties": {"username": {"type": "string"}}},
                                                     extra={**CONFLICT, **INVALID})},
            "/tasks/{task_id}/draft": {"put": op("Save the form as a draft", reply(ref("Task")), params=task_id,
                                                 body=ref("TaskData"), extra=CONFLICT)},
            "/tasks/{task_id}/complete": {"post": op(
                "Complete a task with the form's data; the data is validated against the form's schema",
                reply(ref("Instance")), params=task_id + [{"name": "If-Match", "in": "header", "required": False,
                                                           "schema": {"type": "string"},
                                                           "description": "the instance version read"}],
                body=ref("TaskData"), extra={**CONFLICT, **INVALID})},
            "/messages": {"post": op("Deliver a message to waiting instances, or start the processes it starts",
                                     reply({"type": "object", "properties": {
                                         "correlated": {"type": "array", "items": {"type": "string"}},
                                         "started": {"type": "array", "items": {"type": "string"}},
                                         "closureDate": CLOSURE_DATE_ANSWER}}),
                                     body=ref("Message"), extra=INVALID)},
            "/decisions/{decision_id}/evaluate": {"post": op(
                "Evaluate a decision table with inputs; returns the value and the matched rules",
                reply(ref("DecisionResult")), params=[path_param("decision_id")],
                body={"type": "object", "properties": {"inputs": {"type": "object"}}}, extra=INVALID,
                tag="decisions")},
            "/definitions/validate": {"post": op(
                "Validate BPMN and DMN files without storing them (decisions not sent come from what is deployed)",
                reply({"type": "object"}), body=ref("Definitions"), extra=INVALID, tag="modeller")},
            "/definitions/deploy": {"post": op(
                "Store and deploy new versions (process owners); processes depending on a changed decision, form "
                "or configuration get a new version too; content an earlier version has rolls back to it",
                reply({"type": "object"}, "Deployed"), body=ref("Definitions"),
                extra=INVALID, tag="modeller", ok_code="201")},
            "/processes/{process_id}/versions/{version}/files": {"get": op(
                "Everything one version pins (diagrams, decision tables, forms, configuration), in the shape "
                "the deploy request takes", reply({"type": "object"}),
                params=[path_param("process_id"), path_param("version", "integer")], tag="modeller")},
            "/processes/{process_id}/deployments": {"get": op(
                "The deployment log of a process: each version made current (deployed or rolled back to)",
                reply({"type": "object"}), params=[path_param("process_id")], tag="modeller")},
            "/processes/{process_id}/versions/{version}/diagram": {"get": {
                **op("The BPMN XML of one version", {"description": "BPMN XML",
                                                       "content": {"application/xml": {"schema": {"type": "string"}}}},
                     params=[path_param("process_id"), path_param("version", "integer")], tag="modeller")}},
            "/incidents": {"get": op("Incidents (admin, manager, process owner)", reply({"type": "object",
                                     "properties": {"incidents": {"type": "array", "items": ref("Incident")}}}),
                                     params=[query("state", description="open (default), resolved or all",
                                                   enum=INCIDENT_STATES)],
                                     tag="operations")},
            "/stalled": {"get": op(
                "Cases running with nothing open, waiting or due (admin, manager, quality lead, process owner)",
                reply({"type": "object", "properties": {"cases": {"type": "array", "items": {"type": "object"}}}}),
                params=[query("limit", "integer")], tag="operations")},
            "/incidents/{incident_id}/retry": {"post": op(
                "Run the failed step again, optionally with corrected data (admin)", reply(ref("Instance")),
                params=[path_param("incident_id", "integer")], body=ref("TaskData"), extra=CONFLICT,
                tag="operations")},
            "/incidents/{incident_id}/resolve": {"post": op(
                "Mark an incident resolved without running anything (admin)", reply(ref("Incident")),
                params=[path_param("incident_id", "integer")], extra=CONFLICT, tag="operations")},
            **_outbox_paths(),
            **operations_paths(),
            **_provider_paths(),
            **_provider_failure_paths(),
            **_operator_paths(),
            **model_paths(),  # the modeller (app/openapi_model.py)
            **care_planning_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                name: reply(ref("Error"), text) for name, text in (
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
            "instanceVersion": {"type": ["integer", "null"]},
            "caseHeldBy": {"type": ["string", "null"], "description": "who holds the case (its allocated worker), "
                           "on one task and a claim's answer; a claim in a case someone else holds takes the "
                           "task only, and the case stays with them"}}},
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
            "openTasks": {"type": "array", "items": ref("Task")},
            "waitingTimers": {"type": "array", "items": {"type": "object"}},
            "incidents": {"type": "array", "items": ref("Incident")},
            "history": {"type": "array", "items": {"type": "object"}},
            "decisions": {"type": "array", "items": {"type": "object"}},
            "messages": {"type": "array", "items": {"type": "object"}}}},
    }


def _outbox_paths() -> dict[str, Any]:
    return {
        "/outbox": {"get": op("Outbox messages, newest first (admin, manager, process owner)", reply(
            {"type": "object", "properties": {"messages": {"type": "array", "items": ref("OutboxMessage")}}}),
            params=[query("state", description="pending, sending, sent, incident or all (default)",
                          enum=OUTBOX_STATES),
                    query("limit", "integer"), query("offset", "integer")], extra=INVALID, tag="operations")},
        "/outbox/{message_id}/retry": {"post": op(
            SEND_AGAIN + " (admin)",
            reply(ref("OutboxMessage")), params=[path_param("message_id", "integer")], extra=CONFLICT,
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
    providers = {"type": "object", "properties": {"providers": {"type": "array", "items": ref("Provider")}}}
    return {
        "/providers": {"get": op("The provider register with vacancies", reply(providers),
                                 params=[query("serviceType", description="care_home, nursing_home or homecare",
                                               enum=SERVICE_TYPES),
                                         query("area", description="local authority"),
                                         query("limit", "integer"), query("offset", "integer")],
                                 tag="commissioning")},
        "/providers/match": {"get": op(
            "Alternative providers with room now, best first", reply({"type": "object", "properties": {
                "alternatives": {"type": "array", "items": ref("Provider")}}}),
            params=[query("serviceType", description="care_home, nursing_home or homecare", enum=SERVICE_TYPES),
                    query("nursing", "boolean"), query("area"),
                    query("exclude", description="CQC location ids, comma separated"),
                    query("hoursNeeded", "integer"), query("limit", "integer")], extra=INVALID,
            tag="commissioning")},
        "/providers/import": {"post": {**op(
            "Import a CQC care directory CSV (admin, quality lead)", reply({"type": "object", "properties": {
                "added": {"type": "integer"}, "updated": {"type": "integer"}, "skipped": {"type": "integer"}}}),
            extra=INVALID, tag="commissioning"),
            "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}},
        "/providers/{location_id}/vacancies": {"put": op(
            "Set a provider's vacancies (and e-mail, framework, rating) (admin, quality lead)",
            reply({"type": "object"}), params=[path_param("location_id")], body={"type": "object", "properties": {
                "residential": {"type": "integer"}, "nursing": {"type": "integer"},
                "homecare_hours": {"type": "integer"}, "email": {"type": "string"}, "framework": {"type": "boolean"},
                "rating": {"type": "string"}}}, extra=INVALID, tag="commissioning")},
        "/commissioning": {"get": op("Commissioning requests, newest first", reply({"type": "object", "properties": {
            "requests": {"type": "array", "items": ref("CommissioningRequest")}}}),
            params=[query("state", description="raised, acknowledged, placed, declined or cancelled",
                          enum=COMMISSIONING_STATES),
                    query("limit", "integer")], extra=INVALID, tag="commissioning")},
        "/commissioning/{request_id}/state": {"post": op(
            "Record the provider's answer: raised -> acknowledged -> placed or declined",
            reply(ref("CommissioningRequest")), params=[path_param("request_id", "integer")],
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


def _provider_failure_paths() -> dict[str, Any]:
    """The affected people of a provider-failure incident (app/api_provider_failure.py)."""
    person = {"type": "object", "required": ["personRef", "personName", "role", "fundingCategory", "serviceType"],
              "properties": {"personRef": {"type": "string"}, "personName": {"type": "string"},
                             "role": {"type": "string", "enum": ["ADULT", "CARER"]},
                             "fundingCategory": {"type": "string"}, "serviceType": {"type": "string"}}}
    counts = {"type": "object", "properties": {k: {"type": "integer"} for k in ("total", "open", "closed")}}
    instance = [path_param("instance_id")]
    upload = {"type": "object", "properties": {
        "uploadId": {"type": "integer"}, "status": {"type": "string", "enum": ["opening", "finished", "stopped"]},
        **{k: {"type": "integer"} for k in ("total", "created", "alreadyOpen", "remaining")},
        "rejected": {"type": "array"}, "progressUrl": {"type": "string"},
        **{k: {"type": ["string", "null"]} for k in ("requestedBy", "requestedAt", "finishedAt", "stoppedBecause")}}}
    return {
        "/instances/{instance_id}/affected-people": {"post": {
            **op("Add the affected people of an incident (JSON list or CSV file); one person case each. "
                 "All or nothing unless partial=true; a retry opens nothing twice. Up to 500 people are opened "
                 "at once (201; 200 when all had a case already); a longer list is checked, accepted (202) "
                 "and opened in the background: follow progressUrl",
                 reply({"type": "object", "properties": {"created": {"type": "integer"},
                                                         "alreadyOpen": {"type": "integer"},
                                                         "rejected": {"type": "array"}, "counts": counts,
                                                         "status": {"type": "string", "enum": ["finished"]}}},
                       "People added: each has a case"),
                 params=instance + [query("partial", "boolean", "open the valid rows, return the bad ones")],
                 extra={**CONFLICT, **INVALID,
                        "200": reply({"type": "object"}, "Everybody on the list had a case already"),
                        "202": reply(upload, "Accepted: the cases are being opened; Location is progressUrl")},
                 tag="provider failure", ok_code="201"),
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "people": {"type": "array", "items": person}}}},
                "text/csv": {"schema": {"type": "string"}},
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "file": {"type": "string", "format": "binary"}}}}}}}},
        "/instances/{instance_id}/affected-people/uploads/{upload_id}": {"get": op(
            "How far an accepted list of people has got: opening, finished, or stopped (the incident closed)",
            reply(upload), params=instance + [path_param("upload_id", "integer")], tag="provider failure")},
        "/instances/{instance_id}/person-cases": {"get": op(
            "Open and closed person cases of an incident, by end reason, urgency, action and charge",
            reply(counts), params=instance, tag="provider failure")},
    }


def _operator_paths() -> dict[str, Any]:
    """The recipient directory (workflows/recipients.py)."""
    entry = {"type": "object", "properties": {"name": {"type": "string"}, "address": {"type": "string"},
                                              **{k: {"type": ["string", "null"]} for k in ("note", "updatedAt",
                                                                                            "updatedBy")}}}
    return {
        "/recipients": {"get": op(
            "The recipient directory: where messages to each role or organisation go",
            reply({"type": "object", "properties": {"recipients": {"type": "array", "items": entry}}}),
            tag="operations")},
        "/recipients/{name}": {
            "put": op("Add or change the address of a role or organisation (admin)", reply(entry),
                      params=[path_param("name")], body={"type": "object", "required": ["address"], "properties": {
                           "address": {"type": "string"}, "note": {"type": "string"}}}, extra=INVALID,
                      tag="operations"),
            "delete": op("Remove a directory entry (admin)", {"description": "Removed"},
                         params=[path_param("name")], tag="operations", ok_code="204")},
    }
