"""careflow's own error hierarchy.

SpiffWorkflow, lxml and SQLAlchemy errors are turned into these in ``workflows/`` so the API and
the inbox can show people what went wrong without a traceback.
"""
from __future__ import annotations

from typing import Any


class CareflowError(Exception):
    """Base of every error a user or a diagram can cause. ``status`` is the HTTP status to answer with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.details}


class NotFound(CareflowError):
    status = 404
    code = "not_found"


class Unauthorised(CareflowError):
    status = 401
    code = "unauthorised"


class Forbidden(CareflowError):
    status = 403
    code = "forbidden"


class Conflict(CareflowError):
    """The thing changed meanwhile (optimistic lock), or the action was already done."""

    status = 409
    code = "conflict"


class ValidationFailed(CareflowError):
    """Submitted data broke the form's schema; ``errors`` holds one entry per field."""

    status = 422
    code = "validation_failed"

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message, errors=errors)
        self.errors = errors


class ProcessDefinitionError(CareflowError):
    """A BPMN or DMN file that cannot be loaded: names the file, the element and the line."""

    status = 422
    code = "invalid_definition"

    def __init__(self, message: str, *, file: str | None = None, element: str | None = None,
                 line: int | None = None) -> None:
        where = ", ".join(p for p in (
            f"file {file}" if file else None,
            f"element {element}" if element else None,
            f"line {line}" if line else None,
        ) if p)
        super().__init__(f"{message} ({where})" if where else message, file=file, element=element, line=line)
        self.file, self.element, self.line = file, element, line
