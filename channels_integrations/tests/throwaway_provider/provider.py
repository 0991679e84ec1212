"""A throwaway provider: the whole of a new channel, written only here and registered with one
line (see test_throwaway_provider.py). It proves that a provider needs no other file: no model
choice, no form, no migration, no URL.

Its "API" lives at https://throwaway.test (simulated with respx): ``POST /me`` checks a token,
``POST /hooks`` points its webhooks at us, ``POST /messages`` sends. Webhooks carry the secret
we generated in ``X-Throwaway-Secret`` and a body ``{"messages": [{"id", "from", "text"}]}``.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Any

import httpx
from rest_framework import serializers

from channels_integrations.providers.base import (
    ChannelProvider,
    InboundItem,
    InboundMessage,
    OutboundMessage,
    ProviderError,
    WebhookRejected,
)

API = "https://throwaway.test"
SECRET_HEADER = "X-Throwaway-Secret"  # noqa: S105  (a header name)


class ThrowawayCredentialsSerializer(serializers.Serializer):
    account = serializers.RegexField(
        r"^[a-z]{3,20}$", label="Account name", help_text="Lowercase letters only."
    )
    token = serializers.CharField(label="API token", min_length=10, write_only=True)
    region = serializers.CharField(label="Region", required=False, default="eu")


def _post(path: str, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        response = httpx.post(f"{API}{path}", json=payload)
    except httpx.TransportError as exc:
        raise ProviderError(str(exc), permanent=False) from exc
    if response.status_code >= 500:
        raise ProviderError("throwaway is down", permanent=False)
    if response.status_code != 200:
        raise ProviderError("throwaway refused", permanent=True, code="refused")
    answer: dict[str, Any] = response.json()
    return answer


class ThrowawayProvider(ChannelProvider):
    key = "throwaway"
    label = "Throwaway"
    webhook_routing = "connection"
    credentials_serializer = ThrowawayCredentialsSerializer
    secret_fields = ("token", "webhook_secret")
    rate_limit_per_second = 3.0

    def credentials_complete(self, credentials: dict[str, Any]) -> dict[str, Any]:
        return {**credentials, "webhook_secret": secrets.token_urlsafe(24)}

    def check_credentials(self, credentials: dict[str, Any]) -> dict[str, Any]:
        me = _post("/me", {"token": credentials["token"]})
        return {"display_name": me["name"]}

    def webhook_register(self, connection: Any, *, url: str) -> None:
        _post("/hooks", {"url": url, "secret": connection.credentials["webhook_secret"]})

    def verify_request(self, request: Any, connection: Any) -> None:
        expected = str(connection.credentials["webhook_secret"])
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRejected("wrong secret")

    def parse_inbound(self, payload: bytes) -> list[InboundItem]:
        return [
            InboundMessage(
                event_id=item["id"],
                external_id=item["from"],
                provider_message_id=item["id"],
                kind="text",
                body=item["text"],
                contact_name=item.get("name", ""),
                raw=item,
            )
            for item in json.loads(payload)["messages"]
        ]

    def send(self, connection: Any, message: OutboundMessage) -> str:
        answer = _post(
            "/messages",
            {
                "token": connection.credentials["token"],
                "to": message.recipient,
                "text": message.body,
            },
        )
        return str(answer["id"])
