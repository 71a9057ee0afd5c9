"""GOV.UK Notify through the official client. A careflow template maps to a Notify template id
(``Notify-Template-Id`` in the template file, or ``NOTIFY_TEMPLATE_IDS`` as JSON ``{"name": "id"}``);
the message's data is the personalisation and its idempotency key the Notify ``reference``."""
from __future__ import annotations

import json
from typing import Any

from ..templates import TemplateError, TemplateRegistry
from . import Delivery, DeliveryError

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"


class NotifyChannel:
    def __init__(self, settings: dict[str, Any], templates: TemplateRegistry) -> None:
        self.api_key = settings.get("NOTIFY_API_KEY")
        self.base_url = settings.get("NOTIFY_BASE_URL") or DEFAULT_BASE_URL
        raw = settings.get("NOTIFY_TEMPLATE_IDS") or {}
        try:
            self.template_ids: dict[str, str] = json.loads(raw) if isinstance(raw, str) else dict(raw)
        except ValueError:
            self.template_ids = {}
        self.templates = templates
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            from notifications_python_client.notifications import NotificationsAPIClient

            try:
                self._client = NotificationsAPIClient(self.api_key, base_url=self.base_url, timeout=20)
            except Exception as exc:  # noqa: BLE001  a malformed key is a configuration error
                raise DeliveryError(f"NOTIFY_API_KEY is not a Notify API key: {exc}", permanent=True) from None
        return self._client

    def template_id(self, name: str) -> str:
        if name in self.template_ids:
            return self.template_ids[name]
        try:
            found = self.templates.get(name).headers.get("notify-template-id")
        except TemplateError:
            found = None
        if not found:
            raise DeliveryError(f"no GOV.UK Notify template id for '{name}'", permanent=True)
        return found

    def send(self, message: Delivery) -> str | None:
        from notifications_python_client.errors import APIError

        if not self.api_key:
            raise DeliveryError("NOTIFY_API_KEY is not configured", permanent=True)
        if message.attachments:
            raise DeliveryError("GOV.UK Notify templates here carry no files; send a message with attachments "
                                "by e-mail", permanent=True)
        template_id = self.template_id(message.template)
        personalisation = {k: "" if v is None else v for k, v in message.payload.items()}
        results = []
        for recipient in list(message.recipients) or [message.recipient or ""]:
            recipient = recipient.strip()
            if not recipient:
                raise DeliveryError("a Notify message needs a recipient", permanent=True)
            try:
                if "@" in recipient:
                    answer = self.client().send_email_notification(
                        email_address=recipient, template_id=template_id, personalisation=personalisation,
                        reference=message.idempotency_key)
                else:
                    answer = self.client().send_sms_notification(
                        phone_number=recipient, template_id=template_id, personalisation=personalisation,
                        reference=message.idempotency_key)
            except APIError as exc:
                status = exc.status_code
                # 400 (bad template or data) and 403 (bad key) will not get better by waiting.
                raise DeliveryError(f"Notify answered {status}: {exc.message}",
                                    permanent=status in (400, 401, 403, 404)) from None
            results.append(str((answer or {}).get("id", "")))
        return ",".join(results) or None
