"""Commissioning requests: asking a provider to take a person, and following the answer.

The ``commission`` handler only queues an outbox message (channel ``commissioning``) in the step's
transaction. Delivering it creates the request row - once, keyed by the message's idempotency key,
so a repeated delivery finds the row it made - and queues the e-mail to the provider. The request
then moves ``raised -> acknowledged -> placed | declined`` (a provider may also decline at once;
``cancelled`` withdraws it) as the council records the provider's answers.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflows.db import Database
from workflows.errors import Conflict, NotFound, ValidationFailed
from workflows.models import AuditEvent, Instance, OutboxMessage, utcnow
from workflows.outbox import Delivery, DeliveryError

from .commissioning_tables import CommissioningRequest, Provider
from .registry import HandlerContext, HandlerError, handler

TRANSITIONS = {
    "raised": ("acknowledged", "declined", "cancelled"),
    "acknowledged": ("placed", "declined", "cancelled"),
    "placed": (),
    "declined": (),
    "cancelled": (),
}
STATES = tuple(TRANSITIONS)


@handler("commission")
def commission(inputs: dict[str, Any], context: HandlerContext) -> dict[str, Any]:
    """Inputs: ``locationId`` (the provider), ``serviceType``, ``nursing``, ``area``, ``personName``,
    ``personReference``, ``startDate``. Output: ``requestReference`` (the request's key)."""
    location_id = inputs.get("locationId")
    if not location_id or not isinstance(location_id, str):
        raise HandlerError("commission needs the provider's 'locationId'")
    service_type = inputs.get("serviceType") or "care_home"
    if service_type not in ("care_home", "nursing_home", "homecare"):
        raise HandlerError("commission 'serviceType' must be care_home, nursing_home or homecare")
    # Keyed by instance, task and provider: a step retried after an incident asks the same provider once.
    key = f"commission:{context.instance_id}:{context.task_id}:{location_id}"
    data = {"locationId": location_id, "serviceType": service_type, "nursing": bool(inputs.get("nursing")),
            "area": inputs.get("area") or "", "personName": inputs.get("personName") or "",
            "personReference": inputs.get("personReference") or "", "startDate": inputs.get("startDate") or "",
            "caseReference": context.case_reference}
    context.queue_message(channel="commissioning", template="commissioning_request", recipient=location_id,
                          data=data, key=key)
    return {"requestReference": key}


class CommissioningChannel:
    """The outbox channel that turns a queued request into a request row and a letter to the provider."""

    def __init__(self, db: Database, email_channel: str = "email") -> None:
        self.db = db
        self.email_channel = email_channel

    def send(self, message: Delivery) -> str | None:
        data = message.payload
        with self.db.transaction() as session:
            if session.scalars(select(CommissioningRequest).where(
                    CommissioningRequest.reference == message.idempotency_key)).first() is not None:
                return message.idempotency_key  # delivered before: nothing twice
            provider = session.scalars(select(Provider).where(Provider.location_id == message.recipient)).first()
            if provider is None:
                raise DeliveryError(f"no provider with CQC location id {message.recipient}", permanent=True)
            now = utcnow()
            instance_id = message.instance_id
            if instance_id and session.get(Instance, instance_id) is None:
                instance_id = None
            request = CommissioningRequest(
                reference=message.idempotency_key, instance_id=instance_id,
                case_reference=data.get("caseReference") or None, person_reference=data.get("personReference") or None,
                person_name=data.get("personName") or None, provider_id=provider.id,
                service_type=data.get("serviceType") or provider.service_type, nursing=bool(data.get("nursing")),
                area=data.get("area") or provider.area, state="raised", details=dict(data),
                history=[{"at": now.isoformat(), "state": "raised", "by": "outbox"}], created_at=now, updated_at=now)
            session.add(request)
            session.flush()
            if provider.email:
                session.add(OutboxMessage(
                    instance_id=instance_id, idempotency_key=f"{message.idempotency_key}:letter",
                    channel=self.email_channel, recipient=provider.email, template="commissioning_request",
                    payload={**{k: str(v) for k, v in data.items()}, "requestReference": str(request.id),
                             "providerName": provider.name}, created_at=now, next_attempt_at=now))
            if instance_id:
                session.add(AuditEvent(instance_id=instance_id, at=now, actor="outbox", action="commissioning_raised",
                                       data={"request": request.id, "provider": provider.location_id,
                                             "providerName": provider.name}))
            return message.idempotency_key


def advance(db: Database, request_id: int, state: Any, actor: str, note: Any = None) -> CommissioningRequest:
    """Record a provider's answer: move the request to ``state`` if its current state allows it."""
    if state not in STATES:
        raise ValidationFailed("Unknown commissioning state", [{"field": "state",
                                                                 "message": f"Use one of {', '.join(STATES)}"}])
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        raise ValidationFailed("note must be text of at most 2000 characters",
                               [{"field": "note", "message": "Text, at most 2000 characters"}])
    with db.transaction() as session:
        request = session.get(CommissioningRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound(f"No commissioning request {request_id}")
        if state not in TRANSITIONS[request.state]:
            raise Conflict(f"A {request.state} request cannot become {state}", state=request.state)
        now = utcnow()
        request.state, request.updated_at = state, now
        request.history = [*(request.history or []), {"at": now.isoformat(), "state": state, "by": actor,
                                                       "note": note}]
        if request.instance_id:
            session.add(AuditEvent(instance_id=request.instance_id, at=now, actor=actor,
                                   action=f"commissioning_{state}", data={"request": request.id, "note": note}))
        return request


def request_dict(r: CommissioningRequest) -> dict[str, Any]:
    return {"id": r.id, "reference": r.reference, "instanceId": r.instance_id, "caseReference": r.case_reference,
            "personReference": r.person_reference, "personName": r.person_name, "providerId": r.provider_id,
            "serviceType": r.service_type, "nursing": r.nursing, "area": r.area, "state": r.state,
            "history": r.history or [], "createdAt": r.created_at.isoformat() if r.created_at else None,
            "updatedAt": r.updated_at.isoformat() if r.updated_at else None}


def list_requests(db: Database, state: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    if state is not None and state not in STATES:
        raise ValidationFailed("Unknown commissioning state", [{"field": "state",
                                                                 "message": f"Use one of {', '.join(STATES)}"}])
    query = select(CommissioningRequest).order_by(CommissioningRequest.id.desc()).limit(limit)
    if state:
        query = query.where(CommissioningRequest.state == state)
    with db.reading() as session:
        return [request_dict(r) for r in session.scalars(query)]
