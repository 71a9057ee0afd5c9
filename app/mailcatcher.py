"""A local mail catcher for development and demos: a real SMTP server (aiosmtpd) on a local port
that keeps every message it receives as an ``.eml`` file under ``instance/mail/``, so careflow's
e-mail channel talks SMTP exactly as it would to the council's server, and nothing leaves the
machine. ``careflow serve --mail-catcher PORT`` starts one beside the app; ``careflow mailcatcher``
runs one alone.
"""
from __future__ import annotations

import logging
import re
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

log = logging.getLogger("careflow.mailcatcher")


class KeepMessages:
    """aiosmtpd handler: each message written to ``folder`` as ``<n>-<subject>.eml``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.received: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode("utf-8")
        mail = message_from_bytes(raw, policy=policy.default)
        subject = str(mail.get("Subject") or "no subject")
        number = len(list(self.folder.glob("*.eml"))) + 1
        name = f"{number:05d}-{re.sub(r'[^A-Za-z0-9]+', '-', subject).strip('-')[:60] or 'message'}.eml"
        (self.folder / name).write_bytes(raw)
        self.received.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "subject": subject,
                              "file": name})
        log.info("mail caught: %s to %s (%s)", subject, ", ".join(envelope.rcpt_tos), name)
        return "250 Message accepted for delivery"


def start(port: int, folder: Path, host: str = "127.0.0.1") -> tuple[Any, KeepMessages]:
    """Start the catcher in a background thread; returns (controller, handler). ``controller.stop()``
    ends it."""
    from aiosmtpd.controller import Controller

    handler = KeepMessages(folder)
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    return controller, handler
