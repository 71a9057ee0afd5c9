"""The care-planning endpoints in the OpenAPI document (app/api_care_planning.py)."""
from __future__ import annotations

from typing import Any

from .openapi import CONFLICT, INVALID, _json, _op, _path_param

OBJ: dict[str, Any] = {"type": "object"}
TAG = "care planning"


def care_planning_paths() -> dict[str, Any]:
    plan = [_path_param("plan_id", "integer")]
    line = plan + [_path_param("line_id", "integer")]
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
        "/care-plans": {"post": _op("Start care and support planning by hand (CSP-01); you are the allocated worker",
                                    _json(OBJ), body=OBJ, extra=INVALID, tag=TAG, ok_code="201")},
        "/instances/{instance_id}/care-plan": {"get": _op(
            "The case's current plan (made the first time it is asked for)", _json(OBJ),
            params=[_path_param("instance_id")], tag=TAG)},
        "/care-plans/{plan_id}": {
            "get": _op("A plan version: needs, outcomes, risks, options, line items, totals, documents",
                       _json(OBJ), params=plan, tag=TAG),
            "put": _op("Change the plan's details and sections (a draft; not once signed off)", _json(OBJ),
                       body=OBJ, params=plan, extra=bad, tag=TAG)},
        "/care-plans/{plan_id}/line-items": {"post": _op("Add a costed line item (CPLI)", _json(OBJ), body=line_item,
                                                          params=plan, extra=bad, tag=TAG, ok_code="201")},
        "/care-plans/{plan_id}/line-items/{line_id}": {
            "put": _op("Change a line item (its approval goes back to pending)", _json(OBJ), body=OBJ, params=line,
                       extra=bad, tag=TAG),
            "delete": _op("Remove a line item", _json(OBJ), params=line, extra=CONFLICT, tag=TAG)},
        "/care-plans/{plan_id}/validate": {"post": _op(
            "Check the plan against V01-V28 without submitting (logged on the case)", _json(failures),
            params=plan, tag=TAG)},
        "/care-plans/{plan_id}/submit": {"post": _op(
            "Submit the plan (CSP-11) to costing and validation; WARN rules may carry override notes",
            _json(failures), body=OBJ, params=plan, extra=bad, tag=TAG)},
        "/care-plans/{plan_id}/line-items/{line_id}/activate": {"post": _op(
            "Activate an approved line item (CSP-20): 409 while a direct payment's FIN107 is outstanding",
            _json(OBJ), params=line, extra=CONFLICT, tag=TAG)},
        "/care-plans/{plan_id}/line-items/{line_id}/end": {"post": _op(
            "End an active line item", _json(OBJ), params=line, extra=CONFLICT, tag=TAG)},
        "/care-plans/tasks/{task_id}/complete": {"post": _op(
            "Complete a care-planning task (the same guards as POST /tasks/{task_id}/complete)", _json(OBJ),
            body=OBJ, params=[_path_param("task_id")], extra=bad, tag=TAG)},
        "/delegations/{username}": {
            "get": _op("A worker's budget delegation (DMN-07)", _json(OBJ), params=[_path_param("username")],
                       tag=TAG),
            "put": _op("Set a worker's self-delegation and weekly limit (managers)", _json(OBJ), body=OBJ,
                       params=[_path_param("username")], extra=INVALID, tag=TAG)},
        "/care-plans/{plan_id}/documents": {"post": {
            **_op("Upload a FIN107 or signed agreement (PDF, PNG or JPEG, at most 5 MB)", _json(OBJ), params=plan,
                  extra={**INVALID, "413": {"description": "The file is too large"}}, tag=TAG, ok_code="201"),
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"kind": {"type": "string", "enum": ["FIN107", "SIGNED_AGREEMENT"]},
                                                 "signed": {"type": "boolean"},
                                                 "file": {"type": "string", "format": "binary"}}}}}}}},
        "/care-plans/{plan_id}/plan-copy": {"post": _op(
            "Store the plan copy as accessible HTML and tagged PDF, each with its SHA-256", _json(OBJ),
            params=plan, tag=TAG, ok_code="201")},
        "/care-plan-documents/{doc_id}": {"get": _op(
            "Download a stored document", {"description": "The document"}, params=[_path_param("doc_id", "integer")],
            tag=TAG)},
    }
