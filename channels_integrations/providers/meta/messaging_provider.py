"""What the Messenger and Instagram adapters share: both use the Messenger Platform Send API with
a Page access token, the same webhook event shapes and CDN attachment URLs.

Send API: https://developers.facebook.com/documentation/business-messaging/messenger-platform/reference/send-api
Upload and send a file in one call ("filedata"): https://developers.facebook.com/docs/messenger-platform/send-messages/saving-assets
Instagram sending: https://developers.facebook.com/documentation/business-messaging/instagram-messaging/features/send-message
Rate limits: https://developers.facebook.com/documentation/business-messaging/messenger-platform/overview/rate-limiting
"""

from __future__ import annotations

import json
import mimetypes
import re
from datetime import timedelta
from functools import partial
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from channels_integrations.providers.base import (
    ContactProfile,
    InboundItem,
    InboundMedia,
    OutboundMessage,
    ProviderError,
)
from channels_integrations.providers.meta.credentials import (
    GRAPH_ID,
    credentials_of,
)
from channels_integrations.providers.meta.graph import GraphClient, download
from channels_integrations.providers.meta.messaging_inbound import parse_messaging_payload
from channels_integrations.providers.meta.provider import MetaWebhookProvider
from channels_integrations.providers.meta.uploads import outbound_file
from channels_integrations.providers.meta.webhooks import meta_parse_routed
from connections.models import ChannelConnection
from tickets.models import Message

# Our kinds → Send API attachment types.
_ATTACHMENT_TYPES: dict[str, str] = {
    Message.Kind.IMAGE: "image",
    Message.Kind.STICKER: "image",
    Message.Kind.VIDEO: "video",
    Message.Kind.AUDIO: "audio",
    Message.Kind.DOCUMENT: "file",
}


class PageCredentialsSerializer(serializers.Serializer[dict[str, Any]]):
    """A Facebook Page, its Page access token and the app's secret (webhook signatures; the
    verify token is the platform's, docs/meta-webhooks.md)."""

    page_id = serializers.RegexField(GRAPH_ID, label=gettext_lazy("Page ID"), max_length=32)
    page_access_token = serializers.CharField(
        label=gettext_lazy("Page access token"), max_length=1024
    )
    app_secret = serializers.CharField(label=gettext_lazy("App secret"), max_length=128)


