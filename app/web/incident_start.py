"""Provider-failure work without the API: a quality lead starts (or adds to) an incident from a form,
and uploads the provider's resident list as CSV, seeing every bad line and field before anything
is created.

The incident starts as the API's message does (``provider_failure_notified`` keyed by the provider),
so a second notice about the same provider joins the open incident. The people go through the
procedure's own checks (``people.validate_people``) and ``person_cases.add_affected_people``.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from handlers.commissioning_tables import Provider
from workflows.errors import Conflict, Forbidden, ValidationFailed
from workflows.models import Instance
from workflows.procedures.provider_failure import read_models
from workflows.procedures.provider_failure.people import COLUMNS, PERSON_SCHEMA, parse_csv, validate_people
from workflows.procedures.provider_failure.uploads import add_people

from .. import services
from ..permissions import allowed
from .casework import parse_date
from .session_user import me
from .words import humanise

bp = Blueprint("incident_start", __name__)
MAX_CSV_BYTES = 20 * 1024 * 1024
SERVICE_TYPES = {"care_home": "CARE_HOME_RESIDENTIAL", "nursing_home": "CARE_HOME_NURSING", "homecare": "HOMECARE"}
START_MESSAGE = "provider_failure_notified"


def _require() -> None:
    # The roles that add affected people through the API start incidents here too.
    if not allowed("affected_people.add", me().role):
        raise Forbidden("Only quality leads, managers and admins can start a provider-failure incident.")


def _providers() -> list[dict[str, str]]:
    with services().db.reading() as session:
        rows = session.scalars(select(Provider).where(Provider.active.is_(True)).order_by(Provider.name)
                               .limit(5000)).all()
        return [{"ref": p.location_id, "name": p.name, "providerId": p.provider_id or "",
                 "serviceType": p.service_type, "area": p.area or ""} for p in rows]


def _triggers() -> list[tuple[str, str]]:
    schema = services().forms.schema("pf_verify_facts")
    return [(code, humanise(code)) for code in schema["properties"]["eventType"]["enum"]]


def _start_page(errors: list[dict[str, str]] | None = None, values: dict[str, Any] | None = None,
                status: int = 200) -> Any:
    return render_template("incident_start/new.html", providers=_providers(), triggers=_triggers(),
                           errors=errors or [], values=values or {}), status


@bp.get("/incidents/new")
@login_required
def new():  # type: ignore[no-untyped-def]
    _require()
    return _start_page()


@bp.post("/incidents/new")
@login_required
def start():  # type: ignore[no-untyped-def]
    _require()
    form = request.form
    providers = {p["ref"]: p for p in _providers()}
    triggers = dict(_triggers())
    errors: list[dict[str, str]] = []
    provider = providers.get(form.get("provider", ""))
    if provider is None:
        errors.append({"field": "provider", "message": "Select the provider from the register"})
    trigger = form.get("trigger", "")
    if trigger not in triggers:
        errors.append({"field": "trigger", "message": "Select what happened"})
    notified, problem = parse_date("notified", form, required=True, label="date the council was told")
    if problem:
        errors.append({"field": "notified-day", "message": problem})
    closure, problem = parse_date("closure", form, required=False, label="expected closure date")
    if problem:
        errors.append({"field": "closure-day", "message": problem})
    if notified and closure and closure < notified:
        errors.append({"field": "closure-day", "message": "The expected closure date must be on or after the date "
                                                          "the council was told"})
    source = " ".join(form.get("source", "").split())[:200]
    if errors or provider is None or notified is None:
        return _start_page(errors, dict(form), status=422)
    payload: dict[str, Any] = {"providerRef": provider["ref"], "providerName": provider["name"],
                               "cqcProviderId": provider["providerId"] or None, "eventType": trigger,
                               "notifiedOn": notified.isoformat(),
                               "serviceType": SERVICE_TYPES.get(provider["serviceType"], "OTHER")}
    if closure:
        payload["expectedCessationDate"] = closure.isoformat()
    if source:
        payload["notifiedBy"] = source
    result = services().runtime.correlate_message(START_MESSAGE, {"providerRef": provider["ref"]},
                                                  {k: v for k, v in payload.items() if v is not None},
                                                  actor=me().username)
    instance_id = (result["started"] or result["correlated"])[0]
    with services().db.reading() as session:
        row = session.get(Instance, instance_id)
        reference = row.case_reference if row else ""
    if result["started"]:
        flash(f"The incident for {provider['name']} is started ({reference})", "success")
    else:
        flash(f"{provider['name']} already has an open incident: this notice is added to it", "success")
    return redirect(url_for("dashboard.dashboard", case_reference=reference))


def _incident(case_reference: str) -> Any:
    with services().db.reading() as session:
        row = read_models.incident_of(session, case_reference)
        return {"id": row.id, "caseReference": row.case_reference, "title": row.title,
                "status": (row.summary or {}).get("incidentStatus") if isinstance(row.summary, dict) else None}


def _people_page(incident: dict[str, Any], problems: list[dict[str, Any]] | None = None,
                 error: str | None = None, checked: int = 0, status: int = 200) -> Any:
    titles = {k: v.get("title", k) for k, v in PERSON_SCHEMA["properties"].items()}
    return render_template("incident_start/people.html", incident=incident, problems=problems or [],
                           error=error, checked=checked, columns=COLUMNS, titles=titles,
                           required=PERSON_SCHEMA["required"]), status


@bp.get("/incidents/<case_reference>/people")
@login_required
def people(case_reference: str):  # type: ignore[no-untyped-def]
    _require()
    return _people_page(_incident(case_reference))


@bp.post("/incidents/<case_reference>/people")
@login_required
def upload_people(case_reference: str):  # type: ignore[no-untyped-def]
    _require()
    incident = _incident(case_reference)
    upload = request.files.get("file")
    raw = upload.read(MAX_CSV_BYTES + 1) if upload else b""
    if not raw:
        return _people_page(incident, error="Select the CSV file of the people affected", status=422)
    if len(raw) > MAX_CSV_BYTES:
        return _people_page(incident, error="The file must be smaller than 20 MB", status=422)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _people_page(incident, error="The file must be a CSV saved as UTF-8 (in Excel: CSV UTF-8)",
                            status=422)
    try:
        rows = parse_csv(text)
        _, problems = validate_people(rows)
    except ValidationFailed as exc:
        return _people_page(incident, problems=list(exc.errors), error=exc.message, status=422)
    if problems:
        return _people_page(incident, problems=problems, checked=len(rows), status=422,
                            error=f"{len({p['line'] for p in problems})} of {len(rows)} lines have problems. "
                                  f"Nobody was added: correct the file and upload it again.")
    try:
        result, finished = add_people(services().runtime, incident["id"], rows, actor=me().username)
    except Conflict as exc:
        return _people_page(incident, error=exc.message, checked=len(rows), status=409)
    if finished:
        flash(f"{result['created']} people added, each with a case of their own"
              + (f"; {result['alreadyOpen']} already had one" if result["alreadyOpen"] else ""), "success")
    else:
        flash(f"All {result['total']:,} people on the list were checked and accepted. Their cases are being "
              f"opened now, a few hundred at a time: this page shows how far it has got.", "success")
    return redirect(url_for("dashboard.dashboard", case_reference=case_reference))
