"""The process owner's modeller pages: the list, the diagram, decision and form editors, compare and
migrate. Process owners and admins only; everyone else gets 403.

The editors talk to the same operations as the API (:mod:`app.api_model`), mounted under
``/model/api`` with the signed-in session and its CSRF token; deploying, migrating and reverting
are plain GOV.UK forms here.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from handlers.registry import handler_names
from workflows.errors import CareflowError, Forbidden, NotFound, ValidationFailed
from workflows.model_compare import compare
from workflows.modelling import audit_log, current_files
from workflows.scenarios import load_tests

from .. import services
from ..api import body
from ..api_model import add_routes, failing_scenarios, model_services, scenario_results
from ..permissions import allowed
from . import forms_render
from .session_user import me

bp = Blueprint("modeller", __name__, url_prefix="/model")
api = Blueprint("modeller_api", __name__, url_prefix="/model/api")


def require_modeller(operation: str = "model.read") -> None:
    """The signed-in person's role must be in ``operation``'s row of the permissions table."""
    if not allowed(operation, me().role):
        raise Forbidden("Only process owners and admins can change processes, decisions and forms.")


def session_guard(view: Callable[..., Any], operation: str = "model.write") -> Callable[..., Any]:
    @login_required
    @functools.wraps(view)
    def inner(*args: Any, **kwargs: Any) -> Any:
        require_modeller(operation)
        g.model_actor = me()
        return view(*args, **kwargs)
    return inner


add_routes(api, session_guard)


@api.post("/forms/preview")
@session_guard
def preview() -> Any:
    """The form as caseworkers will see it, drawn by careflow's own renderer."""
    data = body()
    schema, ui = data.get("schema"), data.get("ui")
    if not isinstance(schema, dict) or (ui is not None and not isinstance(ui, dict)):
        raise ValidationFailed("The schema and layout must be JSON objects",
                               [{"field": "schema", "message": "Must be a JSON object"}])
    try:
        view = forms_render.build(schema, ui or {}, {}, [])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValidationFailed("The form cannot be drawn", [{"field": "schema", "message": str(exc)}]) from None
    html = render_template("model/_preview.html", form=view, title=schema.get("title"))
    return jsonify({"html": html})


def _context() -> dict[str, Any]:
    """What a diagram may refer to, for the editor's own checks and choices."""
    svc = services()
    modeller = model_services().modeller
    with svc.db.reading() as session:
        decisions = sorted(modeller.check_context(session).decisions)
    forms = sorted(p.name[: -len(".schema.json")] for p in svc.forms.forms_dir.glob("*.schema.json"))
    return {"handlers": handler_names(), "decisions": decisions, "forms": forms}


def _find(items: list[dict[str, Any]], key: str, what: str) -> dict[str, Any]:
    found = next((i for i in items if i["id"] == key), None)
    if found is None:
        raise NotFound(f"No {what} '{key}'")
    return found


def _flash_problems(exc: CareflowError) -> None:
    errors = getattr(exc, "errors", None) or []
    flash(exc.message + (": " + "; ".join(e.get("message", "") for e in errors) if errors else ""), "error")


@bp.get("")
@login_required
def index():  # type: ignore[no-untyped-def]
    require_modeller()
    overview = model_services().modeller.overview()
    return render_template("model/index.html", title="Processes, decisions and forms", nav_section="model",
                           overview=overview, events=audit_log(services().db, limit=15))


@bp.route("/processes/<process_id>", methods=["GET", "POST"])
@login_required
def process(process_id: str):  # type: ignore[no-untyped-def]
    require_modeller()
    ms = model_services()
    entry = _find(ms.modeller.overview()["processes"], process_id, "process")
    version = request.args.get("version", type=int)
    shown = ms.modeller.process_file(process_id, version)
    results = None
    if request.method == "POST":  # run the scenario tests (CSRF-checked form)
        results = scenario_results(process_id, shown["version"])
    suite = load_tests(ms.modeller.library.bpmn_dir, process_id)
    return render_template("model/process.html", title=entry["name"], nav_section="model", entry=entry,
                           shown=shown, context=_context(), suite=suite, results=results,
                           saved=request.args.get("saved", type=int), containerClasses="careflow-wide")


@bp.post("/processes/<process_id>/versions/<int:version>/deploy")
@login_required
def deploy_process(process_id: str, version: int):  # type: ignore[no-untyped-def]
    require_modeller("model.write")
    try:
        model_services().modeller.deploy_process(process_id, version, me().username, request.form.get("reason"),
                                                 scenario_check=failing_scenarios)
        flash(f"Version {version} is now current: new cases start on it. Running cases keep their version.",
              "success")
    except CareflowError as exc:
        _flash_problems(exc)
    return redirect(url_for("modeller.process", process_id=process_id))


