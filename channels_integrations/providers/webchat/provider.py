"""Our own web chat widget as a provider: no external API.

Visitors post to the tenant host (channels_integrations/widget_views.py), which records their
messages as inbound events like any provider's webhook; agent replies leave through the
outbound pipeline, whose ``send`` pushes them to the visitor's live group (the widget's
websocket).

The widget's settings arrive where other providers' credentials do (the connections API's
``credentials``, validated by ``WebchatSettingsSerializer``), but none of them is secret: the
check copies them into the connection's ``details``, which the widget reads on every request
without decrypting anything: the origins allowed to embed it, its title, colour and welcome.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from channels_integrations.providers.base import (
    ChannelProvider,
    InboundItem,
    InboundMedia,
    OutboundMessage,
    ProviderError,
    SentMessageChange,
)
from connections.models import ChannelConnection
from tenants.realtime import visitor_group
from tenants.tenancy import tenant_media_owns

DEFAULT_COLOR = "#1f6feb"
# The key of the connection's details naming the widget's avatar ({"name": storage path, "mime"}).
AVATAR_DETAIL = "avatar"
VISITOR_ID = re.compile(r"^[0-9a-f]{32}$")
# Our replies' ids carry this mark after the visitor's prefix: a character the widget's own
# message ids never contain, so a reply's id never collides with a visitor's message.
REPLY_MARK = "out."


def visitor_message_prefix(visitor_id: str) -> str:
    """How the provider message id of every message of one visitor starts, theirs and the
    replies they were sent: what they may read is selected by it."""
    return f"webchat-{visitor_id}-"


def _origin(value: str) -> str:
    """``scheme://host[:port]`` of an allowed origin, or a validation error."""
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
        raise serializers.ValidationError(
            gettext_lazy("Use an origin like https://www.example.com (no path).")
        )
    if parts.query or parts.fragment or parts.username:
        raise serializers.ValidationError(gettext_lazy("An origin has no query or credentials."))
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


class OriginField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        return _origin(super().to_internal_value(data))


class WebchatSettingsSerializer(serializers.Serializer[Any]):
    allowed_origins = serializers.ListField(
        child=OriginField(max_length=255),
        required=False,
        default=list,
        max_length=20,
        label=gettext_lazy("Sites allowed to embed the chat"),
        help_text=gettext_lazy("One origin per line, such as https://www.example.com"),
    )
    title = serializers.CharField(
        max_length=60, required=False, default="", label=gettext_lazy("Title")
    )
    color = serializers.RegexField(
        r"^#[0-9a-fA-F]{6}$",
        required=False,
        default=DEFAULT_COLOR,
        label=gettext_lazy("Colour"),
        style={"input_type": "color"},  # the dashboard's form shows a colour picker
    )
    welcome = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        label=gettext_lazy("Welcome text"),
    )


