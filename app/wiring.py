"""Where the app wires concrete parts into the runtime: handlers, delivery channels, procedures.

The runtime (``workflows/``) knows none of them by name; the web app and the worker command both
build their services here, so each process gets the same wiring and its own instances.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from handlers.commission import CommissioningChannel
from handlers.delivery import build_channels
from handlers.registry import parameter_problems
from handlers.templates import TemplateRegistry, default_templates
from workflows.outbox import Channel, OutboxDispatcher, OutboxPolicy
from workflows.scheduler import CareflowScheduler
from workflows.service_tasks import ParameterCheck


def setting(config: Mapping[str, Any], name: str, default: Any) -> Any:
    """A setting from the app config, else ``CAREFLOW_<name>`` or ``<name>`` in the environment."""
    value = config.get(name)
    if value in (None, ""):
        value = os.environ.get(f"CAREFLOW_{name}") or os.environ.get(name)
    return default if value in (None, "") else value


def message_templates() -> TemplateRegistry:
    """The message templates: the ones the outbox renders are the ones a diagram is checked against."""
    return default_templates()


def service_task_checks() -> ParameterCheck:
    """For the process library: each handler's check of a service task's literal inputs (a template
    the notify handler names must be one of :func:`message_templates`), so validate, deploy, a modeller
    save and the sync from disk all refuse a diagram naming one that does not exist."""
    return parameter_problems


def delivery_channels(services: Any, config: Mapping[str, Any] | None = None) -> dict[str, Channel]:
    """Every outbox channel: e-mail, Notify, webhook, record, and commissioning (which writes rows)."""
    channels = build_channels(config or {}, message_templates())
    channels["commissioning"] = CommissioningChannel(services.db)
    return channels


def outbox_dispatcher(services: Any, config: Mapping[str, Any] | None = None) -> OutboxDispatcher:
    config = dict(config or {})
    policy = OutboxPolicy.from_config({k: setting(config, k, None) for k in (
        "OUTBOX_MAX_ATTEMPTS", "OUTBOX_BACKOFF_SECONDS", "OUTBOX_MAX_BACKOFF_SECONDS", "OUTBOX_LEASE_SECONDS")})
    # Files a message carries (a plan copy) are read from the stores of the procedures that own them.
    return OutboxDispatcher(services.db, delivery_channels(services, config), policy,
                            attachments=services.runtime.procedures.attachment)


def build_scheduler(services: Any, config: Mapping[str, Any] | None = None, **overrides: Any) -> CareflowScheduler:
    """The scheduler for ``services`` (app.Services) with channels and policy from ``config``/environment."""
    config = dict(config or {})
    options: dict[str, Any] = {
        "poll_seconds": float(setting(config, "POLL_SECONDS", 1.0)),
        "escalation_channel": setting(config, "ESCALATION_CHANNEL", "email"),
        "manager_group": setting(config, "DEFAULT_MANAGER_GROUP", "team_managers"),
        "stall_check_seconds": float(setting(config, "STALL_CHECK_SECONDS", 300.0)),
        # Threads firing timers in each worker: default 2 on PostgreSQL, 1 on SQLite (one writer).
        "timer_threads": int(setting(config, "TIMER_THREADS", 0)) or None,
    }
    options.update(overrides)
    return CareflowScheduler(services.runtime, outbox_dispatcher(services, config), **options)
