"""A small provider used to test the generic pipelines (not registered outside tests).

Its "API" lives at https://sample.test and is simulated with respx like any provider's. Bodies
are JSON ``{"account": "...", "items": [...]}`` signed with HMAC-SHA256 of the connection's
``secret`` in ``X-Sample-Signature``. ``SampleProvider`` uses a per-connection URL,
``SharedSampleProvider`` one shared URL routed by ``account``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx
from rest_framework import serializers

from channels_integrations.providers.base import (
    ChannelProvider,
    InboundItem,
    InboundMedia,
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    ProviderError,
    WebhookRejected,
)

API = "https://sample.test"


class SampleCredentialsSerializer(serializers.Serializer):
    secret = serializers.CharField(min_length=8)
    account = serializers.CharField(required=False, default="")


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SampleProvider(ChannelProvider):
    key = "sample"
    label = "Sample"
    webhook_routing = "connection"
    credentials_serializer = SampleCredentialsSerializer
    secret_fields = ("secret",)
    rate_limit_per_second = 5

    def check_credentials(self, credentials):
        response = httpx.post(f"{API}/check", json={"secret": credentials["secret"]})
        if response.status_code >= 500:
            raise ProviderError("sample is down", permanent=False)
        if response.status_code != 200:
            raise ProviderError("sample refused the secret", permanent=True, code="unauthorized")
        return {"account_name": response.json()["name"]}

    def webhook_register(self, connection, *, url):
        response = httpx.post(f"{API}/webhook", json={"url": url})
        if response.status_code != 200:
            raise ProviderError("sample refused the webhook", permanent=True)

    def webhook_unregister(self, connection):
        httpx.post(f"{API}/webhook", json={"url": ""})

    def verify_request(self, request, connection):
        expected = sign(connection.credentials["secret"], request.body)
        if not hmac.compare_digest(expected, request.headers.get("X-Sample-Signature", "")):
            raise WebhookRejected("bad signature")

    def parse_inbound(self, payload: bytes) -> list[InboundItem]:
        body = json.loads(payload)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise ValueError("not a sample payload")
        items: list[InboundItem] = []
        for raw in body["items"]:
            account = str(raw.get("account", body.get("account", "")))
            if raw.get("type") == "status":
                items.append(
                    InboundStatus(
                        event_id=raw["id"],
                        provider_message_id=raw["message_id"],
                        status=raw["status"],
                        error_code=raw.get("error_code", ""),
                        error_detail=raw.get("error_detail", ""),
                        raw=raw,
                        route_key=account if self.webhook_routing == "shared" else "",
                    )
                )
                continue
            media = raw.get("media")
            items.append(
                InboundMessage(
                    event_id=raw["id"],
                    external_id=raw["from"],
                    provider_message_id=raw.get("message_id", raw["id"]),
                    kind=raw.get("kind", "text"),
                    body=raw.get("text", ""),
                    contact_name=raw.get("name", ""),
                    media=InboundMedia(
                        provider_media_id=media["url"],
                        mime_type=media.get("mime", ""),
                        filename=media.get("filename", ""),
                        size=media.get("size"),
                    )
                    if media
                    else None,
                    sent_at=datetime.fromtimestamp(raw["date"], tz=UTC) if "date" in raw else None,
                    is_edit=raw.get("edit", False),
                    is_deletion=raw.get("delete", False),
                    extra=raw.get("extra", {}),
                    raw=raw,
                    route_key=account if self.webhook_routing == "shared" else "",
                )
            )
        return items

    def route_keys(self, credentials: dict[str, Any]) -> list[str]:
        return [credentials["account"]] if self.webhook_routing == "shared" else []

    def send(self, connection, message: OutboundMessage) -> str:
        try:
            response = httpx.post(
                f"{API}/send",
                json={
                    "to": message.recipient,
                    "text": message.body,
                    "key": message.idempotency_key,
                },
            )
        except httpx.TransportError as exc:
            raise ProviderError(str(exc), permanent=False) from exc
        if response.status_code == 429:
            raise ProviderError("slow down", permanent=False, code="rate_limited", retry_after=2)
        if response.status_code >= 500:
            raise ProviderError("sample is down", permanent=False, code="unavailable")
        if response.status_code != 200:
            raise ProviderError(
                response.json().get("error", "refused"), permanent=True, code="refused"
            )
        return str(response.json()["id"])

    def download_media(self, connection, media, *, max_bytes):
        try:
            response = httpx.get(media.provider_media_id)
        except httpx.TransportError as exc:
            raise ProviderError(str(exc), permanent=False) from exc
        if response.status_code >= 500:
            raise ProviderError("file server down", permanent=False)
        if response.status_code != 200:
            raise ProviderError("file gone", permanent=True)
        if len(response.content) > max_bytes:
            raise ProviderError("too large", permanent=True, code="media_too_large")
        return response.content, response.headers.get("content-type", "")


class SharedSampleProvider(SampleProvider):
    key = "sample_shared"
    label = "Sample (shared URL)"
    webhook_routing = "shared"
    shared_webhook_path = "sample-shared/"
