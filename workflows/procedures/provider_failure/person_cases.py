"""PF-10: one ``provider_failure_person`` case per affected person (DESIGN.md decision 2).

A person case is keyed by incident case reference and person reference (its business key), so a
retried upload opens nothing twice. All the cases of one upload start in one transaction, from one
parsed spec; the incident keeps no list of them: it counts them by ``parent_case_reference``.
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.batches import Batch, Progress, commit_in_batches
from workflows.errors import Conflict, NotFound, ValidationFailed
from workflows.models import Instance
from workflows.runtime import NewCase

from .people import validate_people

if TYPE_CHECKING:
    from workflows.runtime import Runtime

log = logging.getLogger("careflow.provider_failure")

INCIDENT = "provider_failure"
PERSON = "provider_failure_person"
PLACED_OUT = "provider_failure_placed_out"  # B.12: a person this council placed, affected elsewhere
DISPUTE = "provider_failure_dispute"
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


UPLOAD_BATCH = 500  # person cases opened per transaction: no upload holds the write lock for long


def checked_people(rows: list[tuple[int, Any]], *, partial: bool = False) -> tuple[list[dict[str, Any]],
                                                                                  list[dict[str, Any]]]:
    """The valid people and the problems of a list. All or nothing by default: any bad row means a 422
    listing every problem; with ``partial`` the good rows go on and the bad ones come back."""
    people, problems = validate_people(rows)
    if problems and not partial:
        raise ValidationFailed(f"{len({p['line'] for p in problems})} of {len(rows)} people have problems; "
                               f"nothing was added", problems)
    return people, problems


def add_affected_people(runtime: Runtime, incident_id: str, rows: list[tuple[int, Any]], *,
                        actor: str | None, partial: bool = False) -> dict[str, Any]:
    """Validate every row (``checked_people``), then open a person case for each new person."""
    people, problems = checked_people(rows, partial=partial)
    return open_listed_people(runtime, incident_id, people, problems, actor=actor)


def open_listed_people(runtime: Runtime, incident_id: str, people: list[dict[str, Any]],
                       problems: list[dict[str, Any]], *, actor: str | None) -> dict[str, Any]:
    """Open a person case for each checked person who has none. The cases open in batches that each
    commit (``workflows.batches``: between them another request may write; the incident row is locked
    in each, so numbering stays unique): a large list never holds the database for long, and since a
    person is keyed by incident and person reference, sending the same list again after an
    interruption opens only what is missing."""
    created: list[str] = []
    already: list[str] = []
    chunks = [people[i:i + UPLOAD_BATCH] for i in range(0, len(people), UPLOAD_BATCH)] or [[]]
    progress = Progress()

    def open_next_batch(session: Session) -> Batch:
        batch = chunks[progress.batches]
        opened, had_one = open_for_incident(runtime, session, accepting_incident(session, incident_id), batch,
                                            actor=actor)
        created.extend(opened)
        already.extend(had_one)
        return Batch(len(batch), sum(len(c) for c in chunks[progress.batches + 1:]))

    def report(progress: Progress) -> None:
        log.info("incident %s: %d of %d affected people have a person case", incident_id, progress.done, len(people))

    commit_in_batches(runtime, open_next_batch, progress, report=report)
    with runtime.db.reading() as session:
        incident = current_incident(session, incident_id)
        return {"incidentId": incident.id, "caseReference": incident.case_reference, "created": len(created),
                "alreadyOpen": len(already), "alreadyOpenRefs": already[:100], "rejected": problems,
                "batches": {"batches": progress.batches, "seconds": round(sum(progress.batch_seconds), 3)},
                "counts": person_case_counts(session, incident.case_reference)}


def accepting_incident(session: Session, incident_id: str) -> Instance:
    incident = current_incident(session, incident_id)
    session.refresh(incident, with_for_update=True)  # one upload at a time per incident
    summary = incident.summary or {}
    if incident.status == "completed" or summary.get("incidentStatus") not in ACCEPTING:
        raise Conflict("This incident is not opening person cases now: people are added once the council "
                       "acts under the temporary duty or the s.19(3) power (PF-05d) and until it closes",
                       incident_status=summary.get("incidentStatus"))
    return incident


def open_for_incident(runtime: Runtime, session: Session, incident: Instance, people: list[dict[str, Any]], *,
                      actor: str | None) -> tuple[list[str], list[str]]:
    """A case for each of ``people`` who has none in this incident yet, numbered after those it has:
    the person references opened, and those that already had a case."""
    case = incident.case_reference
    keys = {f"{case}:{p['personRef']}" for p in people}
    mine = (Instance.parent_case_reference == case, Instance.process_id == PERSON)
    existing = set(session.scalars(select(Instance.business_key).where(*mine, Instance.business_key.in_(keys)))) \
        if keys else set()
    numbered = session.scalar(select(func.count()).select_from(Instance).where(*mine)) or 0
    new = [p for p in people if f"{case}:{p['personRef']}" not in existing]
    summary = incident.summary or {}
    start_person_cases(runtime, session, incident, new, {k: summary.get(k) for k in FROM_INCIDENT},
                       first_number=numbered + 1, actor=actor)
    return [p["personRef"] for p in new], [p["personRef"] for p in people if f"{case}:{p['personRef']}" in existing]


def start_person_cases(runtime: Runtime, session: Session, incident: Instance, people: list[dict[str, Any]],
                       shared: dict[str, Any], *, first_number: int, actor: str | None) -> None:
    """Start one person case per person in this transaction (the runtime flushes them in batches)."""
    case = incident.case_reference
    cases = []
    for number, person in enumerate(people, start=first_number):
        reference = f"{case}-P{number:05d}"
        data = {**shared, **person, "incidentCaseReference": case, "incidentInstanceId": incident.id,
                "caseReference": reference}
        cases.append(NewCase(data, case_reference=reference, parent_case_reference=case,
                             business_key=f"{case}:{person['personRef']}", title=person["personName"],
                             audit_data=person))
    runtime.start_many(session, PERSON, cases, actor=actor)


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
