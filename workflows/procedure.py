"""The small interface through which a statutory procedure plugs into the generic runtime.

A procedure (``workflows/procedures/<name>/``) subclasses :class:`Procedure`, names the processes it
owns, and is registered with a :class:`~workflows.runtime.Runtime` by the app at start, as handlers
are registered by name. The runtime calls its hooks inside the step's transaction; a hook works
through the runtime's public API (``transaction``, ``load``, ``step``, ``start_in``, ``start_many``,
``deliver_message``) and never through private names.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

    from .batches import Batch
    from .models import Instance
    from .outbox import Attachment
    from .runtime import Runtime


class Procedure:
    """Hooks of one procedure; every hook is optional (the defaults do nothing)."""

    name: str = ""
    process_ids: frozenset[str] = frozenset()
    # Messages only careflow itself sends (e.g. "all person cases closed"): never accepted from a user.
    system_messages: frozenset[str] = frozenset()
    # Kinds of long work it leaves to follow-ups (``workflows/follow_ups.py``), done by ``follow_up``.
    follow_ups: frozenset[str] = frozenset()

    def owns(self, process_id: str) -> bool:
        return process_id in self.process_ids

    def on_step(self, runtime: Runtime, session: Session, row: Instance,
                data: dict[str, Any]) -> dict[str, Any] | None:
        """After every step of one of its instances (``data`` is the case's data, see ``case_data``). What it
        returns (e.g. how much further work the step did) is handed back to whoever stepped the case, in
        the step's ``StepContext.reports``."""
        return None

    def on_completed(self, runtime: Runtime, session: Session, row: Instance, data: dict[str, Any]) -> None:
        """An instance of one of its processes reached an end event (not when it continues as new)."""

    def on_message(self, runtime: Runtime, session: Session, name: str, payload: dict[str, Any],
                   waiting: list[Instance], *, actor: str | None) -> dict[str, Any] | None:
        """Before message ``name`` is delivered to ``waiting`` (some of them this procedure's); what it
        returns joins the API's answer, e.g. whether a date the message carries changed anything."""
        return None

    def after_message(self, runtime: Runtime, name: str, answer: dict[str, Any]) -> dict[str, Any] | None:
        """After message ``name``'s transaction committed: work it left to follow-ups may go on here, in
        batches that each commit; returns the answer brought up to date (None: unchanged)."""
        return None

    def follow_up(self, runtime: Runtime, session: Session, kind: str, subject: str, limit: int) -> Batch:
        """One batch (at most ``limit`` items) of follow-up work ``kind`` on ``subject``, in ``session``."""
        raise NotImplementedError(f"procedure '{self.name}' has no follow-up work '{kind}'")

    def check_submission(self, row: Instance, task_name: str, form_key: str | None, data: dict[str, Any],
                         case: dict[str, Any]) -> list[dict[str, str]]:
        """Problems (``field``, ``message``) with a task's answers that only the case can show, e.g. a date
        before another the case holds; the submission is refused with a 422 listing them."""
        return []

    def attachment(self, session: Session, reference: Mapping[str, Any]) -> Attachment | None:
        """The file an outbox message of this procedure's refers to (``{"store": ..., "id": ...}``), read
        when the message is claimed for sending; None when the reference is not one of its stores."""
        return None


class Procedures:
    """The procedures registered with one runtime (each runtime has its own: no process-wide state)."""

    def __init__(self) -> None:
        self._items: list[Procedure] = []

    def register(self, procedure: Procedure) -> None:
        if any(p.name == procedure.name for p in self._items):
            raise ValueError(f"procedure '{procedure.name}' is registered twice")
        clash = [pid for p in self._items for pid in p.process_ids if pid in procedure.process_ids]
        if clash:
            raise ValueError(f"processes {', '.join(sorted(clash))} already belong to another procedure")
        self._items.append(procedure)

    def for_process(self, process_id: str) -> list[Procedure]:
        return [p for p in self._items if p.owns(process_id)]

    def system_messages(self) -> frozenset[str]:
        return frozenset(name for p in self._items for name in p.system_messages)

    def follow_up(self, runtime: Runtime, session: Session, kind: str, subject: str, limit: int) -> Batch:
        """One batch of follow-up work, by the procedure that names the kind."""
        for procedure in self._items:
            if kind in procedure.follow_ups:
                return procedure.follow_up(runtime, session, kind, subject, limit)
        raise LookupError(f"No procedure does follow-up work '{kind}'")

    def attachment(self, session: Session, reference: Mapping[str, Any]) -> Attachment | None:
        """The outbox's attachment resolver: the first procedure that knows the reference."""
        for procedure in self._items:
            found = procedure.attachment(session, reference)
            if found is not None:
                return found
        return None

    def __iter__(self) -> Any:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)
