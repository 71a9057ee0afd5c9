"""The one registry through which service tasks find their handlers by name.

A handler receives the task's inputs and a small context, and returns outputs. It never touches
the engine or the database: what it wants done outside (a notification, a commissioning
request) it queues through the context, and the runtime writes it to the outbox in the same
transaction as the step (DESIGN.md decision 3).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
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


_HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register a handler under ``name`` (the service task's operator name)."""
    def register(fn: Handler) -> Handler:
        if name in _HANDLERS and _HANDLERS[name] is not fn:
            raise ValueError(f"handler '{name}' is registered twice")
        _HANDLERS[name] = fn
        return fn
    return register


def get_handler(name: str) -> Handler:
    load_builtin_handlers()
    try:
        return _HANDLERS[name]
    except KeyError:
        raise UnknownHandler(f"No handler named '{name}' (known: {', '.join(sorted(_HANDLERS))})") from None


def handler_names() -> list[str]:
    load_builtin_handlers()
    return sorted(_HANDLERS)


def load_builtin_handlers() -> None:
    from . import commission, notify, providers  # noqa: F401  (registers on import)
