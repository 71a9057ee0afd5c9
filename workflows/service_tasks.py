"""What a service-task handler sees of the runtime: its inputs, a small context, and errors to raise.

The runtime knows handlers only through a lookup (name -> handler) handed to it at start; the
concrete handlers live in ``handlers/`` and register there by name. A handler never touches the
engine: what it wants done outside (a notification, a commissioning request) it queues through the
context, and the runtime writes it to the outbox in the same transaction as the step (DESIGN.md
decision 3). Reads it needs (the provider register) go through ``context.session``, the step's own
database session, so a handler never opens a transaction of its own.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class HandlerError(Exception):
    """A handler could not do its work; becomes an incident on the task."""


class UnknownHandler(HandlerError):
    pass


@dataclass
class HandlerContext:
    instance_id: str
    case_reference: str
    task_id: str
    element_id: str
    now: datetime
    session: Any = None  # the step's SQLAlchemy session (reads only); None outside a step
    queued: list[dict[str, Any]] = field(default_factory=list)

    def queue_message(self, *, channel: str, template: str, recipient: str | None = None,
                      data: dict[str, Any] | None = None, key: str | None = None) -> str:
        """Queue a message for delivery after the step commits; returns its idempotency key."""
        key = key or f"{self.instance_id}:{self.task_id}:{len(self.queued)}:{uuid.uuid4().hex[:8]}"
        self.queued.append({"channel": channel, "template": template, "recipient": recipient,
                            "payload": dict(data or {}), "idempotency_key": key})
        return key


class Handler(Protocol):
    def __call__(self, inputs: dict[str, Any], context: HandlerContext) -> dict[str, Any] | None: ...


HandlerLookup = Callable[[str], Handler]


def no_handlers(name: str) -> Handler:
    """The lookup of a runtime given none: every service task becomes an incident naming it."""
    raise UnknownHandler(f"No handler named '{name}' (this runtime has no handlers registered)")


ParameterCheck = Callable[[str, Mapping[str, Any]], list[str]]
"""``(handler name, the literal values of a service task's parameters) -> problems``, each a sentence.

A handler may know at validate time that a literal input can never work (a message template that does
not exist); the app hands the library such a check, so a diagram naming one is refused when it is
validated or deployed rather than failing on a case later. Parameters that are expressions are left
to run time."""


def no_parameter_checks(handler_name: str, literals: Mapping[str, Any]) -> list[str]:
    """The check of a library given none: every literal is accepted."""
    return []
