"""The one registry through which service tasks find their handlers by name.

Handlers register here with ``@handler(name)``; the app hands :func:`get_handler` to the runtime
at start (the runtime never imports this package). The handler's inputs, context and errors are
the runtime's (:mod:`workflows.service_tasks`), re-exported here for the handlers' convenience.
"""
from __future__ import annotations

from collections.abc import Callable

from workflows.service_tasks import Handler, HandlerContext, HandlerError, UnknownHandler

__all__ = ["Handler", "HandlerContext", "HandlerError", "UnknownHandler", "get_handler", "handler",
           "handler_names"]

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
