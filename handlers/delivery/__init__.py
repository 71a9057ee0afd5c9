"""Delivery channels for outbox messages: e-mail (SMTP), GOV.UK Notify, webhooks and ``record``.

A channel sends one message and returns, or raises :class:`DeliveryError` saying whether trying
again could help (``permanent=False``: the server was down or busy) or not (a refused address, a
missing template). The outbox (``workflows/outbox.py``) owns retries, back-off and incidents.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from workflows.outbox import Channel, Delivery, DeliveryError

from ..templates import TemplateError, TemplateRegistry, default_templates

__all__ = ["Channel", "Delivery", "DeliveryError", "RecordChannel", "build_channels", "delivery_settings"]


class RecordChannel:
    """Sends nothing: marks the message sent (for demos and for messages kept as a record). The record
    must still be readable, so a template that is missing or that the data does not fill fails here,
    as it would on any other channel."""

    def __init__(self, templates: TemplateRegistry | None = None) -> None:
        self.templates = templates or default_templates()

    def send(self, message: Delivery) -> str | None:
        try:
            self.templates.get(message.template).render(message.payload)
        except TemplateError as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        return None


SETTING_NAMES = ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_STARTTLS",
                 "SMTP_TIMEOUT", "NOTIFY_API_KEY", "NOTIFY_BASE_URL", "NOTIFY_TEMPLATE_IDS", "WEBHOOK_SECRET",
                 "WEBHOOK_TIMEOUT", "WEBHOOK_ALLOWED_PREFIXES")


def delivery_settings(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Channel settings from the app config, else the environment (``SMTP_HOST`` or ``CAREFLOW_SMTP_HOST``)."""
    config = config or {}
    out: dict[str, Any] = {}
    for name in SETTING_NAMES:
        value = config.get(name)
        if value in (None, ""):
            value = os.environ.get(name) or os.environ.get(f"CAREFLOW_{name}")
        if value not in (None, ""):
            out[name] = value
    return out


def build_channels(config: Mapping[str, Any] | None = None,
                   templates: TemplateRegistry | None = None) -> dict[str, Channel]:
    """Every channel, configured; a channel missing its settings fails each message permanently."""
    from .email import EmailChannel
    from .notify import NotifyChannel
    from .webhook import WebhookChannel

    settings = delivery_settings(config)
    templates = templates or default_templates()
    return {
        "email": EmailChannel(settings, templates),
        "notify": NotifyChannel(settings, templates),
        "webhook": WebhookChannel(settings),
        "record": RecordChannel(templates),
    }
