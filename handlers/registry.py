"""The one registry through which service tasks find their handlers by name.

Handlers register here with ``@handler(name)``; the app hands :func:`get_handler` to the runtime
at start (the runtime never imports this package). A handler may also offer a check of its literal
inputs (``@handler(name, check=...)``), which the app hands to the process library so a diagram is
refused at validate time rather than failing on a case (:func:`parameter_problems`). The handler's
inputs, context and errors are the runtime's (:mod:`workflows.service_tasks`), re-exported here for the
handlers' convenience.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workflows.service_tasks import Handler, HandlerContext, HandlerError, UnknownHandler

__all__ = ["Handler", "HandlerContext", "HandlerError", "InputCheck", "UnknownHandler", "get_handler", "handler",
           "handler_names", "parameter_problems"]

InputCheck = Callable[[Mapping[str, Any]], list[str]]
"""A handler's check of a service task's literal inputs: the problems, each a sentence."""

_HANDLERS: dict[str, Handler] = {}
_CHECKS: dict[str, InputCheck] = {}


def handler(name: str, *, check: InputCheck | None = None) -> Callable[[Handler], Handler]:
    """Register a handler under ``name`` (the service task's operator name), with its input check."""
    def register(fn: Handler) -> Handler:
        if name in _HANDLERS and _HANDLERS[name] is not fn:
            raise ValueError(f"handler '{name}' is registered twice")
        _HANDLERS[name] = fn
        if check is not None:
            _CHECKS[name] = check
        return fn
    return register


def parameter_problems(name: str, literals: Mapping[str, Any]) -> list[str]:
    """What the handler ``name`` finds wrong with these literal inputs (none if it offers no check;
    an unknown handler is the model checks' to report)."""
    load_builtin_handlers()
    check = _CHECKS.get(name)
    return check(literals) if check is not None else []


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
