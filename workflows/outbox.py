"""Delivering outbox rows after the step that wrote them committed (DESIGN.md decision 3).

Each message goes through three short transactions, so no lock is held while a mail server or a
web service is being talked to:

1. *claim*: the next due row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock) is
   marked ``sending`` with a lease (``next_attempt_at`` = now + lease) and its attempt counted;
2. *send*: the channel delivers it, carrying the idempotency key (Message-ID, Notify reference,
   ``Idempotency-Key`` header);
3. *finish*: ``sent``; or back to ``pending`` with an exponential back-off; or, when the error is
   permanent or the attempts are used up, ``incident`` - listed by the API for an admin to retry.

A message may carry files (a plan copy): its payload lists them under ``attachments`` as references
(``{"store": ..., "id": ...}``), never as bytes; when the message is claimed the resolver the app wires
in (the procedures that own those stores) turns each into an :class:`Attachment`, checked against its
stored content hash, and the channel gets the bytes without touching the database.

A worker that dies between 1 and 3 leaves the row ``sending``; when its lease runs out another
worker takes it again. The only repeat possible is a message the server accepted just before the
crash, and it carries the same idempotency key as the first.
"""
from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Database
from .errors import Conflict, NotFound, ValidationFailed
from .models import AuditEvent, Group, OutboxMessage, User, utcnow

log = logging.getLogger("careflow.outbox")

STATES = ("pending", "sending", "sent", "incident")
ATTACHMENTS = "attachments"  # the payload key listing the files a message carries, by reference


@dataclass(frozen=True)
class Attachment:
    """A stored file as a channel sends it; ``sha256`` is the content hash recorded when it was stored."""

    filename: str
    media_type: str
    content: bytes
    sha256: str


# (session, reference) -> the file, or None when no store knows the reference
AttachmentResolver = Callable[[Session, Mapping[str, Any]], "Attachment | None"]


@dataclass(frozen=True)
class Delivery:
    """One outbox message as a channel sees it (no database row, no session)."""

    id: int
    channel: str
    recipient: str | None
    template: str
    payload: dict[str, Any]
    idempotency_key: str
    attempt: int
    instance_id: str | None = None
    recipients: tuple[str, ...] = field(default_factory=tuple)  # a group: resolved addresses
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


