"""PF-10: one ``provider_failure_person`` case per affected person (DESIGN.md decision 2).

A person case is keyed by incident case reference and person reference (its business key), so a
retried upload opens nothing twice. All the cases of one upload start in one transaction, from one
parsed spec; the incident keeps no list of them: it counts them by ``parent_case_reference``.
"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import Conflict, NotFound, ValidationFailed
from .models import Instance
from .provider_failure_people import validate_people

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
        created, already = [], []
        number = len(existing)
        shared = {k: summary.get(k) for k in FROM_INCIDENT}
        for person in people:
            key = f"{case}:{person['personRef']}"
            if key in existing:
                already.append(person["personRef"])
                continue
            number += 1
            data = {**shared, **person, "incidentCaseReference": case, "incidentInstanceId": incident.id}
            row = runtime._start_in(session, PERSON, data, actor=actor, case_reference=f"{case}-P{number:05d}",
                                    parent_case_reference=case, business_key=key, title=person["personName"])
            existing[key] = row.id
            created.append(person["personRef"])
        return {"incidentId": incident.id, "caseReference": case, "created": len(created),
                "alreadyOpen": len(already), "alreadyOpenRefs": already[:100], "rejected": problems,
                "counts": person_case_counts(session, case)}


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
