"""Webhooks: an HTTP POST of the message as JSON, signed with HMAC-SHA256 over the timestamp and body.

Headers: ``X-Careflow-Timestamp`` (Unix seconds), ``X-Careflow-Signature: sha256=<hex>`` of
``timestamp + "." + body`` under ``WEBHOOK_SECRET``, and ``Idempotency-Key`` for the receiver to
drop a repeat. ``WEBHOOK_ALLOWED_PREFIXES`` (comma separated) limits where a diagram may post.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from . import Delivery, DeliveryError


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    def __init__(self, settings: dict[str, Any]) -> None:
        self.secret = settings.get("WEBHOOK_SECRET")
        self.timeout = float(settings.get("WEBHOOK_TIMEOUT") or 15)
        allowed = settings.get("WEBHOOK_ALLOWED_PREFIXES") or ""
        self.allowed = [p.strip() for p in str(allowed).split(",") if p.strip()]

    def send(self, message: Delivery) -> str | None:
        import requests

        url = (message.recipient or "").strip()
        if not url.startswith(("http://", "https://")):
            raise DeliveryError(f"a webhook needs an http(s) URL, not {url!r}", permanent=True)
        if self.allowed and not any(url.startswith(p) for p in self.allowed):
            raise DeliveryError(f"{url} is not among WEBHOOK_ALLOWED_PREFIXES", permanent=True)
        if not self.secret:
            raise DeliveryError("WEBHOOK_SECRET is not configured", permanent=True)
        body = json.dumps({"id": message.id, "idempotencyKey": message.idempotency_key,
                           "template": message.template, "instanceId": message.instance_id,
                           "data": message.payload,
                           "attachments": [{"filename": f.filename, "mediaType": f.media_type, "sha256": f.sha256,
                                            "content": base64.b64encode(f.content).decode()}
                                           for f in message.attachments]}, sort_keys=True, default=str).encode()
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.idempotency_key,
                   "X-Careflow-Timestamp": stamp, "X-Careflow-Signature": sign(self.secret, stamp, body)}
        try:
            answer = requests.post(url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise DeliveryError(f"webhook unreachable: {exc}") from None
        if 200 <= answer.status_code < 300:
            return answer.headers.get("X-Request-Id")
        permanent = 400 <= answer.status_code < 500 and answer.status_code not in (408, 409, 425, 429)
        raise DeliveryError(f"webhook answered {answer.status_code}", permanent=permanent)