class DeliveryError(Exception):
    """A channel could not deliver; ``permanent=False`` when trying again could help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    """A delivery channel (e-mail, GOV.UK Notify, webhook ...), wired in by the app or worker."""

    def send(self, message: Delivery) -> str | None: ...


@dataclass
class OutboxPolicy:
    max_attempts: int = 8
    backoff_seconds: float = 30.0     # first retry after this, doubling each time
    max_backoff_seconds: float = 3600.0
    lease_seconds: float = 120.0      # a claimed message not finished by then is taken again

    def backoff(self, attempts: int) -> timedelta:
        base = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** max(0, attempts - 1))
        return timedelta(seconds=base * random.uniform(0.9, 1.1))  # jitter: retries do not arrive in step

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OutboxPolicy:
        def num(name: str, default: float) -> float:
            try:
                return float(config.get(name) or default)
            except (TypeError, ValueError):
                return default
        return cls(max_attempts=int(num("OUTBOX_MAX_ATTEMPTS", 8)),
                   backoff_seconds=num("OUTBOX_BACKOFF_SECONDS", 30.0),
                   max_backoff_seconds=num("OUTBOX_MAX_BACKOFF_SECONDS", 3600.0),
                   lease_seconds=num("OUTBOX_LEASE_SECONDS", 120.0))


class OutboxDispatcher:
    def __init__(self, db: Database, channels: Mapping[str, Channel], policy: OutboxPolicy | None = None,
                 attachments: AttachmentResolver | None = None) -> None:
        self.db = db
        self.channels = dict(channels)
        self.policy = policy or OutboxPolicy()
        self.attachments = attachments

    def any_due(self, now: datetime | None = None) -> bool:
        with self.db.reading() as session:
            return session.scalars(self._due_query(now or utcnow())).first() is not None

    def _due_query(self, now: datetime) -> Any:
        return (select(OutboxMessage).where(OutboxMessage.state.in_(("pending", "sending")),
                                            OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))

    def claim(self, now: datetime | None = None) -> Delivery | None:
        """Take the next due message under a lock and lease it to this worker (one transaction)."""
        clock = now or utcnow()
        with self.db.transaction() as session:
            query = self._due_query(clock)
            if self.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.scalars(query).first()
            if row is None:
                return None
            if row.state == "sending" and row.attempts >= self.policy.max_attempts:
                # Leased again and again without finishing: stop rather than loop for ever.
                self._to_incident(session, row, clock, row.last_error or "the worker stopped while sending")
                return Delivery(row.id, row.channel, row.recipient, row.template, {}, row.idempotency_key,
                                -1, row.instance_id)
            row.state = "sending"
            row.attempts += 1
            row.next_attempt_at = clock + timedelta(seconds=self.policy.lease_seconds)
            payload = dict(row.payload or {})
            references = payload.pop(ATTACHMENTS, None) or []
            try:
                files = tuple(self._attachment(session, ref) for ref in references)
            except DeliveryError as exc:
                # A message that says it carries a file is never sent without it.
                self._to_incident(session, row, clock, str(exc))
                return Delivery(row.id, row.channel, row.recipient, row.template, {}, row.idempotency_key,
                                -1, row.instance_id)
            return Delivery(row.id, row.channel, row.recipient, row.template, payload,
                            row.idempotency_key, row.attempts, row.instance_id,
                            tuple(_resolve_group(session, row.recipient)), files)

    def _attachment(self, session: Session, reference: Any) -> Attachment:
        if not isinstance(reference, Mapping):
            raise DeliveryError(f"attachment reference {reference!r} is not a store and an id", permanent=True)
        found = self.attachments(session, reference) if self.attachments is not None else None
        if found is None:
            raise DeliveryError(f"attachment {dict(reference)} is not stored", permanent=True)
        if hashlib.sha256(found.content).hexdigest() != found.sha256:
            raise DeliveryError(f"attachment {found.filename} does not match its stored content hash",
                                permanent=True)
        return found

    def deliver_next(self, now: datetime | None = None) -> Delivery | None:
        """Claim, send and record one message; None when nothing is due."""
        delivery = self.claim(now)
        if delivery is None or delivery.attempt < 0:
            return delivery
        error: DeliveryError | None = None
        channel = self.channels.get(delivery.channel)
        try:
            if channel is None:
                raise DeliveryError(f"no delivery channel '{delivery.channel}'", permanent=True)
            channel.send(delivery)
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001  a channel bug must not lose the message
            log.exception("channel %s failed on message %s", delivery.channel, delivery.id)
            error = DeliveryError(f"{type(exc).__name__}: {exc}")
        self.finish(delivery, error)
        return delivery

    def finish(self, delivery: Delivery, error: DeliveryError | None) -> None:
        with self.db.transaction() as session:
            row = session.get(OutboxMessage, delivery.id, with_for_update=True)
            if row is None or row.state != "sending" or row.attempts != delivery.attempt:
                return  # our lease ran out and another worker has it now
            now = utcnow()
            if error is None:
                row.state, row.sent_at, row.last_error = "sent", now, None
                self._audit(session, row, now, "message_sent", {"attempts": row.attempts})
            elif error.permanent or row.attempts >= self.policy.max_attempts:
                self._to_incident(session, row, now, str(error))
            else:
                row.state, row.last_error = "pending", str(error)[:4000]
                row.next_attempt_at = now + self.policy.backoff(row.attempts)

    def deliver_due(self, limit: int = 1000, should_stop: Any = None) -> int:
        done = 0
        while done < limit and not (should_stop and should_stop()):
            if self.deliver_next() is None:
                break
            done += 1
        return done

    def _to_incident(self, session: Session, row: OutboxMessage, now: datetime, error: str) -> None:
        row.state, row.last_error = "incident", error[:4000]
        log.warning("message %s (%s to %s) became an incident: %s", row.id, row.channel, row.recipient, error)
        self._audit(session, row, now, "message_failed", {"attempts": row.attempts, "error": row.last_error})

    def _audit(self, session: Session, row: OutboxMessage, now: datetime, action: str, data: dict) -> None:
        if row.instance_id:
            session.add(AuditEvent(instance_id=row.instance_id, at=now, actor="outbox", action=action,
                                   task_id=row.task_id, data={"message": row.id, "channel": row.channel,
                                                              "template": row.template, **data}))

    # ---- operator use cases ------------------------------------------------------------------
    def retry(self, message_id: int, actor: str) -> OutboxMessage:
        """Send a message again now, with a fresh count of attempts: the one use case behind every
        "Send again" (outbox and operations pages and APIs). The audit row's actor is the person who
        asked, as they are accountable for the message going out again."""
        with self.db.transaction() as session:
            row = session.get(OutboxMessage, message_id, with_for_update=True)
            if row is None:
                raise NotFound(f"No outbox message {message_id}")
            if not may_retry(row.state, row.attempts):
                raise Conflict(f"Message {message_id} {_retry_refusal(row)}; only a message that could not be "
                               f"delivered, or is waiting to try again after a failure, can be sent again",
                               state=row.state)
            previous_state, previous_attempts = row.state, row.attempts
            now = utcnow()
            row.state, row.attempts, row.next_attempt_at = "pending", 0, now
            if row.instance_id:
                session.add(AuditEvent(instance_id=row.instance_id, at=now, actor=actor, action="message_retried",
                                       task_id=row.task_id, data={
                                           "message": row.id, "channel": row.channel, "template": row.template,
                                           "previousState": previous_state, "previousAttempts": previous_attempts,
                                           "attempts": 0}))
            else:  # no case to hold an audit row: the log keeps who asked
                log.info("message %s sent again by %s (was %s after %s attempts)", row.id, actor, previous_state,
                         previous_attempts)
            return row


def may_retry(state: str, attempts: int) -> bool:
    """Failed for good, or waiting out a back-off after a failed attempt. A message already queued
    with a fresh count (new, or just sent again) would gain nothing, so a second press is refused."""
    return state == "incident" or (state == "pending" and attempts > 0)


def _retry_refusal(message: OutboxMessage) -> str:
    if message.state == "sent":
        return "was already sent"
    if message.state == "sending":
        return "is being sent now"
    return "is already waiting to be sent"


def list_messages(session: Session, state: str | None, limit: int = 100, offset: int = 0) -> list[OutboxMessage]:
    if state is not None and state not in STATES:
        raise ValidationFailed("Unknown message state", [{"field": "state",
                                                          "message": f"Use {', '.join(STATES)} or all"}])
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)
    if state:
        query = query.where(OutboxMessage.state == state)
    return list(session.scalars(query))


def _resolve_group(session: Session, recipient: str | None) -> list[str]:
    """``group:team_managers`` means the e-mail addresses of that group's active members; a role or an
    organisation means its address in the recipient directory, as it is now."""
    from .recipients import Recipient, is_address

    if recipient and not is_address(recipient):
        entry = session.get(Recipient, recipient.strip())
        return [entry.address] if entry is not None else []
    if not recipient or not recipient.startswith("group:"):
        return []
    group = session.scalars(select(Group).where(Group.name == recipient[len("group:"):])).first()
    if group is None:
        return []
    members = session.scalars(select(User).where(User.groups.any(Group.id == group.id), User.active.is_(True)))
    return sorted(u.email for u in members if u.email)
