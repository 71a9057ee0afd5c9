"""Long work that goes on after the transaction that asked for it, in batches that each commit
(DESIGN.md decision 11: no request holds the write lock for long).

A use case whose whole work would hold the lock for long (a thousand cases brought to a new date)
does its first part in its own transaction and leaves a ``follow_up`` row, written in that same
transaction, so the rest cannot be lost: the request goes on with it once committed, or the
scheduler does (a process killed mid-way leaves the row, and its lease runs out). The owner of the
kind (a procedure, found by name through the registry) does one batch at a time and says how much is
still to do; it works that out from the database each time, so the work is idempotent, and asking
again while a run is under way (a newer date) re-arms the same row, which the run then finishes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from . import batches
from .batches import Batch, commit_in_batches
from .models import FollowUp, utcnow

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from .runtime import Runtime

log = logging.getLogger("careflow.follow_ups")

BATCH = 200  # items per transaction: one batch of ~200 case steps holds the write lock for a few seconds
LEASE = timedelta(seconds=30)  # a run renews it every batch; a run that died lets go when it runs out
RETRY_AFTER = timedelta(seconds=30)  # a batch that failed is tried again after this


@dataclass
class Progress(batches.Progress):
    """How far one run of a follow-up got."""

    kind: str = ""
    subject: str = ""
    held: bool = False  # another run holds it: that run goes on with the work
    error: str | None = None

    @property
    def finished(self) -> bool:
        return not self.held and self.error is None and not self.stopped and self.remaining == 0

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "done": self.done, "remaining": self.remaining,
                "batches": self.batches, "seconds": round(sum(self.batch_seconds), 3),
                "held": self.held, "error": self.error}


def request(session: Session, kind: str, subject: str) -> None:
    """Ask, in the caller's transaction, for ``kind`` of work on ``subject`` to go on after it commits."""
    row = session.scalars(select(FollowUp).where(FollowUp.kind == kind, FollowUp.subject == subject)).first()
    if row is None:
        session.add(FollowUp(kind=kind, subject=subject, requested_at=utcnow(), batches=0, done=0, attempts=0))
    else:  # a run under way keeps its lease and finishes the new work too
        row.requested_at, row.attempts, row.last_error = utcnow(), 0, None


def pending(session: Session, kind: str, subject: str) -> bool:
    return session.scalar(select(FollowUp.id).where(FollowUp.kind == kind, FollowUp.subject == subject)) is not None


def _claim(runtime: Runtime, kind: str, subject: str, now: datetime) -> int | None:
    """Take the follow-up's lease (one transaction); None when another run holds it or it is done."""
    with runtime.db.transaction() as session:
        query = select(FollowUp).where(FollowUp.kind == kind, FollowUp.subject == subject, or_(
            FollowUp.claimed_until.is_(None), FollowUp.claimed_until <= now))
        if runtime.db.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = session.scalars(query).first()
        if row is None:
            return None
        row.claimed_until = now + LEASE
        return row.id


def run(runtime: Runtime, kind: str, subject: str, *, batch: int, now: datetime | None = None,
        stop: Callable[[], bool] | None = None) -> Progress:
    """Do ``kind`` of work on ``subject`` batch by batch, each batch its own transaction, until none is
    left, a batch fails (tried again later) or ``stop`` says so (the lease is let go)."""
    progress = Progress(kind=kind, subject=subject)
    follow_up_id = _claim(runtime, kind, subject, now or utcnow())
    if follow_up_id is None:
        with runtime.db.reading() as session:
            progress.held = pending(session, kind, subject)
        return progress

    def one_batch(session: Session) -> Batch:
        row = session.get(FollowUp, follow_up_id)
        if row is None:  # finished by a run whose lease we took over
            return Batch(0, 0)
        result = runtime.procedures.follow_up(runtime, session, kind, subject, batch)
        row.batches += 1
        row.done += result.done
        row.attempts, row.last_error = 0, None
        if result.remaining == 0:
            session.delete(row)
        else:
            row.claimed_until = utcnow() + LEASE
        return result

    try:
        commit_in_batches(runtime, one_batch, progress, stop=stop)
    except Exception as exc:  # noqa: BLE001  the row stays: tried again after RETRY_AFTER
        log.warning("follow-up %s %s failed, to be tried again: %s", kind, subject, exc)
        progress.error = f"{type(exc).__name__}: {exc}"[:500]
        _failed(runtime, follow_up_id, progress.error)
        return progress
    if progress.stuck:
        progress.error = f"{progress.remaining} still to do, but a batch did none of them"
        _failed(runtime, follow_up_id, progress.error)
    elif progress.stopped:
        _let_go(runtime, follow_up_id)
    return progress


def _failed(runtime: Runtime, follow_up_id: int, error: str) -> None:
    with runtime.db.transaction() as session:
        row = session.get(FollowUp, follow_up_id)
        if row is not None:
            row.attempts += 1
            row.last_error = error
            row.claimed_until = utcnow() + RETRY_AFTER


def _let_go(runtime: Runtime, follow_up_id: int) -> None:
    with runtime.db.transaction() as session:
        row = session.get(FollowUp, follow_up_id)
        if row is not None:
            row.claimed_until = None


def any_due(runtime: Runtime, now: datetime | None = None) -> bool:
    """A lock-free look: is any follow-up free to run (the scheduler's idle poll takes no write lock)?"""
    now = now or utcnow()
    with runtime.db.reading() as session:
        return session.scalar(select(FollowUp.id).where(or_(
            FollowUp.claimed_until.is_(None), FollowUp.claimed_until <= now)).limit(1)) is not None


def run_due(runtime: Runtime, *, batch: int, now: datetime | None = None, limit: int = 50,
            stop: Callable[[], bool] | None = None) -> list[Progress]:
    """Run every follow-up nobody is running (oldest request first): the scheduler's job."""
    now = now or utcnow()
    with runtime.db.reading() as session:
        due = session.execute(select(FollowUp.kind, FollowUp.subject).where(or_(
            FollowUp.claimed_until.is_(None), FollowUp.claimed_until <= now))
            .order_by(FollowUp.requested_at).limit(limit)).all()
    done = []
    for kind, subject in due:
        if stop is not None and stop():
            break
        done.append(run(runtime, kind, subject, batch=batch, now=now, stop=stop))
    return done
