"""REST API under /api/v1: thin views over the runtime's use cases and read models."""
from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from workflows import casework, queries
from workflows.errors import CareflowError, Forbidden, NotFound, Unauthorised, ValidationFailed
from workflows.identity import OVERSIGHT_ROLES, Principal, principal_for_token
from workflows.models import Instance
from workflows.runtime import may_work

from . import services
from .hardening import JsonRefused
from .openapi import openapi_document
from .permissions import MATRIX, ROLES

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def authenticated(operation: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Require a bearer token whose user's role may do ``operation`` (a row of app.permissions.MATRIX)."""
    rule = MATRIX[operation]

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorised("Send a bearer token in the Authorization header")
            user = _principal(token.strip())
            if user.role not in rule.roles:
                wanted = ", ".join(r.replace("_", " ") for r in ROLES if r in rule.roles)
                raise Forbidden(f"This needs one of the roles: {wanted}")
            g.user = user
            return view(*args, **kwargs)
        return inner
    return wrap


_PRINCIPALS: dict[str, tuple[float, Principal]] = {}
PRINCIPAL_TTL_SECONDS = 10.0  # a revoked token or changed role takes effect within this time


def _principal(token: str) -> Principal:
    """The token's user, remembered briefly so each request does not pay for the lookup."""
    now = time.monotonic()
    found = _PRINCIPALS.get(token)
    if found is not None and now - found[0] < PRINCIPAL_TTL_SECONDS:
        return found[1]
    with services().db.reading() as session:
        principal = principal_for_token(session, token)
    if len(_PRINCIPALS) > 10_000:
        _PRINCIPALS.clear()
    _PRINCIPALS[token] = (now, principal)
    return principal


def forget_cached_principals() -> None:
    """Drop the remembered token users (a token was revoked here: it stops working now, not in 10 s)."""
    _PRINCIPALS.clear()


def body() -> dict[str, Any]:
    if not request.content_length and not request.data:
        return {}
    try:
        data = current_app.json.loads(request.get_data(cache=True))
    except JsonRefused as exc:
        raise CareflowError(f"The request body is not accepted: {exc}") from None
    except ValueError:
        raise CareflowError("The request body is not valid JSON") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CareflowError("The request body must be a JSON object")
    return data


def object_field(data: dict[str, Any], name: str) -> dict[str, Any]:
    """``data[name]`` as an object: missing or null means empty; anything else is a 422."""
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed(f"'{name}' must be an object", [{"field": name, "message": "Must be an object"}])
    return value


CASE_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


def text_field(data: dict[str, Any], name: str, max_length: int, *,
               pattern: re.Pattern[str] | None = None) -> str | None:
    """``data[name]`` as non-empty text of at most ``max_length`` characters, or None when absent."""
    value = data.get(name)
    if value is None:
        return None
    problem = None
    if not isinstance(value, str):
        problem = "Must be text"
    elif not value.strip():
        problem = "Must not be empty (leave it out instead)"
    elif len(value) > max_length:
        problem = f"Must be at most {max_length} characters"
    elif pattern is not None and not pattern.match(value):
        problem = "Can only contain letters, numbers, dots, dashes, slashes and underscores"
    if problem:
        raise ValidationFailed(f"'{name}': {problem[0].lower()}{problem[1:]}", [{"field": name, "message": problem}])
    return value


def user() -> Principal:
    return g.user


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"'{name}' must be a whole number",
                               [{"field": name, "message": "Must be a whole number"}]) from None
    return max(lo, min(hi, value))