class WebchatProvider(ChannelProvider):
    key = "webchat"
    label = gettext_lazy("Web chat")
    credentials_serializer = WebchatSettingsSerializer
    secret_fields = ()
    rate_limit_per_second = 50.0
    conversation_refusal = gettext_lazy(
        "The web chat cannot reach a visitor first: visitors start the conversation on your site."
    )
    # The widget reads the conversation from here (an edited text, no deleted message) and
    # open widgets are told at once: edits and deletions reach the visitor.
    edits_reach_customer = True
    deletions_reach_customer = True
    # The avatar is uploaded on the connection's page, not with the settings: a new check of
    # the settings keeps it (services/webchat_avatar.py).
    kept_details = (AVATAR_DETAIL,)

    def check_credentials(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """Nothing outside to ask: the validated settings become the connection's details."""
        return {
            "allowed_origins": list(credentials.get("allowed_origins") or []),
            "title": str(credentials.get("title") or ""),
            "color": str(credentials.get("color") or DEFAULT_COLOR),
            "welcome": str(credentials.get("welcome") or ""),
        }

    def embed_snippet(self, connection: ChannelConnection, *, base_url: str) -> str:
        return f'<script src="{base_url}/widget/{connection.public_id}.js" async></script>'

    def verify_request(self, request: HttpRequest, connection: ChannelConnection) -> None:
        raise NotImplementedError("visitors post to the widget views, not to a webhook")

    def parse_inbound(self, payload: bytes) -> list[InboundItem]:
        return []

    def send(self, connection: ChannelConnection, message: OutboundMessage) -> str:
        """Push the reply to the visitor's open widgets; the id names the visitor and the
        message (the visitor's history is selected by it)."""
        if not VISITOR_ID.match(message.recipient):
            # A contact without a web chat identity (only a phone): nobody to deliver to here.
            raise ProviderError(
                "the contact is not a web chat visitor",
                permanent=True,
                code="not_a_web_chat_visitor",
            )
        layer = get_channel_layer()
        if layer is None:
            raise ProviderError("no channel layer", permanent=False)
        message_id = message.idempotency_key.removeprefix("msg-")
        event = {
            "type": "webchat.message",
            "message": {
                "id": message_id,
                "from": "agent",
                "client_id": "",
                "kind": message.kind,
                "body": message.body,
                "has_media": bool(message.media_name),
                "status": "sent",
                "at": timezone.now().isoformat(),
            },
        }
        try:
            async_to_sync(layer.group_send)(visitor_group(connection.pk, message.recipient), event)
        except Exception as exc:  # the channel layer (Redis) is down: retried with back-off
            raise ProviderError(f"live push failed: {exc}", permanent=False) from exc
        # Delivered to the conversation even when no widget is open: the visitor reads it in
        # the history next time the page loads.
        return f"{visitor_message_prefix(message.recipient)}{REPLY_MARK}{message_id}"

    def edit_sent(self, connection: ChannelConnection, change: SentMessageChange) -> None:
        self._push_change(connection, change, {"update": True, "body": change.body})

    def delete_sent(self, connection: ChannelConnection, change: SentMessageChange) -> None:
        self._push_change(connection, change, {"update": True, "deleted": True})

    def _push_change(
        self, connection: ChannelConnection, change: SentMessageChange, fields: dict[str, Any]
    ) -> None:
        """Tell the visitor's open widgets that a reply they show changed (its id is named by
        the reply's provider id, ``send``'s)."""
        visitor_id, _, message_id = change.provider_message_id.removeprefix("webchat-").partition(
            f"-{REPLY_MARK}"
        )
        if not VISITOR_ID.match(visitor_id) or not message_id:
            raise ProviderError(
                "not a reply to a web chat visitor", permanent=True, code="not_a_web_chat_visitor"
            )
        layer = get_channel_layer()
        if layer is None:
            raise ProviderError("no channel layer", permanent=False)
        message = {"id": message_id, "from": "agent", **fields}
        event = {"type": "webchat.message", "message": message}
        try:
            async_to_sync(layer.group_send)(visitor_group(connection.pk, visitor_id), event)
        except Exception as exc:  # the channel layer (Redis) is down: retried with back-off
            raise ProviderError(f"live push failed: {exc}", permanent=False) from exc

    def download_media(
        self, connection: ChannelConnection, media: InboundMedia, *, max_bytes: int
    ) -> tuple[bytes, str]:
        """A visitor's upload, kept under this tenant's prefix by the widget view."""
        name = media.provider_media_id
        if not tenant_media_owns(name, "webchat"):
            raise ProviderError("upload outside the tenant's folder", permanent=True)
        try:
            with default_storage.open(name, "rb") as handle:
                content = handle.read(max_bytes + 1)
        except OSError as exc:
            raise ProviderError("upload not found", permanent=True) from exc
        if len(content) > max_bytes:
            raise ProviderError("file too large", permanent=True, code="media_too_large")
        return content, media.mime_type