@bp.get("/processes/<process_id>/compare")
@login_required
def compare_page(process_id: str):  # type: ignore[no-untyped-def]
    require_modeller()
    modeller = model_services().modeller
    old = modeller.process_file(process_id, request.args.get("from", type=int) or 1)
    new = modeller.process_file(process_id, request.args.get("to", type=int))
    changes = compare(old["content"], new["content"])
    return render_template("model/compare.html", title=f"Compare versions {old['version']} and {new['version']}",
                           nav_section="model", process_id=process_id, old=old, new=new, changes=changes,
                           containerClasses="careflow-wide")


@bp.route("/processes/<process_id>/migrate", methods=["GET", "POST"])
@login_required
def migrate_page(process_id: str):  # type: ignore[no-untyped-def]
    require_modeller("model.write" if request.method == "POST" else "model.read")
    ms = model_services()
    entry = _find(ms.modeller.overview()["processes"], process_id, "process")
    target = request.values.get("to", type=int) or entry["current"]
    if request.method == "POST":
        chosen = request.form.getlist("case")
        try:
            result = ms.migrations.migrate(process_id, target, chosen, me().username, request.form.get("reason"))
            moved = result["migrated"]
            flash(f"{moved} case{'s' if moved != 1 else ''} moved to version {target}", "success")
            for case in result["cases"]:
                if not case["migrated"]:
                    flash(f"{case.get('caseReference') or case['instanceId']} was not moved: "
                          + "; ".join(b["message"] for b in case["blockers"]), "error")
        except ValidationFailed as exc:
            _flash_problems(exc)
        return redirect(url_for("modeller.migrate_page", process_id=process_id, to=target))
    plan = ms.migrations.dry_run(process_id, target)
    return render_template("model/migrate.html", title=f"Move running cases to version {target}",
                           nav_section="model", entry=entry, plan=plan, target=target,
                           history=ms.migrations.recent(process_id))


@bp.post("/migrations/<int:migration_id>/revert")
@login_required
def revert(migration_id: int):  # type: ignore[no-untyped-def]
    require_modeller("model.write")
    process_id = request.form.get("process_id", "")
    try:
        model_services().migrations.revert(migration_id, me().username, request.form.get("reason"))
        flash("The case is back on its previous version", "success")
    except CareflowError as exc:
        _flash_problems(exc)
    return redirect(url_for("modeller.migrate_page", process_id=process_id) if process_id else url_for(
        "modeller.index"))


@bp.get("/decisions/<filename>")
@login_required
def decision(filename: str):  # type: ignore[no-untyped-def]
    require_modeller()
    ms = model_services()
    entry = _find(ms.modeller.overview()["decisions"], filename, "decision file")
    shown = ms.modeller.decision_file(filename, request.args.get("version", type=int))
    with services().db.reading() as session:
        in_use = filename in current_files(session, "dmn")
    return render_template("model/decision.html", title=filename, nav_section="model", entry=entry, shown=shown,
                           in_use=in_use, saved=request.args.get("saved", type=int),
                           decision_id=request.args.get("decision", ""), containerClasses="careflow-wide")


@bp.post("/decisions/<filename>/versions/<int:version>/deploy")
@login_required
def deploy_decision(filename: str, version: int):  # type: ignore[no-untyped-def]
    require_modeller("model.write")
    try:
        result = model_services().modeller.deploy_decision(filename, version, me().username,
                                                           request.form.get("reason"),
                                                           scenario_check=failing_scenarios)
        names = ", ".join(f"{p['processId']} (version {p['version']})" for p in result["processes"])
        flash(f"Version {version} is now current; new cases of {names} use it", "success")
    except CareflowError as exc:
        _flash_problems(exc)
    return redirect(url_for("modeller.decision", filename=filename))


@bp.get("/forms/<key>")
@login_required
def form(key: str):  # type: ignore[no-untyped-def]
    require_modeller()
    ms = model_services()
    entry = _find(ms.modeller.overview()["forms"], key, "form")
    shown = ms.modeller.form_file(key, request.args.get("version", type=int))
    return render_template("model/form.html", title=f"Form {key}", nav_section="model", entry=entry,
                           schema_text=json.dumps(shown["schema"], indent=2, ensure_ascii=False),
                           ui_text=json.dumps(shown.get("ui") or {}, indent=2, ensure_ascii=False), shown=shown,
                           saved=request.args.get("saved", type=int))


@bp.post("/forms/<key>/versions/<int:version>/deploy")
@login_required
def deploy_form(key: str, version: int):  # type: ignore[no-untyped-def]
    require_modeller("model.write")
    try:
        model_services().modeller.deploy_form(key, version, me().username, request.form.get("reason"))
        flash(f"Version {version} of the form is now what caseworkers see", "success")
    except CareflowError as exc:
        _flash_problems(exc)
    return redirect(url_for("modeller.form", key=key))
