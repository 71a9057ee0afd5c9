"""Notifications: a service task asks for a message to be sent; the outbox delivers it."""
from __future__ import annotations

from collections.abc import Mapping
from difflib import get_close_matches
from typing import Any

from .registry import HandlerContext, HandlerError, handler
from .templates import TemplateRegistry, default_templates

CHANNELS = ("email", "notify", "webhook", "record")


def template_problems(literals: Mapping[str, Any], templates: TemplateRegistry | None = None) -> list[str]:
    """A literal ``template`` must name a message template, and a literal ``channel`` a channel. A name
    built when the task runs (``action['template']``) is checked at delivery, where an unknown one fails."""
    templates = templates or default_templates()
    problems = []
    name = literals.get("template")
    if "template" in literals and not templates.exists(name):
        near = get_close_matches(str(name), templates.names(), n=1)
        problems.append(f"the message template '{name}' does not exist"
                        + (f" (did you mean '{near[0]}'?)" if near else "")
                        + f": add handlers/templates/{str(name).replace('/', '+')}.txt or name a template "
                          "that exists")
    channel = literals.get("channel")
    if "channel" in literals and channel not in CHANNELS:
        problems.append(f"notify channel must be one of {', '.join(CHANNELS)}, not '{channel}'")
    return problems


@handler("notify", check=template_problems)
def notify(inputs: dict[str, Any], context: HandlerContext) -> dict[str, Any]:
    """Queue one notification. Inputs: ``template`` (required), ``recipient``, ``channel``
    (email by default) and ``data`` (the values the template uses)."""
    template = inputs.get("template")
    if not template or not isinstance(template, str):
        raise HandlerError("notify needs a 'template' name")
    channel = inputs.get("channel") or "email"
    if channel not in CHANNELS:
        raise HandlerError(f"notify channel must be one of {', '.join(CHANNELS)}, not '{channel}'")
    data = inputs.get("data") or {}
    if not isinstance(data, dict):
        raise HandlerError("notify 'data' must be an object")
    recipient = inputs.get("recipient")
    if channel != "record" and context.session is not None:
        from workflows.recipients import address_for

        if address_for(context.session, recipient if isinstance(recipient, str) else None) is None:
            # Visible at once, on this step: nothing is queued that could never be delivered.
            raise HandlerError(f"No address for '{recipient}' in the recipient directory: an admin adds it "
                               f"(PUT /api/v1/recipients/<name>), then retries this incident")
    key = context.queue_message(channel=channel, template=template, recipient=inputs.get("recipient"),
                                data=data)
    return {"queued": True, "messageKey": key}
