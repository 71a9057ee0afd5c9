"""REST API for the provider register and commissioning requests (handlers/providers.py, commission.py)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, request

from workflows.errors import ValidationFailed

from . import services
from .api import authenticated, body, bool_arg, int_arg, user

bp = Blueprint("api_providers", __name__, url_prefix="/api/v1")


def _register() -> Any:
    from handlers.providers import ProviderRegister

    return ProviderRegister(services().db)


def _register_call(fn: Callable[[], Any]) -> Any:
    from handlers.providers import RegisterError

    try:
        return fn()
    except RegisterError as exc:
        raise ValidationFailed(str(exc), [{"field": "body", "message": str(exc)}]) from None


@bp.get("/providers")
@authenticated("providers.read")
def list_providers():  # type: ignore[no-untyped-def]
    found = _register().list(service_type=request.args.get("serviceType"), area=request.args.get("area"),
                             limit=int_arg("limit", 200, 1, 1000), offset=int_arg("offset", 0, 0, 10**9))
    return jsonify({"providers": found})


@bp.get("/providers/match")
@authenticated("providers.read")
def match_providers():  # type: ignore[no-untyped-def]
    exclude = [e for e in request.args.get("exclude", "").split(",") if e]
    found = _register_call(lambda: _register().match(
        request.args.get("serviceType", ""), nursing=bool_arg("nursing"), area=request.args.get("area") or None,
        exclude=exclude, hours_needed=int_arg("hoursNeeded", 1, 1, 10_000), limit=int_arg("limit", 5, 1, 50)))
    return jsonify({"alternatives": found})


@bp.post("/providers/import")
@authenticated("providers.write")
def import_providers():  # type: ignore[no-untyped-def]
    text = request.get_data(as_text=True)
    if not text.strip():
        raise ValidationFailed("Send the CQC directory CSV as the request body",
                               [{"field": "body", "message": "Empty"}])
    result = _register_call(lambda: _register().import_cqc(text))
    return jsonify(result.as_dict())


@bp.put("/providers/<location_id>/vacancies")
@authenticated("providers.write")
def set_vacancies(location_id: str):  # type: ignore[no-untyped-def]
    data = body()
    details = {k: data.pop(k) for k in ("email", "framework", "rating") if k in data}
    if details:
        if "framework" in details and not isinstance(details["framework"], bool):
            raise ValidationFailed("framework must be true or false", [{"field": "framework", "message": "Boolean"}])
        if any(k != "framework" and not isinstance(v, (str, type(None))) for k, v in details.items()):
            raise ValidationFailed("email and rating must be text", [{"field": "email", "message": "Text"}])
        _register_call(lambda: _register().set_details(location_id, **details))
    vacancies = _register_call(lambda: _register().set_vacancies(location_id, data))
    return jsonify({"locationId": location_id, "vacancies": vacancies})


@bp.get("/commissioning")
@authenticated("commissioning.read")
def list_commissioning():  # type: ignore[no-untyped-def]
    from handlers.commission import list_requests

    state = request.args.get("state", "all")
    return jsonify({"requests": list_requests(services().db, None if state == "all" else state,
                                              limit=int_arg("limit", 100, 1, 500))})


@bp.post("/commissioning/<int:request_id>/state")
@authenticated("commissioning.advance")
def advance_commissioning(request_id: int):  # type: ignore[no-untyped-def]
    from handlers.commission import advance, request_dict

    data = body()
    return jsonify(request_dict(advance(services().db, request_id, data.get("state"), user().username,
                                        data.get("note"))))
