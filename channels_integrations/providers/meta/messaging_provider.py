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
from functools import partial
from typing import Any, ClassVar

from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.utils.translation import gettext as _

from channels_integrations.providers.base import (
    InboundItem,
    InboundMedia,
    OutboundMessage,
    ProviderError,
)
from channels_integrations.providers.meta.credentials import credentials_of
from channels_integrations.providers.meta.errors import CODE_AUTH
from channels_integrations.providers.meta.graph import GraphClient, download
from channels_integrations.providers.meta.messaging_inbound import parse_messaging_payload
from channels_integrations.providers.meta.provider import MetaWebhookProvider
from channels_integrations.providers.meta.signatures import verify_signature
from channels_integrations.providers.meta.webhooks import meta_parse_routed
from connections.models import ChannelConnection
from tickets.models import Message

GRAPH_ID = r"^\d{1,32}$"
# Our kinds → Send API attachment types.
_ATTACHMENT_TYPES: dict[str, str] = {
    Message.Kind.IMAGE: "image",
    Message.Kind.STICKER: "image",
    Message.Kind.VIDEO: "video",
    Message.Kind.AUDIO: "audio",
    Message.Kind.DOCUMENT: "file",
}


class MetaMessagingProvider(MetaWebhookProvider):
    """Messenger/Instagram adapter body; subclasses name the webhook object and the account."""

    # Credential holding the id that appears as ``entry[].id`` in this product's webhooks.
    account_id_field: ClassVar[str]
    # Fields asked of the account by ``check_credentials``.
    profile_fields: ClassVar[tuple[str, ...]]
    # verify_token: connections saved before the callback had its platform token still store one.
    secret_fields = ("page_access_token", "app_secret", "verify_token")
    # Send API: 300 calls per second per Page / Instagram professional account for text, links,
    # reactions and stickers (audio and video: 10 per second; going over those is answered with
    # a rate-limit error, which is retried).
    rate_limit_per_second = 300.0

    def route_keys(self, credentials: dict[str, Any]) -> list[str]:
        return [str(credentials[self.account_id_field])]

    def check_credentials(self, credentials: dict[str, Any]) -> dict[str, Any]:
        account_id = str(credentials[self.account_id_field])
        client = GraphClient(str(credentials["page_access_token"]))
        try:
            account = client.get(account_id, params={"fields": ",".join(self.profile_fields)})
        except ProviderError as exc:
            if not exc.permanent or exc.code == CODE_AUTH:
                raise
            raise ProviderError(
                _(
                    "The account %(id)s was not found, or the Page access token cannot manage "
                    "it (%(detail)s)."
                )
                % {"id": account_id, "detail": exc.detail},
                permanent=True,
                code=exc.code,
            ) from exc
        return {
            field: str(account[field])
            for field in self.profile_fields
            if account.get(field) is not None
        }

    def verify_request(self, request: HttpRequest, connection: ChannelConnection) -> None:
        verify_signature(request, str(credentials_of(connection).get("app_secret") or ""))

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
        client = GraphClient(str(credentials["page_access_token"]))
        path = f"{credentials['page_id']}/messages"
        recipient = {"id": message.recipient}
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

    def _send_file(
        self,
        client: GraphClient,
        path: str,
        recipient: dict[str, str],
        message: OutboundMessage,
    ) -> dict[str, Any]:
        attachment = {"type": _ATTACHMENT_TYPES[message.kind], "payload": {"is_reusable": False}}
        filename = message.media_filename or message.media_name.rsplit("/", 1)[-1]
        mime_type = (
            message.media_mime_type
            or mimetypes.guess_type(filename)[0]
            or "application/octet-stream"
        )
        try:
            file = default_storage.open(message.media_name, "rb")
        except FileNotFoundError as exc:
            raise ProviderError(
                _("The file to send is missing from storage."),
                permanent=True,
                code="media_missing",
            ) from exc
        with file:
            return client.post(
                path,
                data={
                    "recipient": json.dumps(recipient),
                    "messaging_type": "RESPONSE",
                    "message": json.dumps({"attachment": attachment}),
                },
                files={"filedata": (filename, file, mime_type)},
            )

    def download_media(
        self, connection: ChannelConnection, media: InboundMedia, *, max_bytes: int
    ) -> tuple[bytes, str]:
        """Attachment payloads carry a signed CDN URL: fetched as is, without our token (the CDN
        needs none, and the token must not travel to another host)."""
        content, header_mime = download(media.provider_media_id, max_bytes=max_bytes)
        guessed = mimetypes.guess_type(media.filename)[0] if media.filename else None
        return content, media.mime_type or header_mime or guessed or "application/octet-stream"
