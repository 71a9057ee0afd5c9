"""The pieces every part of the OpenAPI document is built from (app/openapi*.py)."""
from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def reply(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
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
CONFLICT = {"409": {"$ref": "#/components/responses/Conflict"}}
INVALID = {"422": {"$ref": "#/components/responses/ValidationFailed"}}


def op(summary: str, ok: dict[str, Any], *, body: dict[str, Any] | None = None, params: list | None = None,
       extra: dict[str, Any] | None = None, tag: str = "runtime", ok_code: str = "200") -> dict[str, Any]:
    spec: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {ok_code: ok, **ERRORS, **(extra or {})}}
    if body is not None:
        spec["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        spec["parameters"] = params
    return spec


def path_param(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def query(name: str, kind: str = "string", description: str = "", *, enum: list[str] | None = None,
          fmt: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    if enum:
        schema["enum"] = enum
    if fmt:
        schema["format"] = fmt
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


# One use case behind both routes that offer it (/outbox/{id}/retry and /operations/messages/{id}/retry).
SEND_AGAIN = ("Send a message that could not be delivered, or is waiting to try again after a failure, again now "
              "with a fresh count of attempts; 409 if it was sent, is being sent or is already waiting to be sent")
