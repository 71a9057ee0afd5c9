"""PF-10 for a long list: checked and accepted at once, its person cases opened in the background.

A list of up to one batch opens its cases within the request (``person_cases.open_listed_people``). A
longer one would keep the quality lead's browser, and the server thread, busy for a minute or more (a
proxy gives up sooner), so it is checked line by line as before (all or nothing), kept as a
``people_upload`` row and a follow-up in one transaction, and answered with 202 and where to watch it.
The follow-up (``workflows.follow_ups``, run by the scheduler) opens the cases batch by batch, each batch
committed; a person is keyed by incident and person reference, so a batch tried again opens nobody twice.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from workflows.batches import Batch
from workflows.errors import Conflict, NotFound
from workflows.models import AuditEvent, utcnow

from .models import PeopleUpload
from .person_cases import (
    UPLOAD_BATCH,
    accepting_incident,
    checked_people,
    current_incident,
    open_for_incident,
    open_listed_people,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workflows.runtime import Runtime

OPEN_PERSON_CASES = "open_person_cases"  # the follow-up's kind; its subject is the upload's id
OPEN_IN_REQUEST = UPLOAD_BATCH  # a list this long or shorter opens its cases within the request
ACCEPTED, FINISHED, STOPPED = "people_upload_accepted", "people_upload_finished", "people_upload_stopped"


def add_people(runtime: Runtime, incident_id: str, rows: list[tuple[int, Any]], *, actor: str | None,
               partial: bool = False) -> tuple[dict[str, Any], bool]:
    """Check every line, then open the person cases now (one batch or fewer) or accept the list to open
    them in the background. The answer, and whether it is finished (False: 202, watch ``progressUrl``)."""
    people, problems = checked_people(rows, partial=partial)
    if len(people) <= OPEN_IN_REQUEST:
        return {**open_listed_people(runtime, incident_id, people, problems, actor=actor), "status": "finished"}, True
    with runtime.transaction() as session:
        incident = accepting_incident(session, incident_id)  # refused now, not half-way through
        upload = PeopleUpload(incident_instance_id=incident.id, case_reference=incident.case_reference,
                              people=people, rejected=problems, total=len(people), position=0, created=0,
                              already_open=0, requested_by=actor, requested_at=utcnow())
        session.add(upload)
        session.flush()
        runtime.request_follow_up(session, OPEN_PERSON_CASES, str(upload.id))
        session.add(AuditEvent(instance_id=incident.id, at=utcnow(), actor=actor, action=ACCEPTED,
                               data={"upload": upload.id, "people": len(people), "rejected": len(problems)}))
        return upload_dict(upload), False


def open_person_cases_batch(runtime: Runtime, session: Session, subject: str, limit: int) -> Batch:
    """One batch of an accepted list: the next ``limit`` people, each given a case unless they have one."""
    upload = session.get(PeopleUpload, int(subject), with_for_update=True)
    if upload is None or upload.finished_at is not None:
        return Batch(0, 0)
    try:
        incident = accepting_incident(session, upload.incident_instance_id)
    except (Conflict, NotFound) as exc:  # closed meanwhile: those not yet opened stay unopened, and it says so
        upload.finished_at, upload.stopped_because = utcnow(), exc.message
        session.add(AuditEvent(instance_id=upload.incident_instance_id, at=utcnow(), actor=None, action=STOPPED,
                               data={"upload": upload.id, "created": upload.created,
                                     "notOpened": upload.total - upload.position, "reason": exc.message}))
        return Batch(0, 0)
    chunk = upload.people[upload.position:upload.position + limit]
    opened, had_one = open_for_incident(runtime, session, incident, chunk, actor=upload.requested_by)
    upload.position += len(chunk)
    upload.created += len(opened)
    upload.already_open += len(had_one)
    remaining = upload.total - upload.position
    if remaining == 0:
        upload.finished_at = utcnow()
        session.add(AuditEvent(instance_id=incident.id, at=utcnow(), actor=upload.requested_by, action=FINISHED,
                               data={"upload": upload.id, "created": upload.created,
                                     "alreadyOpen": upload.already_open}))
    return Batch(len(chunk), remaining)


def upload_status(session: Session, incident_id: str, upload_id: int) -> dict[str, Any]:
    """How far an accepted list has got (404 for another incident's upload)."""
    incident = current_incident(session, incident_id)
    upload = session.get(PeopleUpload, upload_id)
    if upload is None or upload.case_reference != incident.case_reference:
        raise NotFound(f"No upload {upload_id} of people for this incident")
    return upload_dict(upload)


def unfinished_uploads(session: Session, case_reference: str) -> list[dict[str, Any]]:
    """The incident's lists whose cases are still being opened, oldest first (for its dashboard)."""
    return [upload_dict(u) for u in session.scalars(select(PeopleUpload).where(
        PeopleUpload.case_reference == case_reference, PeopleUpload.finished_at.is_(None))
        .order_by(PeopleUpload.id))]


def upload_dict(upload: PeopleUpload) -> dict[str, Any]:
    status = "stopped" if upload.stopped_because else "finished" if upload.finished_at else "opening"
    return {"uploadId": upload.id, "incidentId": upload.incident_instance_id,
            "caseReference": upload.case_reference, "status": status, "total": upload.total,
            "created": upload.created, "alreadyOpen": upload.already_open,
            "remaining": upload.total - upload.position, "rejected": upload.rejected,
            "requestedBy": upload.requested_by,
            "requestedAt": upload.requested_at.isoformat() if upload.requested_at else None,
            "finishedAt": upload.finished_at.isoformat() if upload.finished_at else None,
            "stoppedBecause": upload.stopped_because,
            "progressUrl": f"/api/v1/instances/{upload.incident_instance_id}/affected-people/uploads/{upload.id}"}