def bool_arg(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


def _datetime_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(f"'{name}' must be an ISO 8601 date or date-time",
                               [{"field": name, "message": "Must be a date such as 2026-12-31"}]) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def require_case(session: Any, instance_id: str) -> Instance:
    """The case, if the caller needs to know it (their teams work on it, or an oversight role); else 403."""
    row = queries.get_instance_row(session, instance_id)
    who = user()
    if who.role not in OVERSIGHT_ROLES and not queries.case_involves(session, instance_id, who.username,
                                                                     who.group_names):
        raise Forbidden("This case is not one your teams work on")
    return row


def instance_out(instance_id: str, *, with_data: bool = True, history: bool = True) -> dict[str, Any]:
    svc = services()
    with svc.db.reading() as session:
        row = require_case(session, instance_id)
        out = queries.instance_dict(session, row, history=history)
    if with_data:
        out["data"] = svc.runtime.instance_data(instance_id)
    return out


# ---- processes ------------------------------------------------------------------------------
@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    return jsonify(openapi_document())


@bp.get("/me")
@authenticated("me.read")
def me():  # type: ignore[no-untyped-def]
    u = user()
    return jsonify({"username": u.username, "displayName": u.display_name, "role": u.role, "groups": u.group_names})


@bp.get("/processes")
@authenticated("processes.read")
def list_processes():  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        processes = queries.list_processes(session)
    # Files in bpmn/ or dmn/ that could not be loaded, so a process owner sees why a process is missing.
    return jsonify({"processes": processes, "loadErrors": services().library.load_errors})


@bp.get("/processes/<process_id>")
@authenticated("processes.read")
def get_process(process_id: str):  # type: ignore[no-untyped-def]
    with services().db.reading() as session:
        for each in queries.list_processes(session):
            if each["processId"] == process_id:
                return jsonify(each)
    raise NotFound(f"No deployed process '{process_id}'")


@bp.post("/processes/<process_id>/instances")
@authenticated("process.start")
def start_instance(process_id: str):  # type: ignore[no-untyped-def]
    data = body()
    row = services().runtime.start(process_id, object_field(data, "data"), actor=user().username,
                                   case_reference=text_field(data, "caseReference", 120, pattern=CASE_REFERENCE),
                                   business_key=text_field(data, "businessKey", 200),
                                   title=text_field(data, "title", 300))
    return jsonify(instance_out(row.id)), 201


# ---- instances ------------------------------------------------------------------------------
@bp.get("/instances")
@authenticated("instances.list")
def list_instances():  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    query = select(Instance).order_by(Instance.created_at.desc())
    for arg, column in (("status", Instance.status), ("processId", Instance.process_id),
                        ("caseReference", Instance.case_reference),
                        ("parentCaseReference", Instance.parent_case_reference)):
        if request.args.get(arg):
            query = query.where(column == request.args[arg])
    query = query.limit(int_arg("limit", 50, 1, 500)).offset(int_arg("offset", 0, 0, 10**9))
    if user().role not in OVERSIGHT_ROLES:  # need to know: the cases one works on
        query = query.where(queries.involving(user().username, user().group_names))
    with services().db.reading() as session:
        rows = session.scalars(query).all()
        return jsonify({"instances": [queries.instance_dict(session, r, history=False) for r in rows]})


@bp.get("/instances/<instance_id>")
@authenticated("instance.read")
def get_instance(instance_id: str):  # type: ignore[no-untyped-def]
    return jsonify(instance_out(instance_id))


# ---- tasks ----------------------------------------------------------------------------------
@bp.get("/tasks")
@authenticated("tasks.list")
def list_tasks():  # type: ignore[no-untyped-def]
    state = request.args.get("state", "open")
    if state not in ("open", "completed", "cancelled", "all"):
        raise ValidationFailed("Unknown task state", [{"field": "state",
                                                       "message": "Use open, completed, cancelled or all"}])
    f = queries.TaskFilter(
        mine=bool_arg("mine"), my_groups=bool_arg("myGroups"), process_id=request.args.get("processId"),
        state=None if state == "all" else state, case_reference=request.args.get("caseReference"),
        subject=request.args.get("subject"), due_before=_datetime_arg("dueBefore"),
        instance_id=request.args.get("instanceId"),
        limit=int_arg("limit", 50, 1, 500), offset=int_arg("offset", 0, 0, 10**9))
    who = user()
    if who.role not in OVERSIGHT_ROLES and not (f.mine or f.my_groups):
        f.involving = queries.tasks_of_cases_involving(who.username, who.group_names)
    with services().db.reading() as session:
        tasks, total = queries.list_tasks(session, user(), f)
    return jsonify({"tasks": tasks, "total": total, "limit": f.limit, "offset": f.offset})


@bp.get("/tasks/<task_id>")
@authenticated("task.read")
def get_task(task_id: str):  # type: ignore[no-untyped-def]
    svc = services()
    with svc.db.reading() as session:
        row = queries.get_task_row(session, task_id)
        who = user()
        team = row.offered_to_group and row.candidate_group is not None and row.candidate_group in who.group_names
        if not (may_work(who, row) or team or row.completed_by == who.username or who.role in OVERSIGHT_ROLES):
            raise Forbidden("This task is for another team")
        out = queries.task_dict(row)
        out["draft"] = row.draft
        out["caseHeldBy"] = casework.allocated_worker(session, row.case_reference)
        instance = session.get(Instance, row.instance_id)
        out["instanceVersion"] = instance.version if instance else None
    form_key = out["formKey"]
    out["form"] = svc.library.form_for_task(task_id).to_dict() if form_key else None  # the case's version
    if out["state"] == "open":
        out["data"] = svc.runtime.task_data(task_id)
        out["formValues"] = out["draft"] or svc.runtime.task_form_values(task_id)
    return jsonify(out)


@bp.post("/tasks/<task_id>/claim")
@authenticated("task.claim")
def claim_task(task_id: str):  # type: ignore[no-untyped-def]
    out = queries.task_dict(services().runtime.claim(task_id, user()))
    with services().db.reading() as session:  # a case someone else holds stays theirs: say whose
        out["caseHeldBy"] = casework.allocated_worker(session, out["caseReference"])
    return jsonify(out)


@bp.post("/tasks/<task_id>/unclaim")
@authenticated("task.release")
def unclaim_task(task_id: str):  # type: ignore[no-untyped-def]
    return jsonify(queries.task_dict(services().runtime.unclaim(task_id, user())))


@bp.post("/tasks/<task_id>/reassign")
@authenticated("task.reassign")
def reassign_task(task_id: str):  # type: ignore[no-untyped-def]
    username = body().get("username")
    if not isinstance(username, str) or not username:
        raise ValidationFailed("Say who to assign the task to", [{"field": "username", "message": "Enter a user name"}])
    return jsonify(queries.task_dict(services().runtime.reassign(task_id, username, user())))


@bp.put("/tasks/<task_id>/draft")
@authenticated("task.draft")
def save_draft(task_id: str):  # type: ignore[no-untyped-def]
    row = services().runtime.save_draft(task_id, object_field(body(), "data"), user())
    return jsonify({**queries.task_dict(row), "draft": row.draft})


@bp.post("/tasks/<task_id>/complete")
@authenticated("task.complete")
def complete_task(task_id: str):  # type: ignore[no-untyped-def]
    data = body()
    expected = data.get("expectedVersion")
    if request.headers.get("If-Match"):
        try:
            expected = int(request.headers["If-Match"].strip('"W/'))
        except ValueError:
            raise CareflowError("If-Match must be the instance version number") from None
    if expected is not None and not isinstance(expected, int):
        raise ValidationFailed("expectedVersion must be a whole number",
                               [{"field": "expectedVersion", "message": "Must be a whole number"}])
    row = services().runtime.complete_task(task_id, object_field(data, "data"), user(), expected_version=expected)
    # Lean on purpose: the case's status, version, next tasks and incidents; history is one GET away.
    return jsonify(instance_out(row.id, with_data=False, history=False))


# ---- messages, decisions, incidents ---------------------------------------------------------
@bp.post("/messages")
@authenticated("message.send")
def correlate_message():  # type: ignore[no-untyped-def]
    data = body()
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ValidationFailed("A message needs a name", [{"field": "name", "message": "Enter the message name"}])
    keys, payload = object_field(data, "correlationKeys"), object_field(data, "payload")
    who = user()

    def may_reach(session: Any, row: Instance) -> bool:
        return who.role in OVERSIGHT_ROLES or queries.case_involves(session, row.id, who.username, who.group_names)

    result = services().runtime.correlate_message(name, keys, payload, actor=who.username, may_reach=may_reach)
    return jsonify(result), 200


@bp.post("/decisions/<decision_id>/evaluate")
@authenticated("decision.evaluate")
def evaluate_decision(decision_id: str):  # type: ignore[no-untyped-def]
    from workflows.decision_service import evaluate_logged

    inputs = object_field(body(), "inputs")
    return jsonify(evaluate_logged(services().db, services().library, decision_id, inputs, actor=user().username))


@bp.get("/incidents")
@authenticated("incidents.list")
def list_incidents():  # type: ignore[no-untyped-def]
    state = request.args.get("state", "open")
    with services().db.reading() as session:
        return jsonify({"incidents": queries.list_incidents(session, None if state == "all" else state)})


@bp.get("/stalled")
@authenticated("stalled.list")
def list_stalled():  # type: ignore[no-untyped-def]
    """Cases running with nothing open, waiting or due: nothing can move them on without an operator."""
    return jsonify({"cases": services().runtime.stalled_cases(int_arg("limit", 500, 1, 5000))})


@bp.post("/incidents/<int:incident_id>/retry")
@authenticated("incident.repair")
def retry_incident(incident_id: int):  # type: ignore[no-untyped-def]
    row = services().runtime.retry_incident(incident_id, user().username, object_field(body(), "data"))
    return jsonify(instance_out(row.id))


@bp.post("/incidents/<int:incident_id>/resolve")
@authenticated("incident.repair")
def resolve_incident(incident_id: int):  # type: ignore[no-untyped-def]
    incident = services().runtime.resolve_incident(incident_id, user().username)
    return jsonify(queries.incident_dict(incident))


# ---- outbox (delivery of notifications and requests) ------------------------------------------
@bp.get("/outbox")
@authenticated("outbox.list")
def list_outbox():  # type: ignore[no-untyped-def]
    from workflows.outbox import list_messages

    state = request.args.get("state", "all")
    with services().db.reading() as session:
        rows = list_messages(session, None if state == "all" else state, limit=int_arg("limit", 100, 1, 500),
                             offset=int_arg("offset", 0, 0, 10**9))
        return jsonify({"messages": [queries.outbox_dict(m) for m in rows]})


@bp.post("/outbox/<int:message_id>/retry")
@authenticated("outbox.retry")
def retry_outbox_message(message_id: int):  # type: ignore[no-untyped-def]
    return send_message_again(message_id)


def send_message_again(message_id: int) -> Response:
    """Both "send again" routes (this one and the operators') answer through this one use case."""
    from workflows.outbox import OutboxDispatcher

    row = OutboxDispatcher(services().db, {}).retry(message_id, user().username)
    return jsonify(queries.outbox_dict(row))

