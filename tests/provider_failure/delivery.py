"""Delivering a scenario's outbox for real: e-mail through a local SMTP server (aiosmtpd), every record
rendered, with the app's own channels (app.wiring)."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.wiring import delivery_channels
from tests.timers.servers import SmtpSink
from workflows.models import OutboxMessage
from workflows.outbox import OutboxDispatcher, OutboxPolicy

from .conftest import PF


@pytest.fixture(name="smtp")
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def deliver_everything(pf: PF, smtp: SmtpSink) -> list[OutboxMessage]:
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "SMTP_FROM": "provider.failure@council.example.org"}
    dispatcher = OutboxDispatcher(pf.services.db, delivery_channels(pf.services, settings),
                                  OutboxPolicy(max_attempts=3, backoff_seconds=0.05, max_backoff_seconds=0.1))
    deadline = time.time() + 60
    while time.time() < deadline:
        dispatcher.deliver_due()
        with pf.services.db.reading() as s:
            if s.scalar(select(OutboxMessage.id).where(OutboxMessage.state.in_(("pending", "sending")))
                        .limit(1)) is None:
                break
        time.sleep(0.05)
    return pf.outbox()


def failed_deliveries(messages: list[OutboxMessage]) -> list[tuple[str, str | None, str | None]]:
    """(template, recipient, error) of every message not sent."""
    return [(m.template, m.recipient, m.last_error) for m in messages if m.state != "sent"]
