"""Cancelling a case opened by mistake: with a reason, by someone allowed to, audited.

A mixin of :class:`workflows.runtime.Runtime`. The case's running instances and its open child cases
are cancelled together: their open tasks, timers and message subscriptions go, their status becomes
``terminated``, their open incidents are resolved, and the audit says who did it and why. Nothing of
the procedures' "completed" hooks runs: a cancelled case did not end, it was withdrawn.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from .engine import Projector
from .errors import Conflict, NotFound, ValidationFailed
from .models import Incident, Instance
from .spiff_bridge import StepContext, serializer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .library import ProcessLibrary

FINISHED = ("completed", "terminated")


class CaseCancelling:
    library: ProcessLibrary

    if TYPE_CHECKING:
        def transaction(self) -> Any: ...
        def load(self, session: Any, instance_id: str, *, lock: bool = False) -> Any: ...

    def cancel_case(self, instance_id: str, reason: Any, actor: str) -> Instance:
        """Cancel the case of ``instance_id`` (and its open child cases) with ``reason``."""
        text = reason.strip() if isinstance(reason, str) else ""
        if not text or len(text) > 2000:
            raise ValidationFailed("Say why the case is cancelled", [
                {"field": "reason", "message": "Enter the reason for cancelling, in at most 2000 characters"}])
        with self.transaction() as session:
            row = session.get(Instance, instance_id)
            if row is None:
                raise NotFound(f"No instance {instance_id}")
            if row.status in FINISHED:
                raise Conflict(f"This case is already {row.status}", status=row.status)
            rows = session.scalars(select(Instance).where(
                (Instance.case_reference == row.case_reference)
                | (Instance.parent_case_reference == row.case_reference),
                Instance.status.not_in(FINISHED)).order_by(Instance.created_at)).all()
            for each in rows:
                self._cancel_one(session, each, text, actor, cancelled_with=row.case_reference)
            return row

    def _cancel_one(self, session: Session, row: Instance, reason: str, actor: str, *, cancelled_with: str) -> None:
        row, wf = self.load(session, row.id, lock=True)
        wf.cancel()
        ctx = StepContext(row.id, row.case_reference, actor)
        ctx.audit.append({"action": "case_cancelled", "data": {"reason": reason, "case": cancelled_with}})
        row.state = serializer().serialize_json(wf)
        row.updated_at = ctx.now
        properties = self.library.element_properties(session, row.process_version_id)
        with session.no_autoflush:
            Projector(session, row, properties).project(wf, ctx)
        for incident in session.scalars(select(Incident).where(Incident.instance_id == row.id,
                                                               Incident.state == "open")):
            incident.state, incident.resolved_at, incident.resolved_by = "resolved", ctx.now, actor
        row.status, row.completed_at = "terminated", ctx.now
        session.flush()
        session.info.setdefault("careflow_cache", []).append((row.id, wf))
