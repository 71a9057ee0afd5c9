"""E-mail over SMTP with the standard library. The Message-ID comes from the idempotency key, so a
message re-sent after a crash carries the same id and a receiving system can drop the copy."""
from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from ..templates import TemplateError, TemplateRegistry
from . import Delivery, DeliveryError


def message_id(idempotency_key: str) -> str:
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@careflow>"


class EmailChannel:
    def __init__(self, settings: dict[str, Any], templates: TemplateRegistry) -> None:
        self.host = settings.get("SMTP_HOST")
        self.port = int(settings.get("SMTP_PORT") or 25)
        self.sender = settings.get("SMTP_FROM") or "careflow@localhost"
        self.username = settings.get("SMTP_USERNAME")
        self.password = settings.get("SMTP_PASSWORD")
        self.starttls = str(settings.get("SMTP_STARTTLS") or "").lower() in ("1", "true", "yes")
        self.timeout = float(settings.get("SMTP_TIMEOUT") or 20)
        self.templates = templates

    def build(self, message: Delivery) -> EmailMessage:
        to = list(message.recipients) or [r.strip() for r in (message.recipient or "").split(",") if r.strip()]
        if not to or any("@" not in r for r in to):
            raise DeliveryError(f"no e-mail address to send to (recipient {message.recipient!r})", permanent=True)
        try:
            subject, body = self.templates.get(message.template).render(message.payload)
        except TemplateError as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = ", ".join(to)
        mail["Subject"] = subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id(message.idempotency_key)
        mail["X-Careflow-Idempotency-Key"] = message.idempotency_key
        mail.set_content(body)
        for file in message.attachments:
            maintype, _, subtype = file.media_type.partition(";")[0].strip().partition("/")
            # The hash recorded when the file was stored, so the receiver can check the copy is that one.
            mail.add_attachment(file.content, maintype=maintype or "application",
                                subtype=subtype or "octet-stream", filename=file.filename,
                                headers=[f"X-Careflow-Content-SHA256: {file.sha256}"])
        return mail

    def send(self, message: Delivery) -> str | None:
        if not self.host:
            raise DeliveryError("SMTP_HOST is not configured", permanent=True)
        mail = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(f"recipients refused: {exc.recipients}",
                                permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                                permanent=500 <= exc.smtp_code < 600) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP server unavailable: {exc}") from None
        if refused:
            raise DeliveryError(f"some recipients refused: {refused}", permanent=True)
        return mail["Message-ID"]