class MetaMessagingProvider(MetaWebhookProvider):
    """Messenger/Instagram adapter body; subclasses name the webhook object and the account."""

    access_token_field = "page_access_token"  # noqa: S105  (a field name)
    # verify_token: connections saved before the callback had its platform token still store one.
    secret_fields = ("page_access_token", "app_secret", "verify_token")
    account_not_found = gettext_lazy(
        "The account %(id)s was not found, or the Page access token cannot manage it (%(detail)s)."
    )
    # Send API: 300 calls per second per Page / Instagram professional account for text, links,
    # reactions and stickers (audio and video: 10 per second; going over those is answered with
    # a rate-limit error, which is retried).
    rate_limit_per_second = 300.0
    caption_kinds = frozenset()  # an attachment of the Send API carries no text
    # A Page writes only to people who wrote to it, and (``messaging_type: RESPONSE``) within
    # 24 hours of their last message.
    contact_avatars = True
    conversation_reach = "after_customer"
    conversation_refusal = gettext_lazy(
        "Meta lets a business write only to people who wrote to it first."
    )
    free_text_window = timedelta(hours=24)
    window_refusal = gettext_lazy(
        "More than 24 hours since the customer last wrote: Meta does not let a business write "
        "to them until they write again."
    )
    # User Profile API fields asked of a customer (``contact_profile``).
    contact_profile_fields: tuple[str, ...]

    def parse_inbound(self, payload: bytes) -> list[InboundItem]:
        return meta_parse_routed(
            payload, partial(parse_messaging_payload, object_type=self.object_type)
        )

    def send(self, connection: ChannelConnection, message: OutboundMessage) -> str:
        """Send API call on ``/{page_id}/messages`` with ``messaging_type: RESPONSE``.

        Files are uploaded with the message (multipart ``filedata``), never passed by URL, so no
        address of our private media is ever given out. An attachment carries no text: a
        caption must be sent as its own message, so one with a body is refused before anything
        is sent. Quoting a message is not offered by the Send API; the quote is dropped.
        """
        credentials = credentials_of(connection)
        client = self.graph_client(credentials)
        path = f"{credentials['page_id']}/messages"
        recipient = {"id": message.recipient}
        if message.kind == Message.Kind.REACTION:
            return self._react(client, path, recipient, message)
        if message.kind == Message.Kind.TEXT:
            answer = client.post(
                path,
                json={
                    "recipient": recipient,
                    "messaging_type": "RESPONSE",
                    "message": {"text": message.body},
                },
            )
        elif message.kind in _ATTACHMENT_TYPES:
            if message.body:
                raise ProviderError(
                    _("A file sent on this channel cannot carry text; send the text apart."),
                    permanent=True,
                    code="caption_not_supported",
                )
            answer = self._send_file(client, path, recipient, message)
        else:
            raise ProviderError(
                _("This channel cannot send this kind of message (%(kind)s).")
                % {"kind": message.kind},
                permanent=True,
                code="unsupported_kind",
            )
        message_id = str(answer.get("message_id") or "")
        if not message_id:
            raise ProviderError(
                _("Meta accepted the message but returned no message id."),
                permanent=False,
                code="provider_unavailable",
            )
        return message_id

    # How the Send API names a reaction: Messenger takes the emoji itself, Instagram a name.
    reaction_names: ClassVar[dict[str, str]] = {}

    def _react(
        self,
        client: GraphClient,
        path: str,
        recipient: dict[str, str],
        message: OutboundMessage,
    ) -> str:
        """``sender_action: react`` on the customer's message (the answer names no message:
        the reaction's id is ours); a second reaction replaces the first."""
        reaction = self.reaction_names.get(message.body, message.body)
        client.post(
            path,
            json={
                "recipient": recipient,
                "sender_action": "react",
                "payload": {
                    "message_id": message.quoted_provider_message_id,
                    "reaction": reaction,
                },
            },
        )
        return f"{message.quoted_provider_message_id}:reaction:{message.idempotency_key}"

    def _send_file(
        self,
        client: GraphClient,
        path: str,
        recipient: dict[str, str],
        message: OutboundMessage,
    ) -> dict[str, Any]:
        attachment = {"type": _ATTACHMENT_TYPES[message.kind], "payload": {"is_reusable": False}}
        with outbound_file(message) as (filename, file, mime_type):
            return client.post(
                path,
                data={
                    "recipient": json.dumps(recipient),
                    "messaging_type": "RESPONSE",
                    "message": json.dumps({"attachment": attachment}),
                },
                files={"filedata": (filename, file, mime_type)},
            )

    def send_read_receipt(
        self, connection: ChannelConnection, *, recipient: str, provider_message_id: str
    ) -> bool:
        """The Send API's ``sender_action: mark_seen`` to the customer: the conversation shows
        as seen up to now (a sender action names no message).
        https://developers.facebook.com/docs/messenger-platform/send-messages/sender-actions
        """
        credentials = credentials_of(connection)
        self.graph_client(credentials).post(
            f"{credentials['page_id']}/messages",
            json={"recipient": {"id": recipient}, "sender_action": "mark_seen"},
        )
        return True

    def contact_profile(
        self, connection: ChannelConnection, external_id: str
    ) -> ContactProfile | None:
        """The User Profile API: ``GET /<PSID or IGSID>?fields=...`` with the Page token.
        Meta answers only for customers who wrote to the business (their consent), and only
        with the fields the app may read; what is missing stays empty."""
        if not re.match(GRAPH_ID, external_id):  # a path segment: digits only
            return None
        credentials = credentials_of(connection)
        answer = self.graph_client(credentials).get(
            external_id, params={"fields": ",".join(self.contact_profile_fields)}
        )
        full_name = " ".join(
            str(answer[key]) for key in ("first_name", "last_name") if answer.get(key)
        )
        name = str(answer.get("name") or "") or full_name or str(answer.get("username") or "")
        picture = str(answer.get("profile_pic") or "")
        return ContactProfile(
            name=name, avatar_url=picture if picture.startswith("https://") else ""
        )

    def contact_avatar(
        self,
        connection: ChannelConnection,
        external_id: str,
        *,
        max_bytes: int,
        picture_url: str = "",
    ) -> bytes | None:
        """The ``profile_pic`` of the User Profile API (the URL the profile fetch of the
        inbound message already got, else asked now), fetched from Meta's CDN without our
        token."""
        url = picture_url
        if not url:
            profile = self.contact_profile(connection, external_id)
            url = profile.avatar_url if profile is not None else ""
        if not url:
            return None
        content, _mime = download(url, max_bytes=max_bytes)
        return content

    def download_media(
        self, connection: ChannelConnection, media: InboundMedia, *, max_bytes: int
    ) -> tuple[bytes, str]:
        """Attachment payloads carry a signed CDN URL: fetched as is, without our token (the CDN
        needs none, and the token must not travel to another host)."""
        content, header_mime = download(media.provider_media_id, max_bytes=max_bytes)
        guessed = mimetypes.guess_type(media.filename)[0] if media.filename else None
        return content, media.mime_type or header_mime or guessed or "application/octet-stream"
