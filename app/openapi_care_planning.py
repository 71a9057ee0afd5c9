"""The care-planning endpoints in the OpenAPI document (app/api_care_planning.py)."""
from __future__ import annotations

from typing import Any

from .openapi_parts import CONFLICT, INVALID, op, path_param, reply

OBJ: dict[str, Any] = {"type": "object"}
TAG = "care planning"


def care_planning_paths() -> dict[str, Any]:
    plan = [path_param("plan_id", "integer")]
    line = plan + [path_param("line_id", "integer")]
    line_item = {"type": "object", "required": ["description", "budgetOption", "weeklyCost"], "properties": {
        "description": {"type": "string"}, "budgetOption": {"type": "string", "enum": [
            "DIRECT_PAYMENT", "DP_MANAGED_ACCOUNT", "ISF", "COUNCIL_MANAGED"]},
        "weeklyCost": {"type": ["number", "string"]}, "dpOnCostsWeekly": {"type": ["number", "string", "null"]},
        "provider": {"type": "string"}, "frequency": {"type": "string"}, "carerRespite": {"type": "boolean"},
        "brokered": {"type": "boolean"}, "nhsResponsibility": {"type": "boolean"}}}
    failures = {"type": "object", "properties": {"valid": {"type": "boolean"}, "failures": {"type": "array"},
                                                 "blocking": {"type": "array"}}}
    bad = {**CONFLICT, **INVALID}
    return {
        "/care-plans": {"post": op("Start care and support planning by hand (CSP-01); you are the allocated worker",
                                   reply(OBJ), body=OBJ, extra=INVALID, tag=TAG, ok_code="201")},
        "/instances/{instance_id}/care-plan": {"get": op(
            "The case's current plan (made the first time it is asked for)", reply(OBJ),
            params=[path_param("instance_id")], tag=TAG)},
        "/care-plans/{plan_id}": {
            "get": op("A plan version: needs, outcomes, risks, options, line items, totals, documents",
                      reply(OBJ), params=plan, tag=TAG),
            "put": op("Change the plan's details and sections (a draft; not once signed off)", reply(OBJ),
                      body=OBJ, params=plan, extra=bad, tag=TAG)},
        "/care-plans/{plan_id}/line-items": {"post": op("Add a costed line item (CPLI)", reply(OBJ), body=line_item,
                                                         params=plan, extra=bad, tag=TAG, ok_code="201")},
        "/care-plans/{plan_id}/line-items/{line_id}": {
            "put": op("Change a line item (its approval goes back to pending)", reply(OBJ), body=OBJ, params=line,
                      extra=bad, tag=TAG),
            "delete": op("Remove a line item", reply(OBJ), params=line, extra=CONFLICT, tag=TAG)},
        "/care-plans/{plan_id}/validate": {"post": op(
            "Check the plan against V01-V28 without submitting (logged on the case)", reply(failures),
            params=plan, tag=TAG)},
        "/care-plans/{plan_id}/submit": {"post": op(
            "Submit the plan (CSP-11) to costing and validation; WARN rules may carry override notes",
            reply(failures), body=OBJ, params=plan, extra=bad, tag=TAG)},
        "/care-plans/{plan_id}/line-items/{line_id}/activate": {"post": op(
            "Activate an approved line item (CSP-20): 409 while a direct payment's FIN107 is outstanding",
            reply(OBJ), params=line, extra=CONFLICT, tag=TAG)},
        "/care-plans/{plan_id}/line-items/{line_id}/end": {"post": op(
            "End an active line item", reply(OBJ), params=line, extra=CONFLICT, tag=TAG)},
        "/care-plans/tasks/{task_id}/complete": {"post": op(
            "Complete a care-planning task (the same guards as POST /tasks/{task_id}/complete)", reply(OBJ),
            body=OBJ, params=[path_param("task_id")], extra=bad, tag=TAG)},
        "/delegations/{username}": {
            "get": op("A worker's budget delegation (DMN-07)", reply(OBJ), params=[path_param("username")],
                      tag=TAG),
            "put": op("Set a worker's self-delegation and weekly limit (managers)", reply(OBJ), body=OBJ,
                      params=[path_param("username")], extra=INVALID, tag=TAG)},
        "/care-plans/{plan_id}/documents": {"post": {
            **op("Upload a FIN107 or signed agreement (PDF, PNG or JPEG, at most 5 MB)", reply(OBJ), params=plan,
                 extra={**INVALID, "413": {"description": "The file is too large"}}, tag=TAG, ok_code="201"),
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"kind": {"type": "string", "enum": ["FIN107", "SIGNED_AGREEMENT"]},
                                                 "signed": {"type": "boolean"},
                                                 "file": {"type": "string", "format": "binary"}}}}}}}},
        "/care-plans/{plan_id}/plan-copy": {"post": op(
            "Store the plan copy as accessible HTML and tagged PDF, each with its SHA-256", reply(OBJ),
            params=plan, tag=TAG, ok_code="201")},
        "/care-plan-documents/{doc_id}": {"get": op(
            "Download a stored document", {"description": "The document"}, params=[path_param("doc_id", "integer")],
            tag=TAG)},
    }
