"""The modeller's JSON operations, for process owners and admins (everyone else 403).

The same routes serve two callers: other systems under ``/api/v1/model`` with a bearer token, and
the modeller's pages under ``/model/api`` with the signed-in session (and its CSRF token). Each
view is thin: it calls :mod:`workflows.modelling`, :mod:`workflows.migration` or
:mod:`workflows.scenarios`.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from handlers.registry import handler_names
from workflows.errors import CareflowError, Conflict, ValidationFailed
from workflows.identity import Principal
from workflows.migration import Migrations
from workflows.model_base import MAX_VERSION
from workflows.model_compare import compare
from workflows.model_decisions import try_decision
from workflows.modelling import Modeller, ModelRejected, audit, audit_log, rejected
from workflows.scenarios import ScenarioRunner, check_suite, load_tests, tests_path

from . import services
from .api import authenticated, body


@dataclass
class ModelServices:
    modeller: Modeller
    migrations: Migrations
    scenarios: ScenarioRunner


def model_services() -> ModelServices:
    found = current_app.extensions.get("careflow_modeller")
    if found is None:
        svc = services()
        found = ModelServices(Modeller(svc.db, svc.library, svc.forms, handler_names), Migrations(svc.runtime),
                              ScenarioRunner(svc.runtime))
        current_app.extensions["careflow_modeller"] = found
    return found


def actor() -> Principal:
    return g.model_actor


def int_field(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < MAX_VERSION:
        raise ValidationFailed(f"'{name}' must be a version number", [{"field": name, "message": "Choose a version"}])
    return value


def scenario_results(process_id: str, version: int | None = None) -> dict[str, Any]:
    ms = model_services()
    suite = load_tests(ms.modeller.library.bpmn_dir, process_id)
    with ms.modeller.db.reading() as session:
        target = ms.modeller.process_version(session, process_id, version)
        results = ms.scenarios.run_all(session, target, suite)
    return {"processId": process_id, "version": target.version, "results": results,
            "passed": sum(1 for r in results if r["passed"]), "failed": sum(1 for r in results if not r["passed"])}


def failing_scenarios(session: Any, target: Any) -> list[dict[str, Any]]:
    ms = model_services()
    suite = load_tests(ms.modeller.library.bpmn_dir, target.process_id)
    failures = []
    for result in ms.scenarios.run_all(session, target, suite):
        if not result["passed"]:
            failures.append({"element": None, "rule": "scenario-test",
                             "message": f"Scenario '{result['name']}' fails: {'; '.join(result['failures'])}"})
    return failures


Guard = Callable[[Callable[..., Any], str], Callable[..., Any]]


def add_routes(bp: Blueprint, guard: Guard) -> None:
    """Register every modeller operation on ``bp``, each behind ``guard(view, operation)`` (which checks
    the operation's row of :data:`app.permissions.MATRIX` and sets ``g.model_actor``)."""

    def route(rule: str, methods: list[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        operation = "model.read" if methods == ["GET"] else "model.write"

        def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
            bp.add_url_rule(rule, view.__name__, guard(view, operation), methods=methods)
            return view
        return wrap

    @route("", ["GET"])
    def overview() -> Any:
        return jsonify({**model_services().modeller.overview(), "handlers": handler_names()})

    @route("/audit", ["GET"])
    def audit_events() -> Any:
        return jsonify({"events": audit_log(services().db)})

    @route("/processes/<process_id>/file", ["GET"])
    def process_file(process_id: str) -> Any:
        version = request.args.get("version", type=int)
        found = model_services().modeller.process_file(process_id, version)
        if request.args.get("download"):
            return Response(found["content"], mimetype="application/xml", headers={
                "Content-Disposition": f"attachment; filename={process_id}-v{found['version']}.bpmn"})
        return jsonify(found)

    @route("/processes/<process_id>/check", ["POST"])
    def check(process_id: str) -> Any:
        ms = model_services()
        xml = body().get("xml")
        with ms.modeller.db.reading() as session:
            try:
                filename = ms.modeller.process_file_name(session, process_id)
            except CareflowError:
                filename = f"{process_id}.bpmn"
            problems = ms.modeller.check_diagram(session, xml if isinstance(xml, str) else "", filename, process_id)
        return jsonify({"problems": [p.to_dict() for p in problems]})

    @route("/processes/<process_id>/versions", ["POST"])
    def save_process(process_id: str) -> Any:
        data = body()
        result = model_services().modeller.save_process(process_id, data.get("xml"), data.get("comment"),
                                                        actor().username, data.get("latestVersion"))
        return jsonify(result), 200 if result["unchanged"] else 201

    @route("/processes/<process_id>/versions/<int:version>/deploy", ["POST"])
    def deploy_process(process_id: str, version: int) -> Any:
        return jsonify(model_services().modeller.deploy_process(
            process_id, version, actor().username, body().get("reason"), scenario_check=failing_scenarios))

    @route("/processes/<process_id>/compare", ["GET"])
    def compare_versions(process_id: str) -> Any:
        modeller = model_services().modeller
        old = modeller.process_file(process_id, request.args.get("from", type=int) or 1)
        new = modeller.process_file(process_id, request.args.get("to", type=int))
        return jsonify({"from": old["version"], "to": new["version"], **compare(old["content"], new["content"])})

    @route("/processes/<process_id>/tests", ["GET"])
    def get_tests(process_id: str) -> Any:
        return jsonify(load_tests(model_services().modeller.library.bpmn_dir, process_id))

    @route("/processes/<process_id>/tests", ["PUT"])
    def put_tests(process_id: str) -> Any:
        modeller = model_services().modeller
        data = body()
        previous = data.pop("previous", None)  # the tests as the editor opened them, when it sends them
        suite = check_suite(data, process_id)
        with modeller.db.transaction() as session:
            modeller.process_version(session, process_id)
            if previous is not None:
                now = load_tests(modeller.library.bpmn_dir, process_id)
                if _same_tests(now, previous, process_id) is False:
                    raise Conflict("Someone changed the scenario tests after you opened them; nothing was saved. "
                                   "Yours are still in the box: saving again replaces theirs.", currentTests=now)
            tests_path(modeller.library.bpmn_dir, process_id).write_text(
                json.dumps(suite, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            audit(session, actor().username, "saved", "tests", process_id, None, "Scenario tests changed")
        return jsonify(suite)

    @route("/processes/<process_id>/tests/run", ["POST"])
    def run_tests(process_id: str) -> Any:
        version = body().get("version")
        return jsonify(scenario_results(process_id, int_field({"v": version}, "v") if version else None))

    @route("/processes/<process_id>/migrations/dry-run", ["POST"])
    def dry_run(process_id: str) -> Any:
        data = body()
        ids = data.get("instanceIds")
        return jsonify(model_services().migrations.dry_run(process_id, int_field(data, "toVersion"),
                                                           ids if isinstance(ids, list) else None))

    @route("/processes/<process_id>/migrations", ["POST"])
    def migrate(process_id: str) -> Any:
        data = body()
        return jsonify(model_services().migrations.migrate(process_id, int_field(data, "toVersion"),
                                                           data.get("instanceIds") or [], actor().username,
                                                           data.get("reason")))

    @route("/processes/<process_id>/migrations", ["GET"])
    def migrations(process_id: str) -> Any:
        return jsonify({"migrations": model_services().migrations.recent(process_id)})

    @route("/migrations/<int:migration_id>/revert", ["POST"])
    def revert(migration_id: int) -> Any:
        return jsonify(model_services().migrations.revert(migration_id, actor().username, body().get("reason")))

    @route("/decisions/<filename>/file", ["GET"])
    def decision_file(filename: str) -> Any:
        found = model_services().modeller.decision_file(filename, request.args.get("version", type=int))
        if request.args.get("download"):
            return Response(found["content"], mimetype="application/xml",
                            headers={"Content-Disposition": f"attachment; filename={filename}"})
        return jsonify(found)

    @route("/decisions/<filename>/versions", ["POST"])
    def save_decision(filename: str) -> Any:
        data = body()
        result = model_services().modeller.save_decision(filename, data.get("xml"), data.get("comment"),
                                                         actor().username, data.get("latestVersion"))
        return jsonify(result), 200 if result["unchanged"] else 201

    @route("/decisions/<filename>/versions/<int:version>/deploy", ["POST"])
    def deploy_decision(filename: str, version: int) -> Any:
        return jsonify(model_services().modeller.deploy_decision(filename, version, actor().username,
                                                                 body().get("reason"),
                                                                 scenario_check=failing_scenarios))

    @route("/decisions/try", ["POST"])
    def try_it() -> Any:
        data = body()
        return jsonify(try_decision(data.get("xml"), data.get("decisionId"), data.get("inputs")))

    @route("/forms/<key>/file", ["GET"])
    def form_file(key: str) -> Any:
        return jsonify(model_services().modeller.form_file(key, request.args.get("version", type=int)))

    @route("/forms/<key>/versions", ["POST"])
    def save_form(key: str) -> Any:
        data = body()
        result = model_services().modeller.save_form(key, data.get("schema"), data.get("ui"), data.get("comment"),
                                                     actor().username, data.get("latestVersion"))
        return jsonify(result), 200 if result["unchanged"] else 201

    @route("/forms/<key>/versions/<int:version>/deploy", ["POST"])
    def deploy_form(key: str, version: int) -> Any:
        return jsonify(model_services().modeller.deploy_form(key, version, actor().username, body().get("reason")))


def _same_tests(now: dict[str, Any], previous: Any, process_id: str) -> bool | None:
    """Whether the stored tests are still those the editor opened (None: what it sent is no suite)."""
    try:
        opened = check_suite(previous, process_id)
    except ValidationFailed:
        return None
    return json.dumps(opened, sort_keys=True) == json.dumps(now, sort_keys=True)


def bearer_guard(view: Callable[..., Any], operation: str) -> Callable[..., Any]:
    @authenticated(operation)
    @functools.wraps(view)
    def inner(*args: Any, **kwargs: Any) -> Any:
        g.model_actor = g.user
        return view(*args, **kwargs)
    return inner


bp = Blueprint("api_model", __name__, url_prefix="/api/v1/model")
add_routes(bp, bearer_guard)

__all__ = ["ModelRejected", "add_routes", "bp", "model_services", "rejected", "scenario_results"]
