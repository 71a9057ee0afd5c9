"""The modeller's part of the OpenAPI document (/api/v1/model, process owners and admins)."""
from __future__ import annotations

from typing import Any

from .openapi_parts import CONFLICT, INVALID, op, path_param, query, reply

OBJ: dict[str, Any] = {"type": "object"}
# A file: JSON with its text, or the XML itself when ``download`` is given.
FILE = {"description": "The file", "content": {"application/json": {"schema": OBJ},
                                                "application/xml": {"schema": {"type": "string"}}}}


def _m(summary: str, **kw: Any) -> dict[str, Any]:
    return op(summary, kw.pop("ok", reply(OBJ)), tag="modeller", **kw)


def model_paths() -> dict[str, Any]:
    pid, fname, key = path_param("process_id"), path_param("filename"), path_param("key")
    num = path_param("version", "integer")
    reason = {"type": "object", "properties": {"reason": {"type": "string"}}, "required": ["reason"]}
    seen = {"type": "integer", "description": "The newest version you had opened: 409 if someone saved a newer "
                                              "one since (its number in latestVersion)"}
    save = {"type": "object", "properties": {"xml": {"type": "string"}, "comment": {"type": "string"},
                                             "latestVersion": seen}}
    return {
        "/model": {"get": _m("Every process, decision file and form with its versions, running cases per version "
                             "and the registered handlers")},
        "/model/audit": {"get": _m("The modeller's audit log: saves, deploys, migrations, reverts")},
        "/model/processes/{process_id}/file": {"get": _m(
            "A process version's BPMN (JSON, or the XML itself with download=1)", ok=FILE, params=[
                pid, query("version", "integer"), query("download")])},
        "/model/processes/{process_id}/check": {"post": _m(
            "Every problem of a diagram, as a save would find them (nothing stored)", body=save, params=[pid])},
        "/model/processes/{process_id}/versions": {"post": _m(
            "Save a new undeployed version with a comment; refused whole with {element, message} per problem",
            body=save, params=[pid], extra={**INVALID, **CONFLICT}, ok=reply(OBJ, "Saved (200: unchanged)"),
            ok_code="201")},
        "/model/processes/{process_id}/versions/{version}/deploy": {"post": _m(
            "Make a version current (refused while a scenario test fails)", body=reason, params=[pid, num],
            extra=INVALID)},
        "/model/processes/{process_id}/compare": {"get": _m(
            "Elements added, removed and changed between two versions", params=[
                pid, query("from", "integer"), query("to", "integer")])},
        "/model/processes/{process_id}/tests": {
            "get": _m("The process's scenario tests", params=[pid]),
            "put": _m("Replace the process's scenario tests (with 'previous', the tests as you opened them: 409 if "
                      "someone changed them since)", body=OBJ, params=[pid], extra={**INVALID, **CONFLICT})},
        "/model/processes/{process_id}/tests/run": {"post": _m(
            "Run the scenario tests against a version (default: the current one)", body=OBJ, params=[pid])},
        "/model/processes/{process_id}/migrations/dry-run": {"post": _m(
            "Case by case: what would move to a version and what blocks it", body=OBJ, params=[pid],
            extra=INVALID)},
        "/model/processes/{process_id}/migrations": {
            "get": _m("Migrations of this process's cases, newest first", params=[pid]),
            "post": _m("Move the chosen running cases to a version (blocked ones are reported and left)",
                       body=OBJ, params=[pid], extra=INVALID)},
        "/model/migrations/{migration_id}/revert": {"post": _m(
            "Put a migrated case back on its previous version", body=reason,
            params=[path_param("migration_id", "integer")], extra={**INVALID, **CONFLICT})},
        "/model/decisions/{filename}/file": {"get": _m(
            "A decision file version (JSON, or the XML with download=1)", ok=FILE, params=[
                fname, query("version", "integer"), query("download")])},
        "/model/decisions/{filename}/versions": {"post": _m(
            "Save a new version of a decision file; refused whole with every problem", body=save,
            params=[fname], extra={**INVALID, **CONFLICT}, ok_code="201")},
        "/model/decisions/{filename}/versions/{version}/deploy": {"post": _m(
            "Every current process using the file gets a new version with it", body=reason, params=[fname, num],
            extra={**INVALID, **CONFLICT})},
        "/model/decisions/try": {"post": _m(
            "Evaluate a decision of a DMN text: outputs, matched rules and why", body=OBJ, extra=INVALID)},
        "/model/forms/{key}/file": {"get": _m("A form version's schema and layout", params=[
            key, query("version", "integer")])},
        "/model/forms/{key}/versions": {"post": _m(
            "Save a new version of a form (schema, ui, comment, latestVersion)", body=OBJ, params=[key],
            extra={**INVALID, **CONFLICT}, ok_code="201")},
        "/model/forms/{key}/versions/{version}/deploy": {"post": _m(
            "Make a form version the one caseworkers see", body=reason, params=[key, num], extra=INVALID)},
    }


__all__ = ["FILE", "model_paths"]
