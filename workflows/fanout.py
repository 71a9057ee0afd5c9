"""PF-10: one ``provider_failure_person`` case per affected person (DESIGN.md decision 2).

A person case is keyed by incident case reference and person reference (its business key), so a
retried upload opens nothing twice. All the cases of one upload start in one transaction, from one
parsed spec; the incident keeps no list of them: it counts them by ``parent_case_reference``.
"""
from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .engine import Projector, open_incident, run_engine
from .errors import Conflict, NotFound, ValidationFailed
from .models import Instance, utcnow
from .provider_failure_hooks import summarise
from .provider_failure_people import validate_people
from .spiff_bridge import StepContext, current_step, serializer, spec_ref

if TYPE_CHECKING:
    from .runtime import Runtime

INCIDENT = "provider_failure"
PERSON = "provider_failure_person"
ACCEPTING = ("ACTIVE_CLOSURE",)
# What a person case takes over from its incident (from the incident's summary, not its state).
FROM_INCIDENT = ("providerName", "providerRef", "closureDate", "dutyBasis")


def current_incident(session: Session, instance_id: str) -> Instance:
    """The running instance of the incident's case (a monitored case continues in fresh instances)."""
    row = session.get(Instance, instance_id)
    if row is None or row.process_id != INCIDENT:
        raise NotFound(f"No provider-failure incident {instance_id}")
    if row.status == "completed":
        newer = session.scalars(select(Instance).where(
            Instance.case_reference == row.case_reference, Instance.process_id == INCIDENT,
            Instance.status != "completed").order_by(Instance.created_at.desc())).first()
        row = newer or row
    return row


def add_affected_people(runtime: Runtime, incident_id: str, rows: list[tuple[int, Any]], *,
                        actor: str | None, partial: bool = False) -> dict[str, Any]:
    """Validate every row, then open a person case for each new person, in one transaction.

    All or nothing by default: any bad row means a 422 listing every problem and no case opened.
    With ``partial`` the good rows are opened and the bad ones returned as ``rejected``.
    """
    people, problems = validate_people(rows)
    if problems and not partial:
        raise ValidationFailed(f"{len({p['line'] for p in problems})} of {len(rows)} people have problems; "
                               f"nothing was added", problems)
    with runtime._transaction() as session:
        incident = current_incident(session, incident_id)
        summary = incident.summary or {}
        if incident.status == "completed" or summary.get("incidentStatus") not in ACCEPTING:
            raise Conflict("This incident is not opening person cases now: people are added once the council "
                           "acts under the temporary duty or the s.19(3) power (PF-05d) and until it closes",
                           incident_status=summary.get("incidentStatus"))
        case = incident.case_reference
        existing = dict(session.execute(select(Instance.business_key, Instance.id).where(
            Instance.parent_case_reference == case, Instance.process_id == PERSON)).all())
        already = [p["personRef"] for p in people if f"{case}:{p['personRef']}" in existing]
        new = [p for p in people if f"{case}:{p['personRef']}" not in existing]
        shared = {k: summary.get(k) for k in FROM_INCIDENT}
        start_person_cases(runtime, session, incident, new, shared, first_number=len(existing) + 1, actor=actor)
        created = [p["personRef"] for p in new]
        return {"incidentId": incident.id, "caseReference": case, "created": len(created),
                "alreadyOpen": len(already), "alreadyOpenRefs": already[:100], "rejected": problems,
                "counts": person_case_counts(session, case)}


def start_person_cases(runtime: Runtime, session: Session, incident: Instance, people: list[dict[str, Any]],
                       shared: dict[str, Any], *, first_number: int, actor: str | None) -> None:
    """Start many person cases in this transaction: one spec, one config copy, one flush per batch.

    Each case is stepped exactly as ``Runtime._start_in`` would (engine steps to its first task, state,
    projections, summary), but new rows are flushed together rather than one instance at a time.
    """
    version = runtime.library.latest(session, PERSON)
    spec, subprocess_specs = runtime.library.specs(session, version)
    properties = runtime.library.element_properties(session, version.id)
    defaults = runtime.library.config_data(session, version)
    template = json.dumps(defaults)
    numbered = list(enumerate(people, start=first_number))
    for chunk in range(0, len(numbered), 500):
        stepped = []
        for number, person in numbered[chunk:chunk + 500]:
            stepped.append(_step_new_case(runtime, spec, subprocess_specs, version, template, number, person,
                                          shared, incident, actor))
            session.add(stepped[-1][0])
        session.flush()  # the instances first: the projections refer to them
        for row, wf, ctx, failure in stepped:
            if failure is not None:
                open_incident(session, row, failure, ctx)
            summarise(row, properties.get(PERSON, {}), wf)
            with session.no_autoflush:
                Projector(session, row, properties, new_instance=True).project(wf, ctx)
            row.status = "incident" if failure is not None else ("completed" if wf.is_completed() else "running")
        session.flush()


def _step_new_case(runtime: Runtime, spec: Any, subprocess_specs: Any, version: Any, template: str, number: int,
                   person: dict[str, Any], shared: dict[str, Any], incident: Instance,
                   actor: str | None) -> tuple[Instance, BpmnWorkflow, StepContext, Any]:
    case = incident.case_reference
    reference = f"{case}-P{number:05d}"
    data = {**json.loads(template), **shared, **person, "incidentCaseReference": case,
            "incidentInstanceId": incident.id, "caseReference": reference}
    wf = BpmnWorkflow(spec, subprocess_specs, script_engine=runtime.script_engine)
    wf.careflow_spec_ref = spec_ref(PERSON, version.content_hash)  # the state names its version
    wf.task_tree.set_data(**data)
    now = utcnow()
    row = Instance(id=str(uuid.uuid4()), process_id=PERSON, process_version_id=version.id,
                   case_reference=reference, parent_case_reference=case,
                   business_key=f"{case}:{person['personRef']}", title=person["personName"], status="running",
                   state="", started_by=actor, created_at=now, updated_at=now, version=1)
    ctx = StepContext(row.id, reference, actor, now=now)
    ctx.audit.append({"action": "instance_started", "data": {"process": PERSON, "version": version.version,
                                                             "data": person}})
    token = current_step.set(ctx)
    try:
        failure = run_engine(wf)
    finally:
        current_step.reset(token)
    row.state = serializer().serialize_json(wf)
    return row, wf, ctx, failure


def person_case_counts(session: Session, case_reference: str) -> dict[str, Any]:
    """Open and closed person cases of an incident, by end reason, urgency and action (rows only)."""
    base = (Instance.parent_case_reference == case_reference, Instance.process_id == PERSON)
    by_status = dict(session.execute(select(Instance.status, func.count()).where(*base)
                                     .group_by(Instance.status)).all())
    closed = by_status.get("completed", 0)
    total = sum(by_status.values())
    out: dict[str, Any] = {"total": total, "open": total - closed, "closed": closed,
                           "withIncident": by_status.get("incident", 0)}
    for label, field in (("byEndReason", "endReason"), ("byUrgency", "urgency"), ("byAction", "primaryAction"),
                         ("byChargeTo", "chargeTo")):
        column = Instance.summary[field].as_string()
        counts = Counter({k: v for k, v in session.execute(select(column, func.count()).where(*base)
                                                            .group_by(column)).all() if k is not None})
        out[label] = dict(sorted(counts.items()))
    return out
